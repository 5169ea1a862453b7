//! Music datasets in the layouts MIR people have on disk, leak-free splits, class balancing,
//! per-track segments and a feature cache.
//!
//! - Layouts, one module each: [`load_gtzan`], [`load_fma`], [`load_mtat`], [`load_tagtraum`],
//!   [`load_marsyas`], [`load_folder`], [`load_manifest`]; [`open`] tells them apart.
//! - Every layout yields a [`Dataset`] of [`Track`]s. A track's `clip` names its recording:
//!   files of one recording (GTZAN variants, MTAT segments of one song) share it, and every
//!   split keeps a clip, or with [`GroupBy::Artist`] an artist, on one side.
//! - [`folds`] reads a split by name (`filtered`, `folds3`, `column`, `kfold:5:artist`, ...),
//!   and [`check_leakage`] refuses a fold where a group crosses sides.
//! - [`balance`] over- or undersamples a training side, or gives class weights.
//! - [`FeatureCache`] keeps computed features keyed by file content, configuration and code
//!   version, written atomically and safe to share between processes.
//!
//! # Example
//! ```no_run
//! use genrecast_datasets::{check_leakage, folds, open, GroupBy};
//! let gtzan = open("../shared/data/gtzan".as_ref(), None)?;
//! for fold in folds(&gtzan, "folds3")? {
//!     check_leakage(&gtzan, &fold, GroupBy::Artist)?;
//!     println!("{}: {} train, {} test", fold.name, fold.train.len(), fold.test.len());
//! }
//! # Ok::<(), genrecast_datasets::Error>(())
//! ```

mod balance;
mod cache;
mod error;
mod fma;
mod folder;
mod gtzan;
mod lists;
mod manifest;
mod marsyas;
mod msd;
mod mtat;
mod musixmatch;
mod segment;
mod split;
mod tagtraum;
mod track;
mod walk;
mod word_vectors;

use std::path::{Path, PathBuf};

pub use balance::{balance, class_weights, Balancing};
pub use cache::{content_hash, CacheKey, CacheLookup, CacheStats, FeatureCache, CACHE_FORMAT};
pub use error::{Error, Result};
pub use fma::{load_fma, verify_checksums, ChecksumReport};
pub use folder::load_folder;
pub use gtzan::{clip_id as gtzan_clip_id, gtzan_folds, load_gtzan, load_gtzan_table, FeatureTable, GTZAN_GENRES, GTZAN_SPLITS};
pub use manifest::{load_manifest, ManifestOptions};
pub use marsyas::load_marsyas;
pub use msd::{read_msd_track, MsdTrack, SegmentSeries};
pub use mtat::load_mtat;
pub use musixmatch::{LyricsBag, LyricsBags, TfIdf};
pub use segment::{aggregate_by_track, segment_track, TrackSegment};
pub use split::{check_leakage, holdout, stratified_group_kfold, Fold, GroupBy, LeakageReport, Side};
pub use tagtraum::load_tagtraum;
pub use track::{Dataset, DatasetKind, Track};
pub use walk::{is_audio_path, AUDIO_EXTENSIONS};
pub use word_vectors::{LyricsEncoder, WordVectors};

/// How to open a dataset.
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    /// The layout; `None` tells it from the path (see [`detect`]).
    pub kind: Option<DatasetKind>,
    /// Where audio lives when the metadata's paths do not resolve (Marsyas, MTAT, MSD).
    pub audio_root: Option<PathBuf>,
    /// Columns of a CSV manifest.
    pub manifest: ManifestOptions,
}

/// Opens the dataset at `path` with default options, telling its layout from the path unless
/// `kind` is given.
///
/// # Errors
/// As the layout's loader; [`Error::Io`] when `path` does not exist.
pub fn open(path: &Path, kind: Option<DatasetKind>) -> Result<Dataset> {
    open_with(path, &OpenOptions { kind, ..OpenOptions::default() })
}

/// Opens the dataset at `path`.
///
/// # Errors
/// As the layout's loader; [`Error::Io`] when `path` does not exist.
pub fn open_with(path: &Path, opts: &OpenOptions) -> Result<Dataset> {
    std::fs::metadata(path).map_err(error::io(path))?;
    let kind = match opts.kind {
        Some(k) => k,
        None => detect(path),
    };
    let audio_root = opts.audio_root.as_deref();
    match kind {
        DatasetKind::Gtzan => load_gtzan(path),
        DatasetKind::Fma => load_fma(path),
        DatasetKind::Mtat => load_mtat(path, audio_root),
        DatasetKind::Tagtraum => load_tagtraum(path, audio_root),
        DatasetKind::Marsyas => load_marsyas(path, audio_root),
        DatasetKind::Folder => load_folder(path),
        DatasetKind::Manifest => load_manifest(path, &opts.manifest),
    }
}

/// The layout of `path`: by extension for files (`.csv`, `.mf`, `.cls`), by the folders and
/// file names inside for folders (MTAT split lists, FMA's `NNN/NNNNNN.mp3`, GTZAN's genre
/// folders), else a folder per label.
pub fn detect(path: &Path) -> DatasetKind {
    if path.is_file() {
        return match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("mf") => DatasetKind::Marsyas,
            Some("cls") => DatasetKind::Tagtraum,
            _ => DatasetKind::Manifest,
        };
    }
    if mtat::looks_like_mtat(path) {
        DatasetKind::Mtat
    } else if fma::looks_like_fma(path) {
        DatasetKind::Fma
    } else if looks_like_gtzan(path) {
        DatasetKind::Gtzan
    } else {
        DatasetKind::Folder
    }
}

/// A GTZAN genre folder holding a `<genre>.NNNNN.*` file, at depth 1 or 2.
fn looks_like_gtzan(dir: &Path) -> bool {
    let has_genre_files = |d: &Path| {
        GTZAN_GENRES.iter().any(|g| {
            std::fs::read_dir(d.join(g)).is_ok_and(|mut r| r.any(|e| e.is_ok_and(|e| gtzan::clip_id(&e.file_name().to_string_lossy()).is_some())))
        })
    };
    has_genre_files(dir) || std::fs::read_dir(dir).is_ok_and(|r| r.flatten().any(|e| e.path().is_dir() && has_genre_files(&e.path())))
}

/// The folds of split `spec` over `dataset`:
///
/// - `column` (or `official`): the dataset's own split of each track (FMA's `set`, MTAT's lists,
///   a manifest's split column, GTZAN's filtered lists);
/// - GTZAN's named lists: `filtered`, `stratified`, `folds3`, `ipet10` (see [`gtzan_folds`]);
/// - `kfold:K[:artist|clip][:SEED]`: stratified k-fold where no group crosses folds (default
///   grouping: artist when the dataset knows artists, a track without one being its clip's
///   own group; else clip; seed 0).
///
/// # Errors
/// [`Error::InvalidParameter`] for an unknown spec, or one this dataset cannot serve.
pub fn folds(dataset: &Dataset, spec: &str) -> Result<Vec<Fold>> {
    if let Some(rest) = spec.strip_prefix("kfold") {
        let mut parts = rest.trim_start_matches(':').split(':').filter(|p| !p.is_empty());
        let k = parts.next().unwrap_or("5");
        let k: usize = k.parse().map_err(|_| Error::InvalidParameter(format!("kfold: '{k}' is not a number of folds")))?;
        let mut by = if dataset.tracks.iter().any(|t| t.artist.is_some()) { GroupBy::Artist } else { GroupBy::Clip };
        let mut seed = 0u64;
        for p in parts {
            match p.parse::<u64>() {
                Ok(s) => seed = s,
                Err(_) => by = p.parse()?,
            }
        }
        let all: Vec<usize> = (0..dataset.tracks.len()).collect();
        return stratified_group_kfold(dataset, &all, k, by, seed);
    }
    match spec {
        "column" | "official" => {
            let mut fold = Fold::named(spec);
            for (i, t) in dataset.tracks.iter().enumerate() {
                match t.split.as_deref().and_then(Side::parse) {
                    Some(Side::Train) => fold.train.push(i),
                    Some(Side::Valid) => fold.valid.push(i),
                    Some(Side::Test) => fold.test.push(i),
                    None => {}
                }
            }
            if fold.train.is_empty() {
                return Err(Error::InvalidParameter(format!("{} has no split column with training tracks", dataset.root.display())));
            }
            Ok(vec![fold])
        }
        name if dataset.kind == DatasetKind::Gtzan && GTZAN_SPLITS.contains(&name) => {
            gtzan_folds(dataset, &gtzan::default_splits_dir(&dataset.root), name)
        }
        other => Err(Error::InvalidParameter(format!(
            "unknown split '{other}' for a {} dataset (use column, kfold:K[:artist|clip][:seed]{})",
            dataset.kind.name(),
            if dataset.kind == DatasetKind::Gtzan { ", filtered, stratified, folds3 or ipet10" } else { "" }
        ))),
    }
}
