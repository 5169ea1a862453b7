//! The error type of genrecast-datasets.

use std::path::PathBuf;

/// What can go wrong reading a dataset, splitting it or using the feature cache. Every variant
/// names the file it concerns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operating system refused a read or write.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A metadata, list or split file is not in the format its name promises.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line (or record) number, where known.
        line: Option<u64>,
        /// What was wrong.
        message: String,
    },
    /// A folder does not look like the dataset it was opened as.
    #[error("{}: {message}", path.display())]
    Layout {
        /// The folder or file.
        path: PathBuf,
        /// What was expected and not found.
        message: String,
    },
    /// A split or option names something the dataset does not have.
    #[error("{0}")]
    InvalidParameter(String),
    /// The same group (clip or artist) is on both sides of a split.
    #[error("{0}")]
    Leakage(crate::split::LeakageReport),
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}

pub(crate) fn parse_error(path: &std::path::Path, line: Option<u64>, message: impl Into<String>) -> Error {
    Error::Parse { path: path.to_path_buf(), line, message: message.into() }
}
