//! Any folder with one sub-folder per label: `root/<label>/**/<file>.<audio>`.

use std::path::Path;

use crate::error::{Error, Result};
use crate::track::{Dataset, DatasetKind, Track};
use crate::walk::{audio_files, relative};

/// Reads `root/<label>/...`: each audio file below a first-level folder gets that folder's
/// name as its label; its clip id is its path relative to `root` without the extension.
/// Audio files directly in `root` have no label and are left out (with a note).
///
/// # Errors
/// [`Error::Layout`] when no labelled audio is found.
pub fn load_folder(root: &Path) -> Result<Dataset> {
    let mut tracks = Vec::new();
    let mut loose = 0usize;
    for path in audio_files(root)? {
        let rel = relative(&path, root);
        let Some((label, _)) = rel.split_once('/') else {
            loose += 1;
            continue;
        };
        let clip = rel.rsplit_once('.').map_or(rel.as_str(), |(c, _)| c).to_string();
        tracks.push(Track { path, clip, labels: vec![label.to_string()], artist: None, split: None, variant: None });
    }
    if tracks.is_empty() {
        return Err(Error::Layout { path: root.to_path_buf(), message: "no audio file in a label folder (<root>/<label>/<file>)".into() });
    }
    let notes = if loose > 0 { vec![format!("{loose} audio files directly in the root have no label folder and were left out")] } else { vec![] };
    Ok(Dataset::new(DatasetKind::Folder, root.to_path_buf(), tracks, false, notes))
}
