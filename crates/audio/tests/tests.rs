//! Integration tests of genrecast-audio on real audio from `../shared/data`.

mod common;
mod librosa_load;
