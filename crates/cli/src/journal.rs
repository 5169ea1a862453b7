//! A batch that survives being killed: each finished file's result is appended as one JSON
//! line to a journal beside the output (`OUT.journal`), and a rerun with the same output,
//! model and settings takes those results instead of recomputing them. The final output is
//! still written atomically at the end, and the journal removed; a killed run leaves at most
//! a torn last line, which is ignored.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// What identifies a file's content cheaply: size and modification time. A file that changed
/// since it was journaled is computed again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Fingerprint {
    size: u64,
    mtime_ns: u128,
}

impl Fingerprint {
    fn of(path: &Path) -> Option<Self> {
        let meta = std::fs::metadata(path).ok()?;
        let mtime_ns = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?.as_nanos();
        Some(Self { size: meta.len(), mtime_ns })
    }
}

#[derive(Serialize, Deserialize)]
struct Entry<T> {
    /// The settings the result depends on (model, aggregation, genrecast version).
    context: String,
    /// The file's path as its raw bytes: a name that is not UTF-8 must round-trip exactly
    /// (as text it could not be written at all, and the file was never journaled).
    path_bytes: Vec<u8>,
    file: Fingerprint,
    result: T,
}

fn path_bytes(path: &Path) -> Vec<u8> {
    std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec()
}

fn path_of(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(<std::ffi::OsString as std::os::unix::ffi::OsStringExt>::from_vec(bytes))
}

/// Results journaled so far, and the open journal to append new ones to.
pub struct Journal<T> {
    path: PathBuf,
    context: String,
    done: HashMap<PathBuf, (Fingerprint, T)>,
    file: Mutex<std::fs::File>,
}

impl<T: Serialize + DeserializeOwned + Clone> Journal<T> {
    /// Opens (or starts) the journal of `out`. Entries written under another `context`, for
    /// a file that has changed, or torn by a kill, are dropped.
    ///
    /// # Errors
    /// If the journal cannot be created or read.
    pub fn open(out: &Path, context: &str) -> anyhow::Result<Self> {
        let mut name = out.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(".journal");
        let path = out.with_file_name(name);
        // Half-written outputs and journals of a killed run.
        genrecast_features::remove_stale_temp_files_of(out);
        genrecast_features::remove_stale_temp_files_of(&path);
        let mut done = HashMap::new();
        if let Ok(text) = std::fs::read_to_string(&path) {
            for line in text.lines() {
                let Ok(entry) = serde_json::from_str::<Entry<T>>(line) else { continue };
                let path = path_of(entry.path_bytes);
                if entry.context == context && Fingerprint::of(&path) == Some(entry.file) {
                    done.insert(path, (entry.file, entry.result));
                }
            }
        }
        // Rewrite it with the valid entries only, so that a torn line does not end up in the
        // middle once new lines are appended.
        let mut kept = String::new();
        for (p, (file, result)) in &done {
            let entry = Entry { context: context.to_owned(), path_bytes: path_bytes(p), file: *file, result: result.clone() };
            kept.push_str(&serde_json::to_string(&entry)?);
            kept.push('\n');
        }
        genrecast_features::write_atomic(&path, |w| w.write_all(kept.as_bytes())).with_context(|| format!("writing {}", path.display()))?;
        let file = std::fs::OpenOptions::new().append(true).open(&path).with_context(|| format!("opening {}", path.display()))?;
        Ok(Self { path, context: context.to_owned(), done, file: Mutex::new(file) })
    }

    /// Where the journal lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The journaled result for `path`, if the file has not changed since.
    pub fn get(&self, path: &Path) -> Option<T> {
        let (file, result) = self.done.get(path)?;
        (Fingerprint::of(path) == Some(*file)).then(|| result.clone())
    }

    /// Appends `result` for `path` (one `write` of one line, so a kill tears at most that
    /// line). A file whose metadata cannot be read is simply not journaled.
    ///
    /// # Errors
    /// If the journal cannot be written (disk full, ...).
    pub fn record(&self, path: &Path, result: &T) -> anyhow::Result<()> {
        let Some(file) = Fingerprint::of(path) else { return Ok(()) };
        let entry = Entry { context: self.context.clone(), path_bytes: path_bytes(path), file, result: result.clone() };
        let mut line = serde_json::to_string(&entry)?;
        line.push('\n');
        let mut f = self.file.lock().unwrap_or_else(|p| p.into_inner());
        f.write_all(line.as_bytes()).with_context(|| format!("writing {}", self.path.display()))
    }

    /// The batch is complete and its output written: the journal goes.
    pub fn finish(self) {
        drop(self.file);
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt as _;

    /// A file whose name is not UTF-8 is journaled and found again after a restart; before,
    /// its entry could not be written and every rerun computed it again.
    #[test]
    fn names_that_are_not_utf8_round_trip() {
        let dir = tempfile::tempdir().expect("tmp");
        let song = dir.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9 \xff.wav"));
        std::fs::write(&song, b"not audio, only a fingerprint").expect("write");
        let out = dir.path().join("results.json");
        let journal = Journal::<String>::open(&out, "ctx").expect("open");
        journal.record(&song, &"jazz".to_owned()).expect("a name that is not UTF-8 is journaled");
        drop(journal);
        let again = Journal::<String>::open(&out, "ctx").expect("reopen");
        assert_eq!(again.get(&song).as_deref(), Some("jazz"));
        assert_eq!(Journal::<String>::open(&out, "other settings").expect("reopen").get(&song), None);
    }
}
