//! `genrecast train` and `genrecast eval`: the experiment layer's training and evaluation
//! (`genrecast_experiments`), its news on stderr and its figures on stdout.

use std::ops::ControlFlow;
use std::process::ExitCode;

use genrecast_experiments::{evaluate, train as train_folds, Figures, Runtime};

use crate::args::{EvalArgs, TrainArgs};
use crate::progress::Terminal;

pub fn train(args: TrainArgs) -> anyhow::Result<ExitCode> {
    let cache = args.cache.open()?;
    let terminal = Terminal { quiet: args.quiet };
    let rt = Runtime { device: args.device.device, cache: cache.as_ref(), progress: &terminal };
    // Each fold's summary is printed as the fold ends (after its model is saved: a closed
    // stdout or a full disk must not cost the model); a failed print stops the run.
    let mut printed = Ok(());
    let report = train_folds(&args.source, &args.options, &rt, &mut |fold| {
        printed = crate::output::write_stdout(format_args!("{}", fold.summary(args.quiet)));
        if printed.is_ok() { ControlFlow::Continue(()) } else { ControlFlow::Break(()) }
    })?;
    printed?;
    if let Some(table) = report.cross_validation() {
        out!("{table}");
    }
    // Training goes on without unreadable files; they are listed at the end and the exit
    // code says that something was left out, as in every batch command.
    let mut failures = crate::report::Failures::from_walk_errors(Vec::new());
    report.failed_files.into_iter().for_each(|f| failures.push(f));
    Ok(failures.finish(report.tracks, true))
}

pub fn eval(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let cache = args.cache.open()?;
    let terminal = Terminal { quiet: args.quiet };
    let rt = Runtime { device: args.device.device, cache: cache.as_ref(), progress: &terminal };
    let r = evaluate(&args.model, &args.source, &args.options, &rt)?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&r.to_json())?);
    } else {
        out!("{}", r.to_text());
    }
    if let Some(dir) = &args.report {
        match &r.figures {
            Figures::Tagging(t) => crate::eval_report::write_tagging_report(dir, &r.title(), t)?,
            Figures::Genres { variants, .. } => {
                let history = args.model.join("history.csv");
                let mut notes = r.notes.clone();
                if !r.failed_files.is_empty() {
                    notes.push(format!("{} files could not be read and are left out (e.g. {})", r.failed_files.len(), r.failed_files[0]));
                }
                let ctx = crate::eval_report::EvalContext {
                    headline: r.headline(),
                    variants,
                    notes: &notes,
                    judged_from: r.judged_from.clone(),
                    ms_per_track: r.ms_per_track(),
                    history: history.is_file().then_some(history.as_path()),
                    best_epoch: (r.card.best_epoch > 0).then_some(r.card.best_epoch),
                };
                crate::eval_report::write_eval_report(dir, &r.title(), &r.dataset, &r.card.labels, &r.scores.tracks, &r.scores.probs, &ctx)?;
                eprintln!("report written to {}", dir.display());
            }
        }
    }
    // After the report: a refused --predictions (a tagging model) must not cost it.
    if let Some(path) = &args.predictions {
        write_predictions(path, &r.predictions())?;
    }
    Ok(if r.failed_files.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// `eval --predictions`: one CSV row per scored track, written whole or not at all.
fn write_predictions(path: &std::path::Path, rows: &[genrecast_experiments::TrackPrediction]) -> anyhow::Result<()> {
    use anyhow::Context;
    if rows.is_empty() {
        anyhow::bail!("--predictions {}: a tagging model has no single prediction per track (use --report)", path.display());
    }
    let mut w = ::csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.serialize(row)?;
    }
    let bytes = w.into_inner().context("finishing the predictions CSV")?;
    genrecast_features::write_atomic(path, |f| std::io::Write::write_all(f, &bytes)).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("predictions written to {} ({} rows)", path.display(), rows.len());
    Ok(())
}
