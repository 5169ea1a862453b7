//! One test per plot kind: the PNG decodes, has a plausible size and is not blank (it has
//! many distinct colours); the SVG is well-formed XML-ish and, for heatmaps, holds one
//! embedded PNG and stays small. No pixel is compared with a reference.

use std::collections::HashSet;
use std::path::Path;

use base64::Engine;
use genrecast_plots::{bar_chart, confusion_heatmap, matrix_heatmap, pr_curves, roc_curves, training_curves, Curve, Epoch, Rows};

/// Width, height and the number of distinct colours of a PNG file.
fn png_facts(bytes: &[u8]) -> (u32, u32, usize) {
    let mut decoder = png::Decoder::new(bytes);
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    let channels = info.color_type.samples();
    let colours: HashSet<&[u8]> = buf[..info.buffer_size()].chunks(channels).collect();
    (info.width, info.height, colours.len())
}

fn png_file(path: &Path) -> (u32, u32, usize) {
    let bytes = std::fs::read(path).expect("png written");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{}", path.display());
    png_facts(&bytes)
}

/// Checks that `svg` is one `<svg>` element whose tags all open and close in order, and
/// returns the PNGs embedded in it.
fn svg_images(svg: &str) -> Vec<Vec<u8>> {
    assert!(svg.trim_start().starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "not an <svg> document");
    let mut stack: Vec<&str> = Vec::new();
    let mut images = Vec::new();
    let mut rest = svg;
    while let Some(open) = rest.find('<') {
        let close = open + rest[open..].find('>').expect("an unclosed tag");
        let tag = &rest[open + 1..close];
        assert!(!tag.contains('<'), "a '<' inside a tag: {}", &tag[..tag.len().min(80)]);
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(name.trim()), "mismatched </{name}>");
        } else if !tag.ends_with('/') && !tag.starts_with('?') && !tag.starts_with('!') {
            stack.push(tag.split_whitespace().next().unwrap_or_default());
        }
        if tag.starts_with("image ") {
            let data = tag.split("href=\"data:image/png;base64,").nth(1).and_then(|s| s.split('"').next()).expect("an image with a PNG data URI");
            images.push(base64::engine::general_purpose::STANDARD.decode(data).expect("base64"));
        }
        rest = &rest[close + 1..];
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    images
}

/// An SVG's text, its `<text>` contents (trimmed) and its embedded PNGs.
struct Svg {
    text: String,
    texts: Vec<String>,
    images: Vec<Vec<u8>>,
}

impl Svg {
    fn has(&self, s: &str) -> bool {
        self.texts.iter().any(|t| t == s)
    }

    fn count(&self, s: &str) -> usize {
        self.texts.iter().filter(|t| *t == s).count()
    }
}

fn svg_file(path: &Path) -> Svg {
    let text = std::fs::read_to_string(path).expect("svg written");
    let images = svg_images(&text);
    let texts = text.split("<text").skip(1).filter_map(|t| Some(t.split_once('>')?.1.split("</text>").next()?.trim().to_string())).collect();
    Svg { text, texts, images }
}

fn labels(n: usize) -> Vec<String> {
    ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"].iter().take(n).map(|s| s.to_string()).collect()
}

/// A deterministic stand-in for audio features: smooth bands, a beat, and noise.
fn features(rows: usize, cols: usize, lo: f32, hi: f32) -> Vec<f32> {
    let mut seed = 0x2545_f491_u32;
    (0..rows * cols)
        .map(|i| {
            let (r, c) = ((i / cols) as f32, (i % cols) as f32);
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (seed >> 8) as f32 / (1 << 24) as f32;
            let t = 0.45 * (1.0 - r / rows as f32) + 0.25 * (0.5 + 0.5 * (c / 21.5).sin()) * (0.5 + 0.5 * (r / 7.0).cos()) + 0.3 * noise;
            lo + (hi - lo) * t
        })
        .collect()
}

#[test]
fn mel_spectrogram_png_and_svg() {
    let dir = tempfile::tempdir().expect("tmp");
    // 30 s at librosa's hop: 1292 frames of 128 bands, -80..0 dB.
    let (rows, cols) = (128, 1292);
    let data = features(rows, cols, -80.0, 0.0);
    let kind = Rows::MelDb { fmin: 0.0, fmax: 11025.0 };
    let png = dir.path().join("mel.png");
    matrix_heatmap(&png, "song: mel spectrogram", &data, rows, cols, 512.0 / 22050.0, &kind).expect("png");
    let (w, h, colours) = png_file(&png);
    // A pixel column per frame up to 1600, and room for the axes and the colour bar.
    assert!((cols as u32 + 150..cols as u32 + 400).contains(&w) && (300..800).contains(&h), "{w} x {h}");
    assert!(colours > 200, "{colours} colours");

    let svg = dir.path().join("mel.svg");
    matrix_heatmap(&svg, "song: mel spectrogram", &data, rows, cols, 512.0 / 22050.0, &kind).expect("svg");
    let doc = svg_file(&svg);
    // The spectrogram and the colour bar, each one PNG; no <rect> per cell.
    assert_eq!(doc.images.len(), 2);
    let (iw, ih, icolours) = png_facts(&doc.images[0]);
    assert!(iw > 1000 && ih > 200 && icolours > 200, "{iw} x {ih}, {icolours} colours");
    assert!(doc.text.matches("<rect").count() < 20, "{} rects", doc.text.matches("<rect").count());
    // Hz ticks on the mel axis, and a colour bar in dB.
    for tick in ["0", "512", "1024", "2048", "4096", "8192", "Hz", "-40 dB", "time (s)"] {
        assert!(doc.has(tick), "no {tick}: {:?}", doc.texts);
    }
}

#[test]
fn a_ten_minute_spectrogram_svg_stays_under_2_mb() {
    let dir = tempfile::tempdir().expect("tmp");
    let (rows, cols) = (128, 25_840);
    let data = features(rows, cols, -80.0, 0.0);
    let svg = dir.path().join("long.svg");
    matrix_heatmap(&svg, "10 minutes", &data, rows, cols, 512.0 / 22050.0, &Rows::MelDb { fmin: 0.0, fmax: 11025.0 }).expect("svg");
    let size = std::fs::metadata(&svg).expect("svg").len();
    assert!(size < 2_000_000, "{size} bytes");
    assert_eq!(svg_file(&svg).images.len(), 2);
}

#[test]
fn chroma_png_and_svg() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = features(12, 400, 0.0, 1.0);
    let png = dir.path().join("chroma.png");
    matrix_heatmap(&png, "song: chroma", &data, 12, 400, 512.0 / 22050.0, &Rows::Chroma).expect("png");
    let (w, h, colours) = png_file(&png);
    assert!(w >= 500 && h >= 260, "{w} x {h}");
    assert!(colours > 100, "{colours} colours");
    let svg = dir.path().join("chroma.svg");
    matrix_heatmap(&svg, "song: chroma", &data, 12, 400, 512.0 / 22050.0, &Rows::Chroma).expect("svg");
    let doc = svg_file(&svg);
    assert_eq!(doc.images.len(), 2);
    for note in ["C", "C#", "D", "F#", "A", "B"] {
        assert!(doc.has(note), "no {note}");
    }
}

#[test]
fn mfcc_png_and_svg_scale_without_coefficient_0() {
    let dir = tempfile::tempdir().expect("tmp");
    let (rows, cols) = (20, 600);
    let mut data = features(rows, cols, -30.0, 30.0);
    // Coefficient 0 is hundreds below the rest, as in real MFCCs.
    data[..cols].iter_mut().for_each(|v| *v -= 400.0);
    let png = dir.path().join("mfcc.png");
    matrix_heatmap(&png, "song: MFCC", &data, rows, cols, 512.0 / 22050.0, &Rows::Mfcc).expect("png");
    let (_, _, colours) = png_file(&png);
    // Scaled on coefficient 0 the others would be a few shades of one colour.
    assert!(colours > 150, "{colours} colours");
    let svg = dir.path().join("mfcc.svg");
    matrix_heatmap(&svg, "song: MFCC", &data, rows, cols, 512.0 / 22050.0, &Rows::Mfcc).expect("svg");
    let doc = svg_file(&svg);
    assert_eq!(doc.images.len(), 2);
    assert!(doc.has("MFCC") && doc.has("0") && doc.has("18"), "coefficient ticks");
}

#[test]
fn confusion_matrix_png_and_svg() {
    let dir = tempfile::tempdir().expect("tmp");
    let labels = labels(10);
    let counts: Vec<Vec<usize>> = (0..10).map(|t| (0..10).map(|p| if t == p { 8 + t } else { (t * 3 + p) % 4 }).collect()).collect();
    let png = dir.path().join("confusion.png");
    confusion_heatmap(&png, "a model on GTZAN", &labels, &counts).expect("png");
    let (w, h, colours) = png_file(&png);
    assert!(w > 10 * 56 && h > 10 * 56 && w < 1400 && h < 1400, "{w} x {h}");
    assert!(colours > 20, "{colours} colours");
    let svg = dir.path().join("confusion.svg");
    confusion_heatmap(&svg, "a model on GTZAN", &labels, &counts).expect("svg");
    let doc = svg_file(&svg);
    assert_eq!(doc.images.len(), 1, "the colour bar");
    // Every class named in full, twice (true and predicted); counts and row shares.
    for l in &labels {
        assert_eq!(doc.count(l), 2, "{l}");
    }
    assert!(doc.has("17") && doc.has("100%") && doc.text.contains("predicted label") && doc.text.contains("true label"));
    // No extra row or column: 100 cells and the frame, nothing more than the bar's ticks.
    let cells = doc.text.matches("<rect").count();
    assert!((101..=104).contains(&cells), "{cells} rects");
    assert!(confusion_heatmap(&png, "x", &labels, &counts[..9]).is_err());
}

#[test]
fn f1_bars_png_and_svg() {
    let dir = tempfile::tempdir().expect("tmp");
    let labels = labels(10);
    let values: Vec<f64> = (0..10).map(|i| 0.3 + 0.07 * i as f64).collect();
    let png = dir.path().join("f1.png");
    bar_chart(&png, "F1 per class", &labels, &values, "F1").expect("png");
    let (w, h, colours) = png_file(&png);
    assert!(w > 500 && h > 10 * 28, "{w} x {h}");
    assert!(colours > 3, "{colours} colours");
    let svg = dir.path().join("f1.svg");
    bar_chart(&svg, "F1 per class", &labels, &values, "F1").expect("svg");
    let doc = svg_file(&svg);
    assert!(labels.iter().all(|l| doc.has(l)) && doc.has("0.93"));
    assert!(bar_chart(&png, "x", &labels, &values[..3], "F1").is_err());
}

fn curves(n: usize) -> Vec<Curve> {
    (0..n)
        .map(|k| {
            let q = 0.5 + 0.04 * k as f64;
            let points: Vec<(f64, f64)> = (0..=20).map(|i| i as f64 / 20.0).map(|r| (1.0 - r, q + (1.0 - q) * r * r)).collect();
            Curve { label: format!("class {k}"), points, score: Some(q) }
        })
        .collect()
}

#[test]
fn precision_recall_png_and_svg() {
    let dir = tempfile::tempdir().expect("tmp");
    let curves = curves(10);
    let png = dir.path().join("pr.png");
    pr_curves(&png, "precision-recall", &curves).expect("png");
    let (w, h, colours) = png_file(&png);
    assert!(w > 560 && h >= 500, "{w} x {h}");
    // Eight palette colours (the ninth curve on is dashed) and their anti-aliased edges.
    assert!(colours > 8, "{colours} colours");
    let svg = dir.path().join("pr.svg");
    pr_curves(&svg, "precision-recall", &curves).expect("svg");
    let doc = svg_file(&svg);
    assert!(doc.text.contains("class 0 (AP = 0.50)") && doc.text.contains("class 9 (AP = 0.86)"));
    // Okabe-Ito colours, none of plotters' default palette.
    assert!(doc.text.contains("#E69F00") && doc.text.contains("#56B4E9") && doc.text.contains("#009E73"));
}

#[test]
fn roc_png_and_svg() {
    let dir = tempfile::tempdir().expect("tmp");
    let curves: Vec<Curve> = (0..3)
        .map(|k| Curve { label: format!("class {k}"), points: vec![(0.0, 0.0), (0.1, 0.5 + 0.1 * k as f64), (0.5, 0.9), (1.0, 1.0)], score: Some(0.8 + 0.05 * k as f64) })
        .collect();
    let png = dir.path().join("roc.png");
    roc_curves(&png, "ROC", &curves).expect("png");
    let (_, _, colours) = png_file(&png);
    assert!(colours > 5, "{colours} colours");
    let svg = dir.path().join("roc.svg");
    roc_curves(&svg, "ROC", &curves).expect("svg");
    let doc = svg_file(&svg);
    assert!(doc.text.contains("class 2 (AUC = 0.90)") && doc.text.contains("chance level (AUC = 0.5)") && doc.text.contains("false positive rate"));
    assert!(roc_curves(&svg, "ROC", &[]).is_err());
}

#[test]
fn training_curves_png_and_svg() {
    let dir = tempfile::tempdir().expect("tmp");
    let epochs: Vec<Epoch> = (1..=12)
        .map(|e| {
            let x = e as f64;
            Epoch { epoch: e, train_loss: Some(2.2 / x.sqrt()), valid_loss: Some(1.4 + 0.02 * (x - 7.0).powi(2)), metric: Some(0.3 + 0.4 * (1.0 - (-x / 4.0).exp())) }
        })
        .collect();
    let png = dir.path().join("training.png");
    training_curves(&png, "training", &epochs, "validation accuracy", Some(7)).expect("png");
    let (w, h, colours) = png_file(&png);
    assert!(w > 720 && h == 460, "{w} x {h}");
    assert!(colours > 8, "{colours} colours");
    let svg = dir.path().join("training.svg");
    training_curves(&svg, "training", &epochs, "validation accuracy", Some(7)).expect("svg");
    let doc = svg_file(&svg);
    assert!(doc.text.contains("best epoch (7)") && doc.text.contains("training loss") && doc.text.contains("validation loss") && doc.has("epoch"));
    // Whole epochs only: no "2.5" or "1.0" on the epoch axis.
    assert!(doc.has("2") && doc.has("12") && !doc.has("2.5") && !doc.has("1.0"));
}
