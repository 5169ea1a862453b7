//! Training: one fold or every fold of a split, with leakage checks, a validation side carved
//! by artist when the split has none, and the held-out side scored per track.
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use genrecast_datasets::{balance, check_leakage, class_weights, folds, holdout, Balancing, Dataset, Fold, GroupBy};
use genrecast_features::Array2;
use genrecast_models::{
    fitting_rows, random_crops, target, track_means, windows, Architecture, TrackRows, Augment, EpochRecord, Example, InputPreset, InputSpec, ModelCard, NetworkConfig, Normalizer, OptimizerKind, Schedule, Task,
    TrainConfig, TrainedOn, MODEL_FORMAT,
};

use crate::error::{bail, Context, Result};
use crate::inputs::{model_inputs, with_lyrics};
use crate::prepare::{backbones_and_layer, model_and_input, parent_name, prepare_dataset};
use crate::score::{confusion, score_tracks, tagging_report};
use crate::{DatasetSource, Runtime, TrainOptions};

/// What training on the chosen folds of a split gave.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TrainReport {
    /// The dataset's folder (or file).
    pub dataset: PathBuf,
    /// The split's name as given.
    pub split: String,
    /// Whether the dataset is multi-label (tagging): then a fold's two figures are macro
    /// ROC-AUC and macro average precision.
    pub multi_label: bool,
    /// Tracks in the dataset once readied for the input.
    pub tracks: usize,
    /// Each trained fold, in order.
    pub folds: Vec<FoldResult>,
    /// Files that could not be read in any fold, once each (they were left out).
    pub failed_files: Vec<String>,
}

impl TrainReport {
    /// The cross-validation table of several folds (`None` for one fold), as `train
    /// --all-folds` prints it.
    pub fn cross_validation(&self) -> Option<String> {
        if self.folds.len() < 2 {
            return None;
        }
        let (mean_b, sd_b) = genrecast_eval::mean_sd(&self.folds.iter().map(|f| f.balanced_accuracy).collect::<Vec<_>>());
        let (mean_a, _) = genrecast_eval::mean_sd(&self.folds.iter().map(|f| f.accuracy).collect::<Vec<_>>());
        let mut s = format!("\ncross-validation on {} ({}):\n", self.dataset.display(), self.split);
        // A tagging run's two figures are macro ROC-AUC and macro average precision.
        let (first, second) = if self.multi_label { ("ROC-AUC macro", "average precision macro") } else { ("accuracy", "balanced accuracy") };
        for f in &self.folds {
            let _ = writeln!(s, "  {}: {first} {:.3}, {second} {:.3} (held-out side, per track), {:.0} s", f.fold, f.accuracy, f.balanced_accuracy, f.train_seconds);
        }
        let _ = writeln!(s, "  mean: {first} {mean_a:.3}, {second} {mean_b:.3} +- {sd_b:.3}");
        Some(s)
    }
}

/// Trains a model on one fold of `opts.split` (`opts.fold`), or on every fold into
/// `OUT/fold-K` (`opts.all_folds`), each scored per track on its held-out side. `on_fold` sees
/// each fold as it ends; [`ControlFlow::Break`] stops before the next.
///
/// ```no_run
/// use genrecast_experiments::{train, DatasetSource, Runtime, Stderr, TrainOptions};
/// let opts = TrainOptions { model: "mlp".into(), split: "folds3".into(), epochs: 3, out: "models/mlp".into(), ..Default::default() };
/// let rt = Runtime { device: genrecast_models::ComputeDevice::Cpu, cache: None, progress: &Stderr };
/// let report = train(&DatasetSource::new("../shared/data/gtzan"), &opts, &rt, &mut |_| std::ops::ControlFlow::Continue(()))?;
/// println!("accuracy {:.3}", report.folds[0].accuracy);
/// # Ok::<(), genrecast_experiments::Error>(())
/// ```
///
/// # Errors
/// A device that is not there, a dataset or split that cannot be read, a fold that does not
/// exist, settings the model refuses, leakage between sides (unless allowed), or training
/// that fails.
pub fn train(source: &DatasetSource, args: &TrainOptions, rt: &Runtime, on_fold: &mut dyn FnMut(&FoldResult) -> ControlFlow<()>) -> Result<TrainReport> {
    // A device that is not there stops the run before minutes of dataset preparation.
    rt.device.burn_device()?;
    let mut ds = source.open()?;
    let (_, preset, _) = model_and_input(args, ds.kind)?;
    let rows: TrackRows = args.rows.parse()?;
    if args.init_from.is_none() {
        refuse_merged_copies(args.balance.parse()?, rows)?;
    } else if !rows.is_default() {
        bail!("--rows {}: a model trained from --init-from reads tracks as its parent's card says; leave --rows out", rows.name());
    }
    // Without a backbone, a track's training rows are random crops: none is its middle.
    if rows == TrackRows::MeanAndMiddle && preset.backbone().is_none() {
        bail!("--rows mean+middle needs a pretrained backbone (--backbone), whose fixed 3 s windows have a middle one; this model trains on random crops");
    }
    let reads_lyrics = preset == InputPreset::Lyrics || !args.lyrics.is_empty();
    let bags = prepare_dataset(&mut ds, preset, reads_lyrics, &args.lyrics, rt.progress)?;
    let all = folds(&ds, &args.split)?;
    let chosen: Vec<usize> = if args.all_folds { (0..all.len()).collect() } else { vec![args.fold.checked_sub(1).filter(|&f| f < all.len()).with_context(|| format!("--fold {} (the split has {} folds)", args.fold, all.len()))?] };
    let mut report = TrainReport { dataset: ds.root.clone(), split: args.split.clone(), multi_label: ds.multi_label, tracks: ds.tracks.len(), folds: Vec::new(), failed_files: Vec::new() };
    // The same unreadable file fails in every fold: report it once.
    let mut failed = BTreeSet::new();
    for k in chosen {
        let out = if args.all_folds { args.out.join(format!("fold-{}", k + 1)) } else { args.out.clone() };
        let o = train_fold(args, &ds, &all[k], &out, bags.as_ref(), rt)?;
        failed.extend(o.failed_files.iter().cloned());
        let flow = on_fold(&o);
        report.folds.push(o);
        if flow.is_break() {
            break;
        }
    }
    report.failed_files = failed.into_iter().collect();
    Ok(report)
}

/// Per-track figures of one fold's held-out side (NaN when nothing is held out).
#[derive(Clone, Debug, serde::Serialize)]
pub struct FoldResult {
    /// The fold's name.
    pub fold: String,
    /// The model folder written.
    pub model: PathBuf,
    /// Accuracy (tagging: macro ROC-AUC).
    pub accuracy: f64,
    /// Balanced accuracy (tagging: macro average precision).
    pub balanced_accuracy: f64,
    /// Macro F1 (NaN for tagging).
    pub macro_f1: f64,
    /// Seconds of training.
    pub train_seconds: f64,
    /// Files that could not be read, each with its cause (they were left out).
    pub failed_files: Vec<String>,
    /// The figures the model card keeps (`metrics` of model.json).
    pub metrics: serde_json::Value,
    /// The summary line(s) as `train` prints them.
    #[serde(skip)]
    pub(crate) summary: String,
    /// The held-out confusion table, when there is one.
    #[serde(skip)]
    pub(crate) table: Option<String>,
    /// Whether a blank line follows the summary (a fine-tuned fold's).
    #[serde(skip)]
    pub(crate) blank_after: bool,
}

impl FoldResult {
    /// The fold's summary as `train` prints it, with the confusion table unless `quiet`.
    pub fn summary(&self, quiet: bool) -> String {
        let mut s = self.summary.clone();
        if let Some(t) = self.table.as_ref().filter(|_| !quiet) {
            s.push_str(t);
        }
        if self.blank_after {
            s.push('\n');
        }
        s
    }
}

/// Trains on one fold and scores its held-out side.
///
/// ```no_run
/// use genrecast_experiments::{train_fold, DatasetSource, Runtime, Stderr, TrainOptions};
/// let ds = DatasetSource::new("../shared/data/gtzan").open()?;
/// let fold = &genrecast_datasets::folds(&ds, "folds3")?[0];
/// let opts = TrainOptions { model: "mlp".into(), epochs: 3, ..Default::default() };
/// let rt = Runtime { device: genrecast_models::ComputeDevice::Cpu, cache: None, progress: &Stderr };
/// let result = train_fold(&opts, &ds, fold, "models/mlp".as_ref(), None, &rt)?;
/// print!("{}", result.summary(false));
/// # Ok::<(), genrecast_experiments::Error>(())
/// ```
///
/// # Errors
/// Settings the model refuses, leakage between sides (unless allowed), no training track, or
/// training or saving that fails.
pub fn train_fold(args: &TrainOptions, ds: &Dataset, fold: &Fold, out: &Path, bags: Option<&genrecast_datasets::LyricsBags>, rt: &Runtime) -> Result<FoldResult> {
    let (arch, preset, model_name) = model_and_input(args, ds.kind)?;
    // The parent's network, weights and input normalisation, when starting from one.
    let parent = match &args.init_from {
        Some(p) => Some(genrecast_models::load_trainable(p, &rt.device.burn_training_device()?)?),
        None => None,
    };
    let mut spec = match (&parent, preset) {
        (Some((_, card)), _) => card.input.clone(),
        (None, InputPreset::MsdSegments) => InputSpec::segments(args.steps),
        (None, InputPreset::Lyrics) => InputSpec::lyrics(args.lyrics_dims),
        (None, _) => {
            let (backbones, layer) = args.backbone.as_deref().map(backbones_and_layer).transpose()?.unwrap_or_default();
            InputSpec { rows: args.rows.parse()?, ..InputSpec::new(preset, args.crop).with_layer(layer).with_also(backbones.get(1..).unwrap_or_default()) }
        }
    };
    if bags.is_some() {
        spec.lyrics_dims = args.lyrics_dims;
    }
    let task = if ds.multi_label { Task::MultiLabel } else { Task::SingleLabel };
    let labels = ds.labels.clone();
    let labelled = |i: &usize| target(&ds.tracks[*i], &labels, ds.multi_label).is_some();

    // Sides: train / valid (carved from train by artist when the split has none) / test.
    if let Err(e) = check_leakage(ds, fold, GroupBy::Artist) {
        if !args.allow_leakage {
            bail!("{e} (pass --allow-leakage to train anyway)");
        }
        rt.progress.note(&format!("warning: {e}"));
    }
    let mut fold = fold.clone();
    if args.final_fit {
        // Validation joins training; a test side stays held out and is still scored.
        let mut valid = std::mem::take(&mut fold.valid);
        fold.train.append(&mut valid);
    } else if fold.valid.is_empty() {
        match holdout(ds, &fold.train, args.valid_fraction, GroupBy::Artist, args.seed) {
            Ok((kept, held)) => {
                fold.train = kept;
                fold.valid = held;
            }
            Err(e) => rt.progress.note(&format!("warning: no validation side ({e}); the last epoch is kept")),
        }
    }
    let mut train_idx: Vec<usize> = fold.train.iter().copied().filter(labelled).collect();
    let mut valid_idx: Vec<usize> = fold.valid.iter().copied().filter(labelled).collect();
    if arch == Architecture::SvmRbf {
        // An SVM has no epochs to stop early: its settings are chosen on inner folds of the
        // training side, so the validation side trains too.
        if task == Task::MultiLabel {
            bail!("svm-rbf is single-label (genre); for tags use linear or mlp");
        }
        train_idx.append(&mut valid_idx);
    }
    let held_idx: Vec<usize> = if fold.test.is_empty() { valid_idx.clone() } else { fold.test.iter().copied().filter(labelled).collect() };
    debug_assert!(!args.final_fit || valid_idx.is_empty());
    let train_idx = part_of_training_side(ds, train_idx, args.train_fraction, args.seed)?;
    let (train_idx, valid_idx) = (train_idx, valid_idx);
    if args.fine_tune {
        return crate::finetune::fine_tune_fold(args, ds, &fold.name, crate::finetune::Sides { train: &train_idx, valid: &valid_idx, held: &held_idx }, out, rt);
    }
    let patience = if args.final_fit { 0 } else { args.patience };
    if train_idx.is_empty() {
        bail!("fold {} has no labelled training tracks", fold.name);
    }
    let input = match spec.preset {
        InputPreset::MsdSegments => format!("MSD segment series of {} steps", spec.crop_frames),
        InputPreset::Lyrics => format!("lyrics vectors of {} values", spec.lyrics_dims),
        p if p.backbone().is_some() => format!("{} {} features of 3 s patches", spec.backbone_names(), spec.layer.name()),
        p => format!("{p:?} crops of {} frames", spec.crop_frames),
    };
    rt.progress.note(&format!("{}: {} ({}), fold {}: train {}, valid {}, held-out {} tracks; {model_name} on {input}",
        out.display(), ds.root.display(), ds.kind.name(), fold.name, train_idx.len(), valid_idx.len(), held_idx.len()));

    let mut failures = Vec::new();
    let needed: Vec<usize> = train_idx.iter().chain(&valid_idx).chain(&held_idx).copied().collect();
    let encoder = bags.map(|b| {
        let held_out: Vec<usize> = valid_idx.iter().chain(&held_idx).copied().collect();
        crate::lyrics::fit_encoder(b, ds, &held_out, args.lyrics_dims, args.lyrics_min_df, args.seed, rt.progress)
    });
    let (mats, lyrics) = model_inputs(ds, &needed, &spec, bags.zip(encoder.as_ref()), rt, &mut failures)?;
    let with_target = |idx: &[usize]| -> Vec<(usize, &Array2, Vec<f32>)> {
        idx.iter().filter_map(|&i| Some((i, mats.get(&i)?, target(&ds.tracks[i], &labels, ds.multi_label)?))).collect()
    };

    // Balancing on the training side only.
    let classes = ds.class_of_tracks();
    let balancing: Balancing = args.balance.parse()?;
    refuse_merged_copies(balancing, spec.rows)?;
    let train_idx = balance(&classes, &train_idx, balancing, args.seed);
    let weights = (balancing == Balancing::ClassWeights).then(|| class_weights(&classes, &train_idx, labels.len()));
    let train_tracks = with_target(&train_idx);
    let valid_tracks = with_target(&valid_idx);
    let held_tracks = with_target(&held_idx);

    let shape = spec.example_shape();
    // A parent's weights expect the inputs scaled as in its own training.
    let normalizer = match &parent {
        Some((_, card)) => card.normalizer.clone(),
        None => Normalizer::fit(&windows(&train_tracks, &spec), &spec),
    };
    let scaled = |v: Vec<Example>| {
        let mut v = with_lyrics(v, &lyrics, &spec);
        for e in &mut v {
            normalizer.apply(&mut e.x, shape.1);
        }
        v
    };
    // Rows as tracks are judged, and as the head is fitted (`--rows mean+windows` adds each
    // lone window to the training rows, `mean+middle` the middle one).
    let normalise = |v: Vec<Example>| {
        let v = scaled(v);
        if spec.rows.judged_by_mean() { track_means(&v) } else { v }
    };
    let fitting = |v: Vec<Example>| fitting_rows(scaled(v), spec.rows);
    let valid = normalise(windows(&valid_tracks, &spec));
    let held = normalise(windows(&held_tracks, &spec));

    let mut network = match &parent {
        Some((_, card)) => NetworkConfig { n_outputs: labels.len(), ..card.network.clone() },
        None => NetworkConfig::for_input(arch, &spec, labels.len()),
    };
    if arch != Architecture::Linear && parent.is_none() {
        network.embedding = args.embedding;
    }
    network.dropout = args.dropout;
    let cfg = TrainConfig {
        epochs: args.epochs,
        batch_size: args.batch_size,
        lr: args.lr,
        optimizer: match args.optimizer.as_str() {
            "adam" => OptimizerKind::Adam,
            "adamw" => OptimizerKind::AdamW,
            "adadelta" => OptimizerKind::Adadelta,
            o => bail!("unknown optimizer '{o}' (known: adam, adamw, adadelta)"),
        },
        weight_decay: args.weight_decay,
        l1: args.l1,
        patience,
        schedule: match args.schedule.as_str() {
            "constant" => Schedule::Constant,
            "cosine" => Schedule::Cosine,
            "plateau" => Schedule::Plateau { patience: 3, factor: 0.5 },
            s => bail!("unknown schedule '{s}' (known: constant, cosine, plateau)"),
        },
        augment: Augment {
            gain_db: args.aug_gain,
            time_masks: args.time_masks,
            time_mask_width: shape.1 / 8,
            freq_masks: args.freq_masks,
            freq_mask_width: shape.0 / 8,
            mixup_alpha: args.mixup,
        },
        class_weights: weights,
        seed: args.seed,
    };
    let device = rt.device.burn_training_device()?;
    let mut svm_choice = None;
    let (net, parent) = match parent {
        None if arch == Architecture::SvmRbf => {
            // C and gamma are chosen on the rows tracks are judged by, then the SVM is fitted on
            // all its rows: with `mean+windows` or `mean+middle`, `fitting_rows` puts the track
            // means first.
            let fit = fitting(windows(&train_tracks, &spec));
            let judged = match spec.rows {
                TrackRows::MeanAndWindows | TrackRows::MeanAndMiddle => fit.iter().map(|e| e.track).collect::<BTreeSet<_>>().len(),
                TrackRows::Windows | TrackRows::Mean => fit.len(),
            };
            let (net, config, choice) = fit_rbf_svm(ds, &fit[..judged], &fit, shape, genrecast_classic::InnerFolds { folds: args.inner_folds, repeats: args.inner_repeats, seed: args.seed }, labels.len(), rt)?;
            network = config;
            svm_choice = Some(choice);
            (net, None)
        }
        None => (network.init_seeded(&device, args.seed)?, None),
        Some((net, card)) => {
            let head_kept = card.labels == labels && card.task == task;
            let net = if head_kept { net } else { net.with_new_head(labels.len(), &device, args.seed) };
            let net = if args.freeze == "body" { net.freeze_body() } else { net };
            let from = args.init_from.as_deref().unwrap_or_default();
            let (name, weights_blake3) = (parent_name(from), genrecast_models::weights_digest(from)?);
            rt.progress.note(&format!("starting from {name} ({}): {}, {} frozen", card.trained_on, if head_kept { "its output layer kept (same labels)" } else { "a new output layer for these labels" }, args.freeze));
            (net, Some(genrecast_models::ParentModel { name, trained_on: card.trained_on.to_string(), head_kept, frozen: args.freeze.clone(), weights_blake3 }))
        }
    };
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let history_path = out.join("history.csv");
    let mut history = String::from("epoch,lr,train_loss,valid_loss,valid_crop_accuracy,seconds\n");
    let pb = rt.progress.start(cfg.epochs, "epochs");
    let start = Instant::now();
    let genrecast_models::Trained { net, best_epoch, .. } = if svm_choice.is_some() {
        genrecast_models::Trained { net, best_epoch: 0, records: Vec::new() }
    } else { genrecast_models::train(
        net,
        &cfg,
        task,
        shape,
        // A backbone's patches are few and fixed: every epoch sees all of them.
        |_, rng| fitting(if preset.backbone().is_some() { windows(&train_tracks, &spec) } else { random_crops(&train_tracks, &spec, args.crops_per_track, rng) }),
        &valid,
        &device,
        |r: &EpochRecord, best| {
            let opt = |v: Option<f64>| v.map(|x| format!("{x:.4}")).unwrap_or_default();
            history.push_str(&format!("{},{:.6},{:.4},{},{},{:.1}\n", r.epoch, r.lr, r.train_loss, opt(r.valid_loss), opt(r.valid_accuracy), r.seconds));
            // The history is rewritten whole each epoch, so a killed run leaves a complete file.
            let _ = genrecast_features::write_atomic(&history_path, |w| w.write_all(history.as_bytes()));
            pb.inc();
            pb.note(&format!("epoch {:>3}: lr {:.2e}, train loss {:.4}, valid loss {}, valid crop accuracy {} ({:.1} s){}", r.epoch, r.lr, r.train_loss, opt(r.valid_loss), opt(r.valid_accuracy), r.seconds, if best == Some(r.epoch) { " *" } else { "" }));
        },
    )? };
    pb.finish();
    let train_seconds = start.elapsed().as_secs_f64();
    let infer = rt.device.burn_device()?;
    let side = if fold.test.is_empty() { "valid" } else { "test" };
    // The summary is printed after the model is saved: a closed stdout (`| head -1`) or a
    // full disk must not cost the model.
    let mut summary = String::new();
    let mut table = None;
    let (acc, bacc, macro_f1, metrics) = if held.is_empty() {
        writeln!(summary, "{model_name} on {} ({}): trained {:.0} s on {} tracks; nothing held out, so no score", ds.root.display(), fold.name, train_seconds, train_idx.len())?;
        (f64::NAN, f64::NAN, f64::NAN, serde_json::json!({ "side": null, "train_seconds": train_seconds, "failed_files": failures }))
    } else {
        let t0 = Instant::now();
        let scores = score_tracks(&net, task, &held, shape, &infer);
        let per_track_ms = t0.elapsed().as_secs_f64() * 1000.0 / scores.tracks.len().max(1) as f64;
        if task == Task::MultiLabel {
            let r = tagging_report(ds, &labels, &scores);
            let f = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.3}"));
            writeln!(summary, "{model_name} on {} ({}), {side} side: {} tracks, ROC-AUC macro {} micro {}, average precision macro {} micro {}; trained {:.0} s, best epoch {best_epoch}",
                ds.root.display(), fold.name, r.examples, f(r.roc_auc_macro), f(r.roc_auc_micro), f(r.average_precision_macro), f(r.average_precision_micro), train_seconds)?;
            let metrics = serde_json::json!({ "side": side, "tracks": r.examples, "tagging": r, "train_seconds": train_seconds, "inference_ms_per_track": per_track_ms, "failed_files": failures });
            // For tagging, the outcome's two figures are macro ROC-AUC and macro AP.
            (r.roc_auc_macro.unwrap_or(f64::NAN), r.average_precision_macro.unwrap_or(f64::NAN), f64::NAN, metrics)
        } else {
        let cm = confusion(ds, &labels, &scores);
        writeln!(summary, "{model_name} on {} ({}), {side} side: {} tracks, accuracy {:.3}, balanced accuracy {:.3}, macro F1 {:.3}; trained {:.0} s, best epoch {best_epoch}",
            ds.root.display(), fold.name, cm.total(), cm.accuracy(), cm.balanced_accuracy(), cm.macro_f1(), train_seconds)?;
        table = Some(cm.to_table(&labels));
        let metrics = serde_json::json!({
            "side": side, "tracks": cm.total(), "accuracy": cm.accuracy(), "balanced_accuracy": cm.balanced_accuracy(), "macro_f1": cm.macro_f1(),
            "confusion": cm.counts, "train_seconds": train_seconds, "inference_ms_per_track": per_track_ms, "failed_files": failures,
        });
        (cm.accuracy(), cm.balanced_accuracy(), cm.macro_f1(), metrics)
        }
    };

    let mut metrics = metrics;
    if let Some(choice) = svm_choice {
        metrics["svm"] = choice;
    }
    // A linear head's (or an SVM's) embedding is its input, already standardised on the
    // training side.
    let embedding_scale = (!matches!(network.architecture, Architecture::Linear | Architecture::SvmRbf)).then(|| {
        let fitted_on = format!("{} training tracks of {} ({})", train_tracks.len(), ds.kind.name(), fold.name);
        genrecast_models::track_embedding_scale(&net, &normalise(windows(&train_tracks, &spec)), shape, &infer, &fitted_on)
    });
    let ids = |idx: &[usize]| -> (Vec<String>, Vec<String>) {
        let clips: BTreeSet<String> = idx.iter().map(|&i| ds.tracks[i].clip.clone()).collect();
        let artists: BTreeSet<String> = idx.iter().filter_map(|&i| ds.tracks[i].artist.clone()).collect();
        (clips.into_iter().collect(), artists.into_iter().collect())
    };
    let (clips, artists) = ids(&train_idx);
    let (valid_clips, _) = ids(&valid_idx);
    let card = ModelCard {
        format: MODEL_FORMAT,
        genrecast_version: env!("CARGO_PKG_VERSION").into(),
        burn_version: "0.22.1".into(),
        network,
        task,
        labels: labels.clone(),
        input: spec,
        normalizer,
        train: cfg,
        trained_on: TrainedOn { dataset: ds.root.display().to_string(), kind: ds.kind.name().into(), split: if args.final_fit { format!("{} train+valid", fold.name) } else { fold.name.clone() }, tracks: train_idx.len(), clips, artists, valid_clips },
        best_epoch,
        metrics,
        lyrics: encoder,
        embedding_scale,
        parent,
    };
    genrecast_models::save(out, &net, &card)?;
    rt.progress.note(&format!("model written to {}", out.display()));
    Ok(FoldResult { fold: fold.name.clone(), model: out.to_path_buf(), accuracy: acc, balanced_accuracy: bacc, macro_f1, train_seconds, failed_files: failures, metrics: card.metrics, summary, table, blank_after: false })
}
/// Fits a one-vs-rest RBF SVM on the training examples (normalised, one per window or per
/// track), C and gamma chosen by grid search over the folds of `cv`, grouped by artist (else
/// clip), and carries it as a network. Returns the network, its config and what was chosen.
fn fit_rbf_svm(ds: &Dataset, select_on: &[Example], train: &[Example], shape: (usize, usize), cv: genrecast_classic::InnerFolds, n_classes: usize, rt: &Runtime) -> Result<(genrecast_models::GenreNet, NetworkConfig, serde_json::Value)> {
    let xy = |rows: &[Example]| -> (Vec<Vec<f32>>, Vec<usize>) { (rows.iter().map(|e| e.x.clone()).collect(), rows.iter().map(|e| genrecast_models::argmax(&e.target)).collect()) };
    let group_of = crate::feature_sets::group_ids(ds);
    let groups: Vec<usize> = select_on.iter().map(|e| group_of[e.track]).collect();
    let grid = genrecast_classic::Family::SvmRbf.grid();
    let t0 = Instant::now();
    let (x, y) = xy(select_on);
    let result = genrecast_classic::grid_search(&grid, &x, &y, &groups, n_classes, cv)?;
    for (m, why) in &result.failed {
        rt.progress.note(&format!("warning: grid candidate {m} set aside: {why}"));
    }
    let (x, y) = xy(train);
    let fitted = result.best.fit(&x, &y, n_classes, cv.seed)?;
    let parts = fitted.rbf_svm_parts().context("the grid's best model is not an RBF SVM")?;
    let (net, config) = genrecast_models::GenreNet::from_rbf_svm(&parts, shape.0, shape.1, &rt.device.burn_device()?)?;
    rt.progress.note(&format!("svm-rbf: chose {} by {cv} ({} candidates, {:.0} s); {} support vectors", result.best, grid.len(), t0.elapsed().as_secs_f64(), parts.support.len()));
    let scores: Vec<serde_json::Value> = result.scores.iter().map(|(m, s)| serde_json::json!({ "model": m.to_string(), "inner_balanced_accuracy": s })).collect();
    let choice = serde_json::json!({ "chosen": result.best.to_string(), "inner_folds": cv.folds, "inner_repeats": cv.repeats, "seed": cv.seed, "grouped_by": "artist, else clip", "rows": train.len(), "grid_rows": select_on.len(), "support_vectors": parts.support.len(), "grid": scores });
    Ok((net, config, choice))
}

/// Oversampling repeats tracks, and a head fitted on song means would merge the copies back
/// into one row: refused rather than silently undone.
fn refuse_merged_copies(balancing: Balancing, rows: TrackRows) -> Result<()> {
    if balancing == Balancing::Oversample && rows.judged_by_mean() {
        bail!("--balance oversample repeats tracks, but --rows {} fits one mean row per track, which would merge the copies away: use --balance class-weights", rows.name());
    }
    Ok(())
}

/// `fraction` of the training side `train` for a learning curve: whole artists (else clips),
/// stratified by class, drawn with `seed`; all of it for 1.
fn part_of_training_side(ds: &Dataset, train: Vec<usize>, fraction: f64, seed: u64) -> Result<Vec<usize>> {
    if !(fraction > 0.0 && fraction <= 1.0) {
        bail!("--train-fraction {fraction} (expected 0 < F <= 1)");
    }
    if fraction == 1.0 {
        return Ok(train);
    }
    // holdout() moves out whole groups, up to half of the tracks: the part kept for training is
    // the held-out set below one half, the rest above it.
    let seed = seed ^ 0x7a11_f4ac;
    Ok(if fraction <= 0.5 {
        holdout(ds, &train, fraction, GroupBy::Artist, seed)?.1
    } else {
        holdout(ds, &train, 1.0 - fraction, GroupBy::Artist, seed)?.0
    })
}

