//! The rp_extract family against rp_extract.py's own outputs (`shared/reference/rp_extract`,
//! made by `shared/reference/make_rp_extract_reference.py` from the same audio files).

use std::collections::BTreeMap;
use std::path::Path;

use genrecast_audio::{load, LoadOptions};
use genrecast_descriptors::rp::{equal_loudness_at_bark_edges, spreading_matrix, RpExtractor};
use genrecast_testutil::{read_npy, shared_dir};

/// A reference array of any of the stored dtypes (float32 descriptors, float64 constants,
/// int64 segment positions) as `f64`, in storage order.
fn read_any(path: &Path) -> Vec<f64> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let npy = || npyz::NpyFile::new(&bytes[..]).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let descr = npy().dtype().descr();
    match descr.as_str() {
        s if s.contains("f8") => npy().into_vec::<f64>().expect("f8"),
        s if s.contains("i8") => npy().into_vec::<i64>().expect("i8").into_iter().map(|v| v as f64).collect(),
        _ => read_npy(path).1.into_iter().map(f64::from).collect(),
    }
}

/// `|ours - reference| / |reference|` (Frobenius).
fn relative_error(ours: &[f64], reference: &[f64]) -> f64 {
    assert_eq!(ours.len(), reference.len());
    let (mut num, mut den) = (0.0, 0.0);
    for (&a, &b) in ours.iter().zip(reference) {
        num += (a - b).powi(2);
        den += b.powi(2);
    }
    (num / den.max(f64::MIN_POSITIVE)).sqrt()
}

#[test]
fn constants_match_rp_extract() {
    let Some(shared) = shared_dir() else { return };
    let dir = shared.join("reference/rp_extract/constants");
    let loud = read_any(&dir.join("loudn_bark.npy"));
    let ours: Vec<f64> = equal_loudness_at_bark_edges().iter().flatten().copied().collect();
    assert!(relative_error(&ours, &loud) < 1e-6, "equal-loudness table: {}", relative_error(&ours, &loud));
    let spread = read_any(&dir.join("spread.npy"));
    let ours: Vec<f64> = spreading_matrix().iter().flatten().copied().collect();
    assert!(relative_error(&ours, &spread) < 1e-6, "spreading matrix: {}", relative_error(&ours, &spread));
}

/// Every descriptor of every reference clip. The GTZAN clips are FLAC, decoded to the same
/// samples by ffmpeg and by us, so only the references' float32 storage (about 3e-8)
/// separates the figures: tolerance 1e-6. The FMA clip is an mp3, which ffmpeg and
/// symphonia decode differently in the last bits (about 1e-5 here): tolerance 1e-4.
#[test]
fn descriptors_match_rp_extract() {
    let Some(shared) = shared_dir() else { return };
    let refs = shared.join("reference/rp_extract");
    let mut worst: BTreeMap<String, f64> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut clips = 0;
    for entry in std::fs::read_dir(&refs).expect("reference dir").flatten() {
        let dir = entry.path();
        let Ok(params) = std::fs::read_to_string(dir.join("params.json")) else { continue };
        let params: serde_json::Value = serde_json::from_str(&params).expect("params.json");
        let source = params["source_file"].as_str().expect("source_file");
        let path = shared.join(source.split("shared/").nth(1).expect("a path under shared/"));
        let lossy = Path::new(&path).extension().is_some_and(|e| e == "mp3");
        let wave = load(&path, &LoadOptions { sample_rate: None, ..Default::default() }).expect("decode");
        let fx = RpExtractor::new(wave.sample_rate).expect("rate");
        let ours = fx.extract(&wave.samples).expect("extract");
        clips += 1;
        let segpos = read_any(&dir.join("segpos.npy"));
        let spans: Vec<(usize, usize)> = ours.segments.iter().map(|s| s.span).collect();
        let want: Vec<(usize, usize)> = segpos.chunks(2).map(|p| (p[0] as usize - 1, p[1] as usize)).collect();
        assert_eq!(spans, want, "{}: segments", dir.display());
        let seg = |f: &dyn Fn(&genrecast_descriptors::rp::SegmentDescriptors) -> &[f64]| ours.segments.iter().flat_map(|s| f(s).iter().copied()).collect::<Vec<f64>>();
        let cases: Vec<(&str, Vec<f64>, f64, f64)> = vec![
            ("rp", ours.rp.clone(), 1e-6, 1e-4),
            ("rh", ours.rh.clone(), 1e-6, 1e-4),
            ("ssd", ours.ssd.clone(), 1e-6, 1e-4),
            ("mvd", ours.mvd.clone(), 1e-6, 1e-4),
            ("trh", ours.trh.clone(), 1e-6, 1e-4),
            ("tssd", ours.tssd.clone(), 1e-6, 1e-4),
            ("rp_seg", seg(&|s| &s.rp), 1e-6, 1e-4),
            ("ssd_seg", seg(&|s| &s.ssd), 1e-6, 1e-4),
        ];
        for (name, values, tol_exact, tol_mp3) in cases {
            let reference = read_any(&dir.join(format!("{name}.npy")));
            let err = relative_error(&values, &reference);
            let tol = if lossy { tol_mp3 } else { tol_exact };
            let clip = dir.file_name().expect("name").to_string_lossy().into_owned();
            println!("{clip:>16} {name:<8} relative error {err:.2e} (tolerance {tol:.0e})");
            let key = format!("{name}{}", if lossy { " (mp3)" } else { "" });
            let w = worst.entry(key).or_insert(0.0);
            *w = w.max(err);
            if err.is_nan() || err > tol {
                failures.push(format!("{clip} {name}: {err:.2e} > {tol:.0e}"));
            }
        }
    }
    for (name, err) in &worst {
        println!("worst relative error {err:.2e}  {name}");
    }
    assert!(clips >= 3, "expected 3 reference clips, found {clips}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
