//! Helpers shared by the integration tests: where `../shared` is, and reading `.npy` files.
#![allow(dead_code)]

use std::path::PathBuf;

/// The `shared/` folder beside the checkout (or `$GENRECAST_SHARED`), if present.
/// Tests that need it print why they skip when it is absent (a user's checkout).
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("GENRECAST_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    if dir.join("data").is_dir() {
        Some(dir)
    } else {
        if std::env::var_os("CI").is_some() {
            panic!("CI must run with ../shared present, looked in {}", dir.display());
        }
        eprintln!("SKIPPED: {} not found (tests that need real audio are skipped)", dir.display());
        None
    }
}

/// Reads a float32 `.npy` file as (shape, data).
pub fn read_npy(path: &std::path::Path) -> (Vec<u64>, Vec<f32>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let npy = npyz::NpyFile::new(&bytes[..]).expect("npy header");
    let shape = npy.shape().to_vec();
    (shape, npy.into_vec::<f32>().expect("float32 npy"))
}

/// Signal-to-noise ratio in dB of `ours` against `reference`.
pub fn snr_db(reference: &[f32], ours: &[f32]) -> f64 {
    let sig: f64 = reference.iter().map(|&x| (x as f64).powi(2)).sum();
    let noise: f64 = reference.iter().zip(ours).map(|(&a, &b)| (a as f64 - b as f64).powi(2)).sum();
    if noise == 0.0 {
        return f64::INFINITY; // bit-exact
    }
    10.0 * (sig / noise).log10()
}
