//! Integration tests of genrecast-datasets, on the real datasets in `../shared/data`.

mod cache;
mod layouts;
mod lyrics;
mod msd;
mod splits;
mod teacher_tags;
