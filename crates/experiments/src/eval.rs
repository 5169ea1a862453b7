//! Evaluation: a trained model (or the zero-shot tag mapping) scored per track on one side of
//! a fold, with leakage refused, and the figures and report data it gives.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use genrecast_datasets::{folds, Dataset};
use genrecast_eval::{ConfusionMatrix, MultiLabelReport};
use genrecast_features::Array2;
use genrecast_models::{predict, track_means, windows, Aggregation, Architecture, InputPreset, InputSpec, ModelCard, NetworkConfig, Normalizer, Task, TrainConfig, TrainedOn, MODEL_FORMAT};

use crate::error::{bail, Context, Result};
use crate::inputs::{middle_windows, model_inputs, with_lyrics};
use crate::prepare::prepare_dataset;
use crate::score::{aggregate_tracks, confusion, judged_from, score_tracks, tagging_report, TrackScores};
use crate::{DatasetSource, EvalOptions, Runtime};

/// What `eval` scores (described by its card): a trained network, or the zero-shot tag mapping.
enum Evaluated {
    Net(Box<genrecast_models::GenreNet>),
    ZeroShot(Box<genrecast_models::ZeroShot>),
}

/// The figures of an evaluation: tag-level for a multi-label model, else genre-level.
#[derive(Clone, Debug)]
pub enum Figures {
    /// A multi-label (tagging) model's figures.
    Tagging(MultiLabelReport),
    /// A single-label model's confusion matrix and its correct / scored tracks per dataset
    /// variant.
    Genres {
        /// Truth (row) against prediction (column), over the model's labels.
        confusion: ConfusionMatrix,
        /// Correct and scored tracks per variant (`-` for none).
        variants: BTreeMap<String, (usize, usize)>,
    },
}

/// One evaluation: the model, the data it was scored on, the figures, and the per-track
/// scores and notes a report is made of.
#[derive(Clone, Debug)]
pub struct EvalReport {
    /// The model as named.
    pub model: PathBuf,
    /// Its card (labels, input, what it was trained on).
    pub card: ModelCard,
    /// The dataset scored (readied for the model's input).
    pub dataset: Dataset,
    /// The options it was evaluated with.
    pub options: EvalOptions,
    /// The fold's name.
    pub fold: String,
    /// The figures.
    pub figures: Figures,
    /// Each scored track's probabilities.
    pub scores: TrackScores,
    /// Warnings and notes said while scoring (optimistic validation scores, leakage, unknown
    /// labels, patch hop).
    pub notes: Vec<String>,
    /// How a track's score was made.
    pub judged_from: String,
    /// Seconds of inference over every track.
    pub inference_seconds: f64,
    /// Files that could not be read, each with its cause (left out).
    pub failed_files: Vec<String>,
    /// With `--each-window`: for each scored "track" (a window), its place among its own
    /// track's windows (0 = the first); empty otherwise. [`EvalReport::predictions`] gives it.
    pub(crate) window_index: Vec<usize>,
}

/// One scored track (or window, under `--each-window`) of a single-label evaluation: the rows
/// of `eval --predictions`, from which paired comparisons (two protocols, two models) are made.
///
/// ```
/// let p = genrecast_experiments::TrackPrediction {
///     file: "blues.00001.flac".into(), clip: "blues.00001".into(), artist: String::new(), variant: "full_22k".into(),
///     window: Some(3), truth: "blues".into(), predicted: "jazz".into(), truth_probability: 0.31,
/// };
/// assert_ne!(p.truth, p.predicted);
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TrackPrediction {
    /// The audio file.
    pub file: String,
    /// Its recording id (one clip can appear as several files).
    pub clip: String,
    /// Its artist, where the dataset names one (else empty): tracks of one artist are not
    /// independent draws, so a bootstrap over tracks resamples them together.
    pub artist: String,
    /// The dataset variant of the file (`-` for none).
    pub variant: String,
    /// The window's place in its track under `--each-window` (0 = the first), else none.
    pub window: Option<usize>,
    /// The true label.
    pub truth: String,
    /// The model's top label.
    pub predicted: String,
    /// The probability the model gave the true label.
    pub truth_probability: f32,
}

impl EvalReport {
    /// The figures as `eval --json` prints them.
    pub fn to_json(&self) -> serde_json::Value {
        let (card, ds) = (&self.card, &self.dataset);
        match &self.figures {
            Figures::Tagging(r) => serde_json::json!({ "model": self.model, "trained_on": card.trained_on.dataset_name(), "trained_split": card.trained_on.split, "dataset": ds.root, "split": self.fold, "tagging": r, "inference_seconds": self.inference_seconds, "failed_files": self.failed_files }),
            Figures::Genres { confusion: cm, variants } => serde_json::json!({
                "model": self.model, "trained_on": card.trained_on.dataset_name(), "trained_split": card.trained_on.split,
                "dataset": ds.root, "split": self.fold, "tracks": cm.total(), "accuracy": cm.accuracy(),
                "balanced_accuracy": cm.balanced_accuracy(), "macro_f1": cm.macro_f1(), "labels": card.labels, "confusion": cm.counts,
                "per_variant_accuracy": variants.iter().map(|(k, (c, n))| (k.clone(), *c as f64 / *n as f64)).collect::<BTreeMap<_, _>>(),
                "per_variant_tracks": variants.iter().map(|(k, (_, n))| (k.clone(), *n)).collect::<BTreeMap<_, _>>(),
                "judged_from": self.judged_from, "middle_windows": self.options.middle_windows, "each_window": self.options.each_window, "aggregate": self.options.aggregate, "patch_hop": self.options.patch_hop,
                "inference_seconds": self.inference_seconds, "failed_files": self.failed_files,
            }),
        }
    }

    /// The first line of the terminal's text: model, its training data, the dataset, fold and
    /// tracks.
    pub fn headline(&self) -> String {
        let tracks = match &self.figures {
            Figures::Tagging(r) => r.examples,
            Figures::Genres { confusion, .. } => confusion.total(),
        };
        let t = &self.card.trained_on;
        let unit = if self.options.each_window { "windows, each judged alone" } else { "tracks" };
        format!("{} (trained on {} {}) on {} {}: {} {unit}", self.model.display(), t.dataset_name(), t.split, self.dataset.root.display(), self.fold, tracks)
    }

    /// A report's title: the model on the dataset's fold.
    pub fn title(&self) -> String {
        format!("{} on {} {}", self.model.display(), self.dataset.root.display(), self.fold)
    }

    /// Every scored track's (or window's) truth and prediction, in scoring order; empty for a
    /// tagging model. Tracks without a label are left out; a label the model does not know
    /// counts as wrong, with probability 0.
    ///
    /// ```no_run
    /// # fn f(report: &genrecast_experiments::EvalReport) {
    /// let right = report.predictions().iter().filter(|p| p.truth == p.predicted).count();
    /// # }
    /// ```
    pub fn predictions(&self) -> Vec<TrackPrediction> {
        if matches!(self.figures, Figures::Tagging(_)) {
            return Vec::new();
        }
        let labels = &self.card.labels;
        self.scores
            .tracks
            .iter()
            .zip(&self.scores.probs)
            .filter_map(|(&t, p)| {
                let track = &self.dataset.tracks[t];
                let truth = track.label()?;
                let at = labels.iter().position(|l| l == truth);
                Some(TrackPrediction {
                    file: track.path.display().to_string(),
                    clip: track.clip.clone(),
                    artist: track.artist.clone().unwrap_or_default(),
                    variant: track.variant.clone().unwrap_or_else(|| "-".into()),
                    window: self.window_index.get(t).copied(),
                    truth: truth.to_string(),
                    predicted: labels.get(genrecast_models::argmax(p)).cloned().unwrap_or_default(),
                    truth_probability: at.map_or(0.0, |i| p[i]),
                })
            })
            .collect()
    }

    /// Inference milliseconds per scored track.
    pub fn ms_per_track(&self) -> f64 {
        self.inference_seconds * 1000.0 / self.scores.tracks.len().max(1) as f64
    }

    /// The figures as `eval` prints them on a terminal.
    pub fn to_text(&self) -> String {
        match &self.figures {
            Figures::Tagging(r) => format!("{}, crop scores averaged per track\n{}", self.headline(), r.to_markdown()),
            Figures::Genres { confusion: cm, variants } => {
                let mut s = format!("{}\n", self.headline());
                s.push_str(&format!("accuracy {:.3}, balanced accuracy {:.3}, macro F1 {:.3} ({})\n", cm.accuracy(), cm.balanced_accuracy(), cm.macro_f1(), self.judged_from));
                s.push_str(&cm.to_table(&self.card.labels));
                for (k, (c, n)) in variants {
                    s.push_str(&format!("  variant {k}: {c}/{n} correct\n"));
                }
                s.push_str(&format!("inference: {:.1} ms per track\n", self.ms_per_track()));
                s
            }
        }
    }
}

/// Scores `model` (a model folder, a built-in name, or `zero-shot-gtzan`) per track on one
/// side of one fold of `opts.split`, on `rt.device`: the figures, the scores and what was
/// noted on the way (the report's data).
///
/// ```no_run
/// use genrecast_experiments::{evaluate, DatasetSource, EvalOptions, Runtime, Stderr};
/// let rt = Runtime { device: genrecast_models::ComputeDevice::Cpu, cache: None, progress: &Stderr };
/// let opts = EvalOptions { split: "folds3".into(), fold: 1, ..Default::default() };
/// let report = evaluate("models/mlp".as_ref(), &DatasetSource::new("../shared/data/gtzan"), &opts, &rt)?;
/// println!("{}", report.to_json()["accuracy"]);
/// # Ok::<(), genrecast_experiments::Error>(())
/// ```
///
/// # Errors
/// A model or dataset that cannot be read, a fold or side that does not exist or is empty,
/// labels the model does not know, or leakage from its training data (unless allowed).
pub fn evaluate(model_path: &Path, source: &DatasetSource, args: &EvalOptions, rt: &Runtime) -> Result<EvalReport> {
    let infer = rt.device.burn_device()?;
    let name = model_path.to_string_lossy().into_owned();
    let (model, mut card) = if name == ZERO_SHOT {
        let zs = genrecast_models::ZeroShot::msd_to_gtzan(&infer)?;
        let card = zero_shot_card(&zs);
        (Evaluated::ZeroShot(Box::new(zs)), card)
    } else {
        let (net, card) = match genrecast_models::BUILTIN_MODELS.iter().find(|m| m.name == name) {
            Some(m) => m.load(&infer)?,
            None => genrecast_models::load(model_path, &infer)?,
        };
        (Evaluated::Net(Box::new(net)), card)
    };
    // Options that contradict each other stop the run before any feature is computed.
    if args.each_window && args.middle_windows.is_some() {
        bail!("--each-window judges every window, --middle-windows only the middle ones: choose one");
    }
    if args.each_window && args.aggregate != "mean" {
        bail!("--aggregate {} combines a track's windows, and --each-window judges each window alone: choose one", args.aggregate);
    }
    let mut ds = source.open()?;
    // The zero-shot mapping reads musicnn embeddings of audio, like a backbone model.
    let bags = prepare_dataset(&mut ds, card.input.preset, card.input.reads_lyrics(), &args.lyrics, rt.progress)?;
    let all = folds(&ds, &args.split)?;
    let fold = all.get(args.fold.wrapping_sub(1)).with_context(|| format!("--fold {} (the split has {} folds)", args.fold, all.len()))?;
    let side = match args.side.as_deref() {
        Some("test") => &fold.test,
        Some("valid") => &fold.valid,
        Some(other) => bail!("--side {other} (expected test or valid)"),
        None if !fold.test.is_empty() => &fold.test,
        None => &fold.valid,
    };
    // A score of nothing is no score: say why instead of printing accuracy 0.000.
    if side.is_empty() {
        let which = args.side.as_deref().unwrap_or("held-out (test or valid)");
        bail!("{} fold {} has no {which} side: no track to score (choose a split that holds tracks out, e.g. --split kfold:5)", args.split, fold.name);
    }
    // Labels must mean the same: the model's outputs are its card's labels.
    let unknown: BTreeSet<&str> = side.iter().filter_map(|&i| ds.tracks[i].label()).filter(|l| !card.labels.iter().any(|x| x == l)).collect();
    let known = side.iter().filter(|&&i| ds.tracks[i].labels.iter().any(|l| card.labels.contains(l))).count();
    if known == 0 {
        bail!("none of the {} tracks to score carries a label the model knows (the model's: {}; the dataset's include: {})", side.len(), card.labels.join(", "), unknown.iter().take(10).copied().collect::<Vec<_>>().join(", "));
    }
    // What is said here, the report says too.
    let mut notes: Vec<String> = Vec::new();
    if !unknown.is_empty() && card.task == Task::SingleLabel {
        notes.push(format!("{} labels the model does not know are counted as errors: {:?}", unknown.len(), unknown));
        rt.progress.note(&format!("warning: {}", notes[notes.len() - 1]));
    }
    // Never score a model on what it learned from.
    let clips: BTreeSet<&str> = card.trained_on.clips.iter().map(String::as_str).collect();
    let artists: BTreeSet<&str> = card.trained_on.artists.iter().map(String::as_str).collect();
    let leaked: Vec<&str> = side.iter().map(|&i| &ds.tracks[i]).filter(|t| clips.contains(t.clip.as_str()) || t.artist.as_deref().is_some_and(|a| artists.contains(a))).map(|t| t.clip.as_str()).collect();
    let selected: BTreeSet<&str> = card.trained_on.valid_clips.iter().map(String::as_str).collect();
    let on_valid = side.iter().filter(|&&i| selected.contains(ds.tracks[i].clip.as_str())).count();
    if on_valid > 0 {
        notes.push(format!("{on_valid} of these tracks chose the model's epoch (its validation side): their score is optimistic"));
        rt.progress.note(&format!("note: {}", notes[notes.len() - 1]));
    }
    if !leaked.is_empty() {
        let msg = format!("{} evaluation tracks share a clip or artist with the model's training data (e.g. {})", leaked.len(), leaked[0]);
        if !args.allow_leakage {
            bail!("{msg}; pass --allow-leakage to evaluate anyway");
        }
        rt.progress.note(&format!("warning: {msg}"));
        notes.push(msg);
    }
    if let Some(hop) = args.patch_hop {
        if card.input.preset.backbone().is_none() {
            bail!("--patch-hop applies to a model on a pretrained backbone; this one reads {:?}", card.input.preset);
        }
        card.input.patch_hop = hop as usize;
        notes.push(format!("judged from 3 s patches starting every {hop} frames (the model's own: every {} frames)", genrecast_models::musicnn::PATCH_FRAMES));
    }
    let mut failures = Vec::new();
    let (mats, lyrics) = model_inputs(&ds, side, &card.input, bags.as_ref().zip(card.lyrics.as_ref()), rt, &mut failures)?;
    let tracks: Vec<(usize, &Array2, Vec<f32>)> = side.iter().filter_map(|&i| Some((i, mats.get(&i)?, vec![0.0; card.labels.len()]))).collect();
    let shape = card.input.example_shape();
    let mut examples = with_lyrics(windows(&tracks, &card.input), &lyrics, &card.input);
    if let Some(n) = args.middle_windows {
        examples = middle_windows(examples, n as usize);
    }
    for e in &mut examples {
        card.normalizer.apply(&mut e.x, shape.1);
    }
    let mut window_index = Vec::new();
    if args.each_window {
        let tracks = examples.len();
        // Windows come in time order within each track.
        window_index = examples.iter().scan((usize::MAX, 0usize), |(last, k), e| {
            *k = if e.track == *last { *k + 1 } else { 0 };
            *last = e.track;
            Some(*k)
        }).collect();
        ds.tracks = examples
            .iter_mut()
            .enumerate()
            .map(|(k, e)| {
                let track = ds.tracks[e.track].clone();
                e.track = k;
                track
            })
            .collect();
        notes.push(format!("every window judged on its own, as a track: {tracks} windows of {} tracks", mats.len()));
    }
    let aggregation: Aggregation = args.aggregate.parse()?;
    if card.input.rows.judged_by_mean() && aggregation == Aggregation::Mean {
        examples = track_means(&examples);
    }
    let t0 = Instant::now();
    let scores = match &model {
        Evaluated::Net(net) if aggregation == Aggregation::Mean => score_tracks(net, card.task, &examples, shape, &infer),
        Evaluated::Net(net) => {
            let probs = predict(net, card.task, &examples, shape, &infer);
            aggregate_tracks(&examples, probs, aggregation, card.task)
        }
        Evaluated::ZeroShot(zs) => {
            // The zero-shot card's normaliser is the identity: these are the raw features.
            let raw: Vec<Vec<f32>> = examples.iter().map(|e| e.x.clone()).collect();
            let probs = zs.predict(&raw);
            let agg = genrecast_datasets::aggregate_by_track(examples.iter().zip(&probs).map(|(e, p)| (e.track, p.as_slice())));
            TrackScores { tracks: agg.iter().map(|(t, _)| *t).collect(), probs: agg.into_iter().map(|(_, p)| p).collect() }
        }
    };
    if scores.tracks.is_empty() {
        bail!("none of the {} tracks to score could be read ({} failed; see above)", side.len(), failures.len());
    }
    let seconds = t0.elapsed().as_secs_f64();
    let figures = if card.task == Task::MultiLabel {
        Figures::Tagging(tagging_report(&ds, &card.labels, &scores))
    } else {
        let confusion = confusion(&ds, &card.labels, &scores);
        // Per variant too: in the GTZAN slice a variant betrays the genre.
        let mut variants: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for (&t, p) in scores.tracks.iter().zip(&scores.probs) {
            let v = ds.tracks[t].variant.clone().unwrap_or_else(|| "-".into());
            let ok = ds.tracks[t].label() == card.labels.get(genrecast_models::argmax(p)).map(String::as_str);
            let e = variants.entry(v).or_default();
            e.0 += usize::from(ok);
            e.1 += 1;
        }
        Figures::Genres { confusion, variants }
    };
    Ok(EvalReport {
        model: model_path.to_path_buf(),
        judged_from: if args.each_window { "per window: each window on its own".into() } else { judged_from(&card, args.middle_windows, aggregation) },
        options: args.clone(),
        fold: fold.name.clone(),
        card,
        dataset: ds,
        figures,
        scores,
        notes,
        inference_seconds: seconds,
        failed_files: failures,
        window_index,
    })
}

/// `eval --model zero-shot-gtzan`: GTZAN genres read off musicnn-msd's tags, untrained.
const ZERO_SHOT: &str = "zero-shot-gtzan";

/// A card describing the zero-shot mapping: what it reads, and that it was trained on nothing
/// of the evaluation data.
pub(crate) fn zero_shot_card(zs: &genrecast_models::ZeroShot) -> ModelCard {
    let input = InputSpec::new(InputPreset::MusicnnMsd, 3.0);
    let (f, t) = input.example_shape();
    ModelCard {
        format: MODEL_FORMAT,
        genrecast_version: env!("CARGO_PKG_VERSION").into(),
        burn_version: "0.22.1".into(),
        network: NetworkConfig::new(Architecture::Linear, f, t, zs.labels().len()),
        task: Task::SingleLabel,
        labels: zs.labels().to_vec(),
        input,
        normalizer: Normalizer { mean: vec![0.0; f], std: vec![1.0; f], mask_row: None },
        train: TrainConfig::default(),
        trained_on: TrainedOn { dataset: "none (MSD tags mapped to genres)".into(), kind: "zero-shot".into(), split: "-".into(), ..Default::default() },
        best_epoch: 0,
        metrics: serde_json::Value::Null,
        lyrics: None,
        embedding_scale: None,
        parent: None,
    }
}
