//! `genrecast features`: shapes, formats, summary, and parity of the written arrays.

use crate::{example_song, genrecast, text};

/// Arrays written by the CLI for a GTZAN clip equal librosa's on the same audio: the CLI's
/// decode of the 22 kHz FLAC is bit-exact, so the DSP tolerances apply.
#[test]
fn features_cli_writes_librosa_arrays() {
    let Some(shared) = genrecast_testutil::shared_dir() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let src = shared.join("data/gtzan/full_22k/rock/rock.00000.flac");
    let out = genrecast(&["features", "-q", &src.display().to_string(), "--set", "mfcc,mel_db,chroma,tempo", "--out", &dir.path().display().to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let reference = shared.join("reference/librosa/rock.00000");
    for (ours, theirs, tol) in [("mfcc", "mfcc20", 1e-3), ("mel_db", "mel_db", 1e-3), ("chroma", "chroma_stft", 1e-4)] {
        let (shape, data) = genrecast_testutil::read_npy(&dir.path().join("rock.00000").join(format!("{ours}.npy")));
        let (rshape, rdata) = genrecast_testutil::read_npy(&reference.join(format!("{theirs}.npy")));
        assert_eq!(shape, rshape, "{ours}");
        let num: f64 = data.iter().zip(&rdata).map(|(a, b)| f64::from(a - b).powi(2)).sum();
        let den: f64 = rdata.iter().map(|b| f64::from(*b).powi(2)).sum();
        assert!((num / den).sqrt() <= tol, "{ours}: {}", (num / den).sqrt());
    }
}

#[test]
fn features_cli_formats_and_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().display().to_string();
    let song = example_song().display().to_string();
    let out = genrecast(&["features", "-q", &song, "--set", "mfcc,centroid,tempo", "--format", "csv", "--summary", "--out", &out_dir]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = std::fs::read_to_string(dir.path().join("muldjord-chaos-god-excerpt/mfcc.csv")).expect("mfcc.csv");
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 20);
    // 30 s at 22,050 Hz, hop 512: 1 + 661,500 / 512 = 1,292 frames.
    assert_eq!(rows[0].split(',').count(), 1292);
    let summary = std::fs::read_to_string(dir.path().join("summary.csv")).expect("summary.csv");
    let header: Vec<&str> = summary.lines().next().unwrap_or_default().split(',').collect();
    // path + 20 mfcc x 7 stats + centroid x 7 + tempo.
    assert_eq!(header.len(), 1 + 140 + 7 + 1);
    assert_eq!(header[1], "mfcc/mean/01");
    assert_eq!(header[141], "centroid/mean/01");
    assert_eq!(*header.last().unwrap_or(&""), "tempo");
    let json_out = genrecast(&["features", "-q", &song, "--set", "rms", "--format", "json", "--out", &out_dir]);
    assert!(json_out.status.success());
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("muldjord-chaos-god-excerpt/rms.json")).expect("rms.json")).expect("json");
    assert_eq!(v["shape"], serde_json::json!([1, 1292]));
}

#[test]
fn features_cli_rejects_unknown_feature() {
    let out = genrecast(&["features", &example_song().display().to_string(), "--set", "mfcc,loudness", "--out", "/tmp/unused"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown feature 'loudness'"), "{}", text(&out.stderr));
}

/// `--set rp,ssd,trh --summary` writes rp_extract's vectors, in its column-major order under
/// named columns, equal to rp_extract.py's own outputs for the same GTZAN clip; the arrays
/// are its matrices (RP: 24 bands x 60 modulation bins).
#[test]
fn features_cli_writes_rp_extract_descriptors() {
    let Some(shared) = genrecast_testutil::shared_dir() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let src = shared.join("data/gtzan/full_22k/rock/rock.00000.flac");
    let out = genrecast(&["features", "-q", &src.display().to_string(), "--set", "rp,ssd,trh", "--summary", "--out", &dir.path().display().to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = std::fs::read_to_string(dir.path().join("summary.csv")).expect("summary.csv");
    let mut lines = summary.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let values: Vec<f64> = lines.next().expect("row").split(',').skip(1).map(|v| v.parse().expect("number")).collect();
    assert_eq!(header.len(), 1 + 1440 + 168 + 420);
    assert_eq!((header[1], header[1441], header[1441 + 24]), ("rp/01/01", "ssd/mean/01", "ssd/var/01"));
    let reference = shared.join("reference/rp_extract/rock.00000");
    let mut offset = 0;
    for (name, len) in [("rp", 1440), ("ssd", 168), ("trh", 420)] {
        let (_, want) = genrecast_testutil::read_npy(&reference.join(format!("{name}.npy")));
        let ours = &values[offset..offset + len];
        let num: f64 = ours.iter().zip(&want).map(|(a, b)| (a - f64::from(*b)).powi(2)).sum();
        let den: f64 = want.iter().map(|b| f64::from(*b).powi(2)).sum();
        let err = (num / den).sqrt();
        assert!(err < 1e-6, "{name}: relative error {err:.2e}");
        offset += len;
    }
    let (shape, rp) = genrecast_testutil::read_npy(&dir.path().join("rock.00000/rp.npy"));
    assert_eq!(shape, [24, 60]);
    // Row-major band x bin; the summary is column-major: rp[band][bin] = rp/band/bin.
    assert_eq!(f64::from(rp[60 + 2]), values[1 + 24 * 2]);
}
