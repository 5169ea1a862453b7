//! The confusion matrix, laid out as scikit-learn's `ConfusionMatrixDisplay`: true classes
//! down, predicted across, a count in every cell, and a colour bar.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::colour::ColourMap;
use crate::{e2s, empty, render, text_size, Canvas, Plot, Result};

const PAD: u32 = 14;
const GAP: u32 = 8;
const TITLE: u32 = 17;
const LABEL: u32 = 14;
const DESC: u32 = 15;
const BAR: u32 = 18;

/// A confusion matrix (rows true, columns predicted) as a heatmap: each cell holds its count
/// and its share of the row (the true class), is shaded by that share, and the colour bar
/// reads the shares. Class names are written in full.
///
/// # Example
/// ```
/// let dir = tempfile::tempdir()?;
/// let labels = ["jazz".to_string(), "rock".to_string()];
/// genrecast_plots::confusion_heatmap(&dir.path().join("c.svg"), "fold 1", &labels, &[vec![3, 1], vec![0, 4]])?;
/// let svg = std::fs::read_to_string(dir.path().join("c.svg"))?;
/// assert!(svg.contains("jazz") && svg.contains("75%"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn confusion_heatmap(path: &Path, title: &str, labels: &[String], counts: &[Vec<usize>]) -> Result<()> {
    let n = labels.len();
    if n == 0 || counts.len() != n || counts.iter().any(|r| r.len() != n) {
        return Err(empty(path, "no classes, or a matrix that is not labels x labels"));
    }
    let layout = Layout::new(title, labels, counts);
    render(path, layout.size, &Confusion { title, labels, counts, layout })
}

/// Where everything goes, in pixels.
struct Layout {
    size: (u32, u32),
    /// The grid's top left corner and cell size.
    grid: (u32, u32),
    cell: u32,
}

impl Layout {
    fn new(title: &str, labels: &[String], counts: &[Vec<usize>]) -> Self {
        crate::register_font();
        let n = labels.len() as u32;
        let label_font = ("sans-serif", LABEL).into_font();
        let widest = labels.iter().map(|l| text_size(l, &label_font).0).max().unwrap_or(0);
        let biggest = counts.iter().flatten().max().copied().unwrap_or(0);
        let cell = (text_size(&biggest.to_string(), &("sans-serif", 14).into_font()).0 + 16).max(56);
        let (title_w, title_h) = text_size(title, &("sans-serif", TITLE).into_font());
        let left = PAD + DESC + GAP + widest + GAP;
        let top = PAD + title_h + 2 * GAP;
        let right = 2 * GAP + BAR + GAP + text_size("100%", &label_font).0 + GAP + DESC + PAD;
        let width = (left + n * cell + right).max(title_w + 2 * PAD);
        let height = top + n * cell + GAP + widest + GAP + DESC + PAD;
        Self { size: (width, height), grid: (left, top), cell }
    }
}

struct Confusion<'a> {
    title: &'a str,
    labels: &'a [String],
    counts: &'a [Vec<usize>],
    layout: Layout,
}

fn text<'a>(size: u32, h: HPos, v: VPos) -> TextStyle<'a> {
    ("sans-serif", size).into_font().color(&BLACK).pos(Pos::new(h, v))
}

impl Plot for Confusion<'_> {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, canvas: &Canvas) -> std::result::Result<(), String> {
        area.fill(&WHITE).map_err(e2s)?;
        let n = self.labels.len() as i32;
        let (x0, y0) = (self.layout.grid.0 as i32, self.layout.grid.1 as i32);
        let cell = self.layout.cell as i32;
        let side = n * cell;
        let (width, _) = area.dim_in_pixel();
        let draw = |e: Text<'_, (i32, i32), String>| area.draw(&e).map_err(e2s);
        draw(Text::new(self.title.to_string(), (width as i32 / 2, PAD as i32), text(TITLE, HPos::Center, VPos::Top)))?;

        for (t, row) in self.counts.iter().enumerate() {
            let total: usize = row.iter().sum();
            for (p, &c) in row.iter().enumerate() {
                let share = if total == 0 { 0.0 } else { c as f64 / total as f64 };
                let (x, y) = (x0 + p as i32 * cell, y0 + t as i32 * cell);
                area.draw(&Rectangle::new([(x, y), (x + cell, y + cell)], ColourMap::Blues.colour(share).filled())).map_err(e2s)?;
                let ink = if share > 0.5 { WHITE } else { BLACK };
                let (cx, cy) = (x + cell / 2, y + cell / 2);
                if c == 0 {
                    draw(Text::new("0".into(), (cx, cy), text(13, HPos::Center, VPos::Center).color(&RGBColor(150, 150, 150))))?;
                } else {
                    draw(Text::new(c.to_string(), (cx, cy - 8), text(14, HPos::Center, VPos::Center).color(&ink)))?;
                    draw(Text::new(format!("{:.0}%", share * 100.0), (cx, cy + 9), text(11, HPos::Center, VPos::Center).color(&ink)))?;
                }
            }
        }
        area.draw(&Rectangle::new([(x0, y0), (x0 + side, y0 + side)], BLACK.stroke_width(1))).map_err(e2s)?;

        // Class names: true ones right-aligned at the left, predicted ones upright below,
        // reading upwards and ending at the grid (matplotlib's `rotation=90`).
        let gap = GAP as i32;
        for (i, label) in self.labels.iter().enumerate() {
            let centre = i as i32 * cell + cell / 2;
            draw(Text::new(label.clone(), (x0 - gap, y0 + centre), text(LABEL, HPos::Right, VPos::Center)))?;
            let upright = text(LABEL, HPos::Right, VPos::Center).transform(FontTransform::Rotate270);
            draw(Text::new(label.clone(), (x0 + centre, y0 + side + gap), upright))?;
        }
        let (_, height) = area.dim_in_pixel();
        draw(Text::new("predicted label".into(), (x0 + side / 2, height as i32 - PAD as i32), text(DESC, HPos::Center, VPos::Bottom)))?;
        let sideways = text(DESC, HPos::Center, VPos::Top).transform(FontTransform::Rotate270);
        draw(Text::new("true label".into(), (PAD as i32, y0 + side / 2), sideways))?;

        // The colour bar: shares of the true class, 0 at the bottom.
        let bx = x0 + side + 2 * gap;
        let strip = area.clone().shrink((bx, y0), (BAR, side as u32));
        let gradient: Vec<u8> = (0..side).flat_map(|y| {
            let c = ColourMap::Blues.rgb(1.0 - f64::from(y) / f64::from((side - 1).max(1)));
            (0..BAR).flat_map(move |_| c)
        }).collect();
        canvas.blit(&strip, (BAR, side as u32), gradient)?;
        area.draw(&Rectangle::new([(bx, y0), (bx + BAR as i32, y0 + side)], BLACK.stroke_width(1))).map_err(e2s)?;
        let mut widest = 0;
        for k in 0..=4 {
            let y = y0 + side - side * k / 4;
            area.draw(&PathElement::new(vec![(bx + BAR as i32, y), (bx + BAR as i32 + 4, y)], BLACK)).map_err(e2s)?;
            let tick = format!("{}%", k * 25);
            widest = widest.max(text_size(&tick, &("sans-serif", LABEL).into_font()).0 as i32);
            draw(Text::new(tick, (bx + BAR as i32 + 6, y), text(LABEL, HPos::Left, VPos::Center)))?;
        }
        // Said beside the bar where it fits (a two-class matrix is shorter than the words).
        let words = "share of the true class";
        if text_size(words, &("sans-serif", DESC).into_font()).0 as i32 <= side {
            let desc = text(DESC, HPos::Center, VPos::Top).transform(FontTransform::Rotate90);
            draw(Text::new(words.into(), (bx + BAR as i32 + 6 + widest + gap + DESC as i32, y0 + side / 2), desc))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_names_get_room() {
        let labels = ["a class with a long name".to_string(), "b".to_string()];
        let layout = super::Layout::new("t", &labels, &[vec![1, 0], vec![0, 1]]);
        // About 160 px of DejaVu Sans at 14 px, left of the grid and below it.
        assert!(layout.grid.0 > 160 && layout.size.1 > layout.grid.1 + 2 * layout.cell + 160, "{:?} {:?}", layout.grid, layout.size);
    }
}
