//! `genrecast train --backbone musicnn-msd --fine-tune`: one fold of musicnn fine-tuned end to
//! end ([`genrecast_models::fine_tune`]), scored per track on the fold's held-out side.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Instant;

use genrecast_audio::{load, LoadOptions};
use genrecast_datasets::Dataset;
use genrecast_features::MusicnnFrontEnd;
use genrecast_models::{Backbone, FineTuneConfig, LabelledInput};
use rayon::prelude::*;

use crate::error::{bail, Context, Result};
use crate::score::{confusion, TrackScores};
use crate::{FoldResult, Progress, Runtime, TrainOptions};

/// The fine-tuning settings the command line gives.
fn config(args: &TrainOptions) -> Result<FineTuneConfig> {
    Ok(FineTuneConfig {
        epochs: args.epochs,
        batch_size: args.batch_size,
        lr_head: args.lr,
        lr_backbone: args.lr_backbone,
        weight_decay: args.weight_decay,
        freeze_until: args.freeze_until.parse()?,
        gain_db: args.aug_gain,
        pitch_bands: args.pitch_shift,
        mixup_alpha: args.mixup,
        patience: if args.final_fit { 0 } else { args.patience },
        seed: args.seed,
    })
}

/// musicnn's network input of every track in `idx` (in parallel), with its class; files that
/// cannot be read are left out and named in `failures`.
fn inputs(ds: &Dataset, idx: &[usize], progress: &dyn Progress, failures: &mut Vec<String>) -> Result<Vec<(usize, LabelledInput)>> {
    let front = MusicnnFrontEnd::new()?;
    let pb = progress.start(idx.len(), "log-mel inputs");
    let read: Vec<std::result::Result<(usize, LabelledInput), String>> = idx
        .par_iter()
        .map(|&i| {
            let t = &ds.tracks[i];
            let r = (|| -> std::result::Result<(usize, LabelledInput), String> {
                let class = t.label().and_then(|l| ds.labels.iter().position(|x| x == l)).ok_or("no genre label")?;
                let wave = load(&t.path, &LoadOptions { sample_rate: Some(MusicnnFrontEnd::SAMPLE_RATE), ..LoadOptions::default() }).map_err(|e| e.to_string())?;
                if wave.samples.is_empty() {
                    return Err("no audio".into());
                }
                Ok((i, LabelledInput { input: front.network_input(&wave.samples), class }))
            })();
            pb.inc();
            r.map_err(|e| format!("{}: {e}", t.path.display()))
        })
        .collect();
    pb.finish();
    let mut ok = Vec::with_capacity(read.len());
    for r in read {
        match r {
            Ok(v) => ok.push(v),
            Err(e) => {
                progress.note(&format!("warning: {e} (left out)"));
                failures.push(e);
            }
        }
    }
    Ok(ok)
}

/// The dataset indices of a fold's three sides.
pub(crate) struct Sides<'a> {
    pub train: &'a [usize],
    pub valid: &'a [usize],
    pub held: &'a [usize],
}

/// Fine-tunes on the training side (early stopping on the validation side), scores the
/// held-out side per track and writes into `out`: `backbone.safetensors` (the network with its
/// genre head, in the converter's names), `history.csv` and `metrics.json`.
pub(crate) fn fine_tune_fold(args: &TrainOptions, ds: &Dataset, fold_name: &str, sides: Sides, out: &Path, rt: &Runtime) -> Result<FoldResult> {
    let Sides { train: train_idx, valid: valid_idx, held: held_idx } = sides;
    let name = args.backbone.as_deref().unwrap_or_default();
    let backbone: Backbone = name.parse().with_context(|| format!("--fine-tune --backbone {name}: one musicnn backbone"))?;
    if ds.multi_label {
        bail!("--fine-tune trains a genre (single-label) head; this dataset is multi-label");
    }
    let cfg = config(args)?;
    let device = rt.device.burn_training_device()?;
    let infer = rt.device.burn_device()?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut failures = Vec::new();
    let start = Instant::now();
    let train = inputs(ds, train_idx, rt.progress, &mut failures)?;
    let valid = inputs(ds, valid_idx, rt.progress, &mut failures)?;
    let held = inputs(ds, held_idx, rt.progress, &mut failures)?;
    if train.is_empty() {
        bail!("fold {fold_name}: none of the {} training tracks could be read", train_idx.len());
    }
    rt.progress.note(&format!("{}: fine-tuning {backbone} (frozen until: {:?}) on {} ({}), fold {fold_name}: train {}, valid {}, held-out {} tracks", out.display(), cfg.freeze_until, ds.root.display(), ds.kind.name(), train.len(), valid.len(), held.len()));
    let strip = |v: Vec<(usize, LabelledInput)>| -> Vec<LabelledInput> { v.into_iter().map(|(_, t)| t).collect() };
    let held_ids: Vec<usize> = held.iter().map(|(i, _)| *i).collect();
    let (train_inputs, valid_inputs, held_inputs) = (strip(train), strip(valid), strip(held));
    let mut history = String::from("epoch,train_loss,valid_loss,valid_track_accuracy,seconds\n");
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.4}"));
    let (net, best_epoch, records) = genrecast_models::fine_tune(backbone, ds.labels.len(), &train_inputs, &valid_inputs, &cfg, &device, |r| {
        history.push_str(&format!("{},{:.4},{},{},{:.1}\n", r.epoch, r.train_loss, opt(r.valid_loss), opt(r.valid_accuracy), r.seconds));
        rt.progress.note(&format!("epoch {:>3}: train loss {:.4}, valid loss {}, valid track accuracy {} ({:.0} s)", r.epoch, r.train_loss, opt(r.valid_loss), opt(r.valid_accuracy), r.seconds));
    })?;
    let train_seconds = start.elapsed().as_secs_f64();
    let scores = TrackScores { tracks: held_ids, probs: held_inputs.iter().map(|t| net.predict_track(&t.input, &infer)).collect() };
    let trained_on = format!("{} fine-tuned on {} training tracks of {} ({fold_name}), from {}", backbone.name(), train_inputs.len(), ds.kind.name(), backbone.trained_on());
    let mut summary = String::new();
    let mut table = None;
    let (acc, bacc, f1, figures) = if scores.tracks.is_empty() {
        summary.push_str(&format!("fine-tuned {backbone} on {} ({fold_name}): trained {train_seconds:.0} s; nothing held out, so no score\n", ds.root.display()));
        (f64::NAN, f64::NAN, f64::NAN, serde_json::Value::Null)
    } else {
        let cm = confusion(ds, &ds.labels, &scores);
        summary.push_str(&format!(
            "fine-tuned {backbone} on {} ({fold_name}), held-out side: {} tracks, accuracy {:.3}, balanced accuracy {:.3}, macro F1 {:.3}; trained {train_seconds:.0} s, best epoch {best_epoch}\n",
            ds.root.display(), cm.total(), cm.accuracy(), cm.balanced_accuracy(), cm.macro_f1()
        ));
        table = Some(cm.to_table(&ds.labels));
        let figures = serde_json::json!({ "tracks": cm.total(), "accuracy": cm.accuracy(), "balanced_accuracy": cm.balanced_accuracy(), "macro_f1": cm.macro_f1(), "confusion": cm.counts });
        (cm.accuracy(), cm.balanced_accuracy(), cm.macro_f1(), figures)
    };
    let clips: BTreeSet<&str> = train_idx.iter().map(|&i| ds.tracks[i].clip.as_str()).collect();
    let metrics = serde_json::json!({
        "fine_tune": cfg, "backbone": backbone.name(), "labels": ds.labels, "dataset": ds.root, "split": fold_name,
        "trained_on": trained_on, "train_clips": clips, "valid_tracks": valid_inputs.len(), "best_epoch": best_epoch,
        "epochs": records, "held_out": figures, "train_seconds": train_seconds, "failed_files": failures,
    });
    net.save(&out.join("backbone.safetensors"), &ds.labels, &trained_on)?;
    genrecast_features::write_atomic(&out.join("history.csv"), |w| std::io::Write::write_all(w, history.as_bytes()))?;
    genrecast_features::write_atomic(&out.join("metrics.json"), |w| serde_json::to_writer_pretty(w, &metrics).map_err(std::io::Error::other))?;
    rt.progress.note(&format!("fine-tuned network written to {}", out.display()));
    Ok(FoldResult { fold: fold_name.into(), model: out.to_path_buf(), accuracy: acc, balanced_accuracy: bacc, macro_f1: f1, train_seconds, failed_files: failures, metrics, summary, table, blank_after: true })
}
