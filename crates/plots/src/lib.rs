//! PNG and SVG plots for genrecast's reports, drawn with plotters: a confusion matrix, bar
//! charts (per-class F1), precision-recall, ROC and training curves, and spectrogram-like
//! heatmaps (mel spectrogram, chroma, MFCC over time). The file extension (`.png` or `.svg`)
//! picks the format.
//!
//! The figures follow the conventions readers know from librosa and scikit-learn:
//! `librosa.display.specshow`'s axes (Hz on a mel scale, note names, seconds) with a colour
//! bar, `ConfusionMatrixDisplay`'s counts, and step-wise precision-recall curves with the AP
//! in the legend. Curves use Okabe and Ito's colour-blind-safe palette.
//!
//! PNG text is rendered from DejaVu Sans, compiled in (`fonts/`, under its free licence), so
//! that plots look the same on machines without fonts. Heatmaps are rasters: in an SVG they
//! are one embedded PNG (`<image href="data:image/png;base64,...">`), not a rectangle per
//! cell, so that the file stays small for long songs.

use std::cell::RefCell;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

mod axis;
mod bars;
mod colour;
mod confusion;
mod curves;
mod heatmap;

pub use bars::bar_chart;
pub use confusion::confusion_heatmap;
pub use curves::{pr_curves, roc_curves, training_curves, Curve, Epoch};
pub use heatmap::{matrix_heatmap, Rows};

/// What can go wrong while drawing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// The extension is neither `.png` nor `.svg`.
    #[error("{0}: plots are written as .png or .svg")]
    Format(String),
    /// Nothing to draw, or data that does not fit the plot.
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

fn empty(path: &Path, reason: impl Into<String>) -> PlotError {
    PlotError::Empty { path: path.display().to_string(), reason: reason.into() }
}

/// A drawing error as text (plotters' errors are generic over the backend).
fn e2s(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Something drawn on any plotters backend.
trait Plot {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, canvas: &Canvas) -> std::result::Result<(), String>;
}

/// The fill of the placeholder rectangle that stands for a bitmap on an SVG canvas (a colour
/// no colour map or palette here produces).
const PLACEHOLDER: RGBColor = RGBColor(0x0D, 0x0E, 0x0F);
const PLACEHOLDER_FILL: &str = "fill=\"#0D0E0F\"";

/// Where bitmaps go. plotters' SVG backend has no bitmap of its own (it would write one
/// `<rect>` per pixel), so on an SVG canvas each bitmap is drawn as a placeholder rectangle and
/// swapped for an `<image>` holding it as a PNG once the SVG is written.
struct Canvas {
    svg: bool,
    pngs: RefCell<Vec<Vec<u8>>>,
}

impl Canvas {
    fn new(svg: bool) -> Self {
        Self { svg, pngs: RefCell::new(Vec::new()) }
    }

    /// Draws `rgb` (`w x h` pixels, row-major, 3 bytes each) at the top left of `area`.
    fn blit<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, (w, h): (u32, u32), rgb: Vec<u8>) -> std::result::Result<(), String> {
        if w == 0 || h == 0 {
            return Ok(());
        }
        if self.svg {
            self.pngs.borrow_mut().push(encode_png(w, h, &rgb)?);
            area.draw(&Rectangle::new([(0, 0), (w as i32, h as i32)], PLACEHOLDER.filled())).map_err(e2s)
        } else {
            let bitmap = BitMapElement::with_owned_buffer((0, 0), (w, h), rgb).ok_or("a bitmap smaller than its size")?;
            area.draw(&bitmap).map_err(e2s)
        }
    }

    /// Replaces the placeholders of `svg`, in order, with `<image>` elements.
    fn embed(&self, svg: String) -> std::result::Result<String, String> {
        let pngs = self.pngs.borrow();
        let mut out = String::with_capacity(svg.len() + pngs.iter().map(|p| p.len() * 4 / 3 + 200).sum::<usize>());
        let mut rest = svg.as_str();
        for png in pngs.iter() {
            let at = rest.find(PLACEHOLDER_FILL).ok_or("a bitmap's placeholder is missing from the SVG")?;
            let start = rest[..at].rfind("<rect").ok_or("a bitmap's placeholder is not a <rect>")?;
            let end = at + rest[at..].find("/>").ok_or("an unclosed <rect>")? + 2;
            let tag = &rest[start..end];
            let attr = |name: &str| tag.split(&format!(" {name}=\"")).nth(1).and_then(|s| s.split('"').next()).unwrap_or("0");
            out.push_str(&rest[..start]);
            out.push_str(&format!(
                "<image x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" preserveAspectRatio=\"none\" href=\"data:image/png;base64,{}\"/>",
                attr("x"),
                attr("y"),
                attr("width"),
                attr("height"),
                base64_encode(png)
            ));
            rest = &rest[end..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// `rgb` as an 8-bit RGB PNG.
fn encode_png(w: u32, h: u32, rgb: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Best);
    encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    let mut writer = encoder.write_header().map_err(e2s)?;
    writer.write_image_data(rgb).map_err(e2s)?;
    writer.finish().map_err(e2s)?;
    Ok(bytes)
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Draws `plot` on a PNG or SVG canvas of `size` at `path` (written to a temporary name
/// beside it, then renamed, so a reader never sees half a plot).
fn render(path: &Path, size: (u32, u32), plot: &impl Plot) -> Result<()> {
    register_font();
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
    let tmp = path.with_extension(format!("partial.{ext}"));
    let result = match ext.as_str() {
        "png" => {
            let canvas = Canvas::new(false);
            let root = BitMapBackend::new(&tmp, size).into_drawing_area();
            plot.draw(&root, &canvas).and_then(|()| root.present().map_err(e2s))
        }
        "svg" => {
            let canvas = Canvas::new(true);
            let mut text = String::new();
            let drawn = {
                let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
                plot.draw(&root, &canvas).and_then(|()| root.present().map_err(e2s))
            };
            drawn.and_then(|()| canvas.embed(text)).and_then(|svg| std::fs::write(&tmp, svg).map_err(e2s))
        }
        _ => return Err(PlotError::Format(path.display().to_string())),
    };
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(draw_err(path)(e));
    }
    std::fs::rename(&tmp, path).map_err(|e| draw_err(path)(e.to_string()))
}

/// The size of `text` in `font` (`(0, 0)` if the font cannot lay it out). A `FontDesc` looks
/// its face up when it is made: make it after [`register_font`], or it measures nothing.
fn text_size(text: &str, font: &FontDesc) -> (u32, u32) {
    font.box_size(text).unwrap_or((0, 0))
}

/// A number with at most three decimals and no trailing zeros ("0.5", "12", "-3.25").
fn tidy(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { &s };
    if s == "-0" { "0".into() } else { s.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_tidy() {
        assert_eq!(tidy(0.5), "0.5");
        assert_eq!(tidy(12.0), "12");
        assert_eq!(tidy(-0.0001), "0");
        assert_eq!(tidy(-3.25), "-3.25");
    }

    #[test]
    fn base64_matches_the_rfc_examples() {
        assert_eq!(base64_encode(b"foob"), "Zm9vYg==");
        assert_eq!(base64_encode(b"fooba"), "Zm9vYmE=");
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
    }
}
