//! The report folder of `genrecast eval --report DIR`: report.md, a self-contained
//! report.html and report.json with every figure the terminal shows, the worst-confused
//! tracks, and PNG/SVG plots.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use genrecast_datasets::Dataset;
use genrecast_eval::{precision_recall_curve, roc_curve, MultiLabelReport, SingleLabelReport};
use genrecast_plots::{Curve, Epoch};

/// One wrongly classified track: its truth and top-3 predictions.
#[derive(serde::Serialize)]
pub struct Misclassified {
    pub file: String,
    pub clip: String,
    /// Which version of the clip (a dataset may hold one clip as several files).
    pub variant: Option<String>,
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
                variant: ds.tracks[t].variant.clone(),
                truth: truth.to_string(),
                truth_probability: p[ti],
                top3: order.iter().take(3).map(|&c| (labels[c].clone(), p[c])).collect(),
            })
        })
        .collect();
    out.sort_by(|a, b| a.truth_probability.total_cmp(&b.truth_probability));
    out
}

/// What `eval` printed besides the metrics, for the report to say too.
pub struct EvalContext<'a> {
    /// The terminal's first line: model, its training data, the dataset, fold and tracks.
    pub headline: String,
    /// Correct and scored tracks per dataset variant.
    pub variants: &'a BTreeMap<String, (usize, usize)>,
    /// Warnings and notes printed while scoring (optimistic validation scores, leakage,
    /// unknown labels, unreadable files).
    pub notes: &'a [String],
    /// How a track's score was made (from which windows, averaged or from their mean).
    pub judged_from: String,
    /// Inference time per track, in milliseconds.
    pub ms_per_track: f64,
    /// The model folder's history.csv, if it has one.
    pub history: Option<&'a Path>,
    /// The epoch whose weights the model kept.
    pub best_epoch: Option<usize>,
}

/// A piece of a report: Markdown text, or a figure (a PNG, embedded in report.html, with an
/// SVG beside it).
enum Block {
    Md(String),
    Figure { caption: String, stem: &'static str },
}

/// Writes report.md, report.html, report.json and the plots of one evaluation to `dir`.
pub fn write_eval_report(dir: &Path, title: &str, ds: &Dataset, labels: &[String], tracks: &[usize], probs: &[Vec<f32>], ctx: &EvalContext) -> anyhow::Result<()> {
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

    let mut blocks = vec![Block::Md(format!(
        "# {}\n\n{}\n\nPer-track scores ({}). Inference: {:.1} ms per track.\n",
        md_escape(title),
        md_escape(&ctx.headline),
        md_escape(&ctx.judged_from),
        ctx.ms_per_track
    ))];
    if !ctx.notes.is_empty() {
        let list: String = ctx.notes.iter().map(|n| format!("- {}\n", md_escape(n))).collect();
        blocks.push(Block::Md(format!("## Warnings\n\n{list}")));
    }
    blocks.push(Block::Md(format!("## Scores\n\n{}", report.to_markdown())));
    if !ctx.variants.is_empty() {
        let mut md = String::from("## Per variant\n\nAccuracy on each version of the clips (in the GTZAN slice a variant can betray the genre).\n\n| variant | correct | tracks | accuracy |\n|---|---|---|---|\n");
        for (k, (c, n)) in ctx.variants {
            md.push_str(&format!("| {} | {c} | {n} | {:.3} |\n", md_escape(k), *c as f64 / (*n).max(1) as f64));
        }
        blocks.push(Block::Md(md));
    }
    let mut md = String::from("## Worst-confused tracks\n\nThe most confidently wrong first");
    if wrong.len() > WORST {
        md.push_str(&format!(" ({WORST} of {}; all are in report.json)", wrong.len()));
    }
    md.push_str(".\n\n| clip | variant | true | p(true) | top-3 predictions |\n|---|---|---|---|---|\n");
    for m in wrong.iter().take(WORST) {
        let top: Vec<String> = m.top3.iter().map(|(l, p)| format!("{} {p:.2}", md_escape(l))).collect();
        md.push_str(&format!("| {} | {} | {} | {:.2} | {} |\n", md_escape(&m.clip), md_escape(m.variant.as_deref().unwrap_or("-")), md_escape(&m.truth), m.truth_probability, top.join(", ")));
    }
    if wrong.is_empty() {
        md.push_str("| (none) | | | | |\n");
    }
    blocks.push(Block::Md(md));

    // Plots, each as PNG and SVG: confusion matrix, per-class F1, one-vs-rest PR and ROC
    // curves, training curves.
    blocks.push(Block::Md("## Figures\n".into()));
    let both = |stem: &str, draw: &dyn Fn(&Path) -> genrecast_plots::Result<()>| -> anyhow::Result<()> {
        for ext in ["png", "svg"] {
            draw(&dir.join(format!("{stem}.{ext}")))?;
        }
        Ok(())
    };
    both("confusion", &|p| genrecast_plots::confusion_heatmap(p, title, labels, &report.confusion.counts))?;
    blocks.push(Block::Figure { caption: "Confusion matrix: counts and shares of each true class".into(), stem: "confusion" });
    let f1: Vec<f64> = report.classes.classes.iter().map(|c| c.f1).collect();
    both("f1", &|p| genrecast_plots::bar_chart(p, "F1 per class", labels, &f1, "F1"))?;
    blocks.push(Block::Figure { caption: "F1 per class".into(), stem: "f1" });
    let column = |c: usize| -> (Vec<bool>, Vec<f32>) { (truth.iter().map(|&y| y == c).collect(), scored.iter().map(|r| r[c]).collect()) };
    let (mut pr, mut roc) = (Vec::new(), Vec::new());
    for (c, label) in labels.iter().enumerate() {
        let (t, s) = column(c);
        let ranking = report.per_class_ranking.get(c);
        if let Some(curve) = precision_recall_curve(&t, &s) {
            pr.push(Curve { label: label.clone(), points: curve.recall.into_iter().zip(curve.precision).collect(), score: ranking.and_then(|r| r.average_precision) });
        }
        if let Some(curve) = roc_curve(&t, &s) {
            roc.push(Curve { label: label.clone(), points: curve.fpr.into_iter().zip(curve.tpr).collect(), score: ranking.and_then(|r| r.roc_auc) });
        }
    }
    if !pr.is_empty() {
        both("pr-curves", &|p| genrecast_plots::pr_curves(p, "precision-recall, one vs rest", &pr))?;
        blocks.push(Block::Figure { caption: "Precision-recall curves, one class against the rest (AP: average precision)".into(), stem: "pr-curves" });
    }
    if !roc.is_empty() {
        both("roc-curves", &|p| genrecast_plots::roc_curves(p, "ROC, one vs rest", &roc))?;
        blocks.push(Block::Figure { caption: "ROC curves, one class against the rest".into(), stem: "roc-curves" });
    }
    if let Some(history) = ctx.history {
        match training_history(history) {
            Ok(epochs) if !epochs.is_empty() => {
                let best = ctx.best_epoch.filter(|b| epochs.iter().any(|e| e.epoch == *b));
                both("training", &|p| genrecast_plots::training_curves(p, "training", &epochs, "validation crop accuracy", best))?;
                blocks.push(Block::Figure { caption: "Training: loss per epoch and validation accuracy; the dashed line is the epoch kept".into(), stem: "training" });
            }
            Ok(_) => {}
            Err(e) => eprintln!("warning: {}: {e}; no training plot", history.display()),
        }
    }

    let json = serde_json::json!({
        "title": title, "headline": ctx.headline, "report": report, "misclassified": wrong, "notes": ctx.notes,
        "per_variant": ctx.variants.iter().map(|(k, (c, n))| (k.clone(), serde_json::json!({ "correct": c, "tracks": n, "accuracy": *c as f64 / (*n).max(1) as f64 }))).collect::<BTreeMap<_, _>>(),
        "inference_ms_per_track": ctx.ms_per_track,
    });
    genrecast_features::write_atomic(&dir.join("report.json"), |w| w.write_all(serde_json::to_string_pretty(&json).unwrap_or_default().as_bytes()))?;
    write_md_and_html(dir, title, &blocks)
}

/// The worst-confused tracks listed in report.md.
const WORST: usize = 25;

/// report.md and report.html of a multi-label (tagging) evaluation.
pub fn write_tagging_report(dir: &Path, title: &str, report: &MultiLabelReport) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    genrecast_features::write_atomic(&dir.join("report.json"), |w| w.write_all(serde_json::to_string_pretty(report).unwrap_or_default().as_bytes()))?;
    write_md_and_html(dir, title, &[Block::Md(format!("# {}\n\n{}", md_escape(title), report.to_markdown()))])
}

/// Writes `blocks` as report.md (figures as image links, with their SVG) and as
/// report.html (figures embedded as data URIs: one file, nothing fetched).
fn write_md_and_html(dir: &Path, title: &str, blocks: &[Block]) -> anyhow::Result<()> {
    let mut md = String::new();
    let mut body = String::new();
    for block in blocks {
        match block {
            Block::Md(text) => {
                md.push_str(text);
                md.push('\n');
                body.push_str(&md_to_html(text));
            }
            Block::Figure { caption, stem } => {
                md.push_str(&format!("![{caption}]({stem}.png)\n\n*{caption}* ([PNG]({stem}.png), [SVG]({stem}.svg))\n\n"));
                let png = std::fs::read(dir.join(format!("{stem}.png"))).with_context(|| format!("reading {stem}.png back"))?;
                body.push_str(&format!(
                    "<figure><img src=\"data:image/png;base64,{}\" alt=\"{}\"><figcaption>{}</figcaption></figure>\n",
                    base64_encode(&png),
                    html_escape(caption),
                    html_escape(caption)
                ));
            }
        }
    }
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        html_escape(title)
    );
    genrecast_features::write_atomic(&dir.join("report.md"), |w| w.write_all(md.as_bytes()))?;
    genrecast_features::write_atomic(&dir.join("report.html"), |w| w.write_all(html.as_bytes()))?;
    Ok(())
}

const STYLE: &str = "body{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}\
th{background:#f3f3f3}figure{margin:1.5em 0}img{max-width:100%}figcaption{font-style:italic;color:#555}";

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Text from data (titles, clip and label names) made safe inside Markdown and its tables.
fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' | '*' | '`' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// The Markdown these reports write as HTML: `#` headings, pipe tables, `- ` lists and
/// paragraphs, with `**bold**`, `*italic*` and backslash escapes inside them.
fn md_to_html(md: &str) -> String {
    let mut out = String::new();
    let lines: Vec<&str> = md.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_end();
        if line.is_empty() {
            i += 1;
        } else if let Some(level) = line.strip_prefix('#').map(|rest| 1 + rest.chars().take_while(|&c| c == '#').count()).filter(|&l| l <= 6) {
            out.push_str(&format!("<h{level}>{}</h{level}>\n", inline(line.trim_start_matches('#').trim())));
            i += 1;
        } else if line.starts_with('|') {
            out.push_str("<table>\n");
            let mut header = true;
            while i < lines.len() && lines[i].starts_with('|') {
                let cells = table_cells(lines[i]);
                if cells.iter().all(|c| !c.is_empty() && c.chars().all(|ch| ch == '-' || ch == ':')) {
                    header = false;
                } else {
                    let tag = if header { "th" } else { "td" };
                    out.push_str("<tr>");
                    for c in cells {
                        out.push_str(&format!("<{tag}>{}</{tag}>", inline(&c)));
                    }
                    out.push_str("</tr>\n");
                }
                i += 1;
            }
            out.push_str("</table>\n");
        } else if line.starts_with("- ") {
            out.push_str("<ul>\n");
            while i < lines.len() && lines[i].starts_with("- ") {
                out.push_str(&format!("<li>{}</li>\n", inline(&lines[i][2..])));
                i += 1;
            }
            out.push_str("</ul>\n");
        } else {
            let mut text = Vec::new();
            while i < lines.len() && !lines[i].trim().is_empty() && !lines[i].starts_with(['#', '|']) && !lines[i].starts_with("- ") {
                text.push(lines[i].trim());
                i += 1;
            }
            out.push_str(&format!("<p>{}</p>\n", inline(&text.join(" "))));
        }
    }
    out
}

/// The cells of a pipe-table row (`\|` is a bar inside a cell).
fn table_cells(row: &str) -> Vec<String> {
    let inner = row.trim().strip_prefix('|').unwrap_or(row);
    let (mut cells, mut cell) = (Vec::new(), String::new());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                cell.push('\\');
                cell.extend(chars.next());
            }
            '|' => cells.push(std::mem::take(&mut cell)),
            _ => cell.push(c),
        }
    }
    // The text after the closing bar is no cell.
    if !cell.trim().is_empty() {
        cells.push(cell);
    }
    cells.into_iter().map(|c| c.trim().to_string()).collect()
}

/// Inline Markdown to HTML: escapes, `**bold**` and `*italic*`.
fn inline(text: &str) -> String {
    let mut out = String::new();
    let (mut bold, mut italic) = (false, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next) => out.push_str(&html_escape(&next.to_string())),
                None => out.push('\\'),
            },
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                out.push_str(if bold { "</strong>" } else { "<strong>" });
                bold = !bold;
            }
            '*' => {
                out.push_str(if italic { "</em>" } else { "<em>" });
                italic = !italic;
            }
            _ => out.push_str(&html_escape(&c.to_string())),
        }
    }
    // An unmatched marker must not leave the rest of the page bold.
    if italic {
        out.push_str("</em>");
    }
    if bold {
        out.push_str("</strong>");
    }
    out
}

/// Training loss, validation loss and validation accuracy per epoch from a model folder's
/// history.csv.
fn training_history(path: &Path) -> anyhow::Result<Vec<Epoch>> {
    let mut reader = csv::Reader::from_path(path)?;
    let headers = reader.headers()?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let epoch = col("epoch").context("no epoch column")?;
    let (train, valid, accuracy) = (col("train_loss"), col("valid_loss"), col("valid_crop_accuracy"));
    let mut epochs = Vec::new();
    for record in reader.records() {
        let record = record?;
        let Some(e) = record.get(epoch).and_then(|v| v.parse::<usize>().ok()) else { continue };
        let value = |c: Option<usize>| c.and_then(|c| record.get(c)).and_then(|v| v.parse::<f64>().ok());
        epochs.push(Epoch { epoch: e, train_loss: value(train), valid_loss: value(valid), metric: value(accuracy) });
    }
    Ok(epochs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_tables_headings_and_escapes_become_html() {
        let md = "# A <title>\n\nSome **bold** and *it* text\nwrapped.\n\n| clip | p |\n|---|---|\n| a\\|b | 0.5 |\n\n- one\n- two\n";
        let html = md_to_html(md);
        assert!(html.contains("<h1>A &lt;title&gt;</h1>"), "{html}");
        assert!(html.contains("<p>Some <strong>bold</strong> and <em>it</em> text wrapped.</p>"), "{html}");
        assert!(html.contains("<tr><th>clip</th><th>p</th></tr>") && html.contains("<tr><td>a|b</td><td>0.5</td></tr>"), "{html}");
        assert!(html.contains("<li>one</li>\n<li>two</li>"), "{html}");
        assert_eq!(md_to_html(&format!("| {} |\n", md_escape("x|*y*"))), "<table>\n<tr><th>x|*y*</th></tr>\n</table>\n");
    }
}
