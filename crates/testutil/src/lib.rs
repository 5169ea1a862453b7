//! Test helpers shared by the genrecast crates (dev-dependency only).

use std::path::{Path, PathBuf};

/// The `shared/` folder beside the checkout (or `$GENRECAST_SHARED`), if present.
///
/// Outside CI, tests that need it print why they skip when it is absent (a user's checkout);
/// under `CI=true` its absence is a failure, so that CI can never pass by skipping.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("GENRECAST_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    if dir.join("data").is_dir() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some_and(|v| v == "true") {
        panic!("CI=true but the shared data folder is missing: looked in {}", dir.display());
    }
    eprintln!("SKIPPED: {} not found; tests that need real audio are skipped", dir.display());
    None
}

/// Reads a float32 `.npy` file as (shape, data in C order). Arrays numpy stored in Fortran
/// order (as `np.save` does for transposed results) are reordered.
///
/// # Panics
/// If the file is missing or not float32: a broken reference is a test failure.
pub fn read_npy(path: &Path) -> (Vec<u64>, Vec<f32>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let npy = npyz::NpyFile::new(&bytes[..]).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let shape = npy.shape().to_vec();
    let fortran = npy.order() == npyz::Order::Fortran;
    let data = npy.into_vec::<f32>().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if fortran && shape.len() == 2 {
        let (rows, cols) = (shape[0] as usize, shape[1] as usize);
        let mut c = vec![0.0; data.len()];
        for r in 0..rows {
            for k in 0..cols {
                c[r * cols + k] = data[k * rows + r];
            }
        }
        return (shape, c);
    }
    assert!(!fortran || shape.len() <= 1, "{}: Fortran-order arrays of rank > 2 are not supported", path.display());
    (shape, data)
}

/// The reference folders under `shared/reference/librosa`, sorted, with the audio file each
/// was made from (the `source` of its `params.json`, relative to `shared/`).
pub fn librosa_references(shared: &Path) -> Vec<(PathBuf, PathBuf)> {
    let refs = shared.join("reference/librosa");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&refs)
        .unwrap_or_else(|e| panic!("{}: {e}", refs.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("params.json").is_file())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|d| {
            let params = std::fs::read_to_string(d.join("params.json")).expect("params.json");
            let source = params
                .split("\"source\": \"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .unwrap_or_else(|| panic!("{}: no source in params.json", d.display()));
            let src = shared.join(source);
            (d, src)
        })
        .collect()
}

/// Signal-to-noise ratio in dB of `ours` against `reference` (infinite when bit-exact).
pub fn snr_db(reference: &[f32], ours: &[f32]) -> f64 {
    let sig: f64 = reference.iter().map(|&x| f64::from(x).powi(2)).sum();
    let noise: f64 = reference.iter().zip(ours).map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2)).sum();
    if noise == 0.0 {
        return f64::INFINITY;
    }
    10.0 * (sig / noise).log10()
}
