//! The bench-models table: classic model families (and neural models) on feature sets, each
//! scored per track on the test side of every fold of one split.

use std::time::Instant;

use genrecast_classic::{grid_search, ClassicModel, Family, InnerFolds};
use genrecast_datasets::{check_leakage, folds, Dataset, Fold, GroupBy};
use genrecast_eval::{mean_sd, SingleLabelReport};

use crate::error::{bail, chain, Context, Result};
use crate::feature_sets::{class_of, feature_set, group_ids, FeatureSet};
use crate::{train_fold, BenchModelsOptions, DatasetSource, Progress, Runtime, TrainOptions};

/// A bench-models run: the feature sets built, the rows, and the rows that failed.
#[derive(Clone, Debug)]
pub struct BenchModels {
    /// The dataset benchmarked.
    pub dataset: Dataset,
    /// Each feature set built.
    pub sets: Vec<FeatureSet>,
    /// One row per model and feature set that ran.
    pub rows: Vec<Row>,
    /// Each row that failed, with its reason.
    pub failures: Vec<String>,
}

impl BenchModels {
    /// Files that no row could use, once each, whatever set or fold met them.
    pub fn failed_files(&self) -> std::collections::BTreeSet<&String> {
        self.sets.iter().flat_map(|s| &s.failed_files).chain(self.rows.iter().flat_map(|r| &r.failed_files)).collect()
    }
}

/// One line of the table: a model on a feature set, over all folds.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Row {
    /// The model family or neural model.
    pub model: String,
    /// The feature set it read.
    pub features: String,
    /// Hyper-parameters used on each fold (grid search picks them per fold).
    pub chosen: Vec<String>,
    /// Per fold.
    pub accuracy: Vec<f64>,
    /// Per fold.
    pub balanced_accuracy: Vec<f64>,
    /// Per fold.
    pub macro_f1: Vec<f64>,
    /// Seconds of fitting, all folds.
    pub train_seconds: f64,
    /// Test tracks scored per fold.
    pub tracks: Vec<usize>,
    /// Full per-fold reports (classic models).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reports: Vec<SingleLabelReport>,
    /// Files a neural row's training could not read (feature sets keep their own).
    #[serde(skip)]
    pub failed_files: Vec<String>,
}

/// The inner folds of `--grid`.
pub fn inner_cv(args: &BenchModelsOptions) -> InnerFolds {
    InnerFolds { folds: args.inner_folds, repeats: args.inner_repeats, seed: args.seed }
}

/// What a classic row fits: one family, or a mix of [`VOTE_MEMBERS`], each member's settings
/// chosen as its own row's are (by the grid search on the inner folds, with --grid): `vote`
/// takes the mean of their probabilities, `stack` a logistic regression on them (stacking).
#[derive(Clone, Copy, Debug)]
enum Learner {
    One(Family),
    Vote,
    Stack,
}

/// The stacked mix's own learner: a logistic regression on the members' probabilities side
/// by side (scikit-learn's `StackingClassifier` defaults to one too).
const STACK_META: ClassicModel = ClassicModel::Logistic { l2: 1.0 };

/// The families a `vote` row mixes: a linear, a kernel and a neighbour method, whose errors
/// differ the most on the slice.
const VOTE_MEMBERS: [Family; 3] = [Family::Logistic, Family::SvmRbf, Family::Knn];

impl Learner {
    fn name(self) -> &'static str {
        match self {
            Self::One(f) => f.name(),
            Self::Vote => "vote",
            Self::Stack => "stack",
        }
    }

    fn members(self) -> Vec<Family> {
        match self {
            Self::One(f) => vec![f],
            Self::Vote | Self::Stack => VOTE_MEMBERS.to_vec(),
        }
    }
}

impl std::str::FromStr for Learner {
    type Err = genrecast_classic::ClassicError;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "vote" => return Ok(Self::Vote),
            "stack" => return Ok(Self::Stack),
            _ => {}
        }
        s.parse().map(Self::One)
    }
}

fn classic_row(args: &BenchModelsOptions, set: &FeatureSet, learner: Learner, progress: &dyn Progress) -> Result<Row> {
    let aggregation: genrecast_models::Aggregation = args.aggregate.parse()?;
    let groups = group_ids(&set.ds);
    let n_classes = set.ds.labels.len();
    let mut row = Row { model: learner.name().into(), features: set.name.clone(), chosen: vec![], accuracy: vec![], balanced_accuracy: vec![], macro_f1: vec![], train_seconds: 0.0, tracks: vec![], reports: vec![], failed_files: vec![] };
    for fold in &set.folds {
        let (mut x, mut y, mut g) = (Vec::new(), Vec::new(), Vec::new());
        for &i in fold.train.iter().chain(&fold.valid) {
            let (Some(rows), Some(c)) = (set.rows.get(&i), class_of(&set.ds, i)) else { continue };
            let rows = track_rows(&args.rows, rows);
            for r in genrecast_models::spread(rows.len(), Some(args.max_crops)).into_iter().map(|k| rows[k].clone()) {
                x.push(r);
                y.push(c);
                g.push(groups[i]);
            }
        }
        if x.is_empty() {
            bail!("{}: fold {} has no training rows", set.name, fold.name);
        }
        let start = Instant::now();
        let mut chosen = Vec::new();
        let mut fitted = Vec::new();
        let mut settings = Vec::new();
        for family in learner.members() {
            let model = if args.grid {
                let result = grid_search(&family.grid(), &x, &y, &g, n_classes, inner_cv(args))?;
                for (m, why) in &result.failed {
                    progress.note(&format!("warning: {} fold {}: grid candidate {m} set aside: {why}", set.name, fold.name));
                }
                result.best
            } else {
                family.default_model()
            };
            fitted.push(model.fit(&x, &y, n_classes, args.seed)?);
            chosen.push(model.to_string());
            settings.push(model);
        }
        let meta = match learner {
            Learner::Stack => {
                chosen.push(format!("stacked by {STACK_META}"));
                Some(stack_meta(&settings, &x, &y, &g, n_classes, inner_cv(args))?)
            }
            _ => None,
        };
        row.train_seconds += start.elapsed().as_secs_f64();
        let (mut truth, mut scores) = (Vec::new(), Vec::new());
        for &i in &fold.test {
            let (Some(rows), Some(c)) = (set.rows.get(&i), class_of(&set.ds, i)) else { continue };
            let rows = &track_rows(&args.rows, rows);
            // Each crop: the mean over the members (or the stack's judgement of them); then the
            // track: --aggregate over its crops.
            let mut crops = vec![genrecast_models::WindowPrediction { start: 0.0, end: 0.0, probabilities: vec![0.0f32; n_classes] }; rows.len()];
            if let Some(meta) = &meta {
                let mut side_by_side = vec![Vec::with_capacity(n_classes * fitted.len()); rows.len()];
                for member in &fitted {
                    side_by_side.iter_mut().zip(member.predict_proba(rows)).for_each(|(s, p)| s.extend(p));
                }
                crops.iter_mut().zip(meta.predict_proba(&side_by_side)).for_each(|(c, p)| c.probabilities = p);
            } else {
                for member in &fitted {
                    for (crop, p) in crops.iter_mut().zip(member.predict_proba(rows)) {
                        crop.probabilities.iter_mut().zip(p).for_each(|(m, v)| *m += v / fitted.len() as f32);
                    }
                }
            }
            let mean = genrecast_models::aggregate_windows(&crops, aggregation, genrecast_models::Task::SingleLabel);
            truth.push(c);
            scores.push(mean);
        }
        let report = SingleLabelReport::new(&set.ds.labels, &truth, &scores);
        row.chosen.push(chosen.join(" + "));
        row.accuracy.push(report.accuracy);
        row.balanced_accuracy.push(report.balanced_accuracy);
        row.macro_f1.push(report.classes.averages.macro_avg.f1);
        row.tracks.push(truth.len());
        row.reports.push(report);
    }
    Ok(row)
}

/// The stacked mix's logistic regression, fitted on out-of-fold probabilities: each training
/// row's members' probabilities come from members (with the chosen `settings`) fitted
/// without its inner fold, on the first draw of `cv`'s artist-grouped folds, so that the mix
/// learns how far to trust each member on music it has not seen.
fn stack_meta(settings: &[ClassicModel], x: &[Vec<f32>], y: &[usize], groups: &[usize], n_classes: usize, cv: InnerFolds) -> Result<genrecast_classic::FittedModel> {
    let k = cv.folds.max(2);
    let fold_of = genrecast_classic::grouped_folds(groups, k, cv.seed);
    let mut out_of_fold = vec![Vec::with_capacity(n_classes * settings.len()); x.len()];
    for f in 0..k {
        let (tr, te): (Vec<usize>, Vec<usize>) = (0..x.len()).partition(|&i| fold_of[i] != f);
        if te.is_empty() {
            continue;
        }
        if tr.is_empty() {
            bail!("a stacked mix needs at least two artists (groups) on the training side");
        }
        let (xtr, ytr): (Vec<Vec<f32>>, Vec<usize>) = tr.iter().map(|&i| (x[i].clone(), y[i])).unzip();
        let xte: Vec<Vec<f32>> = te.iter().map(|&i| x[i].clone()).collect();
        // Members in order, so each row's probabilities sit member by member.
        for model in settings {
            let fitted = model.fit(&xtr, &ytr, n_classes, cv.seed)?;
            te.iter().zip(fitted.predict_proba(&xte)).for_each(|(&i, p)| out_of_fold[i].extend(p));
        }
    }
    Ok(STACK_META.fit(&out_of_fold, y, n_classes, cv.seed)?)
}

/// A track's rows for a classic model (`--rows`): its crops as they are, or one row of their
/// mean (and standard deviation, population form).
fn track_rows(how: &str, crops: &[Vec<f32>]) -> Vec<Vec<f32>> {
    if how == "crops" || crops.is_empty() {
        return crops.to_vec();
    }
    let n = crops.len() as f64;
    let d = crops[0].len();
    let mean: Vec<f64> = (0..d).map(|j| crops.iter().map(|r| f64::from(r[j])).sum::<f64>() / n).collect();
    let mut row: Vec<f32> = mean.iter().map(|&m| m as f32).collect();
    if how == "mean-std" {
        row.extend((0..d).map(|j| (crops.iter().map(|r| (f64::from(r[j]) - mean[j]).powi(2)).sum::<f64>() / n).sqrt() as f32));
    }
    vec![row]
}

/// Trains the neural model `name` on every fold (into OUT/neural/NAME/fold-K) and scores
/// each fold's held-out side.
fn neural_row(args: &BenchModelsOptions, ds: &Dataset, all_folds: &[Fold], name: &str, rt: &Runtime) -> Result<Row> {
    let out = args.out.join("neural").join(name);
    let mut train = TrainOptions { split: args.split.clone(), epochs: args.epochs, seed: args.seed, out: out.clone(), ..TrainOptions::default() };
    // A head on a backbone: linear-BACKBONE or mlp-BACKBONE (msd is short for musicnn-msd).
    let head_on = |head: &str| name.strip_prefix(head).and_then(|b| b.strip_prefix('-')).map(|b| if b == "msd" { "musicnn-msd" } else { b }).filter(|b| crate::backbones_and_layer(b).is_ok());
    let features = match name {
        "mlp" | "cnn1d" | "cnn2d" | "crnn" | "resnet" | "lstm" => {
            train.model = name.into();
            match name {
                "mlp" => "summary",
                "cnn1d" | "lstm" => "mfcc-chroma",
                _ => "logmel",
            }
        }
        _ if head_on("linear").is_some() => {
            let b = head_on("linear").unwrap_or_default();
            (train.backbone, train.head, train.lr, train.schedule) = (Some(b.into()), "linear".into(), 0.003, "constant".into());
            b
        }
        _ if head_on("mlp").is_some() => {
            let b = head_on("mlp").unwrap_or_default();
            (train.backbone, train.head) = (Some(b.into()), "mlp".into());
            b
        }
        other => bail!("unknown neural model '{other}' (known: mlp, cnn1d, cnn2d, crnn, lstm, resnet, and linear-B or mlp-B for a backbone B: msd, musicnn-msd, musicnn-mtt, vgg-msd, vgg-mtt)"),
    };
    let mut row = Row { model: name.into(), features: features.into(), chosen: vec![], accuracy: vec![], balanced_accuracy: vec![], macro_f1: vec![], train_seconds: 0.0, tracks: vec![], reports: vec![], failed_files: vec![] };
    for (k, fold) in all_folds.iter().enumerate() {
        let o = train_fold(&train, ds, fold, &out.join(format!("fold-{}", k + 1)), None, rt)?;
        row.chosen.push(format!("{name}, {} epochs max, early stopping on an artist-held-out part of train", args.epochs));
        row.accuracy.push(o.accuracy);
        row.balanced_accuracy.push(o.balanced_accuracy);
        row.macro_f1.push(o.macro_f1);
        row.train_seconds += o.train_seconds;
        row.failed_files.extend(o.failed_files);
        row.tracks.push(fold.test.len());
    }
    Ok(row)
}

/// The bench-models table: every classic model family on every feature set (and the neural
/// models), scored per track on the test side of every fold of `opts.split`.
///
/// ```no_run
/// use genrecast_experiments::{bench_models, BenchModelsOptions, DatasetSource, Runtime, Stderr};
/// let opts = BenchModelsOptions { features: vec!["summary".into()], models: vec!["knn".into()], ..Default::default() };
/// let rt = Runtime { device: genrecast_models::ComputeDevice::Cpu, cache: None, progress: &Stderr };
/// let table = bench_models(&DatasetSource::new("../shared/data/gtzan"), &opts, &rt)?;
/// println!("{:?}", table.rows[0].balanced_accuracy);
/// # Ok::<(), genrecast_experiments::Error>(())
/// ```
///
/// # Errors
/// A dataset or split that cannot be read, leakage between a split's sides, an unknown model
/// family, a feature set that cannot be built, or `rt.device` not being there. A row that
/// fails is named in `failures`.
pub fn bench_models(source: &DatasetSource, args: &BenchModelsOptions, rt: &Runtime) -> Result<BenchModels> {
    // A device that is not there stops the run before anything is read, whichever rows would
    // have used it: never a quiet CPU run, nor a row failure per model.
    rt.device.burn_device()?;
    let ds = source.open()?;
    let all_folds = folds(&ds, &args.split)?;
    for f in &all_folds {
        check_leakage(&ds, f, GroupBy::Artist).with_context(|| format!("split {}", args.split))?;
    }
    let families: Vec<Learner> = args.models.iter().filter(|m| !m.is_empty()).map(|m| m.parse()).collect::<std::result::Result<_, _>>()?;
    let mut sets = Vec::new();
    for name in args.features.iter().filter(|f| !f.is_empty()) {
        let set = feature_set(args, &ds, &all_folds, name, rt)?;
        for f in &set.folds {
            check_leakage(&set.ds, f, GroupBy::Artist).with_context(|| format!("{} split {}", set.name, args.split))?;
        }
        sets.push(set);
    }
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    let pb = rt.progress.start(sets.len() * families.len(), "models");
    for set in &sets {
        for &family in &families {
            pb.message(&format!("{} on {}", family.name(), set.name));
            match classic_row(args, set, family, rt.progress) {
                Ok(row) => {
                    pb.note(&format!("{} on {}: balanced accuracy {:.3} ({:.1} s)", row.model, row.features, mean_sd(&row.balanced_accuracy).0, row.train_seconds));
                    rows.push(row);
                }
                Err(e) => {
                    pb.note(&format!("error: {} on {}: {}", family.name(), set.name, chain(&e)));
                    failures.push(format!("{} on {}: {}", family.name(), set.name, chain(&e)));
                }
            }
            pb.inc();
        }
    }
    pb.finish();
    for name in args.neural.iter().filter(|n| !n.is_empty()) {
        match neural_row(args, &ds, &all_folds, name, rt) {
            Ok(row) => rows.push(row),
            Err(e) => {
                rt.progress.note(&format!("error: {name}: {}", chain(&e)));
                failures.push(format!("{name}: {}", chain(&e)));
            }
        }
    }
    Ok(BenchModels { dataset: ds, sets, rows, failures })
}
