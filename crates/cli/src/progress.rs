//! The progress bar of the batch commands.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// A bar over `len` items named `what` ("files", "files indexed", ...) on stderr, hidden with
/// `--quiet` and whenever stderr is not a terminal, so that a log file or a pipe gets the
/// messages without a bar's escape codes in between.
///
/// ```ignore
/// let bar = crate::progress::bar(files.len(), args.quiet, "files");
/// ```
pub fn bar(len: usize, quiet: bool, what: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    bar.set_style(ProgressStyle::with_template(&format!("{{spinner}} [{{elapsed_precise}}] {{bar:30}} {{pos}}/{{len}} {what} ({{eta}} left)")).unwrap_or_else(|_| ProgressStyle::default_bar()));
    bar
}

/// The experiment layer's news on this terminal: each line on stderr (control characters
/// escaped, as every file name printed), counts as a [`bar`] hidden with `--quiet`.
pub struct Terminal {
    /// `--quiet`: no bars (the lines still show).
    pub quiet: bool,
}

impl genrecast_experiments::Progress for Terminal {
    fn note(&self, line: &str) {
        eprintln!("{}", crate::names::escape_controls(line));
    }

    fn start(&self, len: usize, what: &str) -> Box<dyn genrecast_experiments::Counter + '_> {
        Box::new(Counted(bar(len, self.quiet, what)))
    }
}

/// A [`bar`] counting an experiment's steps.
struct Counted(ProgressBar);

impl genrecast_experiments::Counter for Counted {
    fn inc(&self) {
        self.0.inc(1);
    }

    fn note(&self, line: &str) {
        self.0.suspend(|| eprintln!("{}", crate::names::escape_controls(line)));
    }

    fn message(&self, what: &str) {
        self.0.set_message(what.to_owned());
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}
