//! Marsyas collection files (`.mf`), as `bextract` reads them: `path<TAB>label` per line, `#`
//! comments. The paths are usually absolute on someone else's machine
//! (`/Volumes/.../genres/blues/blues.00000.wav`), so each is looked up as written, relative to
//! the `.mf`, and then by its last two and last one components under an audio root, also
//! with another audio extension.

use std::path::{Path, PathBuf};

use crate::error::{parse_error, Result};
use crate::lists::text_lines;
use crate::track::{Dataset, DatasetKind, Track};
use crate::walk::AUDIO_EXTENSIONS;

/// Reads a `.mf` collection; `audio_root` is where to find files whose written path does not
/// exist here.
///
/// # Errors
/// I/O errors; a parse error naming the line for one without a label.
pub fn load_marsyas(mf: &Path, audio_root: Option<&Path>) -> Result<Dataset> {
    let dir = mf.parent().unwrap_or(Path::new("."));
    let mut tracks = Vec::new();
    let mut unresolved = 0usize;
    for (n, line) in text_lines(mf)? {
        let (file, label) = line.rsplit_once('\t').ok_or_else(|| parse_error(mf, Some(n), "expected <path><TAB><label>"))?;
        let (file, label) = (file.trim(), label.trim());
        if label.is_empty() {
            return Err(parse_error(mf, Some(n), "empty label"));
        }
        let path = resolve(file, dir, audio_root).unwrap_or_else(|| {
            unresolved += 1;
            PathBuf::from(file)
        });
        let stem = Path::new(file.rsplit(['/', '\\']).next().unwrap_or(file)).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let clip = crate::gtzan::clip_id(file).unwrap_or(stem);
        tracks.push(Track { path, clip, labels: vec![label.to_string()], artist: None, split: None, variant: None });
    }
    let mut notes = Vec::new();
    if unresolved > 0 {
        notes.push(format!("{unresolved} of {} listed files were not found (give the folder holding them as the audio root)", tracks.len()));
    }
    Ok(Dataset::new(DatasetKind::Marsyas, mf.to_path_buf(), tracks, false, notes))
}

fn resolve(file: &str, dir: &Path, audio_root: Option<&Path>) -> Option<PathBuf> {
    let written = PathBuf::from(file);
    let mut candidates = vec![if written.is_absolute() { written.clone() } else { dir.join(&written) }];
    if let Some(root) = audio_root {
        let parts: Vec<&str> = file.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
        for k in (1..=parts.len().min(2)).rev() {
            candidates.push(root.join(parts[parts.len() - k..].iter().collect::<PathBuf>()));
        }
    }
    // As written first; then the same name in another audio format (a collection of .wav
    // files converted to .flac).
    candidates.iter().find(|p| p.is_file()).cloned().or_else(|| {
        candidates.iter().find_map(|p| AUDIO_EXTENSIONS.iter().map(|e| p.with_extension(e)).find(|q| q.is_file()))
    })
}
