//! Spectrogram-like heatmaps over time, drawn as `librosa.display.specshow` draws them.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::axis::Ticked;
use crate::colour::ColourMap;
use crate::{e2s, empty, render, text_size, tidy, Canvas, Plot, Result};

/// What the rows of a [`matrix_heatmap`] hold: it sets the y axis, the colour map and the
/// colour scale.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Rows {
    /// A mel spectrogram in dB: bands evenly spaced on Slaney's mel scale (librosa's default,
    /// `htk=False`) from `fmin` to `fmax` Hz. The y axis is mel-spaced and labelled in Hz at
    /// 0, 512, 1024, 2048, 4096, 8192 (and 16384) Hz; colours `magma` over the data's range,
    /// with a colour bar in dB.
    MelDb {
        /// The filterbank's lowest frequency, in Hz.
        fmin: f64,
        /// The filterbank's highest frequency, in Hz.
        fmax: f64,
    },
    /// Chroma: twelve pitch classes from C, named C, C#, D, ... B; colours `magma` over the
    /// data's range.
    Chroma,
    /// MFCC: the y axis is the coefficient index from 0. Colours are `coolwarm`, symmetric
    /// around 0, scaled to the largest magnitude of coefficients 1 and up: coefficient 0 (the
    /// overall loudness, tens of times larger) is left out of the scale and drawn clipped, so
    /// that it does not wash out the others.
    Mfcc,
}

const NOTES: [&str; 12] = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];

/// Slaney's mel scale (librosa `hz_to_mel(htk=False)`): linear below 1 kHz, logarithmic above.
fn hz_to_mel(hz: f64) -> f64 {
    let (f_sp, min_log_hz, logstep) = (200.0 / 3.0, 1000.0, 6.4f64.ln() / 27.0);
    if hz < min_log_hz {
        hz / f_sp
    } else {
        min_log_hz / f_sp + (hz / min_log_hz).ln() / logstep
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    let (f_sp, min_log_hz, logstep) = (200.0 / 3.0, 1000.0, 6.4f64.ln() / 27.0);
    let min_log_mel = min_log_hz / f_sp;
    if mel < min_log_mel {
        mel * f_sp
    } else {
        min_log_hz * (logstep * (mel - min_log_mel)).exp()
    }
}

/// A `rows x cols` matrix (row-major: `data[r * cols + c]`) as a heatmap over time, row 0 at
/// the bottom, `seconds_per_col` seconds per column, with a colour bar; `kind` says what the
/// rows are (see [`Rows`] for the axis and colour scale of each).
///
/// The matrix is drawn as one bitmap the size of the plot area (columns averaged where there
/// are more than pixels): an SVG embeds it as a PNG, so a 10-minute song stays under 2 MB.
///
/// # Example
/// ```
/// use genrecast_plots::{matrix_heatmap, Rows};
/// let dir = tempfile::tempdir()?;
/// let chroma: Vec<f32> = (0..12 * 100).map(|i| ((i % 12) as f32 / 11.0)).collect();
/// matrix_heatmap(&dir.path().join("chroma.svg"), "song: chroma", &chroma, 12, 100, 512.0 / 22050.0, &Rows::Chroma)?;
/// let svg = std::fs::read_to_string(dir.path().join("chroma.svg"))?;
/// assert!(svg.contains("<image") && svg.contains("C#"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn matrix_heatmap(path: &Path, title: &str, data: &[f32], rows: usize, cols: usize, seconds_per_col: f64, kind: &Rows) -> Result<()> {
    if rows == 0 || cols == 0 || data.len() != rows * cols {
        return Err(empty(path, format!("a {rows} x {cols} matrix with {} values", data.len())));
    }
    if !(seconds_per_col.is_finite() && seconds_per_col > 0.0) {
        return Err(empty(path, format!("{seconds_per_col} seconds per column")));
    }
    if let Rows::MelDb { fmin, fmax } = *kind {
        if !(fmin >= 0.0 && fmax > fmin && fmax.is_finite()) {
            return Err(empty(path, format!("a mel scale from {fmin} to {fmax} Hz")));
        }
    }
    let plot_w = (cols as u32).clamp(500, 1600);
    let plot_h = (rows as u32 * 3).clamp(260, 600);
    let size = (plot_w + LEFT + BAR_W + 20, plot_h + TOP + BOTTOM);
    render(path, size, &Heatmap { title, data, rows, cols, seconds_per_col, kind })
}

/// Room above the plot (caption), below it (time axis), left of it (row axis) and for the
/// colour bar.
const TOP: u32 = 40;
const BOTTOM: u32 = 55;
const LEFT: u32 = 75;
const BAR_W: u32 = 105;

/// How a tick of an axis reads.
type TickLabel = Box<dyn Fn(&f64) -> String>;

struct Heatmap<'a> {
    title: &'a str,
    data: &'a [f32],
    rows: usize,
    cols: usize,
    seconds_per_col: f64,
    kind: &'a Rows,
}

impl Heatmap<'_> {
    /// The colour map and the values at its ends.
    fn scale(&self) -> (ColourMap, f64, f64) {
        let finite = |rows: std::ops::Range<usize>| self.data[rows.start * self.cols..rows.end * self.cols].iter().copied().filter(|v| v.is_finite()).map(f64::from);
        match self.kind {
            Rows::Mfcc => {
                let from = usize::from(self.rows > 1);
                let top = finite(from..self.rows).fold(0.0f64, |a, v| a.max(v.abs()));
                let top = if top > 0.0 { top } else { 1.0 };
                (ColourMap::CoolWarm, -top, top)
            }
            _ => {
                let (lo, hi) = finite(0..self.rows).fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
                let (lo, hi) = if lo > hi { (0.0, 1.0) } else if lo == hi { (lo - 0.5, hi + 0.5) } else { (lo, hi) };
                (ColourMap::Magma, lo, hi)
            }
        }
    }

    /// The y axis: its range, ticks and how a tick reads.
    fn y_axis(&self) -> (Ticked, TickLabel, &'static str) {
        let rows = self.rows as f64;
        match *self.kind {
            Rows::MelDb { fmin, fmax } => {
                let hz = [0.0, 512.0, 1024.0, 2048.0, 4096.0, 8192.0, 16384.0];
                let axis = Ticked::new(hz_to_mel(fmin), hz_to_mel(fmax), hz.iter().map(|&f| hz_to_mel(f)));
                (axis, Box::new(|m: &f64| format!("{:.0}", mel_to_hz(*m))), "Hz")
            }
            Rows::Chroma => {
                let axis = Ticked::new(0.0, rows, (0..self.rows).map(|r| r as f64 + 0.5));
                (axis, Box::new(|v: &f64| NOTES.get(v.floor() as usize % 12).copied().unwrap_or_default().to_string()), "pitch class")
            }
            Rows::Mfcc => {
                let step = self.rows.div_ceil(10).max(1);
                let axis = Ticked::new(0.0, rows, (0..self.rows).step_by(step).map(|r| r as f64 + 0.5));
                (axis, Box::new(|v: &f64| format!("{:.0}", v.floor())), "MFCC")
            }
        }
    }

    /// The matrix as `w x h` RGB pixels: columns averaged into pixels (or repeated when there
    /// are fewer), rows repeated, the last row at the top.
    fn raster(&self, (w, h): (u32, u32), map: ColourMap, lo: f64, hi: f64) -> Vec<u8> {
        let (w, h) = (w as usize, h as usize);
        let (rows, cols) = (self.rows, self.cols);
        let bins: Vec<(usize, usize)> = (0..w).map(|x| (x * cols / w, ((x + 1) * cols / w).max(x * cols / w + 1).min(cols))).collect();
        let mut rgb = vec![0u8; w * h * 3];
        let span = hi - lo;
        for y in 0..h {
            let r = rows - 1 - (y * rows / h).min(rows - 1);
            let row = &self.data[r * cols..(r + 1) * cols];
            for (x, &(c0, c1)) in bins.iter().enumerate() {
                let (sum, n) = row[c0..c1].iter().filter(|v| v.is_finite()).fold((0.0, 0usize), |(s, n), &v| (s + f64::from(v), n + 1));
                let t = if n == 0 { f64::NAN } else { (sum / n as f64 - lo) / span };
                rgb[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&map.rgb(t));
            }
        }
        rgb
    }
}

impl Plot for Heatmap<'_> {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, canvas: &Canvas) -> std::result::Result<(), String> {
        area.fill(&WHITE).map_err(e2s)?;
        let (map, lo, hi) = self.scale();
        let (width, height) = area.dim_in_pixel();
        let (main, bar) = area.split_horizontally(width - BAR_W);
        let duration = self.cols as f64 * self.seconds_per_col;
        let (y, y_format, y_desc) = self.y_axis();
        let mut chart = ChartBuilder::on(&main)
            .caption(self.title, ("sans-serif", 18))
            .margin_top(8)
            .margin_left(8)
            .margin_right(12)
            .margin_bottom(8)
            .x_label_area_size(BOTTOM - 10)
            .y_label_area_size(LEFT - 8)
            .build_cartesian_2d(0.0..duration, y)
            .map_err(e2s)?;
        let seconds = |v: &f64| tidy(*v);
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("time (s)")
            .y_desc(y_desc)
            .x_label_formatter(&seconds)
            .y_label_formatter(&*y_format)
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 14))
            .draw()
            .map_err(e2s)?;
        let plot = chart.plotting_area().strip_coord_spec();
        let dim = plot.dim_in_pixel();
        canvas.blit(&plot, dim, self.raster(dim, map, lo, hi))?;

        // The colour bar, as tall as the plot and level with it.
        let top = plot.get_base_pixel().1 as u32;
        let bottom = height.saturating_sub(top + dim.1);
        let db = matches!(self.kind, Rows::MelDb { .. });
        let label = move |v: &f64| if db { format!("{:+.0} dB", v) } else { tidy(*v) };
        let widest = [lo, hi].iter().map(|v| text_size(&label(v), &("sans-serif", 13).into_font()).0).max().unwrap_or(40);
        let mut scale = ChartBuilder::on(&bar)
            .margin_top(top)
            .margin_bottom(bottom)
            .margin_left(14)
            .margin_right(BAR_W.saturating_sub(14 + 18 + widest + 14))
            .set_label_area_size(LabelAreaPosition::Right, widest + 12)
            .build_cartesian_2d(0.0..1.0, lo..hi)
            .map_err(e2s)?;
        scale
            .configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_labels(8)
            .y_label_formatter(&label)
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(e2s)?;
        let strip = scale.plotting_area().strip_coord_spec();
        let (bw, bh) = strip.dim_in_pixel();
        let gradient: Vec<u8> = (0..bh).flat_map(|y| {
            let c = map.rgb(1.0 - f64::from(y) / f64::from(bh.max(2) - 1));
            (0..bw).flat_map(move |_| c)
        }).collect();
        canvas.blit(&strip, (bw, bh), gradient)?;
        strip.draw(&Rectangle::new([(0, 0), (bw as i32 - 1, bh as i32 - 1)], BLACK.stroke_width(1))).map_err(e2s)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slaney_mel_matches_librosa() {
        // librosa.hz_to_mel(1000) = 15, hz_to_mel(4096) = 35.5087...
        assert!((hz_to_mel(1000.0) - 15.0).abs() < 1e-12);
        assert!((hz_to_mel(4096.0) - 35.508_719).abs() < 1e-5, "{}", hz_to_mel(4096.0));
        for hz in [0.0, 300.0, 1000.0, 8192.0, 11025.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-6);
        }
    }
}
