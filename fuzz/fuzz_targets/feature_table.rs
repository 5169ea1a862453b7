//! Any bytes as a GTZAN feature table (Kaggle's features_30_sec.csv layout).
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;

fuzz_target!(|data: &[u8]| {
    let path = common::scratch("table.csv", data);
    let root = std::env::temp_dir().join("genrecast-fuzz-no-gtzan");
    if let Ok((ds, table)) = genrecast_datasets::load_gtzan_table(&root, &path, &["length"]) {
        assert_eq!(ds.tracks.len(), table.rows.len());
        assert!(table.rows.iter().flatten().all(|v| v.is_finite()));
    }
});
