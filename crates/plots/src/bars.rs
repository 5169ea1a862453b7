//! Horizontal bar charts: one bar per label, the label beside its bar.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axis::Ticked;
use crate::{e2s, empty, render, text_size, tidy, Canvas, Plot, Result};

const ROW: u32 = 28;
const PLOT_W: u32 = 460;

/// A bar chart of one value per label (e.g. per-class F1), bars across in the labels' order
/// from the top, each label level with its bar and each value written at its bar's end; the
/// value axis runs from 0 to at least 1. A value that is not finite is drawn as no bar and
/// written "n/a".
///
/// # Example
/// ```
/// let dir = tempfile::tempdir()?;
/// let labels = ["blues".to_string(), "classical".to_string()];
/// genrecast_plots::bar_chart(&dir.path().join("f1.svg"), "F1 per class", &labels, &[0.5, 0.9], "F1")?;
/// assert!(std::fs::read_to_string(dir.path().join("f1.svg"))?.contains("classical"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn bar_chart(path: &Path, title: &str, labels: &[String], values: &[f64], x_label: &str) -> Result<()> {
    if labels.is_empty() || labels.len() != values.len() {
        return Err(empty(path, "no bars, or not one value per label"));
    }
    crate::register_font();
    let font = ("sans-serif", 13).into_font();
    let widest = labels.iter().map(|l| text_size(l, &font).0).max().unwrap_or(0);
    let title_w = text_size(title, &("sans-serif", 17).into_font()).0;
    let width = (widest + 30 + PLOT_W + 30).max(title_w + 30);
    let height = 50 + ROW * labels.len() as u32 + 60;
    render(path, (width, height), &Bars { title, labels, values, x_label, widest })
}

struct Bars<'a> {
    title: &'a str,
    labels: &'a [String],
    values: &'a [f64],
    x_label: &'a str,
    widest: u32,
}

impl Plot for Bars<'_> {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, _: &Canvas) -> std::result::Result<(), String> {
        let (labels, n) = (self.labels, self.labels.len());
        let top = self.values.iter().copied().filter(|v| v.is_finite()).fold(1.0f64, f64::max);
        area.fill(&WHITE).map_err(e2s)?;
        // Label i sits at the centre of row i, counted from the top.
        let rows = Ticked::new(0.0, n as f64, (0..n).map(|i| n as f64 - i as f64 - 0.5));
        let label_of = |v: &f64| labels.get(n.wrapping_sub(1 + v.floor() as usize)).cloned().unwrap_or_default();
        let mut chart = ChartBuilder::on(area)
            .caption(self.title, ("sans-serif", 17))
            .margin(10)
            .margin_right(24)
            .x_label_area_size(45)
            .y_label_area_size(self.widest + 12)
            .build_cartesian_2d(0.0..top * 1.12, rows)
            .map_err(e2s)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(225, 225, 225))
            .x_desc(self.x_label)
            .x_label_formatter(&|v| tidy(*v))
            .y_label_formatter(&label_of)
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 14))
            .draw()
            .map_err(e2s)?;
        let blue = RGBColor(0x00, 0x72, 0xB2);
        for (i, &v) in self.values.iter().enumerate() {
            let y = n as f64 - i as f64 - 0.5;
            let end = if v.is_finite() { v.max(0.0) } else { 0.0 };
            chart.draw_series(std::iter::once(Rectangle::new([(0.0, y - 0.34), (end, y + 0.34)], blue.filled()))).map_err(e2s)?;
            let note = if v.is_finite() { format!("{v:.2}") } else { "n/a".into() };
            let style = ("sans-serif", 12).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Center));
            chart.draw_series(std::iter::once(EmptyElement::at((end, y)) + Text::new(note, (4, 0), style))).map_err(e2s)?;
        }
        Ok(())
    }
}
