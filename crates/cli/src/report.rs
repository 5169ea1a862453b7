//! Reporting a batch: per-file failures go to stderr as they happen, and a summary at the end.

use std::process::ExitCode;

use crate::inputs::WalkError;

/// The failure messages of a batch (each names its file).
#[derive(Default)]
pub struct Failures {
    messages: Vec<String>,
    /// Inputs that failed before they were files to process (unlistable or empty folders).
    walk_errors: usize,
}

impl Failures {
    /// Starts with the paths that could not even be listed.
    pub fn from_walk_errors(errors: Vec<WalkError>) -> Self {
        let walk_errors = errors.len();
        Self { messages: errors.into_iter().map(|w| format!("{}: {}", w.path.display(), w.message)).collect(), walk_errors }
    }

    pub fn push(&mut self, message: String) {
        self.messages.push(message);
    }

    /// The exit code: 0 if all went well, 1 if anything failed. With `summary`, first prints
    /// the failures to stderr (outputs such as JSON carry them themselves), out of `files`
    /// processed plus the inputs that failed before (never "1 of 0 files failed").
    pub fn finish(self, files: usize, summary: bool) -> ExitCode {
        let total = files + self.walk_errors;
        if self.messages.is_empty() {
            return ExitCode::SUCCESS;
        }
        if summary {
            eprintln!("\n{} of {} files failed:", self.messages.len(), total);
            for message in &self.messages {
                eprintln!("  {}", crate::names::escape_controls(message));
            }
        }
        ExitCode::from(1)
    }
}

/// An error and its causes on one line, as `{:#}` prints them, but without a cause whose
/// text the message already holds (library errors name their cause in their own message
/// and also return it as their source, which `{:#}` would print twice).
pub fn chain(err: &anyhow::Error) -> String {
    genrecast_experiments::error_chain(err.as_ref())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory (os error 2)");
        let lib = genrecast_datasets::Error::Io { path: "/x.txt".into(), source: io };
        let err = anyhow::Error::new(lib).context("reading the --lyrics files");
        assert_eq!(super::chain(&err), "reading the --lyrics files: /x.txt: No such file or directory (os error 2)");
        let plain = anyhow::anyhow!("inner").context("outer");
        assert_eq!(super::chain(&plain), "outer: inner");
    }
}
