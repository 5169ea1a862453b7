//! Integration tests of genrecast-audio on real audio from `../shared/data`.

mod librosa_load;
mod reading;
mod seeking;
mod streaming;
