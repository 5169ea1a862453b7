//! The error type of audio input.

use std::path::{Path, PathBuf};

/// Everything that can go wrong while reading audio. Every variant names the file.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be opened or read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file holds no bytes at all.
    #[error("{}: file is empty (0 bytes)", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The bytes are not any audio container we know.
    #[error("{}: not a recognised audio file ({detail})", path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// What the content looks like instead.
        detail: String,
    },
    /// A known container or codec variant that we cannot decode.
    #[error("{}: unsupported: {what}", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What is not supported.
        what: String,
    },
    /// The header or stream is malformed.
    #[error("{}: malformed: {reason}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The stream ends before the length its header declares.
    #[error("{}: truncated: header declares {expected} frames, only {decoded} could be decoded", path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Frames the header declares.
        expected: u64,
        /// Frames actually decoded.
        decoded: u64,
    },
    /// The file was cut short, and its header cannot say by how much.
    #[error("{}: truncated: {reason}", path.display())]
    CutShort {
        /// The file.
        path: PathBuf,
        /// How it shows.
        reason: String,
    },
    /// The stream ends in the middle of a header or packet.
    #[error("{}: truncated: the stream ends unexpectedly ({context})", path.display())]
    UnexpectedEnd {
        /// The file.
        path: PathBuf,
        /// What was being read.
        context: &'static str,
    },
    /// The stream decoded, but to no audio at all.
    #[error("{}: contains no audio samples", path.display())]
    NoAudio {
        /// The file.
        path: PathBuf,
    },
    /// A parameter given by the caller is out of range.
    #[error("invalid parameter {name}={value}: {expected}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// The value given.
        value: String,
        /// The rule it broke.
        expected: &'static str,
    },
    /// The decoder crashed on this input; it is caught so that batches go on.
    #[error("{}: decoder crashed on malformed data: {message}", path.display())]
    DecoderPanic {
        /// The file.
        path: PathBuf,
        /// The panic message.
        message: String,
    },
}

/// A result with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io { path: path.to_owned(), source }
    }
    pub(crate) fn malformed(path: &Path, reason: impl Into<String>) -> Self {
        Error::Malformed { path: path.to_owned(), reason: reason.into() }
    }
    pub(crate) fn unsupported(path: &Path, what: impl Into<String>) -> Self {
        Error::Unsupported { path: path.to_owned(), what: what.into() }
    }
}
