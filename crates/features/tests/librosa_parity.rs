//! Parity with librosa 0.11 on real music: every feature of `shared/reference/librosa/*`
//! (made by `make_reference.py` there), computed from librosa's own `y_22050.npy` so that
//! only the DSP is compared. Prints the worst relative Frobenius error of each feature.

use std::collections::BTreeMap;

use genrecast_features::{Array2, FeatureConfig, FeatureExtractor, FeatureKind, MusicnnFrontEnd, Precision};
use genrecast_testutil::{librosa_references, read_npy, shared_dir};

/// (reference file, our feature, tuning fixed to 0?, tolerance): relative Frobenius error
/// bounds from issue #3 (1e-4 for spectra and spectral features, 1e-3 for dB-valued ones).
const CASES: &[(&str, FeatureKind, bool, f64)] = &[
    ("mel_power", FeatureKind::Mel, false, 1e-4),
    ("mel_db", FeatureKind::MelDb, false, 1e-3),
    ("mfcc20", FeatureKind::Mfcc, false, 1e-3),
    ("chroma_stft", FeatureKind::Chroma, false, 1e-4),
    ("chroma_stft_tuning0", FeatureKind::Chroma, true, 1e-4),
    // librosa.feature.tonnetz(y=y, sr=sr): tonal centroids of chroma_cqt, tuning estimated.
    ("tonnetz", FeatureKind::Tonnetz, false, 1e-4),
    ("spectral_centroid", FeatureKind::Centroid, false, 1e-4),
    ("spectral_bandwidth", FeatureKind::Bandwidth, false, 1e-4),
    ("spectral_rolloff", FeatureKind::Rolloff, false, 1e-4),
    ("spectral_contrast", FeatureKind::Contrast, false, 1e-4),
    ("spectral_flatness", FeatureKind::Flatness, false, 1e-4),
    ("zcr", FeatureKind::Zcr, false, 1e-4),
    ("rms", FeatureKind::Rms, false, 1e-4),
    ("onset_strength", FeatureKind::Onset, false, 1e-3),
];

/// The spectral features checked again with the f64 STFT (`--precision f64`), at 1e-4.
const F64_KINDS: [(&str, FeatureKind); 4] =
    [("mel_power", FeatureKind::Mel), ("chroma_stft", FeatureKind::Chroma), ("spectral_contrast", FeatureKind::Contrast), ("spectral_flatness", FeatureKind::Flatness)];

#[allow(clippy::too_many_arguments)]
fn check(name: &str, ours: &Array2, reference: &[f32], shape: &[u64], tol: f64, worst: &mut BTreeMap<String, f64>, failures: &mut Vec<String>, clip: &str) {
    let want: Vec<u64> = if shape.len() == 1 { vec![1, shape[0]] } else { shape.to_vec() };
    if want != [ours.rows as u64, ours.cols as u64] {
        failures.push(format!("{clip} {name}: shape {:?} vs librosa {:?}", ours.shape(), shape));
        return;
    }
    let err = ours.relative_error(reference);
    let w = worst.entry(name.to_owned()).or_insert(0.0);
    *w = w.max(err);
    // Negated so that a NaN error fails too.
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
    if !(err <= tol) {
        failures.push(format!("{clip} {name}: relative error {err:.2e} > {tol:.0e}"));
    }
}

#[test]
fn features_match_librosa_on_real_music() {
    let Some(shared) = shared_dir() else { return };
    let fx = FeatureExtractor::new(FeatureConfig::default()).expect("default config");
    let fx0 = FeatureExtractor::new(FeatureConfig { tuning: Some(0.0), ..Default::default() }).expect("tuning 0");
    let fx64 = FeatureExtractor::new(FeatureConfig { precision: Precision::F64, ..Default::default() }).expect("f64");
    let musicnn = MusicnnFrontEnd::new().expect("musicnn preset");
    let mut worst = BTreeMap::new();
    let mut failures = Vec::new();
    let mut tempo_worst = 0.0f64;
    for (dir, source) in librosa_references(&shared) {
        let clip = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let (_, y) = read_npy(&dir.join("y_22050.npy"));
        let set = fx.extract(&y, &FeatureKind::ALL).expect("extract");
        let set0 = fx0.extract(&y, &[FeatureKind::Chroma]).expect("extract");
        // `--precision f64`: the double-precision STFT keeps its own figures.
        let set64 = fx64.extract(&y, &F64_KINDS.map(|(_, k)| k)).expect("extract");
        for (file, kind) in F64_KINDS {
            let (shape, reference) = read_npy(&dir.join(format!("{file}.npy")));
            check(&format!("{file} (f64)"), &set64[&kind], &reference, &shape, 1e-4, &mut worst, &mut failures, &clip);
        }
        for &(file, kind, tuning0, tol) in CASES {
            let (shape, reference) = read_npy(&dir.join(format!("{file}.npy")));
            let ours = if tuning0 { &set0[&kind] } else { &set[&kind] };
            check(file, ours, &reference, &shape, tol, &mut worst, &mut failures, &clip);
        }
        let (_, tempo) = read_npy(&dir.join("tempo.npy"));
        let ours = set[&FeatureKind::Tempo].data[0];
        let diff = f64::from((ours - tempo[0]).abs());
        println!("{clip}: tempo {ours:.2} BPM, librosa {:.2}", tempo[0]);
        tempo_worst = tempo_worst.max(diff);
        if diff > 1.0 {
            failures.push(format!("{clip} tempo: {ours} vs librosa {} BPM", tempo[0]));
        }
        // musicnn's front end starts from librosa.load(sr=16000): our own decode + resample.
        let y16 = genrecast_audio::load(&source, &genrecast_audio::LoadOptions { sample_rate: Some(16_000), ..Default::default() }).expect("load 16k");
        let (shape, reference) = read_npy(&dir.join("musicnn_logmel.npy"));
        check("musicnn_logmel (from audio)", &musicnn.logmel(&y16.samples), &reference, &shape, 1e-3, &mut worst, &mut failures, &clip);
    }
    for (name, err) in &worst {
        println!("worst relative error {err:.2e}  {name}");
    }
    println!("worst tempo difference {tempo_worst:.3} BPM");
    assert!(failures.is_empty(), "parity failures:\n{}", failures.join("\n"));
}
