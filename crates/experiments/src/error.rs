//! The experiment layer's errors: what was refused (a setting, a split, a dataset that cannot
//! give the input) and what failed below (reading, analysing, training).

/// An experiment that could not run, or stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting or a dataset that the experiment refuses, with the reason.
    #[error("{0}")]
    Invalid(String),
    /// What was being done when `source` failed (printed as `context: source`).
    #[error("{context}")]
    Context {
        /// What was being done.
        context: String,
        /// Why it failed.
        #[source]
        source: Box<Error>,
    },
    /// A dataset, split or feature cache that could not be read.
    #[error(transparent)]
    Dataset(#[from] genrecast_datasets::Error),
    /// A model that could not be built, trained, loaded or saved, or a device that is not there.
    #[error(transparent)]
    Model(#[from] genrecast_models::Error),
    /// A classic model that could not be fitted.
    #[error(transparent)]
    Classic(#[from] genrecast_classic::ClassicError),
    /// Features that could not be computed or written.
    #[error(transparent)]
    Features(#[from] genrecast_features::Error),
    /// Segment descriptors that could not be computed.
    #[error(transparent)]
    Descriptors(#[from] genrecast_descriptors::Error),
    /// Audio that could not be decoded.
    #[error(transparent)]
    Audio(#[from] genrecast_audio::Error),
    /// A file or folder that could not be written.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A JSON document that could not be written.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// Text that could not be formatted.
    #[error(transparent)]
    Fmt(#[from] std::fmt::Error),
}

/// The layer's results.
pub type Result<T> = std::result::Result<T, Error>;

/// Context for a failure or a missing value, as `anyhow::Context` gives it.
pub trait Context<T> {
    /// Wraps the failure with `context`, computed only when there is a failure.
    fn with_context<C: Into<String>, F: FnOnce() -> C>(self, f: F) -> Result<T>;

    /// Wraps the failure with `context`.
    fn context<C: Into<String>>(self, context: C) -> Result<T>
    where
        Self: Sized,
    {
        self.with_context(|| context)
    }
}

impl<T, E: Into<Error>> Context<T> for std::result::Result<T, E> {
    fn with_context<C: Into<String>, F: FnOnce() -> C>(self, f: F) -> Result<T> {
        self.map_err(|e| Error::Context { context: f().into(), source: Box::new(e.into()) })
    }
}

impl<T> Context<T> for Option<T> {
    fn with_context<C: Into<String>, F: FnOnce() -> C>(self, f: F) -> Result<T> {
        self.ok_or_else(|| Error::Invalid(f().into()))
    }
}

/// Returns an [`Error::Invalid`] made as `format!` makes a string.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::Error::Invalid(format!($($arg)*)))
    };
}
pub(crate) use bail;

/// An error and its causes on one line, `: ` between them, without a cause whose text the
/// message already holds (an error that names its cause in its own message and also returns
/// it as its source would print it twice).
///
/// ```
/// let e = genrecast_experiments::Error::Invalid("inner".into());
/// assert_eq!(genrecast_experiments::error_chain(&e), "inner");
/// ```
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = String::new();
    let mut cause = Some(err);
    while let Some(e) = cause {
        let text = e.to_string();
        if !out.contains(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
        cause = e.source();
    }
    out
}
