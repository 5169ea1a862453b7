//! One item of a dataset ([`Track`]) and a whole dataset ([`Dataset`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// The layout a dataset was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DatasetKind {
    /// GTZAN: `<genre>/<genre>.NNNNN.{au,wav,flac}`, with split lists beside it.
    Gtzan,
    /// Free Music Archive: `NNN/NNNNNN.mp3` plus a tracks or labels CSV.
    Fma,
    /// MagnaTagATune: top-50 tag lists and split files; multi-label.
    Mtat,
    /// tagtraum genre labels for the Million Song Dataset (`.cls`).
    Tagtraum,
    /// A Marsyas collection file (`.mf`: `path<TAB>label`).
    Marsyas,
    /// Any folder with one sub-folder per label.
    Folder,
    /// A CSV manifest: a `path` column and a label column.
    Manifest,
}

impl DatasetKind {
    /// Every kind, in the order auto-detection tries them.
    pub const ALL: [DatasetKind; 7] = [Self::Manifest, Self::Marsyas, Self::Tagtraum, Self::Mtat, Self::Fma, Self::Gtzan, Self::Folder];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Gtzan => "gtzan",
            Self::Fma => "fma",
            Self::Mtat => "mtat",
            Self::Tagtraum => "tagtraum",
            Self::Marsyas => "marsyas",
            Self::Folder => "folder",
            Self::Manifest => "manifest",
        }
    }
}

impl std::str::FromStr for DatasetKind {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| crate::Error::InvalidParameter(format!("unknown dataset kind '{s}' (known: gtzan, fma, mtat, tagtraum, marsyas, folder, manifest)")))
    }
}

/// One audio file of a dataset with what is known about it.
///
/// Several files can share one `clip` (GTZAN ships the same 30 s clip at 22 kHz, at 16 kHz, as
/// an excerpt...): they are one recording, and every split keeps them on the same side.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Track {
    /// Where the audio is (it may not exist: metadata-only datasets such as MSD/tagtraum).
    pub path: PathBuf,
    /// Id of the recording (GTZAN `blues.00012`, FMA track id, MTAT song). Splits group by it.
    pub clip: String,
    /// Labels. Single-label datasets have one (tagtraum may add a second, minority genre);
    /// tagging datasets any number, possibly none.
    pub labels: Vec<String>,
    /// Artist, where known (an id or a name). Artist-filtered splits group by it.
    pub artist: Option<String>,
    /// The dataset's own split for this file (`train`, `valid`, `test`), where it ships one.
    pub split: Option<String>,
    /// Which version of the clip this file is (GTZAN slice: `full_22k`, `excerpts_22k`, ...).
    pub variant: Option<String>,
}

impl Track {
    /// The first label: the label of a single-label dataset.
    pub fn label(&self) -> Option<&str> {
        self.labels.first().map(String::as_str)
    }
}

/// A dataset: its tracks, label vocabulary and what was noticed while reading it.
///
/// # Example
/// ```no_run
/// use genrecast_datasets::{open, DatasetKind};
/// let gtzan = open("../shared/data/gtzan".as_ref(), Some(DatasetKind::Gtzan))?;
/// println!("{} files, {} genres", gtzan.tracks.len(), gtzan.labels.len());
/// # Ok::<(), genrecast_datasets::Error>(())
/// ```
#[derive(Clone, Debug, serde::Serialize)]
pub struct Dataset {
    /// The layout it was read as.
    pub kind: DatasetKind,
    /// The folder or file it was read from.
    pub root: PathBuf,
    /// Its files.
    pub tracks: Vec<Track>,
    /// The label vocabulary, in the dataset's own order where it has one (MTAT's top-50 list),
    /// else sorted.
    pub labels: Vec<String>,
    /// Whether a track may carry several labels (tagging) rather than exactly one.
    pub multi_label: bool,
    /// Things worth knowing that did not stop loading (e.g. metadata rows without audio).
    pub notes: Vec<String>,
}

impl Dataset {
    /// Builds a dataset, deriving the sorted label vocabulary from the tracks.
    pub fn new(kind: DatasetKind, root: PathBuf, tracks: Vec<Track>, multi_label: bool, notes: Vec<String>) -> Self {
        let labels: BTreeSet<&String> = tracks.iter().flat_map(|t| t.labels.iter()).collect();
        let labels = labels.into_iter().cloned().collect();
        Self { kind, root, tracks, labels, multi_label, notes }
    }

    /// Index of every label in [`Dataset::labels`].
    pub fn label_index(&self) -> BTreeMap<&str, usize> {
        self.labels.iter().enumerate().map(|(i, l)| (l.as_str(), i)).collect()
    }

    /// The class index of each track's first label (single-label use), `None` if it has none.
    pub fn class_of_tracks(&self) -> Vec<Option<usize>> {
        let index = self.label_index();
        self.tracks.iter().map(|t| t.label().and_then(|l| index.get(l).copied())).collect()
    }

    /// The 0/1 label matrix, one row per track (multi-label use).
    pub fn label_matrix(&self) -> Vec<Vec<u8>> {
        let index = self.label_index();
        self.tracks
            .iter()
            .map(|t| {
                let mut row = vec![0u8; self.labels.len()];
                for l in &t.labels {
                    if let Some(&i) = index.get(l.as_str()) {
                        row[i] = 1;
                    }
                }
                row
            })
            .collect()
    }

    /// Keeps only the tracks for which `keep` holds (e.g. one GTZAN variant).
    pub fn retain(&mut self, keep: impl FnMut(&Track) -> bool) {
        self.tracks.retain(keep);
    }
}
