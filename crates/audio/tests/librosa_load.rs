//! Decode + resample against `librosa.load(path, sr=22050)` (soxr_hq), on the files that
//! `../shared/reference/librosa/*/params.json` names.

use genrecast_audio::{load, LoadOptions};
use genrecast_testutil::{librosa_references, read_npy, shared_dir, snr_db};

#[test]
fn load_matches_librosa_load_above_50_db() {
    let Some(shared) = shared_dir() else { return };
    let refs = librosa_references(&shared);
    assert!(refs.len() >= 4, "expected at least 4 reference clips");
    let mut worst = f64::INFINITY;
    for (dir, source) in refs {
        let (_, reference) = read_npy(&dir.join("y_22050.npy"));
        let ours = load(&source, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ours.samples.len(), reference.len(), "{}: length", source.display());
        let snr = snr_db(&reference, &ours.samples);
        // Reported beside the SNR (not asserted): the figure to compare across resampler changes.
        let max_abs = reference.iter().zip(&ours.samples).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        println!("load SNR {snr:>6.1} dB  max |diff| {max_abs:.3e}  {}", source.display());
        worst = worst.min(snr);
    }
    assert!(worst >= 50.0, "worst SNR {worst:.1} dB < 50 dB");
}
