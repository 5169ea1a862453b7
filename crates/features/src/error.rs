//! The error type of feature extraction.

/// What can go wrong when computing features.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A parameter is out of range; names the value and the rule (as librosa's `ParameterError`).
    #[error("invalid parameter {name}={value}: {expected}")]
    InvalidParameter {
        /// The parameter's name (librosa's).
        name: &'static str,
        /// The value given.
        value: String,
        /// The rule it broke.
        expected: &'static str,
    },
    /// An unknown feature name was asked for.
    #[error("unknown feature '{0}' (known: {known})", known = crate::FeatureKind::ALL.iter().map(|k| k.name()).collect::<Vec<_>>().join(", "))]
    UnknownFeature(String),
    /// A file analysed as it decodes could not be: it does not decode, holds no audio, gives
    /// features that are not finite, or changed while it was read. Names the file.
    #[error("{0}")]
    Stream(String),
    /// Writing an output file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// A result with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn invalid(name: &'static str, value: impl ToString, expected: &'static str) -> Error {
    Error::InvalidParameter { name, value: value.to_string(), expected }
}
