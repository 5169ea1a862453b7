//! `genrecast bench-models` and `genrecast bench-embeddings`: the experiment layer's benchmark
//! rows (`genrecast_experiments`) as a Markdown table on stdout, with bench-models.md / .json
//! and plots (bench-embeddings.md / .json) in the output folder.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use genrecast_datasets::Dataset;
use genrecast_eval::mean_sd;
use genrecast_experiments::{bench_embeddings, bench_models, inner_cv, BenchModelsOptions, Row, Runtime};

use crate::args::{BenchEmbeddingsArgs, BenchModelsArgs};
use crate::progress::Terminal;

pub fn run(cli: BenchModelsArgs) -> anyhow::Result<ExitCode> {
    let cache = cli.cache.open()?;
    let terminal = Terminal { quiet: cli.quiet };
    let rt = Runtime { device: cli.device.device, cache: cache.as_ref(), progress: &terminal };
    let args = &cli.options;
    let bench = bench_models(&cli.source, args, &rt)?;
    let (ds, sets, rows, failures) = (&bench.dataset, &bench.sets, &bench.rows, &bench.failures);
    let set_lines: Vec<(String, String)> = sets.iter().map(|s| (s.name.clone(), s.description.clone())).collect();
    let mut md = markdown(args, ds, &set_lines, rows);
    if !failures.is_empty() {
        md.push_str(&format!("\n{} rows failed:\n\n", failures.len()));
        for f in failures {
            md.push_str(&format!("- {f}\n"));
        }
    }
    let failed_files = bench.failed_files();
    if !failed_files.is_empty() {
        md.push_str(&format!("\n{} files could not be analysed and are left out of every row:\n\n", failed_files.len()));
        for f in &failed_files {
            md.push_str(&format!("- {f}\n"));
        }
    }
    out!("{md}");
    write_reports(&args.out, &md, &serde_json::json!({ "dataset": ds.root, "split": args.split, "grid": args.grid, "aggregate": args.aggregate, "row_per": args.rows, "feature_sets": set_lines, "rows": rows, "failures": failures, "failed_files": failed_files }))?;
    plot_rows(&args.out, rows)?;
    eprintln!("reports written to {}", args.out.display());
    Ok(if failures.is_empty() && failed_files.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}


fn markdown(args: &BenchModelsOptions, ds: &Dataset, sets: &[(String, String)], rows: &[Row]) -> String {
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

fn write_reports(out: &Path, md: &str, json: &serde_json::Value) -> anyhow::Result<()> {
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

/// `genrecast bench-embeddings`: k-NN genre accuracy with every neighbour from another artist,
/// and the silhouette of the genres, for each embedding of the dataset's tracks.
pub fn embeddings(cli: BenchEmbeddingsArgs) -> anyhow::Result<ExitCode> {
    let cache = cli.cache.open()?;
    let terminal = Terminal { quiet: cli.quiet };
    let rt = Runtime { device: cli.device.device, cache: cache.as_ref(), progress: &terminal };
    let args = &cli.options;
    let (ds, rows) = bench_embeddings(&cli.source, args, &rt)?;
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
    genrecast_features::write_atomic(&args.out.join("bench-embeddings.md"), |w| w.write_all(md.as_bytes()))?;
    let json = serde_json::to_string_pretty(&serde_json::json!({ "dataset": ds.root, "k": args.k, "rows": rows }))?;
    genrecast_features::write_atomic(&args.out.join("bench-embeddings.json"), |w| w.write_all(json.as_bytes()))?;
    Ok(ExitCode::SUCCESS)
}
