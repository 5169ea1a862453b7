//! Precision-recall and ROC curves drawn as scikit-learn's `PrecisionRecallDisplay` and
//! `RocCurveDisplay` draw them, and training curves; every legend stands right of its plot.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axis::Ticked;
use crate::colour::line_style;
use crate::{e2s, empty, render, text_size, tidy, Canvas, Plot, Result};

/// One class's curve, for [`pr_curves`] and [`roc_curves`].
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    /// The class, named in the legend.
    pub label: String,
    /// The points in curve order: `(recall, precision)` as scikit-learn's
    /// `precision_recall_curve` returns them (recall falling to 0), or `(false-positive rate,
    /// true-positive rate)` from (0, 0) up.
    pub points: Vec<(f64, f64)>,
    /// The average precision (PR) or the area under the curve (ROC), given in the legend.
    pub score: Option<f64>,
}

/// One training epoch, for [`training_curves`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Epoch {
    /// The epoch's number (from 1).
    pub epoch: usize,
    /// Mean training loss.
    pub train_loss: Option<f64>,
    /// Validation loss.
    pub valid_loss: Option<f64>,
    /// The validation metric (e.g. accuracy), drawn against the right-hand axis.
    pub metric: Option<f64>,
}

/// One-vs-rest precision-recall curves, one per class, drawn step-wise as scikit-learn draws
/// them (`drawstyle="steps-post"`: precision held until the next threshold, the area under
/// the steps being the average precision), each labelled with its AP in a legend beside the
/// plot. Colours are Okabe and Ito's colour-blind-safe palette; the ninth curve on is dashed.
///
/// # Example
/// ```
/// use genrecast_plots::{pr_curves, Curve};
/// let dir = tempfile::tempdir()?;
/// let jazz = Curve { label: "jazz".into(), points: vec![(1.0, 0.5), (0.5, 1.0), (0.0, 1.0)], score: Some(0.75) };
/// pr_curves(&dir.path().join("pr.svg"), "precision-recall", &[jazz])?;
/// assert!(std::fs::read_to_string(dir.path().join("pr.svg"))?.contains("jazz (AP = 0.75)"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn pr_curves(path: &Path, title: &str, curves: &[Curve]) -> Result<()> {
    curve_plot(path, title, curves, Kind::PrecisionRecall)
}

/// One-vs-rest ROC curves, one per class, as scikit-learn's `RocCurveDisplay` draws them
/// (straight segments from (0, 0) to (1, 1)), each labelled with its AUC, the chance level
/// dashed; legend, colours and dashes as [`pr_curves`].
pub fn roc_curves(path: &Path, title: &str, curves: &[Curve]) -> Result<()> {
    curve_plot(path, title, curves, Kind::Roc)
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    PrecisionRecall,
    Roc,
}

fn curve_plot(path: &Path, title: &str, curves: &[Curve], kind: Kind) -> Result<()> {
    crate::register_font();
    if !curves.iter().flat_map(|c| &c.points).any(|p| p.0.is_finite() && p.1.is_finite()) {
        return Err(empty(path, "no points"));
    }
    let mut entries: Vec<Entry> = curves
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let (colour, dashed) = line_style(k);
            let score = c.score.map_or_else(|| "n/a".to_string(), |s| format!("{s:.2}"));
            let text = format!("{} ({} = {score})", c.label, if kind == Kind::Roc { "AUC" } else { "AP" });
            Entry { text, colour, dashed, marker: false }
        })
        .collect();
    if kind == Kind::Roc {
        entries.push(Entry { text: "chance level (AUC = 0.5)".into(), colour: RGBColor(128, 128, 128), dashed: true, marker: false });
    }
    let legend = legend_width(&entries);
    let title_w = text_size(title, &("sans-serif", 17).into_font()).0;
    let width = (SQUARE + legend).max(title_w + 30);
    let height = (SQUARE - 40).max(entries.len() as u32 * ENTRY + 110);
    render(path, (width, height), &Curves { title, curves, kind, entries, legend })
}

/// The width of a curve plot's plot area and axes.
const SQUARE: u32 = 560;
/// A legend entry's height.
const ENTRY: u32 = 20;

/// One line of a legend.
struct Entry {
    text: String,
    colour: RGBColor,
    dashed: bool,
    marker: bool,
}

fn legend_width(entries: &[Entry]) -> u32 {
    let font = ("sans-serif", 13).into_font();
    entries.iter().map(|e| text_size(&e.text, &font).0).max().unwrap_or(0) + 60
}

/// The legend, from `top` down, inside `area` (which is right of the plot).
fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, top: i32, entries: &[Entry]) -> std::result::Result<(), String> {
    let (width, _) = area.dim_in_pixel();
    let bottom = top + entries.len() as i32 * ENTRY as i32 + 10;
    area.draw(&Rectangle::new([(8, top), (width as i32 - 12, bottom)], RGBColor(190, 190, 190).stroke_width(1))).map_err(e2s)?;
    for (i, e) in entries.iter().enumerate() {
        let y = top + 5 + i as i32 * ENTRY as i32 + ENTRY as i32 / 2;
        let style = e.colour.stroke_width(2);
        if e.dashed {
            for x in [16, 27] {
                area.draw(&PathElement::new(vec![(x, y), (x + 7, y)], style)).map_err(e2s)?;
            }
        } else {
            area.draw(&PathElement::new(vec![(16, y), (40, y)], style)).map_err(e2s)?;
        }
        if e.marker {
            area.draw(&Circle::new((28, y), 3, e.colour.filled())).map_err(e2s)?;
        }
        let font = ("sans-serif", 13).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Center));
        area.draw(&Text::new(e.text.clone(), (48, y), font)).map_err(e2s)?;
    }
    Ok(())
}

/// Draws `points` as a line of `colour`, dashed or not, on `chart`.
fn line<DB: DrawingBackend, X, Y>(chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>, points: Vec<(f64, f64)>, colour: RGBColor, dashed: bool, width: u32) -> std::result::Result<(), String>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let style = colour.stroke_width(width);
    if dashed {
        chart.draw_series(DashedLineSeries::new(points, 7, 4, style)).map_err(e2s)?;
    } else {
        chart.draw_series(LineSeries::new(points, style)).map_err(e2s)?;
    }
    Ok(())
}

struct Curves<'a> {
    title: &'a str,
    curves: &'a [Curve],
    kind: Kind,
    entries: Vec<Entry>,
    legend: u32,
}

/// scikit-learn's `steps-post`: each point's y held until the next point's x.
fn steps_post(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len() * 2);
    for (i, &(x, y)) in points.iter().enumerate() {
        out.push((x, y));
        if let Some(&(next_x, _)) = points.get(i + 1) {
            out.push((next_x, y));
        }
    }
    out
}

impl Plot for Curves<'_> {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, _: &Canvas) -> std::result::Result<(), String> {
        area.fill(&WHITE).map_err(e2s)?;
        let (width, _) = area.dim_in_pixel();
        let (plot_area, legend_area) = area.split_horizontally(width - self.legend);
        let (x_desc, y_desc) = match self.kind {
            Kind::PrecisionRecall => ("recall", "precision"),
            Kind::Roc => ("false positive rate", "true positive rate"),
        };
        let tenths = || Ticked::new(-0.01, 1.01, (0..=5).map(|i| f64::from(i) / 5.0));
        let mut chart = ChartBuilder::on(&plot_area)
            .caption(self.title, ("sans-serif", 17))
            .margin(10)
            .x_label_area_size(45)
            .y_label_area_size(55)
            .build_cartesian_2d(tenths(), tenths())
            .map_err(e2s)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(230, 230, 230))
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_label_formatter(&|v| tidy(*v))
            .y_label_formatter(&|v| tidy(*v))
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 14))
            .draw()
            .map_err(e2s)?;
        if self.kind == Kind::Roc {
            line(&mut chart, vec![(0.0, 0.0), (1.0, 1.0)], RGBColor(128, 128, 128), true, 1)?;
        }
        for (k, curve) in self.curves.iter().enumerate() {
            let finite: Vec<(f64, f64)> = curve.points.iter().copied().filter(|p| p.0.is_finite() && p.1.is_finite()).collect();
            let points = if self.kind == Kind::PrecisionRecall { steps_post(&finite) } else { finite };
            let (colour, dashed) = line_style(k);
            line(&mut chart, points, colour, dashed, 2)?;
        }
        let top = chart.plotting_area().get_base_pixel().1;
        draw_legend(&legend_area, top, &self.entries)
    }
}

/// Training curves over whole epochs: training and validation loss against the left axis,
/// the validation `metric` (if any epoch has one) against the right, the `best` epoch (the
/// one whose weights were kept) marked by a vertical line; the legend stands right of the
/// plot.
///
/// # Example
/// ```
/// use genrecast_plots::{training_curves, Epoch};
/// let dir = tempfile::tempdir()?;
/// let epochs: Vec<Epoch> = (1..=4).map(|e| Epoch { epoch: e, train_loss: Some(2.0 / e as f64), valid_loss: Some(1.0 + 0.1 * e as f64), metric: Some(0.2 * e as f64) }).collect();
/// training_curves(&dir.path().join("training.svg"), "training", &epochs, "valid accuracy", Some(1))?;
/// assert!(std::fs::read_to_string(dir.path().join("training.svg"))?.contains("best epoch (1)"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn training_curves(path: &Path, title: &str, epochs: &[Epoch], metric: &str, best: Option<usize>) -> Result<()> {
    crate::register_font();
    let finite = |v: Option<f64>| v.filter(|v| v.is_finite());
    if !epochs.iter().any(|e| finite(e.train_loss).or(finite(e.valid_loss)).or(finite(e.metric)).is_some()) {
        return Err(empty(path, "no epoch with a loss or a metric"));
    }
    let mut entries = Vec::new();
    let mut push = |text: String, k: usize, dashed: bool| entries.push(Entry { text, colour: crate::colour::OKABE_ITO[k], dashed, marker: true });
    if epochs.iter().any(|e| finite(e.train_loss).is_some()) {
        push("training loss".into(), 4, false);
    }
    if epochs.iter().any(|e| finite(e.valid_loss).is_some()) {
        push("validation loss".into(), 0, false);
    }
    let has_metric = epochs.iter().any(|e| finite(e.metric).is_some());
    if has_metric {
        push(format!("{metric} (right axis)"), 2, true);
    }
    if let Some(b) = best {
        entries.push(Entry { text: format!("best epoch ({b})"), colour: RGBColor(110, 110, 110), dashed: true, marker: false });
    }
    let legend = legend_width(&entries);
    let width = (720 + legend).max(text_size(title, &("sans-serif", 17).into_font()).0 + 30);
    render(path, (width, 460), &Training { title, epochs, metric, best, entries, legend, has_metric })
}

/// One figure of an epoch.
type Field = fn(&Epoch) -> Option<f64>;

struct Training<'a> {
    title: &'a str,
    epochs: &'a [Epoch],
    metric: &'a str,
    best: Option<usize>,
    entries: Vec<Entry>,
    legend: u32,
    has_metric: bool,
}

/// `lo..hi` widened by 5 % each side (or to a unit span around a single value).
fn padded(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.filter(|v| v.is_finite()).fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    if lo > hi {
        (0.0, 1.0)
    } else if lo == hi {
        (lo - 0.5, hi + 0.5)
    } else {
        let pad = (hi - lo) * 0.05;
        (lo - pad, hi + pad)
    }
}

impl Plot for Training<'_> {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, _: &Canvas) -> std::result::Result<(), String> {
        area.fill(&WHITE).map_err(e2s)?;
        let (width, _) = area.dim_in_pixel();
        let (plot_area, legend_area) = area.split_horizontally(width - self.legend);
        let first = self.epochs.iter().map(|e| e.epoch).min().unwrap_or(1) as f64;
        let last = self.epochs.iter().map(|e| e.epoch).max().unwrap_or(1) as f64;
        let x = || {
            let pad = ((last - first) * 0.03).max(0.3);
            Ticked::integers(first - pad, last + pad, 12)
        };
        let (lo, hi) = padded(self.epochs.iter().flat_map(|e| [e.train_loss, e.valid_loss]).flatten());
        let (m_lo, m_hi) = padded(self.epochs.iter().filter_map(|e| e.metric));
        // Accuracies and the like read best on their whole 0..1 scale.
        let (m_lo, m_hi) = if m_lo >= -0.05 && m_hi <= 1.05 { (0.0, 1.0) } else { (m_lo, m_hi) };
        let mut chart = ChartBuilder::on(&plot_area)
            .caption(self.title, ("sans-serif", 17))
            .margin(10)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .right_y_label_area_size(if self.has_metric { 60 } else { 0 })
            .build_cartesian_2d(x(), lo..hi)
            .map_err(e2s)?
            .set_secondary_coord(x(), m_lo..m_hi);
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(230, 230, 230))
            .x_desc("epoch")
            .y_desc("loss")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| tidy(*v))
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 14))
            .draw()
            .map_err(e2s)?;
        if self.has_metric {
            chart
                .configure_secondary_axes()
                .y_desc(self.metric)
                .y_label_formatter(&|v| tidy(*v))
                .label_style(("sans-serif", 13))
                .axis_desc_style(("sans-serif", 14))
                .draw()
                .map_err(e2s)?;
        }
        if let Some(b) = self.best {
            let b = b as f64;
            chart.draw_series(DashedLineSeries::new(vec![(b, lo), (b, hi)], 5, 4, RGBColor(110, 110, 110).stroke_width(1))).map_err(e2s)?;
        }
        let series = |get: Field| -> Vec<(f64, f64)> { self.epochs.iter().filter_map(|e| Some((e.epoch as f64, get(e).filter(|v| v.is_finite())?))).collect() };
        let losses: [(Field, usize); 2] = [(|e| e.train_loss, 4), (|e| e.valid_loss, 0)];
        for (get, k) in losses {
            let colour = crate::colour::OKABE_ITO[k];
            let points = series(get);
            chart.draw_series(LineSeries::new(points.clone(), colour.stroke_width(2))).map_err(e2s)?;
            chart.draw_series(points.into_iter().map(|p| Circle::new(p, 3, colour.filled()))).map_err(e2s)?;
        }
        if self.has_metric {
            let colour = crate::colour::OKABE_ITO[2];
            let points = series(|e| e.metric);
            chart.draw_secondary_series(DashedLineSeries::new(points.clone(), 7, 4, colour.stroke_width(2))).map_err(e2s)?;
            chart.draw_secondary_series(points.into_iter().map(|p| Circle::new(p, 3, colour.filled()))).map_err(e2s)?;
        }
        let top = chart.plotting_area().get_base_pixel().1;
        draw_legend(&legend_area, top, &self.entries)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn steps_hold_precision_until_the_next_recall() {
        let pts = [(1.0, 0.5), (0.5, 1.0), (0.0, 1.0)];
        assert_eq!(super::steps_post(&pts), vec![(1.0, 0.5), (0.5, 0.5), (0.5, 1.0), (0.0, 1.0), (0.0, 1.0)]);
    }
}
