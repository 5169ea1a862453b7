//! Integration tests of genrecast-features.

mod librosa_extra;
mod librosa_parity;
mod stream;
