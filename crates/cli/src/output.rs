//! Writing results to standard output as errors, not panics. `println!` panics when stdout
//! is closed (`genrecast train ... | head -1`) or the disk is full (`> /dev/full`), and a
//! panic there lost a model that took an hour to train. [`outln!`] and [`out!`] return the
//! error with `?` instead: a closed pipe ends the command quietly (as `head` expects), a full
//! disk is reported, and whatever was to be saved is saved first.

/// `println!` that returns an error (with `?`) instead of panicking.
macro_rules! outln {
    () => {
        $crate::output::write_stdout(format_args!("\n"))?
    };
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))?
    };
}

/// `print!` that returns an error (with `?`) instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!($($arg)*))?
    };
}

/// Writes `args` to standard output and flushes it, so that a full disk shows here and not
/// in a flush at exit, whose error Rust ignores.
///
/// # Errors
/// The I/O error (a closed pipe, a full disk), with context.
pub fn write_stdout(args: std::fmt::Arguments) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    stdout.write_fmt(args).and_then(|()| stdout.flush()).map_err(|e| anyhow::Error::new(e).context("writing to standard output"))
}
