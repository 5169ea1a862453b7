//! Parity with librosa 0.11 where `shared/reference` has no array: mel filterbanks on the HTK
//! scale and with p-norms, tonnetz from the STFT chroma, the constant-Q transform and its
//! chroma. The arrays in `tests/reference`
//! were written by librosa itself (`tools/make_feature_reference.py`).

use std::path::PathBuf;

use genrecast_features::{chroma::tonnetz, ConstantQ, CqtConfig, FeatureConfig, FeatureExtractor, FeatureKind, MelConfig, MelFilterbank, MelNorm};
use genrecast_testutil::{read_npy, shared_dir};

fn reference(name: &str) -> (Vec<u64>, Vec<f32>) {
    read_npy(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference").join(name))
}

fn rel_err(ours: &[f32], want: &[f32]) -> f64 {
    let num: f64 = ours.iter().zip(want).map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2)).sum();
    let den: f64 = want.iter().map(|b| f64::from(*b).powi(2)).sum();
    (num / den).sqrt()
}

#[test]
fn mel_filterbanks_match_librosa_htk_and_p_norms() {
    let cases = [
        ("htk_none", MelConfig { sr: 16_000, n_fft: 512, n_mels: 40, fmin: 0.0, fmax: None, htk: true, norm: MelNorm::None }),
        ("htk_slaney", MelConfig { sr: 16_000, n_fft: 512, n_mels: 40, fmin: 50.0, fmax: Some(7000.0), htk: true, norm: MelNorm::Slaney }),
        ("slaney_l2", MelConfig { sr: 22_050, n_fft: 512, n_mels: 40, fmin: 0.0, fmax: None, htk: false, norm: MelNorm::P(2.0) }),
        ("slaney_inf", MelConfig { sr: 22_050, n_fft: 512, n_mels: 40, fmin: 100.0, fmax: Some(8000.0), htk: false, norm: MelNorm::P(f32::INFINITY) }),
    ];
    for (name, cfg) in cases {
        let (shape, want) = reference(&format!("melfb_{name}.npy"));
        let fb = MelFilterbank::new(&cfg).expect("filterbank").to_dense();
        assert_eq!([fb.rows as u64, fb.cols as u64], [shape[0], shape[1]], "{name}");
        let err = rel_err(&fb.data, &want);
        println!("mel filterbank {name}: relative error {err:.2e}");
        assert!(err <= 1e-6, "{name}: relative error {err:.2e}");
    }
}

#[test]
fn tonnetz_matches_librosa_on_stft_chroma() {
    let Some(shared) = shared_dir() else { return };
    let (_, y) = read_npy(&shared.join("reference/librosa/000002/y_22050.npy"));
    let fx = FeatureExtractor::new(FeatureConfig::default()).expect("extractor");
    let set = fx.extract(&y, &[FeatureKind::Chroma]).expect("extract");
    let (shape, want) = reference("tonnetz_stft_000002.npy");
    let ours = tonnetz(&set[&FeatureKind::Chroma]);
    assert_eq!([ours.rows as u64, ours.cols as u64], [shape[0], shape[1]]);
    let err = rel_err(&ours.data, &want);
    println!("tonnetz (chroma_stft): relative error {err:.2e}");
    assert!(err <= 1e-4, "tonnetz relative error {err:.2e}");
}

/// `librosa.feature.chroma_cqt(y=y, sr=22050)`: the CQT with 36 bins per octave, its
/// estimated tuning, and the folding onto 12 pitch classes.
#[test]
fn chroma_cqt_matches_librosa() {
    let Some(shared) = shared_dir() else { return };
    let (_, y) = read_npy(&shared.join("reference/librosa/000002/y_22050.npy"));
    let fx = FeatureExtractor::new(FeatureConfig::default()).expect("extractor");
    let set = fx.extract(&y, &[FeatureKind::ChromaCqt, FeatureKind::Tonnetz]).expect("extract");
    let (shape, want) = reference("chroma_cqt_000002.npy");
    let ours = &set[&FeatureKind::ChromaCqt];
    assert_eq!([ours.rows as u64, ours.cols as u64], [shape[0], shape[1]]);
    let err = rel_err(&ours.data, &want);
    println!("chroma_cqt: relative error {err:.2e}");
    assert!(err <= 1e-4, "chroma_cqt relative error {err:.2e}");
    // Tonnetz is the transform of the chroma returned beside it.
    assert_eq!(tonnetz(ours).data, set[&FeatureKind::Tonnetz].data);
}

/// `np.abs(librosa.cqt(...))` with its defaults, with one early downsampling (the samples read
/// as 44.1 kHz), and with a partial lowest octave, a hop that turns odd and a set tuning.
#[test]
fn cqt_matches_librosa() {
    let Some(shared) = shared_dir() else { return };
    let (_, y) = read_npy(&shared.join("reference/librosa/000002/y_22050.npy"));
    let cases = [
        ("default", 5, CqtConfig::default()),
        ("sr44100", 3, CqtConfig { sr: 44_100, ..Default::default() }),
        ("partial_oddhop", 1, CqtConfig { hop_length: 96, n_bins: 80, tuning: Some(0.2), ..Default::default() }),
    ];
    for (name, seconds, cfg) in cases {
        let cqt = ConstantQ::new(cfg).expect("config");
        let ours = cqt.magnitude(&y[..seconds * 22_050]).expect("cqt");
        let (shape, want) = reference(&format!("cqt_{name}_000002.npy"));
        assert_eq!([ours.rows as u64, ours.cols as u64], [shape[0], shape[1]], "{name}");
        let err = rel_err(&ours.data, &want);
        println!("cqt {name}: relative error {err:.2e}");
        assert!(err <= 1e-4, "cqt {name}: relative error {err:.2e}");
    }
}
