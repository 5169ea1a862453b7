//! tagtraum's genre labels for the Million Song Dataset (Schreiber 2015): `.cls` files of
//! `TRACKID<TAB>genre[<TAB>minority genre]` with `#` comments. Paths follow the MSD layout,
//! `A/B/C/TRABC....h5`, or a flat folder of `.h5` files.
//!
//! Lee et al.'s tagtraum split (`jongpillee_split/{train,test}_list.cP`, Python-2 pickles of
//! track ids; Lee & Nam, IEEE SPL 2017), when it lies beside the `.cls`, becomes the tracks'
//! `split` column (`--split column`).

use std::path::{Path, PathBuf};

use crate::error::{parse_error, Result};
use crate::lists::text_lines;
use crate::track::{Dataset, DatasetKind, Track};

/// Reads a `.cls` file. Each track's first label is its majority genre; a second, minority
/// genre (CD2) follows it. Per-track files are looked for under `h5_root` (default: the
/// folder of the `.cls`, then its sibling `h5/`).
///
/// # Errors
/// I/O errors, and parse errors naming the line for a malformed one.
pub fn load_tagtraum(cls: &Path, h5_root: Option<&Path>) -> Result<Dataset> {
    let dir = cls.parent().unwrap_or(Path::new("."));
    let roots: Vec<PathBuf> = match h5_root {
        Some(r) => vec![r.to_path_buf()],
        None => vec![dir.to_path_buf(), dir.parent().unwrap_or(dir).join("h5")],
    };
    let mut tracks = Vec::new();
    let mut present = 0usize;
    for (n, line) in text_lines(cls)? {
        let mut fields = line.split('\t').map(str::trim);
        let id = fields.next().unwrap_or_default();
        if !(id.len() == 18 && id.starts_with("TR") && id.bytes().all(|b| b.is_ascii_alphanumeric())) {
            return Err(parse_error(cls, Some(n), format!("'{id}' is not an MSD track id (TR + 16 characters)")));
        }
        let labels: Vec<String> = fields.filter(|g| !g.is_empty()).map(str::to_string).collect();
        if labels.is_empty() {
            return Err(parse_error(cls, Some(n), format!("{id} has no genre")));
        }
        let path = msd_path(&roots, id);
        present += usize::from(path.is_file());
        tracks.push(Track { path, clip: id.to_string(), labels, artist: None, split: None, variant: None });
    }
    let mut notes = vec![format!("{present} of {} tracks have a per-track file here", tracks.len())];
    if let Some(note) = lee_split(dir, &mut tracks)? {
        notes.push(note);
    }
    let mut ds = Dataset::new(DatasetKind::Tagtraum, cls.to_path_buf(), tracks, false, notes);
    // The vocabulary is the majority genres; minority genres are extra information.
    let majority: std::collections::BTreeSet<String> = ds.tracks.iter().filter_map(|t| t.label().map(str::to_string)).collect();
    ds.labels = majority.into_iter().collect();
    Ok(ds)
}

/// Marks the tracks of Lee et al.'s split lists under `dir/jongpillee_split/`: `test` for the
/// test list, `train` for the train list, or for every other track when only the test list is
/// there. Returns a note on what was found.
fn lee_split(dir: &Path, tracks: &mut [Track]) -> Result<Option<String>> {
    let split_dir = dir.join("jongpillee_split");
    let test_list = split_dir.join("test_list.cP");
    if !test_list.is_file() {
        return Ok(None);
    }
    let test: std::collections::HashSet<String> = crate::lists::read_pickle_string_list(&test_list)?.into_iter().collect();
    let train_list = split_dir.join("train_list.cP");
    let train: Option<std::collections::HashSet<String>> = if train_list.is_file() { Some(crate::lists::read_pickle_string_list(&train_list)?.into_iter().collect()) } else { None };
    let (mut n_test, mut n_train) = (0usize, 0usize);
    for t in tracks.iter_mut() {
        let side = if test.contains(&t.clip) {
            Some("test")
        } else if train.as_ref().is_none_or(|l| l.contains(&t.clip)) {
            Some("train")
        } else {
            None
        };
        n_test += usize::from(side == Some("test"));
        n_train += usize::from(side == Some("train"));
        t.split = side.map(str::to_string);
    }
    let rest = if train.is_some() { "its train list" } else { "the other tracks (no train list here)" };
    Ok(Some(format!("Lee et al.'s split in {}: {n_test} test tracks, {n_train} train tracks from {rest} (--split column)", split_dir.display())))
}

/// Where the MSD keeps `id`: flat (`root/ID.h5`) if that exists, else `root/A/B/C/ID.h5`.
fn msd_path(roots: &[PathBuf], id: &str) -> PathBuf {
    let nested = |r: &Path| r.join(&id[2..3]).join(&id[3..4]).join(&id[4..5]).join(format!("{id}.h5"));
    for r in roots {
        for p in [r.join(format!("{id}.h5")), nested(r)] {
            if p.is_file() {
                return p;
            }
        }
    }
    nested(&roots[0])
}
