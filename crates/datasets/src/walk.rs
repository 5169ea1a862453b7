//! Finding audio files under a folder.

use std::path::{Path, PathBuf};

use crate::error::{io, Result};

/// File extensions taken for audio (lower case).
pub const AUDIO_EXTENSIONS: &[&str] = &["au", "snd", "wav", "wave", "flac", "mp3", "ogg", "oga", "opus", "m4a", "mp4", "aac", "mka", "webm"];

/// Whether `path` has an audio extension.
pub fn is_audio_path(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| AUDIO_EXTENSIONS.iter().any(|a| a.eq_ignore_ascii_case(e)))
}

/// Audio files under `root`, sorted, skipping hidden entries. Symbolic links to folders are
/// not followed (no loops); a folder that cannot be read is an error naming it. A symbolic
/// link with an audio name is listed even when it does not lead to a file (dangling, a
/// loop), and so is a FIFO or a device with an audio name, so that reading it fails with a
/// message naming it instead of it vanishing.
pub(crate) fn audio_files(root: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let entry = entry.map_err(io(&dir))?;
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let file_type = entry.file_type().map_err(io(&path))?;
            if file_type.is_dir() {
                stack.push(path);
            } else if is_audio_path(&path) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `path` relative to `root` as a `/`-separated string (for messages and ids).
pub(crate) fn relative(path: &Path, root: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}
