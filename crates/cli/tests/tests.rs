//! End-to-end tests of the `genrecast` binary.

mod bench_models;
mod cache;
mod classify;
mod dataset;
mod features;
mod hostile;
mod info;
mod library;
mod models;
mod msd;
mod server;
mod train;
mod web_page;

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

/// Writes an 8-bit mono PCM WAV of `frames` samples at `sr` Hz, streaming the samples (a
/// three-hour file need not be held in memory).
pub fn write_u8_wav(path: &Path, sr: u32, frames: u32, samples: impl IntoIterator<Item = u8>) {
    use std::io::Write;
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let mut header = b"RIFF".to_vec();
    header.extend((36 + frames).to_le_bytes());
    header.extend(b"WAVEfmt ");
    header.extend(16u32.to_le_bytes());
    header.extend(1u16.to_le_bytes()); // PCM
    header.extend(1u16.to_le_bytes()); // mono
    header.extend(sr.to_le_bytes());
    header.extend(sr.to_le_bytes()); // bytes per second
    header.extend(1u16.to_le_bytes()); // block align
    header.extend(8u16.to_le_bytes());
    header.extend(b"data");
    header.extend(frames.to_le_bytes());
    w.write_all(&header).expect("write");
    let mut written = 0u32;
    for b in samples {
        w.write_all(&[b]).expect("write");
        written += 1;
    }
    assert_eq!(written, frames, "the samples do not match the declared length");
    w.flush().expect("flush");
}
