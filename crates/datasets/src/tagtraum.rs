//! tagtraum's genre labels for the Million Song Dataset (Schreiber 2015): `.cls` files of
//! `TRACKID<TAB>genre[<TAB>minority genre]` with `#` comments. Paths follow the MSD layout,
//! `A/B/C/TRABC....h5`, or a flat folder of `.h5` files.

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
    let notes = vec![format!("{present} of {} tracks have a per-track file here", tracks.len())];
    let mut ds = Dataset::new(DatasetKind::Tagtraum, cls.to_path_buf(), tracks, false, notes);
    // The vocabulary is the majority genres; minority genres are extra information.
    let majority: std::collections::BTreeSet<String> = ds.tracks.iter().filter_map(|t| t.label().map(str::to_string)).collect();
    ds.labels = majority.into_iter().collect();
    Ok(ds)
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
