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
