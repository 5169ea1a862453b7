//! A dataset's tracks as model inputs: per-track matrices (computed or read from the feature
//! cache), lyrics vectors beside them, and the windows a track is judged from.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use genrecast_datasets::Dataset;
use genrecast_features::Array2;
use genrecast_models::{track_matrices, Example, InputPreset, InputSpec};

use crate::error::{bail, Result};
use crate::Runtime;

/// Per-frame matrices of `indices`, through `rt`'s feature cache, with any pretrained backbone
/// on `rt.device`; failures of single tracks are reported and dropped.
///
/// # Errors
/// A device that is not there (never replaced by the CPU).
///
/// ```no_run
/// use genrecast_experiments::{matrices, DatasetSource, Runtime, Stderr};
/// use genrecast_models::{InputPreset, InputSpec};
/// let ds = DatasetSource::new("../shared/data/gtzan").open()?;
/// let rt = Runtime { device: "cpu".parse()?, cache: None, progress: &Stderr };
/// let mut failures = Vec::new();
/// let m = matrices(&ds, &[0, 1], &InputSpec::new(InputPreset::MusicnnMsd, 3.0), &rt, &mut failures)?;
/// assert_eq!(m.len() + failures.len(), 2);
/// # Ok::<(), genrecast_experiments::Error>(())
/// ```
pub fn matrices(ds: &Dataset, indices: &[usize], spec: &InputSpec, rt: &Runtime, failures: &mut Vec<String>) -> Result<BTreeMap<usize, Array2>> {
    let progress = rt.progress;
    let unique: BTreeSet<usize> = indices.iter().copied().collect();
    let unique: Vec<usize> = unique.into_iter().collect();
    let paths: Vec<&Path> = unique.iter().map(|&i| ds.tracks[i].path.as_path()).collect();
    let pb = progress.start(paths.len(), "tracks analysed");
    let results = track_matrices(&paths, spec, rt.cache, rt.device, &|| pb.inc());
    pb.finish();
    let results = results?;
    let mut out = BTreeMap::new();
    for (i, r) in unique.into_iter().zip(results) {
        match r {
            Ok(m) => {
                out.insert(i, m);
            }
            Err(e) => {
                progress.note(&format!("error: {e}"));
                failures.push(e.to_string());
            }
        }
    }
    Ok(out)
}

/// Each track's lyrics vector, by dataset index.
pub type LyricsVectors = BTreeMap<usize, Vec<f32>>;

/// The inputs of `indices` under `spec`: per-track matrices (lyrics vectors as `dims x 1`
/// matrices for lyrics alone), and the lyrics vectors to append when the model also reads
/// lyrics, computed as [`matrices`] does on `rt`. Tracks without their input are reported or
/// left out.
///
/// # Errors
/// A model that reads lyrics without `lyrics`, or a device that is not there.
pub fn model_inputs(
    ds: &Dataset,
    indices: &[usize],
    spec: &InputSpec,
    lyrics: Option<(&genrecast_datasets::LyricsBags, &genrecast_datasets::LyricsEncoder)>,
    rt: &Runtime,
    failures: &mut Vec<String>,
) -> Result<(BTreeMap<usize, Array2>, LyricsVectors)> {
    let progress = rt.progress;
    let vectors = match (spec.reads_lyrics(), lyrics) {
        (false, _) => BTreeMap::new(),
        (true, Some((bags, encoder))) => crate::lyrics::vectors(bags, encoder, ds, indices, progress),
        (true, None) => bail!("this model reads lyrics: pass the musiXmatch bag-of-words files with --lyrics"),
    };
    if spec.preset == InputPreset::Lyrics {
        let mats = vectors.iter().map(|(&i, v)| (i, Array2 { rows: v.len(), cols: 1, data: v.clone() })).collect();
        return Ok((mats, BTreeMap::new()));
    }
    let wanted: Vec<usize> = indices.iter().copied().filter(|i| !spec.reads_lyrics() || vectors.contains_key(i)).collect();
    Ok((matrices(ds, &wanted, spec, rt, failures)?, vectors))
}

/// Appends each example's lyrics vector (a multimodal input); examples without one are dropped.
pub fn with_lyrics(examples: Vec<Example>, vectors: &BTreeMap<usize, Vec<f32>>, spec: &InputSpec) -> Vec<Example> {
    if vectors.is_empty() || spec.preset == InputPreset::Lyrics {
        return examples;
    }
    examples
        .into_iter()
        .filter_map(|mut e| {
            genrecast_models::append_lyrics(&mut e.x, vectors.get(&e.track)?, spec);
            Some(e)
        })
        .collect()
}


/// Keeps, of each track's windows (consecutive in `examples`, in time order), the `n` in its
/// middle: every track judged from the same length of audio.
pub fn middle_windows(examples: Vec<Example>, n: usize) -> Vec<Example> {
    let mut kept = Vec::with_capacity(examples.len());
    let mut rest = examples.into_iter().peekable();
    while let Some(first) = rest.next() {
        let track = first.track;
        let mut run = vec![first];
        while let Some(e) = rest.next_if(|e| e.track == track) {
            run.push(e);
        }
        let skip = run.len().saturating_sub(n) / 2;
        kept.extend(run.into_iter().skip(skip).take(n));
    }
    kept
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `n` one-value windows per `(track, n)`, valued 0, 1, ... in time order.
    pub(crate) fn windows_of(tracks: &[(usize, usize)]) -> Vec<Example> {
        tracks.iter().flat_map(|&(track, n)| (0..n).map(move |i| Example { x: vec![i as f32], target: vec![], track })).collect()
    }

    #[test]
    fn middle_windows_keep_the_centre_of_each_track() {
        // Track 7: 10 windows (middle one: index 4, as (10 - 1) / 2); track 3: 1 window;
        // track 9: 4 windows, two kept (indices 1 and 2).
        let kept = middle_windows(windows_of(&[(7, 10), (3, 1), (9, 4)]), 1);
        let got: Vec<(usize, f32)> = kept.iter().map(|e| (e.track, e.x[0])).collect();
        assert_eq!(got, vec![(7, 4.0), (3, 0.0), (9, 1.0)]);
        let kept = middle_windows(windows_of(&[(9, 4), (7, 3)]), 2);
        let got: Vec<(usize, f32)> = kept.iter().map(|e| (e.track, e.x[0])).collect();
        assert_eq!(got, vec![(9, 1.0), (9, 2.0), (7, 0.0), (7, 1.0)]);
        // More asked than there are: all of them.
        assert_eq!(middle_windows(windows_of(&[(1, 2)]), 5).len(), 2);
    }

    #[test]
    fn mean_and_middle_rows_hold_the_window_that_the_middle_window_protocol_judges() {
        // `train --rows mean+middle` is fitted on the crop `eval --middle-windows 1` judges.
        let tracks = [(7, 10), (9, 4), (3, 1), (5, 5)];
        let rows = genrecast_models::fitting_rows(windows_of(&tracks), genrecast_models::TrackRows::MeanAndMiddle);
        let (means, lone) = rows.split_at(tracks.len());
        assert_eq!(means.iter().map(|e| (e.track, e.x[0])).collect::<Vec<_>>(), [(7, 4.5), (9, 1.5), (3, 0.0), (5, 2.0)]);
        let judged: Vec<(usize, f32)> = middle_windows(windows_of(&tracks), 1).iter().filter(|e| e.track != 3).map(|e| (e.track, e.x[0])).collect();
        assert_eq!(lone.iter().map(|e| (e.track, e.x[0])).collect::<Vec<_>>(), judged);
    }
}
