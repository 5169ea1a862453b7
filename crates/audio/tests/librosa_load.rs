//! Decode + resample against `librosa.load(path, sr=22050)` (soxr_hq), on the files that
//! `../shared/reference/librosa/*/params.json` names.

use genrecast_audio::{load, LoadOptions};

use crate::common::{read_npy, shared_dir, snr_db};

#[test]
fn load_matches_librosa_load_above_50_db() {
    let Some(shared) = shared_dir() else { return };
    let refs = shared.join("reference/librosa");
    let mut dirs: Vec<_> = std::fs::read_dir(&refs).expect("reference dir").flatten().map(|e| e.path()).collect();
    dirs.sort();
    assert!(dirs.len() >= 4);
    let mut worst = f64::INFINITY;
    for dir in dirs {
        let params: String = std::fs::read_to_string(dir.join("params.json")).expect("params.json");
        let source = params.split("\"source\": \"").nth(1).and_then(|s| s.split('"').next()).expect("source");
        let path = shared.join(source);
        let (_, reference) = read_npy(&dir.join("y_22050.npy"));
        let ours = load(&path, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ours.samples.len(), reference.len(), "{}: length", path.display());
        let snr = snr_db(&reference, &ours.samples);
        println!("SNR {:>6.1} dB  {}", snr, source);
        worst = worst.min(snr);
    }
    assert!(worst >= 50.0, "worst SNR {worst:.1} dB < 50 dB");
}
