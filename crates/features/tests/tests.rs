//! Integration tests of genrecast-features.

mod librosa_parity;
