//! `genrecast train` and `genrecast eval`: neural models on dataset splits, with leakage checks
//! at both ends and per-track aggregation of crop predictions.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use burn::tensor::Device;
use genrecast_datasets::{balance, check_leakage, class_weights, folds, holdout, Balancing, Dataset, FeatureCache, Fold, GroupBy};
use genrecast_eval::ConfusionMatrix;
use genrecast_features::Array2;
use genrecast_models::{
    predict, random_crops, target, track_matrices, track_means, windows, Aggregation, Architecture, Augment, EpochRecord, Example, InputPreset, InputSpec, ModelCard, NetworkConfig,
    Normalizer, OptimizerKind, Schedule, Task, TrainConfig, TrainedOn, TrackRows, MODEL_FORMAT,
};

use crate::args::{EvalArgs, TrainArgs};
use crate::cmd_dataset::open_source;
use crate::progress::bar;

/// Per-frame matrices of `indices`; failures are reported and dropped.
pub fn matrices(ds: &Dataset, indices: &[usize], spec: &InputSpec, cache: Option<&FeatureCache>, quiet: bool, failures: &mut Vec<String>) -> BTreeMap<usize, Array2> {
    let unique: BTreeSet<usize> = indices.iter().copied().collect();
    let unique: Vec<usize> = unique.into_iter().collect();
    let paths: Vec<&Path> = unique.iter().map(|&i| ds.tracks[i].path.as_path()).collect();
    let pb = bar(paths.len(), quiet, "tracks analysed");
    let results = track_matrices(&paths, spec, cache, &|| pb.inc(1));
    pb.finish_and_clear();
    let mut out = BTreeMap::new();
    for (i, r) in unique.into_iter().zip(results) {
        match r {
            Ok(m) => {
                out.insert(i, m);
            }
            Err(e) => {
                eprintln!("error: {}", crate::names::escape_controls(&e.to_string()));
                failures.push(e.to_string());
            }
        }
    }
    out
}

/// Each track's lyrics vector, by dataset index.
pub type LyricsVectors = BTreeMap<usize, Vec<f32>>;

/// The inputs of `indices` under `spec`: per-track matrices (lyrics vectors as `dims x 1`
/// matrices for lyrics alone), and the lyrics vectors to append when the model also reads
/// lyrics. Tracks without their input are reported or left out.
pub fn model_inputs(
    ds: &Dataset,
    indices: &[usize],
    spec: &InputSpec,
    lyrics: Option<(&genrecast_datasets::LyricsBags, &genrecast_datasets::LyricsEncoder)>,
    cache: Option<&FeatureCache>,
    quiet: bool,
    failures: &mut Vec<String>,
) -> anyhow::Result<(BTreeMap<usize, Array2>, LyricsVectors)> {
    let vectors = match (spec.reads_lyrics(), lyrics) {
        (false, _) => BTreeMap::new(),
        (true, Some((bags, encoder))) => crate::lyrics::vectors(bags, encoder, ds, indices),
        (true, None) => bail!("this model reads lyrics: pass the musiXmatch bag-of-words files with --lyrics"),
    };
    if spec.preset == InputPreset::Lyrics {
        let mats = vectors.iter().map(|(&i, v)| (i, Array2 { rows: v.len(), cols: 1, data: v.clone() })).collect();
        return Ok((mats, BTreeMap::new()));
    }
    let wanted: Vec<usize> = indices.iter().copied().filter(|i| !spec.reads_lyrics() || vectors.contains_key(i)).collect();
    Ok((matrices(ds, &wanted, spec, cache, quiet, failures), vectors))
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

/// Readies `ds` for a model on `preset` (and lyrics, when `reads_lyrics`) before any work:
/// keeps the tagtraum tracks whose per-track file is here (for segment series) and the tracks
/// with lyrics, and refuses an input the files cannot give. Returns the bags of words read from
/// `lyrics`.
fn prepare_dataset(ds: &mut Dataset, preset: InputPreset, reads_lyrics: bool, lyrics: &[std::path::PathBuf]) -> anyhow::Result<Option<genrecast_datasets::LyricsBags>> {
    if preset == InputPreset::MsdSegments && ds.kind == genrecast_datasets::DatasetKind::Tagtraum {
        // A label file covers far more tracks than a local copy holds.
        let before = ds.tracks.len();
        ds.retain(|t| t.path.is_file());
        eprintln!("{} of {before} labelled tracks have a per-track file; the others are left out", ds.tracks.len());
    }
    let bags = if reads_lyrics {
        if lyrics.is_empty() {
            bail!("this model reads lyrics: pass the musiXmatch bag-of-words files with --lyrics FILE[,FILE]");
        }
        let bags = crate::lyrics::read_bags(lyrics)?;
        crate::lyrics::keep_tracks_with_lyrics(ds, &bags)?;
        Some(bags)
    } else {
        None
    };
    check_input_fits(ds, preset)?;
    Ok(bags)
}

/// Refuses an input that the dataset's files cannot give: segment series from audio files,
/// or audio features from MSD per-track files (which hold Echo Nest analyses, not sound).
fn check_input_fits(ds: &Dataset, preset: InputPreset) -> anyhow::Result<()> {
    let is_h5 = |t: &genrecast_datasets::Track| t.path.extension().is_some_and(|e| e.eq_ignore_ascii_case("h5"));
    match preset {
        InputPreset::Lyrics => Ok(()),
        InputPreset::MsdSegments if !ds.tracks.iter().any(is_h5) => {
            bail!("--input msd-segments reads MSD per-track .h5 files; {} lists none (e.g. {})", ds.root.display(), ds.tracks.first().map_or_else(String::new, |t| t.path.display().to_string()))
        }
        InputPreset::MsdSegments => Ok(()),
        p if !ds.tracks.is_empty() && ds.tracks.iter().all(is_h5) => {
            bail!("{} lists MSD per-track .h5 files, which hold Echo Nest segment series, not audio: use --input msd-segments (or lyrics), not {p:?}", ds.root.display())
        }
        _ => Ok(()),
    }
}

fn default_input(arch: Architecture, kind: genrecast_datasets::DatasetKind) -> InputPreset {
    if kind == genrecast_datasets::DatasetKind::Tagtraum {
        // tagtraum labels MSD tracks, whose per-track files hold segment series, not audio.
        return InputPreset::MsdSegments;
    }
    match arch {
        Architecture::Linear | Architecture::Mlp | Architecture::SvmRbf => InputPreset::Summary,
        Architecture::Cnn1d | Architecture::Lstm => InputPreset::MfccChroma,
        Architecture::Cnn2d | Architecture::Crnn | Architecture::Resnet => InputPreset::LogMel,
    }
}

/// The model and input of a `train` run, and its display name.
fn model_and_input(args: &TrainArgs, kind: genrecast_datasets::DatasetKind) -> anyhow::Result<(Architecture, InputPreset, String)> {
    if let Some(parent) = &args.init_from {
        let card = genrecast_models::model_card(parent)?;
        if card.input.reads_lyrics() || !card.input.reads_audio() && card.input.preset != InputPreset::MsdSegments {
            bail!("--init-from {parent}: a model that reads lyrics cannot be a starting point (its encoder is fitted on its own songs)");
        }
        if card.task == Task::SingleLabel && card.labels.is_empty() {
            bail!("--init-from {parent}: the card has no labels");
        }
        return Ok((card.network.architecture, card.input.preset, format!("{:?} from {}", card.network.architecture, parent_name(parent)).to_lowercase()));
    }
    Ok(match &args.backbone {
        Some(b) => {
            let head: Architecture = args.head.parse()?;
            if !matches!(head, Architecture::Linear | Architecture::Mlp | Architecture::SvmRbf) {
                bail!("--head {} (a head on a backbone is linear, mlp or svm-rbf)", args.head);
            }
            (head, InputPreset::from_backbone(backbones_and_layer(b)?.0[0]), format!("{} head on {b}", args.head))
        }
        None => {
            let arch: Architecture = args.model.parse()?;
            let preset = args.input.as_deref().map(str::parse).transpose()?.unwrap_or_else(|| default_input(arch, kind));
            let name = if args.lyrics.is_empty() || preset == InputPreset::Lyrics { args.model.clone() } else { format!("{} + lyrics", args.model) };
            (arch, preset, name)
        }
    })
}

/// `--backbone NAME[+NAME...][:LAYER]`: the backbones (several run side by side on the same
/// patches, their features joined) and the layer the head reads of each (default: the
/// penultimate one).
pub fn backbones_and_layer(s: &str) -> anyhow::Result<(Vec<genrecast_models::Backbone>, genrecast_models::BackboneLayer)> {
    let (names, layer) = s.split_once(':').unwrap_or((s, "penultimate"));
    let backbones = names.split('+').map(str::parse).collect::<Result<Vec<genrecast_models::Backbone>, _>>()?;
    if let Some(b) = backbones.iter().enumerate().find_map(|(i, b)| backbones[..i].contains(b).then_some(b)) {
        bail!("--backbone {s}: {} is named twice", b.name());
    }
    Ok((backbones, layer.parse()?))
}

/// A parent model as a card names it: a built-in name, or its folder's name (not the path).
fn parent_name(parent: &str) -> String {
    Path::new(parent).file_name().map_or_else(|| parent.to_owned(), |n| n.to_string_lossy().into_owned())
}

/// Track-level scores: crop probabilities averaged per track.
pub struct TrackScores {
    pub tracks: Vec<usize>,
    pub probs: Vec<Vec<f32>>,
}

fn score_tracks(net: &genrecast_models::GenreNet, task: Task, examples: &[Example], shape: (usize, usize), device: &Device) -> TrackScores {
    let probs = predict(net, task, examples, shape, device);
    let agg = genrecast_datasets::aggregate_by_track(examples.iter().zip(&probs).map(|(e, p)| (e.track, p.as_slice())));
    TrackScores { tracks: agg.iter().map(|(t, _)| *t).collect(), probs: agg.into_iter().map(|(_, p)| p).collect() }
}

/// Each track's window probabilities (its windows consecutive in `examples`) made one by
/// `how`, as `classify --aggregate` makes a song's.
fn aggregate_tracks(examples: &[Example], probs: Vec<Vec<f32>>, how: Aggregation, task: Task) -> TrackScores {
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

pub fn confusion(ds: &Dataset, labels: &[String], scores: &TrackScores) -> ConfusionMatrix {
    let pairs = scores.tracks.iter().zip(&scores.probs).filter_map(|(&t, p)| {
        let truth = ds.tracks[t].label().and_then(|l| labels.iter().position(|x| x == l))?;
        Some((truth, genrecast_models::argmax(p)))
    });
    ConfusionMatrix::new(labels.len(), pairs)
}

/// Tag-level figures of a multi-label model: truth is each track's label set.
fn tagging_report(ds: &Dataset, labels: &[String], scores: &TrackScores) -> genrecast_eval::MultiLabelReport {
    let truth: Vec<Vec<bool>> = scores.tracks.iter().map(|&t| labels.iter().map(|l| ds.tracks[t].labels.contains(l)).collect()).collect();
    genrecast_eval::MultiLabelReport::new(labels, &truth, &scores.probs)
}

pub fn train(args: TrainArgs) -> anyhow::Result<ExitCode> {
    // A device that is not there stops the run before minutes of dataset preparation.
    args.device.device.burn_device()?;
    let mut ds = open_source(&args.source)?;
    let (_, preset, _) = model_and_input(&args, ds.kind)?;
    let reads_lyrics = preset == InputPreset::Lyrics || !args.lyrics.is_empty();
    let bags = prepare_dataset(&mut ds, preset, reads_lyrics, &args.lyrics)?;
    let all = folds(&ds, &args.split)?;
    let chosen: Vec<usize> = if args.all_folds { (0..all.len()).collect() } else { vec![args.fold.checked_sub(1).filter(|&f| f < all.len()).with_context(|| format!("--fold {} (the split has {} folds)", args.fold, all.len()))?] };
    let mut summary = Vec::new();
    // The same unreadable file fails in every fold: report it once.
    let mut failed = BTreeSet::new();
    for k in chosen {
        let out = if args.all_folds { args.out.join(format!("fold-{}", k + 1)) } else { args.out.clone() };
        let o = train_fold(&args, &ds, &all[k], &out, bags.as_ref())?;
        summary.push((all[k].name.clone(), o.accuracy, o.balanced_accuracy, o.train_seconds));
        failed.extend(o.failed_files);
    }
    if summary.len() > 1 {
        let (mean_b, sd_b) = genrecast_eval::mean_sd(&summary.iter().map(|s| s.2).collect::<Vec<_>>());
        let (mean_a, _) = genrecast_eval::mean_sd(&summary.iter().map(|s| s.1).collect::<Vec<_>>());
        outln!("\ncross-validation on {} ({}):", ds.root.display(), args.split);
        // A tagging run's two figures are macro ROC-AUC and macro average precision.
        let (first, second) = if ds.multi_label { ("ROC-AUC macro", "average precision macro") } else { ("accuracy", "balanced accuracy") };
        for (name, a, b, s) in &summary {
            outln!("  {name}: {first} {a:.3}, {second} {b:.3} (held-out side, per track), {s:.0} s");
        }
        outln!("  mean: {first} {mean_a:.3}, {second} {mean_b:.3} +- {sd_b:.3}");
    }
    // Training goes on without unreadable files; they are listed at the end and the exit
    // code says that something was left out, as in every batch command.
    let mut failures = crate::report::Failures::from_walk_errors(Vec::new());
    failed.into_iter().for_each(|f| failures.push(f));
    Ok(failures.finish(ds.tracks.len(), true))
}

/// Per-track figures of one fold's held-out side (NaN when nothing is held out).
pub struct FoldOutcome {
    pub accuracy: f64,
    pub balanced_accuracy: f64,
    pub macro_f1: f64,
    pub train_seconds: f64,
    /// Files that could not be read, each with its cause (they were left out).
    pub failed_files: Vec<String>,
}

/// Trains on one fold and scores its held-out side.
pub fn train_fold(args: &TrainArgs, ds: &Dataset, fold: &Fold, out: &Path, bags: Option<&genrecast_datasets::LyricsBags>) -> anyhow::Result<FoldOutcome> {
    let (arch, preset, model_name) = model_and_input(args, ds.kind)?;
    // The parent's network, weights and input normalisation, when starting from one.
    let parent = match &args.init_from {
        Some(p) => Some(genrecast_models::load_trainable(p, &args.device.device.burn_training_device()?)?),
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
        eprintln!("warning: {e}");
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
            Err(e) => eprintln!("warning: no validation side ({e}); the last epoch is kept"),
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
    let (train_idx, valid_idx) = (train_idx, valid_idx);
    if args.fine_tune {
        return crate::cmd_finetune::fine_tune_fold(args, ds, &fold.name, &train_idx, &valid_idx, &held_idx, out);
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
    eprintln!("{}: {} ({}), fold {}: train {}, valid {}, held-out {} tracks; {model_name} on {input}",
        out.display(), ds.root.display(), ds.kind.name(), fold.name, train_idx.len(), valid_idx.len(), held_idx.len());

    let cache = args.cache.open()?;
    let mut failures = Vec::new();
    let needed: Vec<usize> = train_idx.iter().chain(&valid_idx).chain(&held_idx).copied().collect();
    let encoder = bags.map(|b| {
        let held_out: Vec<usize> = valid_idx.iter().chain(&held_idx).copied().collect();
        crate::lyrics::fit_encoder(b, ds, &held_out, args.lyrics_dims, args.lyrics_min_df, args.seed)
    });
    let (mats, lyrics) = model_inputs(ds, &needed, &spec, bags.zip(encoder.as_ref()), cache.as_ref(), args.quiet, &mut failures)?;
    let with_target = |idx: &[usize]| -> Vec<(usize, &Array2, Vec<f32>)> {
        idx.iter().filter_map(|&i| Some((i, mats.get(&i)?, target(&ds.tracks[i], &labels, ds.multi_label)?))).collect()
    };

    // Balancing on the training side only.
    let classes = ds.class_of_tracks();
    let balancing: Balancing = args.balance.parse()?;
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
    let normalise = |v: Vec<Example>| {
        let mut v = with_lyrics(v, &lyrics, &spec);
        for e in &mut v {
            normalizer.apply(&mut e.x, shape.1);
        }
        if spec.rows == TrackRows::Mean { track_means(&v) } else { v }
    };
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
    let device = args.device.device.burn_training_device()?;
    let mut svm_choice = None;
    let (net, parent) = match parent {
        None if arch == Architecture::SvmRbf => {
            let (net, config, choice) = fit_rbf_svm(ds, &normalise(windows(&train_tracks, &spec)), shape, genrecast_classic::InnerFolds { folds: args.inner_folds, repeats: args.inner_repeats, seed: args.seed }, labels.len(), &args.device.device.burn_device()?)?;
            network = config;
            svm_choice = Some(choice);
            (net, None)
        }
        None => (network.init_seeded(&device, args.seed)?, None),
        Some((net, card)) => {
            let head_kept = card.labels == labels && card.task == task;
            let net = if head_kept { net } else { net.with_new_head(labels.len(), &device, args.seed) };
            let net = if args.freeze == "body" { net.freeze_body() } else { net };
            let name = parent_name(args.init_from.as_deref().unwrap_or_default());
            eprintln!("starting from {name} ({}): {}, {} frozen", card.trained_on, if head_kept { "its output layer kept (same labels)" } else { "a new output layer for these labels" }, args.freeze);
            (net, Some(genrecast_models::ParentModel { name, trained_on: card.trained_on.to_string(), head_kept, frozen: args.freeze.clone() }))
        }
    };
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let history_path = out.join("history.csv");
    let mut history = String::from("epoch,lr,train_loss,valid_loss,valid_crop_accuracy,seconds\n");
    let pb = bar(cfg.epochs, args.quiet, "epochs");
    let start = Instant::now();
    let genrecast_models::Trained { net, best_epoch, .. } = if svm_choice.is_some() {
        genrecast_models::Trained { net, best_epoch: 0, records: Vec::new() }
    } else { genrecast_models::train(
        net,
        &cfg,
        task,
        shape,
        // A backbone's patches are few and fixed: every epoch sees all of them.
        |_, rng| normalise(if preset.backbone().is_some() { windows(&train_tracks, &spec) } else { random_crops(&train_tracks, &spec, args.crops_per_track, rng) }),
        &valid,
        &device,
        |r: &EpochRecord, best| {
            let opt = |v: Option<f64>| v.map(|x| format!("{x:.4}")).unwrap_or_default();
            history.push_str(&format!("{},{:.6},{:.4},{},{},{:.1}\n", r.epoch, r.lr, r.train_loss, opt(r.valid_loss), opt(r.valid_accuracy), r.seconds));
            // The history is rewritten whole each epoch, so a killed run leaves a complete file.
            let _ = genrecast_features::write_atomic(&history_path, |w| w.write_all(history.as_bytes()));
            pb.inc(1);
            pb.suspend(|| eprintln!("epoch {:>3}: lr {:.2e}, train loss {:.4}, valid loss {}, valid crop accuracy {} ({:.1} s){}", r.epoch, r.lr, r.train_loss, opt(r.valid_loss), opt(r.valid_accuracy), r.seconds, if best == Some(r.epoch) { " *" } else { "" }));
        },
    )? };
    pb.finish_and_clear();
    let train_seconds = start.elapsed().as_secs_f64();
    let infer = args.device.device.burn_device()?;
    let side = if fold.test.is_empty() { "valid" } else { "test" };
    // The summary is printed after the model is saved: a closed stdout (`| head -1`) or a
    // full disk must not cost the model.
    let mut summary = String::new();
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
        if !args.quiet {
            summary.push_str(&cm.to_table(&labels));
        }
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
    eprintln!("model written to {}", out.display());
    out!("{summary}");
    Ok(FoldOutcome { accuracy: acc, balanced_accuracy: bacc, macro_f1, train_seconds, failed_files: failures })
}

/// What `eval` scores (described by its card): a trained network, or the zero-shot tag mapping.
enum Evaluated {
    Net(Box<genrecast_models::GenreNet>),
    ZeroShot(Box<genrecast_models::ZeroShot>),
}

pub fn eval(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let infer = args.device.device.burn_device()?;
    let name = args.model.to_string_lossy().into_owned();
    let (model, mut card) = if name == ZERO_SHOT {
        let zs = genrecast_models::ZeroShot::msd_to_gtzan(&infer)?;
        let card = zero_shot_card(&zs);
        (Evaluated::ZeroShot(Box::new(zs)), card)
    } else {
        let (net, card) = match genrecast_models::BUILTIN_MODELS.iter().find(|m| m.name == name) {
            Some(m) => m.load(&infer)?,
            None => genrecast_models::load(&args.model, &infer)?,
        };
        (Evaluated::Net(Box::new(net)), card)
    };
    let mut ds = open_source(&args.source)?;
    // The zero-shot mapping reads musicnn embeddings of audio, like a backbone model.
    let bags = prepare_dataset(&mut ds, card.input.preset, card.input.reads_lyrics(), &args.lyrics)?;
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
        eprintln!("warning: {}", notes[notes.len() - 1]);
    }
    // Never score a model on what it learned from.
    let clips: BTreeSet<&str> = card.trained_on.clips.iter().map(String::as_str).collect();
    let artists: BTreeSet<&str> = card.trained_on.artists.iter().map(String::as_str).collect();
    let leaked: Vec<&str> = side.iter().map(|&i| &ds.tracks[i]).filter(|t| clips.contains(t.clip.as_str()) || t.artist.as_deref().is_some_and(|a| artists.contains(a))).map(|t| t.clip.as_str()).collect();
    let selected: BTreeSet<&str> = card.trained_on.valid_clips.iter().map(String::as_str).collect();
    let on_valid = side.iter().filter(|&&i| selected.contains(ds.tracks[i].clip.as_str())).count();
    if on_valid > 0 {
        notes.push(format!("{on_valid} of these tracks chose the model's epoch (its validation side): their score is optimistic"));
        eprintln!("note: {}", notes[notes.len() - 1]);
    }
    if !leaked.is_empty() {
        let msg = format!("{} evaluation tracks share a clip or artist with the model's training data (e.g. {})", leaked.len(), leaked[0]);
        if !args.allow_leakage {
            bail!("{msg}; pass --allow-leakage to evaluate anyway");
        }
        eprintln!("warning: {msg}");
        notes.push(msg);
    }
    if let Some(hop) = args.patch_hop {
        if card.input.preset.backbone().is_none() {
            bail!("--patch-hop applies to a model on a pretrained backbone; this one reads {:?}", card.input.preset);
        }
        card.input.patch_hop = hop as usize;
        notes.push(format!("judged from 3 s patches starting every {hop} frames (the model's own: every {} frames)", genrecast_models::musicnn::PATCH_FRAMES));
    }
    let cache = args.cache.open()?;
    let mut failures = Vec::new();
    let (mats, lyrics) = model_inputs(&ds, side, &card.input, bags.as_ref().zip(card.lyrics.as_ref()), cache.as_ref(), args.quiet, &mut failures)?;
    let tracks: Vec<(usize, &Array2, Vec<f32>)> = side.iter().filter_map(|&i| Some((i, mats.get(&i)?, vec![0.0; card.labels.len()]))).collect();
    let shape = card.input.example_shape();
    let mut examples = with_lyrics(windows(&tracks, &card.input), &lyrics, &card.input);
    if let Some(n) = args.middle_windows {
        examples = middle_windows(examples, n as usize);
    }
    for e in &mut examples {
        card.normalizer.apply(&mut e.x, shape.1);
    }
    let aggregation: Aggregation = args.aggregate.parse()?;
    if card.input.rows == TrackRows::Mean && aggregation == Aggregation::Mean {
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
    if card.task == Task::MultiLabel {
        let r = tagging_report(&ds, &card.labels, &scores);
        if args.json {
            let v = serde_json::json!({ "model": args.model, "trained_on": card.trained_on.dataset_name(), "trained_split": card.trained_on.split, "dataset": ds.root, "split": fold.name, "tagging": r, "inference_seconds": seconds, "failed_files": failures });
            outln!("{}", serde_json::to_string_pretty(&v)?);
        } else {
            outln!("{} (trained on {} {}) on {} {}: {} tracks, crop scores averaged per track", args.model.display(), card.trained_on.dataset_name(), card.trained_on.split, ds.root.display(), fold.name, r.examples);
            out!("{}", r.to_markdown());
        }
        if let Some(dir) = &args.report {
            crate::eval_report::write_tagging_report(dir, &format!("{} on {} {}", args.model.display(), ds.root.display(), fold.name), &r)?;
        }
        return Ok(if failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) });
    }
    let cm = confusion(&ds, &card.labels, &scores);
    // Per variant too: in the GTZAN slice a variant betrays the genre.
    let mut variants: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (&t, p) in scores.tracks.iter().zip(&scores.probs) {
        let v = ds.tracks[t].variant.clone().unwrap_or_else(|| "-".into());
        let ok = ds.tracks[t].label() == card.labels.get(genrecast_models::argmax(p)).map(String::as_str);
        let e = variants.entry(v).or_default();
        e.0 += usize::from(ok);
        e.1 += 1;
    }
    if args.json {
        let v = serde_json::json!({
            "model": args.model, "trained_on": card.trained_on.dataset_name(), "trained_split": card.trained_on.split,
            "dataset": ds.root, "split": fold.name, "tracks": cm.total(), "accuracy": cm.accuracy(),
            "balanced_accuracy": cm.balanced_accuracy(), "macro_f1": cm.macro_f1(), "labels": card.labels, "confusion": cm.counts,
            "per_variant_accuracy": variants.iter().map(|(k, (c, n))| (k.clone(), *c as f64 / *n as f64)).collect::<BTreeMap<_, _>>(),
            "judged_from": judged_from(&card, args.middle_windows, aggregation), "middle_windows": args.middle_windows, "aggregate": args.aggregate, "patch_hop": args.patch_hop,
            "inference_seconds": seconds, "failed_files": failures,
        });
        outln!("{}", serde_json::to_string_pretty(&v)?);
    }
    let headline = format!("{} (trained on {} {}) on {} {}: {} tracks", args.model.display(), card.trained_on.dataset_name(), card.trained_on.split, ds.root.display(), fold.name, cm.total());
    let ms_per_track = seconds * 1000.0 / scores.tracks.len().max(1) as f64;
    if !args.json {
        outln!("{headline}");
        outln!("accuracy {:.3}, balanced accuracy {:.3}, macro F1 {:.3} ({})", cm.accuracy(), cm.balanced_accuracy(), cm.macro_f1(), judged_from(&card, args.middle_windows, aggregation));
        out!("{}", cm.to_table(&card.labels));
        for (k, (c, n)) in &variants {
            outln!("  variant {k}: {c}/{n} correct");
        }
        outln!("inference: {ms_per_track:.1} ms per track");
    }
    if let Some(dir) = &args.report {
        let title = format!("{} on {} {}", args.model.display(), ds.root.display(), fold.name);
        let history = args.model.join("history.csv");
        if !failures.is_empty() {
            notes.push(format!("{} files could not be read and are left out (e.g. {})", failures.len(), failures[0]));
        }
        let ctx = crate::eval_report::EvalContext {
            headline,
            variants: &variants,
            notes: &notes,
            judged_from: judged_from(&card, args.middle_windows, aggregation),
            ms_per_track,
            history: history.is_file().then_some(history.as_path()),
            best_epoch: (card.best_epoch > 0).then_some(card.best_epoch),
        };
        crate::eval_report::write_eval_report(dir, &title, &ds, &card.labels, &scores.tracks, &scores.probs, &ctx)?;
        eprintln!("report written to {}", dir.display());
    }
    Ok(if failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// `eval --model zero-shot-gtzan`: GTZAN genres read off musicnn-msd's tags, untrained.
const ZERO_SHOT: &str = "zero-shot-gtzan";

/// A card describing the zero-shot mapping: what it reads, and that it was trained on nothing
/// of the evaluation data.
fn zero_shot_card(zs: &genrecast_models::ZeroShot) -> ModelCard {
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

/// `genrecast bench model`: median seconds of a training step and of inference at one batch,
/// or musicnn's patches per second, or a trained model end to end on a file, on `--device`.
pub fn bench_model(args: crate::args::BenchModelArgs) -> anyhow::Result<ExitCode> {
    let on = args.device.device;
    let threads = rayon::current_num_threads();
    // What the numbers ran on, stated with each of them.
    let ran_on = if on.is_gpu() { on.describe() } else { format!("burn 0.22.1 flex, CPU, {threads} thread(s)") };
    if let (Some(clip), Some(model)) = (&args.clip, &args.trained) {
        let c = genrecast_models::Classifier::open_on(model, on)?;
        let mut times = Vec::new();
        let mut duration = 0.0;
        for i in 0..=args.steps {
            let start = Instant::now();
            let p = c.classify_file(clip, genrecast_models::Aggregation::Mean)?;
            duration = p.duration;
            if i > 0 {
                times.push(start.elapsed().as_secs_f64());
            }
        }
        let median = genrecast_eval::median(&times);
        if args.json {
            outln!("{}", serde_json::json!({ "model": model, "clip": clip, "device": on.to_string(), "ran_on": ran_on, "audio_seconds": duration, "seconds_per_file": times, "median_seconds_per_file": median }));
        } else {
            outln!("{model} on {} ({duration:.1} s of audio, {ran_on}): {median:.3} s per file end to end, {:.2} files/s (median of {})", clip.display(), 1.0 / median, args.steps);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Ok(backbone) = args.model.parse::<genrecast_models::Backbone>() {
        let times = genrecast_models::time_musicnn(on, backbone, args.batch, args.steps)?;
        let median = genrecast_eval::median(&times);
        let per_s = args.batch as f64 / median;
        if args.json {
            outln!("{}", serde_json::json!({ "model": backbone.name(), "device": on.to_string(), "ran_on": ran_on, "batch": args.batch, "seconds_per_pass": times, "patches_per_second": per_s }));
        } else {
            outln!("{} ({ran_on}), batch {} of 3 s patches (187x96 log-mel): {median:.3} s per pass, {per_s:.1} patches/s (median of {})", backbone.name(), args.batch, args.steps);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let arch: Architecture = args.model.parse()?;
    let t = genrecast_models::time_steps(on, arch, args.features, args.frames, args.batch, args.steps)?;
    let (train, infer) = (t.train_median(), t.infer_median());
    if args.json {
        outln!("{}", serde_json::json!({ "model": args.model, "device": on.to_string(), "ran_on": ran_on, "batch": args.batch, "input": [1, args.features, args.frames], "train_step_seconds": t.train, "inference_seconds": t.infer, "median_train_step_seconds": train, "median_inference_seconds": infer, "losses": t.losses }));
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{} ({ran_on}), batch {} of 1x{}x{}: training step {train:.3} s, inference {infer:.3} s (median of {})",
        args.model,
        args.batch,
        args.features,
        args.frames,
        args.steps
    );
    if let Some(python) = &args.python {
        if arch != Architecture::Cnn2d {
            bail!("--python: the Keras peer is written for cnn2d only");
        }
        let peer = crate::cmd_bench::keras_cnn2d_step(python, args.batch, args.features, args.frames, args.steps)?;
        outln!(
            "Keras {} (TensorFlow CPU, 1 thread), same network: training step {:.3} s, inference {:.3} s; genrecast is {:.2}x its speed in training, {:.2}x in inference",
            peer.version, peer.train_step_s, peer.inference_s, peer.train_step_s / train, peer.inference_s / infer
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Keeps, of each track's windows (consecutive in `examples`, in time order), the `n` in its
/// middle: every track judged from the same length of audio.
fn middle_windows(examples: Vec<Example>, n: usize) -> Vec<Example> {
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

/// How a track's score was made, for the terminal and the report.
fn judged_from(card: &genrecast_models::ModelCard, middle: Option<u32>, aggregation: Aggregation) -> String {
    let how = match aggregation {
        Aggregation::Mean if card.input.rows == TrackRows::Mean => "the model on the mean of its windows' inputs",
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

/// Fits a one-vs-rest RBF SVM on the training examples (normalised, one per window or per
/// track), C and gamma chosen by grid search over the folds of `cv`, grouped by artist (else
/// clip), and carries it as a network. Returns the network, its config and what was chosen.
fn fit_rbf_svm(ds: &Dataset, train: &[Example], shape: (usize, usize), cv: genrecast_classic::InnerFolds, n_classes: usize, device: &Device) -> anyhow::Result<(genrecast_models::GenreNet, NetworkConfig, serde_json::Value)> {
    let x: Vec<Vec<f32>> = train.iter().map(|e| e.x.clone()).collect();
    let y: Vec<usize> = train.iter().map(|e| genrecast_models::argmax(&e.target)).collect();
    let group_of = crate::cmd_bench_models::group_ids(ds);
    let groups: Vec<usize> = train.iter().map(|e| group_of[e.track]).collect();
    let grid = genrecast_classic::Family::SvmRbf.grid();
    let t0 = Instant::now();
    let result = genrecast_classic::grid_search(&grid, &x, &y, &groups, n_classes, cv)?;
    for (m, why) in &result.failed {
        eprintln!("warning: grid candidate {m} set aside: {why}");
    }
    let fitted = result.best.fit(&x, &y, n_classes, cv.seed)?;
    let parts = fitted.rbf_svm_parts().context("the grid's best model is not an RBF SVM")?;
    let (net, config) = genrecast_models::GenreNet::from_rbf_svm(&parts, shape.0, shape.1, device)?;
    eprintln!("svm-rbf: chose {} by {cv} ({} candidates, {:.0} s); {} support vectors", result.best, grid.len(), t0.elapsed().as_secs_f64(), parts.support.len());
    let scores: Vec<serde_json::Value> = result.scores.iter().map(|(m, s)| serde_json::json!({ "model": m.to_string(), "inner_balanced_accuracy": s })).collect();
    let choice = serde_json::json!({ "chosen": result.best.to_string(), "inner_folds": cv.folds, "inner_repeats": cv.repeats, "seed": cv.seed, "grouped_by": "artist, else clip", "rows": train.len(), "support_vectors": parts.support.len(), "grid": scores });
    Ok((net, config, choice))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows_of(tracks: &[(usize, usize)]) -> Vec<Example> {
        tracks.iter().flat_map(|&(track, n)| (0..n).map(move |i| Example { x: vec![i as f32], target: vec![], track })).collect()
    }

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
}
