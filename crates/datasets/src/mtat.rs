//! MagnaTagATune (Law et al. 2009), top-50 tags, multi-label: Lee et al.'s split
//! (`{train,valid,test}_list_pub.cP` pickles of `dir/clip.npy`, label matrices
//! `y_{split}_pub.npy`, `top50_tags.txt`) and Won et al.'s (`tags.npy`, `{train,valid,test}.npy`
//! of `idx<TAB>dir/clip.mp3`, labels in `binary.npy`).
//!
//! The clip names are `artist-album-NN-title-start-end`: files of one song (consecutive 29 s
//! segments) share a `clip` id, the song, so that splits keep them together.

use std::path::{Path, PathBuf};

use crate::error::{parse_error, Error, Result};
use crate::lists::{read_npy, read_pickle_string_list, text_lines, NpyArray};
use crate::track::{Dataset, DatasetKind, Track};

const LEE: &str = "splits_jongpillee";
const WON: &str = "sota_split_minzwon_copy";

pub(crate) fn looks_like_mtat(dir: &Path) -> bool {
    dir.join(LEE).is_dir() || dir.join(WON).is_dir() || dir.join("top50_tags.txt").is_file() || (dir.join("tags.npy").is_file() && dir.join("valid.npy").is_file())
}

/// Reads MagnaTagATune's split lists under `root`; audio paths are `audio_root/dir/clip.mp3`
/// (default: `root`).
///
/// # Errors
/// [`Error::Layout`] when neither split layout is there; parse errors of the lists.
pub fn load_mtat(root: &Path, audio_root: Option<&Path>) -> Result<Dataset> {
    let audio_root = audio_root.unwrap_or(root);
    let lee = [root.join(LEE), root.to_path_buf()].into_iter().find(|d| d.join("top50_tags.txt").is_file());
    let won = [root.join(WON), root.to_path_buf()].into_iter().find(|d| d.join("tags.npy").is_file());
    let mut notes = Vec::new();
    let (tags, tracks) = match (lee, won) {
        (Some(dir), other) => {
            if other.is_some() {
                notes.push(format!("both Lee et al.'s and Won et al.'s splits present; read {LEE} (it ships labels)"));
            }
            read_lee(&dir, audio_root, &mut notes)?
        }
        (None, Some(dir)) => read_won(&dir, audio_root, &mut notes)?,
        (None, None) => return Err(Error::Layout { path: root.to_path_buf(), message: format!("no MagnaTagATune split lists ({LEE}/ or {WON}/)") }),
    };
    let mut ds = Dataset::new(DatasetKind::Mtat, root.to_path_buf(), tracks, true, notes);
    ds.labels = tags;
    Ok(ds)
}

fn read_lee(dir: &Path, audio_root: &Path, notes: &mut Vec<String>) -> Result<(Vec<String>, Vec<Track>)> {
    let tags: Vec<String> = text_lines(&dir.join("top50_tags.txt"))?.into_iter().map(|(_, l)| l.trim().to_string()).collect();
    let mut tracks = Vec::new();
    for side in ["train", "valid", "test"] {
        let list = dir.join(format!("{side}_list_pub.cP"));
        if !list.is_file() {
            notes.push(format!("no {side} list ({})", list.display()));
            continue;
        }
        let names = read_pickle_string_list(&list)?;
        let labels = label_rows(&dir.join(format!("y_{side}_pub.npy")), names.len(), &tags, notes)?;
        for (i, name) in names.iter().enumerate() {
            let rel = name.strip_suffix(".npy").unwrap_or(name);
            tracks.push(track(audio_root, &format!("{rel}.mp3"), labels.as_ref().map(|l| l[i].clone()).unwrap_or_default(), side));
        }
    }
    Ok((tags, tracks))
}

fn read_won(dir: &Path, audio_root: &Path, notes: &mut Vec<String>) -> Result<(Vec<String>, Vec<Track>)> {
    let tags_path = dir.join("tags.npy");
    let NpyArray::Strings(tags) = read_npy(&tags_path)? else {
        return Err(parse_error(&tags_path, None, "expected an array of strings"));
    };
    let binary = dir.join("binary.npy");
    if !binary.is_file() {
        notes.push(format!("no label matrix ({}): tracks carry no tags", binary.display()));
    }
    let mut tracks = Vec::new();
    for side in ["train", "valid", "test"] {
        let list = dir.join(format!("{side}.npy"));
        if !list.is_file() {
            notes.push(format!("no {side} list ({})", list.display()));
            continue;
        }
        let NpyArray::Strings(items) = read_npy(&list)? else {
            return Err(parse_error(&list, None, "expected an array of strings"));
        };
        for (n, item) in items.iter().enumerate() {
            let (_, rel) = item.split_once('\t').ok_or_else(|| parse_error(&list, Some(n as u64 + 1), format!("'{item}' is not idx<TAB>dir/clip.mp3")))?;
            tracks.push(track(audio_root, rel, Vec::new(), side));
        }
    }
    Ok((tags, tracks))
}

/// The tag names of each row of a 0/1 label matrix (`None` when the file is absent).
fn label_rows(path: &Path, rows: usize, tags: &[String], notes: &mut Vec<String>) -> Result<Option<Vec<Vec<String>>>> {
    if !path.is_file() {
        notes.push(format!("no label matrix {}: those tracks carry no tags", path.display()));
        return Ok(None);
    }
    let NpyArray::Floats { shape, data } = read_npy(path)? else {
        return Err(parse_error(path, None, "expected a float matrix"));
    };
    if shape != [rows, tags.len()] {
        return Err(parse_error(path, None, format!("shape {shape:?}, but the list has {rows} clips and there are {} tags", tags.len())));
    }
    Ok(Some(data.chunks(tags.len()).map(|row| row.iter().zip(tags).filter(|(v, _)| **v > 0.5).map(|(_, t)| t.clone()).collect()).collect()))
}

fn track(audio_root: &Path, rel: &str, labels: Vec<String>, side: &str) -> Track {
    let stem = rel.rsplit('/').next().unwrap_or(rel).trim_end_matches(".mp3");
    let song = song_of(stem);
    let artist = stem.split('-').next().map(str::to_string);
    Track { path: audio_root.join(PathBuf::from(rel)), clip: song, labels, artist, split: Some(side.to_string()), variant: None }
}

/// `artist-album-01-title-117-146` -> `artist-album-01-title`.
fn song_of(stem: &str) -> String {
    let mut parts: Vec<&str> = stem.rsplitn(3, '-').collect();
    if parts.len() == 3 && parts[0].bytes().all(|b| b.is_ascii_digit()) && parts[1].bytes().all(|b| b.is_ascii_digit()) {
        parts.pop().unwrap_or(stem).to_string()
    } else {
        stem.to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn songs_of_segments() {
        assert_eq!(super::song_of("atomic_opera-alpha_and_oranges-01-rain_parade-117-146"), "atomic_opera-alpha_and_oranges-01-rain_parade");
        assert_eq!(super::song_of("no_times"), "no_times");
    }
}
