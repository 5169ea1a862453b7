//! `genrecast bench-models`: the seeds' model comparison in one command. Classic models on
//! summary features (ours from audio, pretrained embeddings, or a precomputed table) and,
//! optionally, neural models, all scored per track on the test side of every fold of one
//! split; a Markdown and a JSON report.

use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Parser;
use genrecast_classic::{grid_search, Family, InnerFolds};
use genrecast_datasets::{check_leakage, folds, load_gtzan_table, Dataset, Fold, GroupBy};
use genrecast_eval::{mean_sd, SingleLabelReport};
use genrecast_models::{crop, InputPreset, InputSpec};

use crate::args::{BenchEmbeddingsArgs, BenchModelsArgs, CacheOptions, TrainArgs};
use crate::cmd_dataset::open_source;
use crate::cmd_train::{matrices, train_fold};
use crate::progress::bar;

/// The summary rows of every track of one feature set: several crops per track, or one row.
struct FeatureSet {
    name: String,
    /// What the rows are, for the report.
    description: String,
    ds: Dataset,
    folds: Vec<Fold>,
    /// Rows of each track (absent: the track failed or has no label).
    rows: HashMap<usize, Vec<Vec<f32>>>,
    /// Files that could not be analysed, each with its cause (left out of every row).
    failed_files: Vec<String>,
}

/// One line of the table: a model on a feature set, over all folds.
#[derive(serde::Serialize)]
struct Row {
    model: String,
    features: String,
    /// Hyper-parameters used on each fold (grid search picks them per fold).
    chosen: Vec<String>,
    accuracy: Vec<f64>,
    balanced_accuracy: Vec<f64>,
    macro_f1: Vec<f64>,
    train_seconds: f64,
    /// Test tracks scored per fold.
    tracks: Vec<usize>,
    /// Full per-fold reports (classic models).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    reports: Vec<SingleLabelReport>,
    /// Files a neural row's training could not read (feature sets keep their own).
    #[serde(skip)]
    failed_files: Vec<String>,
}

/// The inner folds of `--grid`.
fn inner_cv(args: &BenchModelsArgs) -> InnerFolds {
    InnerFolds { folds: args.inner_folds, repeats: args.inner_repeats, seed: args.seed }
}

fn class_of(ds: &Dataset, i: usize) -> Option<usize> {
    let l = ds.tracks[i].label()?;
    ds.labels.iter().position(|x| x == l)
}

fn audio_set(cache: &CacheOptions, quiet: bool, ds: &Dataset, all_folds: &[Fold], name: &str) -> anyhow::Result<FeatureSet> {
    // One input, or several backbones' features of the same 3 s patches joined by `+`; a
    // backbone may name its layer after a colon (`musicnn-msd:max-pool`).
    let specs: Vec<InputSpec> = name.split('+').map(input_spec).collect::<anyhow::Result<_>>()?;
    let presets: Vec<InputPreset> = specs.iter().map(|s| s.preset).collect();
    if presets.iter().any(|p| !matches!(p, InputPreset::Summary) && p.backbone().is_none()) || (presets.len() > 1 && presets.iter().any(|p| p.backbone().is_none())) {
        bail!("feature set '{name}' cannot be used: classic models take summary, a backbone (musicnn-msd, musicnn-mtt, vgg-msd, vgg-mtt, each optionally with :max-pool or :mean-pool), backbones joined by + (e.g. musicnn-msd+vgg-msd:max-pool), or table");
    }
    let needed: Vec<usize> = all_folds.iter().flat_map(|f| f.train.iter().chain(&f.valid).chain(&f.test)).copied().collect();
    let cache = cache.open()?;
    let mut failures = Vec::new();
    let per_input: Vec<_> = specs.iter().map(|spec| matrices(ds, &needed, spec, cache.as_ref(), quiet, &mut failures)).collect();
    let mats = join_patches(per_input);
    let spec = &specs[0];
    let rows = mats
        .iter()
        .filter(|(&i, _)| class_of(ds, i).is_some())
        .map(|(&i, m)| {
            // Non-overlapping crops (a backbone's 3 s patches are already disjoint).
            let step = spec.crop_frames.max(1);
            let starts: Vec<usize> = (0..=m.cols.saturating_sub(spec.crop_frames)).step_by(step).collect();
            (i, starts.into_iter().map(|s| crop(m, spec, s)).collect())
        })
        .collect();
    let description = match presets[..] {
        [InputPreset::Summary] => "mean and std of 45 timbral rows over non-overlapping 2 s crops at 22,050 Hz (90-d)".to_string(),
        _ => {
            let dims: usize = specs.iter().map(InputSpec::frame_rows).sum();
            let what = specs.iter().filter_map(|s| Some(format!("{} {}", s.preset.backbone()?.name(), s.layer.name()))).collect::<Vec<_>>().join(" and ");
            format!("{what} features of 3 s patches at 16 kHz, side by side per patch ({dims}-d)")
        }
    };
    Ok(FeatureSet { name: name.into(), description, ds: ds.clone(), folds: all_folds.to_vec(), rows, failed_files: failures })
}

/// One input of a feature set: a preset, and for a backbone an optional `:LAYER`.
fn input_spec(part: &str) -> anyhow::Result<InputSpec> {
    let (preset, layer) = part.split_once(':').unwrap_or((part, "penultimate"));
    let preset: InputPreset = preset.parse()?;
    if preset.backbone().is_none() && layer != "penultimate" {
        bail!("'{part}': only a backbone has layers");
    }
    Ok(InputSpec::new(preset, 2.0).with_layer(layer.parse()?))
}

/// Several inputs' matrices of the same tracks stacked row-wise, patch by patch: the tracks
/// every input has, cut to the fewest patches any of them has.
fn join_patches(mut per_input: Vec<std::collections::BTreeMap<usize, genrecast_features::Array2>>) -> std::collections::BTreeMap<usize, genrecast_features::Array2> {
    if per_input.len() == 1 {
        return per_input.pop().unwrap_or_default();
    }
    let first = per_input.first().cloned().unwrap_or_default();
    first
        .keys()
        .filter_map(|i| {
            let parts: Vec<genrecast_features::Array2> = per_input.iter().map(|m| m.get(i).cloned()).collect::<Option<_>>()?;
            Some((*i, genrecast_models::join_patches(parts)))
        })
        .collect()
}

/// The descriptors that exist per segment: rp_extract's (TSSD and TRH describe a whole
/// recording's segments and are left out of the benchmark) and the Marsyas-style timbral
/// texture vector.
const SEGMENT_DESCRIPTORS: [&str; 5] = ["rp", "rh", "ssd", "mvd", "timbral"];

/// rp_extract descriptors (`ssd`, or several joined by `+`, e.g. `ssd+rh`) and the
/// Marsyas-style `timbral` vector of every segment (2^17 samples, 5.9 s, as rp_extract cuts
/// them) of every track at 22,050 Hz: one row per segment, as the 90-d summary has one per
/// crop.
fn descriptor_set(quiet: bool, ds: &Dataset, all_folds: &[Fold], name: &str) -> anyhow::Result<FeatureSet> {
    use rayon::prelude::*;
    let parts: Vec<&str> = name.split('+').collect();
    let fx = genrecast_descriptors::rp::RpExtractor::new(22_050)?;
    let timbral = genrecast_descriptors::timbral::TimbralExtractor::new(22_050)?;
    let needed: std::collections::BTreeSet<usize> = all_folds.iter().flat_map(|f| f.train.iter().chain(&f.valid).chain(&f.test)).copied().filter(|&i| class_of(ds, i).is_some()).collect();
    let needed: Vec<usize> = needed.into_iter().collect();
    let pb = bar(needed.len(), quiet, "tracks analysed");
    let results: Vec<(usize, anyhow::Result<Vec<Vec<f32>>>)> = needed
        .par_iter()
        .map(|&i| {
            let r = descriptor_rows(&ds.tracks[i].path, &parts, &fx, &timbral);
            pb.inc(1);
            (i, r)
        })
        .collect();
    pb.finish_and_clear();
    let mut rows = HashMap::new();
    let mut failed_files = Vec::new();
    for (i, r) in results {
        match r {
            Ok(v) => {
                rows.insert(i, v);
            }
            Err(e) => {
                let message = crate::report::chain(&e);
                eprintln!("error: {}", crate::names::escape_controls(&message.to_string()));
                failed_files.push(message);
            }
        }
    }
    let dims = rows.values().flatten().next().map_or(0, Vec::len);
    let names: Vec<String> = parts.iter().map(|p| if *p == "timbral" { "Marsyas-style timbral texture".to_string() } else { format!("rp_extract {}", p.to_uppercase()) }).collect();
    let description = format!("{} of each 5.9 s segment at 22,050 Hz ({dims}-d)", names.join(" + "));
    Ok(FeatureSet { name: name.into(), description, ds: ds.clone(), folds: all_folds.to_vec(), rows, failed_files })
}

/// One row per rp_extract segment of the track at `path`: the `parts` joined in order.
fn descriptor_rows(path: &Path, parts: &[&str], fx: &genrecast_descriptors::rp::RpExtractor, timbral: &genrecast_descriptors::timbral::TimbralExtractor) -> anyhow::Result<Vec<Vec<f32>>> {
    let wave = genrecast_audio::load(path, &genrecast_audio::LoadOptions::default())?;
    let d = fx.extract(&wave.samples).with_context(|| path.display().to_string())?;
    d.segments
        .iter()
        .map(|s| {
            let mut row = Vec::new();
            for &p in parts {
                match s.get(p) {
                    Some(v) => row.extend(v.iter().map(|&x| x as f32)),
                    None => {
                        let (a, b) = (s.span.0.min(wave.samples.len()), s.span.1.min(wave.samples.len()));
                        row.extend(timbral.extract(&wave.samples[a..b]).with_context(|| path.display().to_string())?.iter().map(|&x| x as f32));
                    }
                }
            }
            Ok(row)
        })
        .collect()
}

fn table_set(args: &BenchModelsArgs, ds: &Dataset) -> anyhow::Result<FeatureSet> {
    let path = args.table.clone().unwrap_or_else(|| ds.root.join("kaggle_features/features_30_sec.csv"));
    let (tds, table) = load_gtzan_table(&ds.root, &path, &["length"]).with_context(|| format!("feature table {}", path.display()))?;
    let tfolds = folds(&tds, &args.split)?;
    let rows = table.rows.into_iter().enumerate().filter(|(i, _)| class_of(&tds, *i).is_some()).map(|(i, r)| (i, vec![r])).collect();
    let description = format!("{} ({} columns, one row per 30 s clip)", path.display(), table.columns.len());
    Ok(FeatureSet { name: "table".into(), description, ds: tds, folds: tfolds, rows, failed_files: Vec::new() })
}

/// Group id of each track for the inner folds: its artist, else its clip.
pub(crate) fn group_ids(ds: &Dataset) -> Vec<usize> {
    let mut ids: HashMap<String, usize> = HashMap::new();
    ds.tracks
        .iter()
        .map(|t| {
            let key = t.artist.clone().unwrap_or_else(|| format!("clip:{}", t.clip));
            let n = ids.len();
            *ids.entry(key).or_insert(n)
        })
        .collect()
}

/// What a classic row fits: one family, or `vote`, a soft-voting mix of
/// [`VOTE_MEMBERS`] (the mean of their probabilities), each member's settings chosen as its
/// own row's are (by the grid search on the inner folds, with --grid).
#[derive(Clone, Copy, Debug)]
enum Learner {
    One(Family),
    Vote,
}

/// The families a `vote` row mixes: a linear, a kernel and a neighbour method, whose errors
/// differ the most on the slice.
const VOTE_MEMBERS: [Family; 3] = [Family::Logistic, Family::SvmRbf, Family::Knn];

impl Learner {
    fn name(self) -> &'static str {
        match self {
            Self::One(f) => f.name(),
            Self::Vote => "vote",
        }
    }

    fn members(self) -> Vec<Family> {
        match self {
            Self::One(f) => vec![f],
            Self::Vote => VOTE_MEMBERS.to_vec(),
        }
    }
}

impl std::str::FromStr for Learner {
    type Err = genrecast_classic::ClassicError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "vote" {
            return Ok(Self::Vote);
        }
        s.parse().map(Self::One)
    }
}

fn classic_row(args: &BenchModelsArgs, set: &FeatureSet, learner: Learner) -> anyhow::Result<Row> {
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
        for family in learner.members() {
            let model = if args.grid {
                let result = grid_search(&family.grid(), &x, &y, &g, n_classes, inner_cv(args))?;
                for (m, why) in &result.failed {
                    eprintln!("warning: {} fold {}: grid candidate {m} set aside: {why}", set.name, fold.name);
                }
                result.best
            } else {
                family.default_model()
            };
            fitted.push(model.fit(&x, &y, n_classes, args.seed)?);
            chosen.push(model.to_string());
        }
        row.train_seconds += start.elapsed().as_secs_f64();
        let (mut truth, mut scores) = (Vec::new(), Vec::new());
        for &i in &fold.test {
            let (Some(rows), Some(c)) = (set.rows.get(&i), class_of(&set.ds, i)) else { continue };
            let rows = &track_rows(&args.rows, rows);
            // Each crop: the mean over the members; then the track: --aggregate over its crops.
            let mut crops = vec![genrecast_models::WindowPrediction { start: 0.0, end: 0.0, probabilities: vec![0.0f32; n_classes] }; rows.len()];
            for member in &fitted {
                for (crop, p) in crops.iter_mut().zip(member.predict_proba(rows)) {
                    crop.probabilities.iter_mut().zip(p).for_each(|(m, v)| *m += v / fitted.len() as f32);
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

#[derive(Parser)]
struct TrainCommand {
    #[command(flatten)]
    args: TrainArgs,
}

fn neural_row(args: &BenchModelsArgs, ds: &Dataset, all_folds: &[Fold], name: &str) -> anyhow::Result<Row> {
    let data = args.source.path.to_string_lossy().into_owned();
    let out = args.out.join("neural").join(name);
    let mut argv: Vec<String> = vec!["train".into(), data, "--split".into(), args.split.clone(), "--epochs".into(), args.epochs.to_string(), "--seed".into(), args.seed.to_string(), "--out".into(), out.to_string_lossy().into_owned()];
    // A head on a backbone: linear-BACKBONE or mlp-BACKBONE (msd is short for musicnn-msd).
    let head_on = |head: &str| name.strip_prefix(head).and_then(|b| b.strip_prefix('-')).map(|b| if b == "msd" { "musicnn-msd" } else { b }).filter(|b| crate::cmd_train::backbones_and_layer(b).is_ok());
    let (features, extra): (&str, Vec<&str>) = match name {
        "mlp" => ("summary", vec!["--model", "mlp"]),
        "cnn1d" => ("mfcc-chroma", vec!["--model", "cnn1d"]),
        "cnn2d" => ("logmel", vec!["--model", "cnn2d"]),
        "crnn" => ("logmel", vec!["--model", "crnn"]),
        "resnet" => ("logmel", vec!["--model", "resnet"]),
        "lstm" => ("mfcc-chroma", vec!["--model", "lstm"]),
        _ if head_on("linear").is_some() => {
            let b = head_on("linear").unwrap_or_default();
            (b, vec!["--backbone", b, "--head", "linear", "--lr", "0.003", "--schedule", "constant"])
        }
        _ if head_on("mlp").is_some() => {
            let b = head_on("mlp").unwrap_or_default();
            (b, vec!["--backbone", b, "--head", "mlp"])
        }
        other => bail!("unknown neural model '{other}' (known: mlp, cnn1d, cnn2d, crnn, lstm, resnet, and linear-B or mlp-B for a backbone B: msd, musicnn-msd, musicnn-mtt, vgg-msd, vgg-mtt)"),
    };
    argv.extend(extra.iter().map(|s| s.to_string()));
    if args.quiet {
        argv.push("--quiet".into());
    }
    if let Some(dir) = &args.cache.cache_dir {
        argv.extend(["--cache-dir".into(), dir.to_string_lossy().into_owned()]);
    }
    if args.cache.no_cache {
        argv.push("--no-cache".into());
    }
    let train = TrainCommand::try_parse_from(&argv).with_context(|| format!("options of {name}"))?.args;
    let mut row = Row { model: name.into(), features: features.into(), chosen: vec![], accuracy: vec![], balanced_accuracy: vec![], macro_f1: vec![], train_seconds: 0.0, tracks: vec![], reports: vec![], failed_files: vec![] };
    for (k, fold) in all_folds.iter().enumerate() {
        let o = train_fold(&train, ds, fold, &out.join(format!("fold-{}", k + 1)), None)?;
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

fn markdown(args: &BenchModelsArgs, ds: &Dataset, sets: &[(String, String)], rows: &[Row]) -> String {
    let mut s = format!(
        "# genrecast bench-models\n\nDataset: {} ({}), split `{}`: per-track scores on each fold's test side, mean +- sd over folds; {}. Hyper-parameters: {}.\n\n",
        ds.root.display(),
        ds.kind.name(),
        args.split,
        match (args.rows.as_str(), args.aggregate.as_str()) {
            ("mean", _) => "a classic row reads one row per track, the mean of its crops' features",
            ("mean-std", _) => "a classic row reads one row per track, the mean and std of its crops' features",
            (_, "vote") => "a classic row's track score is the vote (share of crops picking each label) of its crops",
            (_, "max") => "a classic row's track score is the max (renormalised) of its crops' probabilities",
            _ => "a classic row's track score is the mean of its crops' probabilities",
        },
        if args.grid { format!("grid search per fold over {} of the training side", inner_cv(args)) } else { "defaults".into() }
    );
    s.push_str("Feature sets:\n\n");
    for (name, d) in sets {
        s.push_str(&format!("- `{name}`: {d}\n"));
    }
    s.push_str("\n| model | features | accuracy | balanced accuracy | macro F1 | train time (s, all folds) | test tracks per fold |\n|---|---|---|---|---|---|---|\n");
    for r in rows {
        let (a, asd) = mean_sd(&r.accuracy);
        let (b, bsd) = mean_sd(&r.balanced_accuracy);
        let (f, _) = mean_sd(&r.macro_f1);
        s.push_str(&format!("| {} | {} | {a:.3} +- {asd:.3} | {b:.3} +- {bsd:.3} | {f:.3} | {:.1} | {} |\n", r.model, r.features, r.train_seconds, r.tracks.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" / ")));
    }
    if args.grid {
        s.push_str("\nChosen per fold:\n\n");
        for r in rows.iter().filter(|r| !r.reports.is_empty()) {
            s.push_str(&format!("- {} on {}: {}\n", r.model, r.features, r.chosen.join("; ")));
        }
    }
    s
}

pub fn run(args: BenchModelsArgs) -> anyhow::Result<ExitCode> {
    let ds = open_source(&args.source)?;
    let all_folds = folds(&ds, &args.split)?;
    for f in &all_folds {
        check_leakage(&ds, f, GroupBy::Artist).with_context(|| format!("split {}", args.split))?;
    }
    let families: Vec<Learner> = args.models.iter().filter(|m| !m.is_empty()).map(|m| m.parse()).collect::<Result<_, _>>()?;
    let mut sets = Vec::new();
    for name in args.features.iter().filter(|f| !f.is_empty()) {
        let set = if name == "table" {
            table_set(&args, &ds)?
        } else if name.split('+').all(|p| SEGMENT_DESCRIPTORS.contains(&p)) {
            descriptor_set(args.quiet, &ds, &all_folds, name)?
        } else {
            audio_set(&args.cache, args.quiet, &ds, &all_folds, name)?
        };
        for f in &set.folds {
            check_leakage(&set.ds, f, GroupBy::Artist).with_context(|| format!("{} split {}", set.name, args.split))?;
        }
        sets.push(set);
    }
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    let pb = bar(sets.len() * families.len(), args.quiet, "models");
    for set in &sets {
        for &family in &families {
            pb.set_message(format!("{} on {}", family.name(), set.name));
            match classic_row(&args, set, family) {
                Ok(row) => {
                    pb.suspend(|| eprintln!("{} on {}: balanced accuracy {:.3} ({:.1} s)", row.model, row.features, mean_sd(&row.balanced_accuracy).0, row.train_seconds));
                    rows.push(row);
                }
                Err(e) => {
                    pb.suspend(|| eprintln!("error: {} on {}: {}", family.name(), set.name, crate::report::chain(&e)));
                    failures.push(format!("{} on {}: {}", family.name(), set.name, crate::report::chain(&e)));
                }
            }
            pb.inc(1);
        }
    }
    pb.finish_and_clear();
    for name in args.neural.iter().filter(|n| !n.is_empty()) {
        match neural_row(&args, &ds, &all_folds, name) {
            Ok(row) => rows.push(row),
            Err(e) => {
                eprintln!("error: {name}: {}", crate::report::chain(&e));
                failures.push(format!("{name}: {}", crate::report::chain(&e)));
            }
        }
    }
    let set_lines: Vec<(String, String)> = sets.iter().map(|s| (s.name.clone(), s.description.clone())).collect();
    let mut md = markdown(&args, &ds, &set_lines, &rows);
    if !failures.is_empty() {
        md.push_str(&format!("\n{} rows failed:\n\n", failures.len()));
        for f in &failures {
            md.push_str(&format!("- {f}\n"));
        }
    }
    // Files that no row could use, once each, whatever set or fold met them.
    let failed_files: std::collections::BTreeSet<&String> = sets.iter().flat_map(|s| &s.failed_files).chain(rows.iter().flat_map(|r| &r.failed_files)).collect();
    if !failed_files.is_empty() {
        md.push_str(&format!("\n{} files could not be analysed and are left out of every row:\n\n", failed_files.len()));
        for f in &failed_files {
            md.push_str(&format!("- {f}\n"));
        }
    }
    out!("{md}");
    write_reports(&args.out, &md, &serde_json::json!({ "dataset": ds.root, "split": args.split, "grid": args.grid, "aggregate": args.aggregate, "row_per": args.rows, "feature_sets": set_lines, "rows": rows, "failures": failures, "failed_files": failed_files }))?;
    plot_rows(&args.out, &rows)?;
    eprintln!("reports written to {}", args.out.display());
    Ok(if failures.is_empty() && failed_files.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn write_reports(out: &Path, md: &str, json: &serde_json::Value) -> anyhow::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    genrecast_features::write_atomic(&out.join("bench-models.md"), |w| w.write_all(md.as_bytes()))?;
    let text = serde_json::to_string_pretty(json)?;
    genrecast_features::write_atomic(&out.join("bench-models.json"), |w| w.write_all(text.as_bytes()))?;
    Ok(())
}

/// bench-models.png: balanced accuracy of every row; best-confusion.png: the confusion matrix
/// of the best classic row, summed over folds.
fn plot_rows(out: &Path, rows: &[Row]) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = rows.iter().map(|r| format!("{} / {}", r.model, r.features)).collect();
    let values: Vec<f64> = rows.iter().map(|r| mean_sd(&r.balanced_accuracy).0).collect();
    genrecast_plots::bar_chart(&out.join("bench-models.png"), "balanced accuracy (mean over folds)", &names, &values, "balanced accuracy")?;
    let best = rows.iter().filter(|r| !r.reports.is_empty()).max_by(|a, b| mean_sd(&a.balanced_accuracy).0.total_cmp(&mean_sd(&b.balanced_accuracy).0));
    if let Some(best) = best {
        let labels = &best.reports[0].labels;
        let mut counts = vec![vec![0usize; labels.len()]; labels.len()];
        for r in &best.reports {
            for (row, add) in counts.iter_mut().zip(&r.confusion.counts) {
                row.iter_mut().zip(add).for_each(|(c, a)| *c += a);
            }
        }
        genrecast_plots::confusion_heatmap(&out.join("best-confusion.png"), &format!("{} on {}, all folds", best.model, best.features), labels, &counts)?;
    }
    Ok(())
}

/// One embedding's figures.
#[derive(serde::Serialize)]
struct EmbeddingRow {
    embedding: String,
    dimensions: usize,
    tracks: usize,
    knn_accuracy: f64,
    knn_balanced_accuracy: f64,
    silhouette_euclidean: Option<f64>,
    silhouette_cosine: Option<f64>,
    per_variant_knn_accuracy: std::collections::BTreeMap<String, f64>,
}

/// `genrecast bench-embeddings`: k-NN genre accuracy with every neighbour from another artist,
/// and the silhouette of the genres, for each embedding of the dataset's tracks.
pub fn embeddings(args: BenchEmbeddingsArgs) -> anyhow::Result<ExitCode> {
    let ds = open_source(&args.source)?;
    let all: Vec<usize> = (0..ds.tracks.len()).filter(|&i| class_of(&ds, i).is_some()).collect();
    let everything = vec![Fold { name: "all".into(), train: all.clone(), ..Fold::default() }];
    let groups = group_ids(&ds);
    let mut rows = Vec::new();
    for name in args.embeddings.iter().filter(|e| !e.is_empty()) {
        // Per-track vectors: a preset's crop vectors averaged, or a trained model's song
        // embedding on the tracks it never saw.
        let vectors: HashMap<usize, Vec<f32>> = if Path::new(name).is_dir() {
            let classifier = genrecast_models::Classifier::open(name)?;
            let card = classifier.card();
            let seen_clips: std::collections::HashSet<&str> = card.trained_on.clips.iter().map(String::as_str).collect();
            let seen_artists: std::collections::HashSet<&str> = card.trained_on.artists.iter().map(String::as_str).collect();
            let unseen: Vec<usize> = all.iter().copied().filter(|&i| !seen_clips.contains(ds.tracks[i].clip.as_str()) && !ds.tracks[i].artist.as_deref().is_some_and(|a| seen_artists.contains(a))).collect();
            eprintln!("{name}: {} of {} tracks are outside its training data", unseen.len(), all.len());
            let pb = bar(unseen.len(), args.quiet, "tracks embedded");
            let out: Vec<(usize, Option<Vec<f32>>)> = {
                use rayon::prelude::*;
                unseen
                    .par_iter()
                    .map_init(|| genrecast_models::Classifier::open(name), |c, &i| {
                        let v = c.as_ref().ok().and_then(|c| c.classify_file(&ds.tracks[i].path, genrecast_models::Aggregation::Mean).ok()).map(|p| p.embedding);
                        pb.inc(1);
                        (i, v)
                    })
                    .collect()
            };
            pb.finish_and_clear();
            out.into_iter().filter_map(|(i, v)| Some((i, v?))).collect()
        } else {
            let set = audio_set(&args.cache, args.quiet, &ds, &everything, name)?;
            set.rows
                .into_iter()
                .filter(|(_, r)| !r.is_empty())
                .map(|(i, r)| {
                    let mut mean = vec![0.0f32; r[0].len()];
                    for row in &r {
                        mean.iter_mut().zip(row).for_each(|(m, v)| *m += v / r.len() as f32);
                    }
                    (i, mean)
                })
                .collect()
        };
        let mut idx: Vec<usize> = vectors.keys().copied().collect();
        idx.sort_unstable();
        if idx.len() < 3 {
            eprintln!("error: {name}: only {} tracks embedded", idx.len());
            continue;
        }
        // Standardised per dimension, so that no feature's scale dominates a distance.
        let raw: Vec<Vec<f32>> = idx.iter().map(|i| vectors[i].clone()).collect();
        let st = genrecast_classic::Standardizer::fit(&raw);
        let x: Vec<Vec<f32>> = raw.iter().map(|r| st.transform(r).into_iter().map(|v| v as f32).collect()).collect();
        let y: Vec<usize> = idx.iter().map(|&i| class_of(&ds, i).unwrap_or(0)).collect();
        let g: Vec<usize> = idx.iter().map(|&i| groups[i]).collect();
        let pred = genrecast_eval::knn_leave_group_out(&x, &y, &g, args.k);
        let cm = genrecast_eval::ConfusionMatrix::new(ds.labels.len(), y.iter().copied().zip(pred.iter().copied()));
        let mut variants: std::collections::BTreeMap<String, (usize, usize)> = std::collections::BTreeMap::new();
        for ((&i, &t), &p) in idx.iter().zip(&y).zip(&pred) {
            let e = variants.entry(ds.tracks[i].variant.clone().unwrap_or_else(|| "-".into())).or_default();
            e.0 += usize::from(t == p);
            e.1 += 1;
        }
        let row = EmbeddingRow {
            embedding: name.clone(),
            dimensions: x[0].len(),
            tracks: x.len(),
            knn_accuracy: cm.accuracy(),
            knn_balanced_accuracy: cm.balanced_accuracy(),
            silhouette_euclidean: genrecast_eval::silhouette(&x, &y, genrecast_eval::Distance::Euclidean),
            silhouette_cosine: genrecast_eval::silhouette(&x, &y, genrecast_eval::Distance::Cosine),
            per_variant_knn_accuracy: variants.into_iter().map(|(k, (c, n))| (k, c as f64 / n as f64)).collect(),
        };
        eprintln!("{name}: {}-NN accuracy {:.3}", args.k, row.knn_accuracy);
        rows.push(row);
    }
    let f = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.3}"));
    let mut md = format!(
        "# genrecast bench-embeddings\n\nDataset: {} ({}). Each track's embedding, standardised per dimension; {}-NN genre vote where no neighbour shares the track's artist (its clip where the artist is unknown); silhouette of the genre labels.\n\n| embedding | dims | tracks | {k}-NN accuracy | {k}-NN balanced accuracy | silhouette (euclidean) | silhouette (cosine) |\n|---|---|---|---|---|---|---|\n",
        ds.root.display(), ds.kind.name(), args.k, k = args.k
    );
    for r in &rows {
        md.push_str(&format!("| {} | {} | {} | {:.3} | {:.3} | {} | {} |\n", r.embedding, r.dimensions, r.tracks, r.knn_accuracy, r.knn_balanced_accuracy, f(r.silhouette_euclidean), f(r.silhouette_cosine)));
    }
    out!("{md}");
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    use std::io::Write;
    genrecast_features::write_atomic(&args.out.join("bench-embeddings.md"), |w| w.write_all(md.as_bytes()))?;
    let json = serde_json::to_string_pretty(&serde_json::json!({ "dataset": ds.root, "k": args.k, "rows": rows }))?;
    genrecast_features::write_atomic(&args.out.join("bench-embeddings.json"), |w| w.write_all(json.as_bytes()))?;
    Ok(ExitCode::SUCCESS)
}
