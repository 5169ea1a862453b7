//! Segments that remember their track, and per-track aggregation of segment predictions.

use genrecast_audio::{segments, SegmentConfig};

use crate::track::Dataset;

/// One window of a dataset track.
#[derive(Clone, Debug)]
pub struct TrackSegment {
    /// Index of the track in its dataset.
    pub track: usize,
    /// The track's clip id (its split group).
    pub clip: String,
    /// Index of the window within the track.
    pub index: usize,
    /// Start time, seconds.
    pub start: f64,
    /// End time of the real audio, seconds.
    pub end: f64,
    /// Exactly one window of samples.
    pub samples: Vec<f32>,
}

/// Cuts track `track` of `dataset`, already decoded to `samples` at `sample_rate`, into windows
/// (e.g. 3 s with 50 % overlap, [`SegmentConfig::default`]), each tagged with the track.
/// Splits are made over tracks and segments inherit them, so one track's segments always
/// travel together.
///
/// # Errors
/// As [`genrecast_audio::segments`].
pub fn segment_track(dataset: &Dataset, track: usize, samples: &[f32], sample_rate: u32, cfg: &SegmentConfig) -> genrecast_audio::Result<Vec<TrackSegment>> {
    let t = &dataset.tracks[track];
    Ok(segments(t.path.clone(), samples, sample_rate, cfg)?
        .into_iter()
        .map(|s| TrackSegment { track, clip: t.clip.clone(), index: s.index, start: s.start, end: s.end, samples: s.samples })
        .collect())
}

/// Mean of the segment score vectors of each track, in order of first appearance.
///
/// # Example
/// ```
/// use genrecast_datasets::aggregate_by_track;
/// let per_segment = [(4, vec![0.2, 0.8]), (9, vec![1.0, 0.0]), (4, vec![0.6, 0.4])];
/// let per_track = aggregate_by_track(per_segment.iter().map(|(t, p)| (*t, p.as_slice())));
/// assert_eq!(per_track[0].0, 4);
/// assert!((per_track[0].1[0] - 0.4).abs() < 1e-6);
/// assert_eq!(per_track[1], (9, vec![1.0, 0.0]));
/// ```
pub fn aggregate_by_track<'a>(segments: impl IntoIterator<Item = (usize, &'a [f32])>) -> Vec<(usize, Vec<f32>)> {
    let mut order: Vec<usize> = Vec::new();
    let mut sums: std::collections::HashMap<usize, (Vec<f32>, usize)> = std::collections::HashMap::new();
    for (track, scores) in segments {
        let entry = sums.entry(track).or_insert_with(|| {
            order.push(track);
            (vec![0.0; scores.len()], 0)
        });
        for (s, v) in entry.0.iter_mut().zip(scores) {
            *s += v;
        }
        entry.1 += 1;
    }
    order
        .into_iter()
        .filter_map(|t| sums.remove(&t).map(|(sum, n)| (t, sum.into_iter().map(|s| s / n as f32).collect())))
        .collect()
}
