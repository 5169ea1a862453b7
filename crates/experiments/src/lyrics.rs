//! Lyrics as model input: the musiXmatch bags of a dataset's tracks (joined by MSD track id),
//! the encoder fitted without held-out songs, and each track's lyrics vector.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::error::{Context, Result};
use crate::Progress;
use genrecast_datasets::{Dataset, LyricsBag, LyricsBags, LyricsEncoder, Track};

/// The bags of words read from `--lyrics` files.
///
/// # Errors
/// A file that cannot be read or parsed.
pub fn read_bags(paths: &[PathBuf]) -> Result<LyricsBags> {
    let refs: Vec<&std::path::Path> = paths.iter().map(PathBuf::as_path).collect();
    LyricsBags::read(&refs).context("reading the --lyrics files")
}

/// A track's bag: by its clip id (an MSD track id in tagtraum and MSD manifests), else by its
/// file's stem (`TR....h5`).
pub fn bag_of<'a>(bags: &'a LyricsBags, track: &Track) -> Option<&'a LyricsBag> {
    bags.get(&track.clip).or_else(|| bags.get(track.path.file_stem()?.to_str()?))
}

/// Keeps the tracks that have lyrics, saying how many were left out.
///
/// # Errors
/// When no track has lyrics: the join found nothing to train or score.
pub fn keep_tracks_with_lyrics(ds: &mut Dataset, bags: &LyricsBags, progress: &dyn Progress) -> Result<()> {
    let before = ds.tracks.len();
    ds.retain(|t| bag_of(bags, t).is_some());
    progress.note(&format!("lyrics: {} of {before} tracks have a bag of words; the others are left out", ds.tracks.len()));
    if ds.tracks.is_empty() {
        crate::error::bail!("no track of {} has lyrics in the --lyrics files (tracks are joined by MSD track id: the clip id, or a file named TR....h5)", ds.root.display());
    }
    Ok(())
}

/// Fits the encoder on every bag except those of `held_out` tracks: training songs and songs
/// outside the dataset (unlabelled) teach the word vectors; held-out songs never do.
pub fn fit_encoder(bags: &LyricsBags, ds: &Dataset, held_out: &[usize], dims: usize, min_df: usize, seed: u64, progress: &dyn Progress) -> LyricsEncoder {
    let held: BTreeSet<&str> = held_out.iter().filter_map(|&i| bag_of(bags, &ds.tracks[i])).map(|b| b.track_id.as_str()).collect();
    let fitted: Vec<&LyricsBag> = bags.tracks.iter().filter(|b| !held.contains(b.track_id.as_str())).collect();
    progress.note(&format!("lyrics: word vectors of {dims} values from {} songs ({} held-out songs excluded)", fitted.len(), held.len()));
    LyricsEncoder::fit(fitted.iter().copied(), bags.words.len(), dims, min_df, seed)
}

/// The lyrics vector of each of `indices` that has one.
pub fn vectors(bags: &LyricsBags, encoder: &LyricsEncoder, ds: &Dataset, indices: &[usize], progress: &dyn Progress) -> BTreeMap<usize, Vec<f32>> {
    let mut out = BTreeMap::new();
    let mut missing = 0usize;
    for &i in indices {
        match bag_of(bags, &ds.tracks[i]).and_then(|b| encoder.encode(b)) {
            Some(v) => {
                out.insert(i, v);
            }
            None => missing += 1,
        }
    }
    if missing > 0 {
        progress.note(&format!("lyrics: {missing} tracks have no word with a vector and are left out"));
    }
    out
}
