//! What a long experiment says while it runs: lines of news (warnings, the fold being trained,
//! each epoch) and counts of work done. The library prints nothing itself; the caller decides
//! where the news goes (the binary: stderr and a progress bar; Python: stderr, no bar).

/// Where an experiment's news goes.
///
/// ```
/// use genrecast_experiments::{Progress, Silent};
/// let progress: &dyn Progress = &Silent;
/// let counter = progress.start(3, "tracks analysed");
/// counter.inc();
/// counter.finish();
/// ```
pub trait Progress: Sync {
    /// One line of news (a warning, what is being done, an epoch's figures).
    fn note(&self, line: &str);

    /// Starts counting `len` steps of `what` ("tracks analysed", "epochs").
    fn start(&self, len: usize, what: &str) -> Box<dyn Counter + '_>;
}

/// A count of steps, started by [`Progress::start`].
pub trait Counter: Sync {
    /// One more step done.
    fn inc(&self);
    /// A line of news while counting (shown without breaking a bar).
    fn note(&self, line: &str);
    /// What is being counted now ("knn on summary").
    fn message(&self, _what: &str) {}
    /// Counting is over.
    fn finish(&self) {}
}

/// News to stderr, no counts.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stderr;

/// No news at all.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Progress for Stderr {
    fn note(&self, line: &str) {
        eprintln!("{line}");
    }

    fn start(&self, _len: usize, _what: &str) -> Box<dyn Counter + '_> {
        Box::new(Stderr)
    }
}

impl Counter for Stderr {
    fn inc(&self) {}

    fn note(&self, line: &str) {
        eprintln!("{line}");
    }
}

impl Progress for Silent {
    fn note(&self, _line: &str) {}

    fn start(&self, _len: usize, _what: &str) -> Box<dyn Counter + '_> {
        Box::new(Silent)
    }
}

impl Counter for Silent {
    fn inc(&self) {}

    fn note(&self, _line: &str) {}
}
