//! PNG and SVG plots for genrecast's reports, drawn with plotters: a confusion heatmap, bar
//! charts (per-class F1), precision-recall and training curves, and a matrix heatmap (mel
//! spectrogram, chroma, MFCC over time). The file extension (`.png` or `.svg`) picks the
//! format.
//!
//! PNG text is rendered from DejaVu Sans, compiled in (`fonts/`, under its free licence), so
//! that plots look the same on machines without fonts.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// What can go wrong while drawing.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The extension is neither `.png` nor `.svg`.
    #[error("{0}: plots are written as .png or .svg")]
    Format(String),
    /// Nothing to draw.
    #[error("{path}: {reason}")]
    Empty {
        /// The plot's path.
        path: String,
        /// What was missing.
        reason: String,
    },
    /// The drawing backend failed (usually writing the file).
    #[error("{path}: {reason}")]
    Draw {
        /// The plot's path.
        path: String,
        /// The backend's message.
        reason: String,
    },
}

/// Results of this crate.
pub type Result<T> = std::result::Result<T, PlotError>;

static FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // The font is compiled in and known to parse; a failure would only lose PNG text.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

fn draw_err(path: &Path) -> impl Fn(String) -> PlotError + '_ {
    move |reason| PlotError::Draw { path: path.display().to_string(), reason }
}

/// Something drawn on any plotters backend.
trait Plot {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> std::result::Result<(), String>;
}

/// Draws `plot` on a PNG or SVG canvas of `size` at `path` (written to a temporary name, then
/// renamed, so a reader never sees half a plot).
fn render(path: &Path, size: (u32, u32), plot: &impl Plot) -> Result<()> {
    register_font();
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
    let tmp = path.with_extension(format!("partial.{ext}"));
    let result = match ext.as_str() {
        "png" => {
            let root = BitMapBackend::new(&tmp, size).into_drawing_area();
            plot.draw(&root).and_then(|()| root.present().map_err(|e| e.to_string()))
        }
        "svg" => {
            let root = SVGBackend::new(&tmp, size).into_drawing_area();
            plot.draw(&root).and_then(|()| root.present().map_err(|e| e.to_string()))
        }
        _ => return Err(PlotError::Format(path.display().to_string())),
    };
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(draw_err(path)(e));
    }
    std::fs::rename(&tmp, path).map_err(|e| draw_err(path)(e.to_string()))
}

/// A heatmap of a confusion matrix (rows true, columns predicted), each cell shaded by its
/// share of the row and labelled with its count.
///
/// # Example
/// ```
/// let dir = tempfile::tempdir()?;
/// let labels = ["jazz".to_string(), "rock".to_string()];
/// genrecast_plots::confusion_heatmap(&dir.path().join("c.svg"), "fold 1", &labels, &[vec![3, 1], vec![0, 4]])?;
/// assert!(std::fs::read_to_string(dir.path().join("c.svg"))?.contains("jazz"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn confusion_heatmap(path: &Path, title: &str, labels: &[String], counts: &[Vec<usize>]) -> Result<()> {
    let n = labels.len();
    if n == 0 || counts.len() != n || counts.iter().any(|r| r.len() != n) {
        return Err(PlotError::Empty { path: path.display().to_string(), reason: "no classes, or a matrix that is not labels x labels".into() });
    }
    render(path, (160 + 48 * n as u32, 130 + 48 * n as u32), &Confusion { title, labels, counts })
}

struct Confusion<'a> {
    title: &'a str,
    labels: &'a [String],
    counts: &'a [Vec<usize>],
}

impl Plot for Confusion<'_> {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        let (labels, n) = (self.labels, self.labels.len());
        // Segmented axes put each label at the centre of its cell.
        let name = |v: &SegmentValue<usize>, flip: bool| match v {
            SegmentValue::CenterOf(i) => labels.get(if flip { n.wrapping_sub(1 + *i) } else { *i }).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        area.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(area)
            .caption(self.title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(80)
            .y_label_area_size(90)
            .build_cartesian_2d((0..n).into_segmented(), (0..n).into_segmented())
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(n + 1)
            .y_labels(n + 1)
            .x_desc("predicted")
            .y_desc("true")
            .x_label_formatter(&|v| name(v, false))
            .y_label_formatter(&|v| name(v, true))
            .x_label_style(("sans-serif", 11).into_font().transform(FontTransform::Rotate90))
            .y_label_style(("sans-serif", 11))
            .draw()
            .map_err(|e| e.to_string())?;
        for (t, row) in self.counts.iter().enumerate() {
            let total: usize = row.iter().sum();
            let y = n - 1 - t;
            for (p, &c) in row.iter().enumerate() {
                let share = if total == 0 { 0.0 } else { c as f64 / total as f64 };
                let colour = RGBColor(255 - (share * 220.0) as u8, 255 - (share * 150.0) as u8, 255);
                let cell = [(SegmentValue::Exact(p), SegmentValue::Exact(y)), (SegmentValue::Exact(p + 1), SegmentValue::Exact(y + 1))];
                chart.draw_series(std::iter::once(Rectangle::new(cell, colour.filled()))).map_err(|e| e.to_string())?;
                if c > 0 {
                    let text_colour = if share > 0.6 { WHITE } else { BLACK };
                    let style = ("sans-serif", 13).into_font().color(&text_colour).pos(Pos::new(HPos::Center, VPos::Center));
                    chart.draw_series(std::iter::once(Text::new(c.to_string(), (SegmentValue::CenterOf(p), SegmentValue::CenterOf(y)), style))).map_err(|e| e.to_string())?;
                }
            }
        }
        Ok(())
    }
}

/// A bar chart of one value per label (e.g. per-class F1); the axis runs from 0 to at least 1.
pub fn bar_chart(path: &Path, title: &str, labels: &[String], values: &[f64], y_label: &str) -> Result<()> {
    if labels.is_empty() || labels.len() != values.len() {
        return Err(PlotError::Empty { path: path.display().to_string(), reason: "no bars, or not one value per label".into() });
    }
    render(path, (140 + 50 * labels.len() as u32, 400), &Bars { title, labels, values, y_label })
}

struct Bars<'a> {
    title: &'a str,
    labels: &'a [String],
    values: &'a [f64],
    y_label: &'a str,
}

impl Plot for Bars<'_> {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        let (labels, n) = (self.labels, self.labels.len());
        let top = self.values.iter().copied().filter(|v| v.is_finite()).fold(1.0f64, f64::max);
        area.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(area)
            .caption(self.title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(80)
            .y_label_area_size(50)
            .build_cartesian_2d(0..n, 0.0..top)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n + 1)
            .x_label_formatter(&|i| labels.get(*i).cloned().unwrap_or_default())
            .x_label_style(("sans-serif", 11).into_font().transform(FontTransform::Rotate90))
            .y_desc(self.y_label)
            .draw()
            .map_err(|e| e.to_string())?;
        let bars = self.values.iter().enumerate().map(|(i, &v)| Rectangle::new([(i, 0.0), (i + 1, if v.is_finite() { v } else { 0.0 })], RGBColor(70, 110, 180).filled()));
        chart.draw_series(bars).map_err(|e| e.to_string())?;
        Ok(())
    }
}

/// Named `(x, y)` series drawn as lines with a legend (training curves, precision-recall
/// curves).
///
/// # Example
/// ```
/// let dir = tempfile::tempdir()?;
/// let loss = vec![("train loss".to_string(), vec![(1.0, 2.3), (2.0, 1.7), (3.0, 1.2)])];
/// genrecast_plots::line_chart(&dir.path().join("loss.png"), "training", &loss, "epoch", "loss")?;
/// assert!(std::fs::read(dir.path().join("loss.png"))?.starts_with(b"\x89PNG"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn line_chart(path: &Path, title: &str, series: &[(String, Vec<(f64, f64)>)], x_label: &str, y_label: &str) -> Result<()> {
    if !series.iter().flat_map(|s| &s.1).any(|p| p.0.is_finite() && p.1.is_finite()) {
        return Err(PlotError::Empty { path: path.display().to_string(), reason: "no points".into() });
    }
    render(path, (720, 480), &Lines { title, series, x_label, y_label })
}

struct Lines<'a> {
    title: &'a str,
    series: &'a [(String, Vec<(f64, f64)>)],
    x_label: &'a str,
    y_label: &'a str,
}

impl Plot for Lines<'_> {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        let finite = |p: &&(f64, f64)| p.0.is_finite() && p.1.is_finite();
        let points: Vec<(f64, f64)> = self.series.iter().flat_map(|s| s.1.iter()).filter(finite).copied().collect();
        let (x0, x1) = points.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
        let (y0, y1) = points.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
        let pad = |a: f64, b: f64| if b > a { (a, b) } else { (a - 0.5, a + 0.5) };
        let ((x0, x1), (y0, y1)) = (pad(x0, x1), pad(y0, y1));
        area.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(area)
            .caption(self.title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| e.to_string())?;
        chart.configure_mesh().x_desc(self.x_label).y_desc(self.y_label).draw().map_err(|e| e.to_string())?;
        for (k, (name, pts)) in self.series.iter().enumerate() {
            let colour = Palette99::pick(k).to_rgba();
            chart
                .draw_series(LineSeries::new(pts.iter().filter(finite).copied(), colour.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2)));
        }
        chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).label_font(("sans-serif", 11)).draw().map_err(|e| e.to_string())?;
        Ok(())
    }
}

/// A `rows x cols` matrix (row-major) as a heatmap, row 0 at the bottom, time on the x axis
/// (`seconds_per_col` per column), `row_label` on the y axis: mel spectrograms, chroma, MFCC.
pub fn matrix_heatmap(path: &Path, title: &str, data: &[f32], rows: usize, cols: usize, seconds_per_col: f64, row_label: &str) -> Result<()> {
    if rows == 0 || cols == 0 || data.len() != rows * cols {
        return Err(PlotError::Empty { path: path.display().to_string(), reason: format!("a {rows} x {cols} matrix with {} values", data.len()) });
    }
    let width = (cols as u32).clamp(400, 1600) + 90;
    let height = (rows as u32 * 3).clamp(240, 600) + 70;
    render(path, (width, height), &Heatmap { title, data, rows, cols, seconds_per_col, row_label })
}

struct Heatmap<'a> {
    title: &'a str,
    data: &'a [f32],
    rows: usize,
    cols: usize,
    seconds_per_col: f64,
    row_label: &'a str,
}

impl Plot for Heatmap<'_> {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        let (lo, hi) = self.data.iter().copied().filter(|v| v.is_finite()).fold((f32::MAX, f32::MIN), |(a, b), v| (a.min(v), b.max(v)));
        let span = if hi > lo { hi - lo } else { 1.0 };
        area.fill(&WHITE).map_err(|e| e.to_string())?;
        let duration = self.cols as f64 * self.seconds_per_col;
        let mut chart = ChartBuilder::on(area)
            .caption(self.title, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(35)
            .y_label_area_size(45)
            .build_cartesian_2d(0.0..duration, 0.0..self.rows as f64)
            .map_err(|e| e.to_string())?;
        chart.configure_mesh().disable_mesh().x_desc("seconds").y_desc(self.row_label).draw().map_err(|e| e.to_string())?;
        // Dark to bright (magma-like), so loud cells stand out.
        let (rows, cols, spc, data) = (self.rows, self.cols, self.seconds_per_col, self.data);
        let cells = (0..rows).flat_map(|r| (0..cols).map(move |c| (r, c))).map(|(r, c)| {
            let v = data[r * cols + c];
            let t = if v.is_finite() { f64::from((v - lo) / span) } else { 0.0 };
            let colour = RGBColor((t.powf(0.7) * 252.0) as u8, (t.powi(2) * 230.0) as u8, (60.0 + 100.0 * (1.0 - (2.0 * t - 1.0).powi(2))) as u8);
            let x = c as f64 * spc;
            Rectangle::new([(x, r as f64), (x + spc, r as f64 + 1.0)], colour.filled())
        });
        chart.draw_series(cells).map_err(|e| e.to_string())?;
        Ok(())
    }
}
