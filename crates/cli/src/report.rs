//! Reporting a batch: per-file failures go to stderr as they happen, and a summary at the end.

use std::path::PathBuf;
use std::process::ExitCode;

/// The files of a batch that failed, with their messages.
#[derive(Default)]
pub struct Failures {
    pub items: Vec<(PathBuf, String)>,
}

impl Failures {
    pub fn push(&mut self, path: PathBuf, message: String) {
        self.items.push((path, message));
    }

    /// Prints the summary to stderr and returns the exit code: 0 if all went well, 1 if any
    /// file failed.
    pub fn finish(self, total: usize) -> ExitCode {
        if self.items.is_empty() {
            return ExitCode::SUCCESS;
        }
        eprintln!("\n{} of {} files failed:", self.items.len(), total);
        for (_, message) in &self.items {
            eprintln!("  {message}");
        }
        ExitCode::from(1)
    }

    /// The exit code alone, for outputs (JSON) that carry the failures themselves.
    pub fn code_only(self) -> ExitCode {
        if self.items.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        }
    }
}
