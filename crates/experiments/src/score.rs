//! Per-track scores: a model's window or crop probabilities made one per track, and the
//! figures they give against the dataset's labels.

use burn::tensor::Device;
use genrecast_datasets::Dataset;
use genrecast_eval::ConfusionMatrix;
use genrecast_models::{predict, Aggregation, Example, Task};

/// Track-level scores: crop probabilities averaged per track.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct TrackScores {
    /// Dataset indices of the scored tracks.
    pub tracks: Vec<usize>,
    /// Each track's probabilities, in the order of the model's labels.
    pub probs: Vec<Vec<f32>>,
}

/// Scores `examples` with `net` on `device` and averages each track's crop probabilities.
///
/// ```no_run
/// # fn f(net: &genrecast_models::GenreNet, examples: &[genrecast_models::Example]) -> Result<(), genrecast_experiments::Error> {
/// let device = genrecast_models::ComputeDevice::Cpu.burn_device()?;
/// let scores = genrecast_experiments::score_tracks(net, genrecast_models::Task::SingleLabel, examples, (90, 1), &device);
/// assert_eq!(scores.tracks.len(), scores.probs.len());
/// # Ok(()) }
/// ```
pub fn score_tracks(net: &genrecast_models::GenreNet, task: Task, examples: &[Example], shape: (usize, usize), device: &Device) -> TrackScores {
    let probs = predict(net, task, examples, shape, device);
    let agg = genrecast_datasets::aggregate_by_track(examples.iter().zip(&probs).map(|(e, p)| (e.track, p.as_slice())));
    TrackScores { tracks: agg.iter().map(|(t, _)| *t).collect(), probs: agg.into_iter().map(|(_, p)| p).collect() }
}

/// Each track's window probabilities (its windows consecutive in `examples`) made one by
/// `how`, as `classify --aggregate` makes a song's.
pub fn aggregate_tracks(examples: &[Example], probs: Vec<Vec<f32>>, how: Aggregation, task: Task) -> TrackScores {
    let mut scores = TrackScores { tracks: Vec::new(), probs: Vec::new() };
    let mut run: Vec<genrecast_models::WindowPrediction> = Vec::new();
    let mut windows = examples.iter().zip(probs).peekable();
    while let Some((e, p)) = windows.next() {
        run.push(genrecast_models::WindowPrediction { start: 0.0, end: 0.0, probabilities: p });
        if windows.peek().is_none_or(|(next, _)| next.track != e.track) {
            scores.tracks.push(e.track);
            scores.probs.push(genrecast_models::aggregate_windows(&run, how, task));
            run.clear();
        }
    }
    scores
}

/// The confusion matrix of single-label scores against each track's label (a label the
/// model does not know is left out).
pub fn confusion(ds: &Dataset, labels: &[String], scores: &TrackScores) -> ConfusionMatrix {
    let pairs = scores.tracks.iter().zip(&scores.probs).filter_map(|(&t, p)| {
        let truth = ds.tracks[t].label().and_then(|l| labels.iter().position(|x| x == l))?;
        Some((truth, genrecast_models::argmax(p)))
    });
    ConfusionMatrix::new(labels.len(), pairs)
}

/// Tag-level figures of a multi-label model: truth is each track's label set.
pub fn tagging_report(ds: &Dataset, labels: &[String], scores: &TrackScores) -> genrecast_eval::MultiLabelReport {
    let truth: Vec<Vec<bool>> = scores.tracks.iter().map(|&t| labels.iter().map(|l| ds.tracks[t].labels.contains(l)).collect()).collect();
    genrecast_eval::MultiLabelReport::new(labels, &truth, &scores.probs)
}

/// How a track's score was made, for the terminal and the report.
pub fn judged_from(card: &genrecast_models::ModelCard, middle: Option<u32>, aggregation: Aggregation) -> String {
    let how = match aggregation {
        Aggregation::Mean if card.input.rows.judged_by_mean() => "the model on the mean of its windows' inputs",
        Aggregation::Mean => "its windows' predictions averaged",
        Aggregation::Vote => "its windows' top classes counted",
        Aggregation::Max => "per class its windows' largest probability",
    };
    match middle {
        Some(1) => format!("per track: {how}, its middle window only"),
        Some(n) => format!("per track: {how}, its {n} middle windows only"),
        None => format!("per track: {how}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::tests::windows_of;

    #[test]
    fn tracks_aggregate_their_own_windows() {
        // Track 7: windows [0.6, 0.4], [0.6, 0.4], [0.1, 0.9]; track 3: [0.2, 0.8] alone.
        let examples = windows_of(&[(7, 3), (3, 1)]);
        let probs = vec![vec![0.6, 0.4], vec![0.6, 0.4], vec![0.1, 0.9], vec![0.2, 0.8]];
        let vote = aggregate_tracks(&examples, probs.clone(), Aggregation::Vote, Task::SingleLabel);
        assert_eq!(vote.tracks, vec![7, 3]);
        // Two windows of three say class 0: 2/3 against 1/3, though the mean says class 1.
        assert!((vote.probs[0][0] - 2.0 / 3.0).abs() < 1e-6 && (vote.probs[0][1] - 1.0 / 3.0).abs() < 1e-6, "{:?}", vote.probs);
        assert_eq!(vote.probs[1], vec![0.0, 1.0]);
        // Max: per class 0.6 and 0.9, renormalised to 0.4 and 0.6.
        let max = aggregate_tracks(&examples, probs, Aggregation::Max, Task::SingleLabel);
        assert!((max.probs[0][0] - 0.4).abs() < 1e-6 && (max.probs[0][1] - 0.6).abs() < 1e-6, "{:?}", max.probs);
    }
}
