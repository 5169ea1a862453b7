//! Which dataset to open and how to read its metadata: a folder, a manifest, a collection or
//! a label file, with the columns a manifest names.

use std::path::PathBuf;

use genrecast_datasets::{open_with, Dataset, ManifestOptions, OpenOptions};

use crate::Result;

/// How to open a dataset (shared by every command that reads one).
///
/// ```no_run
/// let ds = genrecast_experiments::DatasetSource::new("../shared/data/gtzan").open()?;
/// println!("{} tracks", ds.tracks.len());
/// # Ok::<(), genrecast_experiments::Error>(())
/// ```
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(default)]
pub struct DatasetSource {
    /// Dataset folder, or a .csv manifest, .mf collection or .cls label file.
    pub path: PathBuf,
    /// Layout: gtzan, fma, mtat, tagtraum, marsyas, folder or manifest (default: detected).
    #[cfg_attr(feature = "clap", arg(long))]
    pub kind: Option<String>,
    /// Where the audio lives when the metadata's paths do not resolve (Marsyas, MTAT, MSD).
    #[cfg_attr(feature = "clap", arg(long))]
    pub audio_root: Option<PathBuf>,
    /// Manifest: the label column.
    #[cfg_attr(feature = "clap", arg(long, default_value = "genre"))]
    pub label_column: String,
    /// Manifest: read the label column as numbers (e.g. play counts) and cut it into this many
    /// equal-size classes, q01 (lowest) upwards: 10 for deciles (as pandas.qcut, ties merged).
    #[cfg_attr(feature = "clap", arg(long))]
    pub label_quantiles: Option<usize>,
    /// Manifest: split label cells on this character into several tags (multi-label).
    #[cfg_attr(feature = "clap", arg(long))]
    pub label_separator: Option<char>,
    /// Manifest: the recording id column (default: clip, track_id or id if present).
    #[cfg_attr(feature = "clap", arg(long))]
    pub clip_column: Option<String>,
    /// Manifest: the artist column (default: artist if present).
    #[cfg_attr(feature = "clap", arg(long))]
    pub artist_column: Option<String>,
    /// Manifest: the split column (default: split, set, or *_split / *_set if present).
    #[cfg_attr(feature = "clap", arg(long))]
    pub split_column: Option<String>,
}

impl Default for DatasetSource {
    fn default() -> Self {
        Self { path: PathBuf::new(), kind: None, audio_root: None, label_column: "genre".into(), label_quantiles: None, label_separator: None, clip_column: None, artist_column: None, split_column: None }
    }
}

impl DatasetSource {
    /// The dataset at `path`, its layout detected and its metadata read as by default.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), ..Self::default() }
    }

    /// Opens the dataset these options name.
    ///
    /// # Errors
    /// An unknown `kind`, or metadata that cannot be read.
    pub fn open(&self) -> Result<Dataset> {
        let opts = OpenOptions {
            kind: self.kind.as_deref().map(str::parse).transpose()?,
            audio_root: self.audio_root.clone(),
            manifest: ManifestOptions {
                label_column: self.label_column.clone(),
                label_separator: self.label_separator,
                clip_column: self.clip_column.clone(),
                artist_column: self.artist_column.clone(),
                split_column: self.split_column.clone(),
                label_quantiles: self.label_quantiles,
                ..ManifestOptions::default()
            },
        };
        Ok(open_with(&self.path, &opts)?)
    }
}
