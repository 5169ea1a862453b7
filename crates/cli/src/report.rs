//! Reporting a batch: per-file failures go to stderr as they happen, and a summary at the end.

use std::process::ExitCode;

use crate::inputs::WalkError;

/// The failure messages of a batch (each names its file).
#[derive(Default)]
pub struct Failures {
    messages: Vec<String>,
}

impl Failures {
    /// Starts with the paths that could not even be listed.
    pub fn from_walk_errors(errors: Vec<WalkError>) -> Self {
        Self { messages: errors.into_iter().map(|w| format!("{}: {}", w.path.display(), w.message)).collect() }
    }

    pub fn push(&mut self, message: String) {
        self.messages.push(message);
    }

    /// The exit code: 0 if all went well, 1 if anything failed. With `summary`, first prints
    /// the failures to stderr (outputs such as JSON carry them themselves).
    pub fn finish(self, total: usize, summary: bool) -> ExitCode {
        if self.messages.is_empty() {
            return ExitCode::SUCCESS;
        }
        if summary {
            eprintln!("\n{} of {} files failed:", self.messages.len(), total);
            for message in &self.messages {
                eprintln!("  {message}");
            }
        }
        ExitCode::from(1)
    }
}
