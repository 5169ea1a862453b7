//! Any bytes as a CSV manifest (with a multi-label separator), then every split over it.
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;

fuzz_target!(|data: &[u8]| {
    let path = common::scratch("manifest.csv", data);
    for sep in [None, Some('|')] {
        let opts = genrecast_datasets::ManifestOptions { label_separator: sep, ..Default::default() };
        if let Ok(ds) = genrecast_datasets::load_manifest(&path, &opts) {
            for spec in ["column", "kfold:3", "kfold:2:clip:7"] {
                if let Ok(folds) = genrecast_datasets::folds(&ds, spec) {
                    for f in &folds {
                        let _ = genrecast_datasets::check_leakage(&ds, f, genrecast_datasets::GroupBy::Artist);
                    }
                }
            }
        }
    }
});
