//! End-to-end tests of the `genrecast` binary.

mod features;
mod hostile;
mod info;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the built binary with `args`.
pub fn genrecast(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_genrecast")).args(args).output().expect("run genrecast")
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
