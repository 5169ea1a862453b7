//! The report folder of `genrecast eval --report DIR`: Markdown and JSON with every metric,
//! the worst-confused tracks, and PNG/SVG plots.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use genrecast_datasets::Dataset;
use genrecast_eval::{precision_recall_curve, SingleLabelReport};

/// One wrongly classified track: its truth and top-3 predictions.
#[derive(serde::Serialize)]
pub struct Misclassified {
    pub file: String,
    pub clip: String,
    pub truth: String,
    /// Probability the model gave the true genre.
    pub truth_probability: f32,
    pub top3: Vec<(String, f32)>,
}

/// Wrongly classified tracks, the most confidently wrong first (lowest probability of the
/// true label).
pub fn misclassified(ds: &Dataset, labels: &[String], tracks: &[usize], probs: &[Vec<f32>]) -> Vec<Misclassified> {
    let mut out: Vec<Misclassified> = tracks
        .iter()
        .zip(probs)
        .filter_map(|(&t, p)| {
            let truth = ds.tracks[t].label()?;
            let ti = labels.iter().position(|l| l == truth)?;
            let order = genrecast_eval::top_indices(p, 3);
            (order[0] != ti).then(|| Misclassified {
                file: ds.tracks[t].path.display().to_string(),
                clip: ds.tracks[t].clip.clone(),
                truth: truth.to_string(),
                truth_probability: p[ti],
                top3: order.iter().take(3).map(|&c| (labels[c].clone(), p[c])).collect(),
            })
        })
        .collect();
    out.sort_by(|a, b| a.truth_probability.total_cmp(&b.truth_probability));
    out
}

/// Writes report.md, report.json and the plots of one evaluation to `dir`.
pub fn write_eval_report(dir: &Path, title: &str, ds: &Dataset, labels: &[String], tracks: &[usize], probs: &[Vec<f32>], history: Option<&Path>) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let (mut truth, mut scored) = (Vec::new(), Vec::new());
    for (&t, p) in tracks.iter().zip(probs) {
        if let Some(c) = ds.tracks[t].label().and_then(|l| labels.iter().position(|x| x == l)) {
            truth.push(c);
            scored.push(p.clone());
        }
    }
    let report = SingleLabelReport::new(labels, &truth, &scored);
    let wrong = misclassified(ds, labels, tracks, probs);

    let mut md = format!("# {title}\n\nPer-track scores (window probabilities averaged per track).\n\n");
    md.push_str(&report.to_markdown());
    md.push_str("\n## Worst-confused tracks\n\nThe most confidently wrong first.\n\n| clip | true | p(true) | top-3 predictions |\n|---|---|---|---|\n");
    for m in wrong.iter().take(25) {
        let top: Vec<String> = m.top3.iter().map(|(l, p)| format!("{l} {p:.2}")).collect();
        md.push_str(&format!("| {} | {} | {:.2} | {} |\n", m.clip, m.truth, m.truth_probability, top.join(", ")));
    }
    md.push_str("\n![confusion](confusion.png) ![F1](f1.png) ![precision-recall](pr-curves.png)\n");

    // Plots: confusion heatmap, per-class F1, one-vs-rest precision-recall curves, training.
    genrecast_plots::confusion_heatmap(&dir.join("confusion.png"), title, labels, &report.confusion.counts)?;
    genrecast_plots::confusion_heatmap(&dir.join("confusion.svg"), title, labels, &report.confusion.counts)?;
    let f1: Vec<f64> = report.classes.classes.iter().map(|c| c.f1).collect();
    genrecast_plots::bar_chart(&dir.join("f1.png"), "F1 per class", labels, &f1, "F1")?;
    let curves: Vec<Series> = (0..labels.len())
        .filter_map(|c| {
            let t: Vec<bool> = truth.iter().map(|&y| y == c).collect();
            let s: Vec<f32> = scored.iter().map(|r| r[c]).collect();
            let curve = precision_recall_curve(&t, &s)?;
            Some((labels[c].clone(), curve.recall.into_iter().zip(curve.precision).collect()))
        })
        .collect();
    if !curves.is_empty() {
        genrecast_plots::line_chart(&dir.join("pr-curves.png"), "precision-recall, one vs rest", &curves, "recall", "precision")?;
    }
    if let Some(history) = history {
        match training_curves(history) {
            Ok(series) if !series.is_empty() => {
                genrecast_plots::line_chart(&dir.join("training.png"), "training", &series, "epoch", "loss / accuracy")?;
                md.push_str("![training](training.png)\n");
            }
            Ok(_) => {}
            Err(e) => eprintln!("warning: {}: {e}; no training plot", history.display()),
        }
    }
    let json = serde_json::json!({ "title": title, "report": report, "misclassified": wrong });
    genrecast_features::write_atomic(&dir.join("report.json"), |w| w.write_all(serde_json::to_string_pretty(&json).unwrap_or_default().as_bytes()))?;
    genrecast_features::write_atomic(&dir.join("report.md"), |w| w.write_all(md.as_bytes()))?;
    Ok(())
}

/// A named line of (x, y) points.
type Series = (String, Vec<(f64, f64)>);

/// Train loss, valid loss and valid accuracy per epoch from a model folder's history.csv.
fn training_curves(path: &Path) -> anyhow::Result<Vec<Series>> {
    let mut reader = csv::Reader::from_path(path)?;
    let headers = reader.headers()?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let wanted: Vec<(&str, usize)> = ["train_loss", "valid_loss", "valid_crop_accuracy"].into_iter().filter_map(|n| Some((n, col(n)?))).collect();
    let epoch = col("epoch").context("no epoch column")?;
    let mut series: Vec<Series> = wanted.iter().map(|(n, _)| (n.replace('_', " "), Vec::new())).collect();
    for record in reader.records() {
        let record = record?;
        let Some(e) = record.get(epoch).and_then(|v| v.parse::<f64>().ok()) else { continue };
        for ((_, c), (_, pts)) in wanted.iter().zip(series.iter_mut()) {
            if let Some(v) = record.get(*c).and_then(|v| v.parse::<f64>().ok()) {
                pts.push((e, v));
            }
        }
    }
    series.retain(|s| !s.1.is_empty());
    Ok(series)
}
