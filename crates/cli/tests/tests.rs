//! End-to-end tests of the `genrecast` binary.

mod bench_models;
mod cache;
mod classify;
mod dataset;
mod features;
mod hostile;
mod info;
mod library;
mod server;
mod train;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the built binary with `args`, without the feature cache (so that each test computes
/// what it checks; the cache has tests of its own).
pub fn genrecast(args: &[&str]) -> Output {
    bin().args(args).output().expect("run genrecast")
}

/// The built binary as a command, feature cache off.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_genrecast"));
    c.env("GENRECAST_NO_CACHE", "1").env_remove("GENRECAST_CACHE");
    c
}

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The bundled example song.
pub fn example_song() -> PathBuf {
    repo().join("examples/muldjord-chaos-god-excerpt.ogg")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
