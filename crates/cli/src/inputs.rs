//! Turning the paths on the command line into a list of audio files.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Extensions picked up when walking a folder.
pub const AUDIO_EXTENSIONS: &[&str] = &["wav", "au", "snd", "mp3", "flac", "ogg", "oga", "m4a", "mp4", "aac", "mka", "wave"];

/// A path that could not even be listed.
pub struct WalkError {
    pub path: PathBuf,
    pub message: String,
}

/// Expands `paths`: files are taken as given (whatever their extension, so that a
/// mislabelled file is still tried), folders are walked recursively for audio extensions,
/// in sorted order, following symlinks but never the same folder twice. A folder given that
/// holds no audio file is an error of its own.
pub fn expand(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<WalkError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => {
                let (before, errors_before) = (files.len(), errors.len());
                walk(p, &mut files, &mut errors, &mut seen);
                // A folder with no song in it is a mistake worth a word and exit 1, not a
                // silent success.
                if files.len() == before && errors.len() == errors_before {
                    errors.push(WalkError { path: p.clone(), message: format!("no audio files in this folder (looked for .{})", AUDIO_EXTENSIONS.join(", ."))});
                }
            }
            Ok(_) => files.push(p.clone()),
            // Let the decoder report missing files, so the message is the same everywhere.
            Err(_) => files.push(p.clone()),
        }
    }
    (files, errors)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<WalkError>, seen: &mut HashSet<PathBuf>) {
    let canonical = match dir.canonicalize() {
        Ok(c) => c,
        Err(e) => {
            errors.push(WalkError { path: dir.to_owned(), message: format!("cannot resolve folder: {e}") });
            return;
        }
    };
    if !seen.insert(canonical) {
        return; // a symlink loop or a folder reached twice
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            errors.push(WalkError { path: dir.to_owned(), message: format!("cannot list folder: {e}") });
            return;
        }
    };
    let mut children: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    children.sort();
    for child in children {
        match std::fs::metadata(&child) {
            Ok(m) if m.is_dir() => walk(&child, files, errors, seen),
            Ok(_) if is_audio(&child) => files.push(child),
            Ok(_) => {}
            Err(e) if is_audio(&child) => errors.push(WalkError { path: child, message: format!("cannot read: {e}") }),
            Err(_) => {}
        }
    }
}

fn is_audio(p: &Path) -> bool {
    p.extension().and_then(|e| e.to_str()).is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}
