//! The error type of genrecast-models.

use std::path::PathBuf;

/// What can go wrong building, training, saving or loading a model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration that cannot work (shapes, options).
    #[error("{0}")]
    Config(String),
    /// A model directory is missing a file, or holds one of the wrong shape, version or labels.
    #[error("{}: {message}", path.display())]
    Checkpoint {
        /// The model directory or file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Training data problems (no tracks, one class, ...).
    #[error("{0}")]
    Data(String),
    /// A compute device that is not there (no `cuda` build, driver, NVRTC or GPU) or not
    /// understood.
    #[error("{0}")]
    Device(String),
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
