//! `genrecast info` on real files: the bundled example and the shared datasets.

use crate::{example_song, genrecast, text};

#[test]
fn info_reports_the_example_song() {
    let out = genrecast(&["info", "--json", &example_song().display().to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let f = &v["files"][0];
    assert_eq!(f["container"], "ogg");
    assert_eq!(f["codec"], "vorbis");
    assert_eq!(f["sample_rate"], 44_100);
    assert_eq!(f["channels"], 2);
    // 30 s exactly, as cut by sox: 1,323,000 frames at 44.1 kHz.
    assert_eq!(f["frames"], 1_323_000);
    assert!(v["failures"].as_array().is_some_and(|a| a.is_empty()));
}

/// Every audio file of the shared slice decodes, with the rate, channels and duration that
/// `labels.csv` (written by the data's provider, not by us) records.
#[test]
fn info_agrees_with_shared_labels() {
    let Some(shared) = genrecast_testutil::shared_dir() else { return };
    for (dataset, ncols) in [("gtzan", 8usize)] {
        let root = shared.join("data").join(dataset);
        let labels = std::fs::read_to_string(root.join("labels.csv")).expect("labels.csv");
        let rows: Vec<Vec<String>> = labels.lines().skip(1).map(|l| l.split(',').map(str::to_owned).collect()).collect();
        assert!(rows.iter().all(|r| r.len() == ncols));
        let out = genrecast(&["info", "--json", &root.display().to_string()]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let files = v["files"].as_array().expect("files");
        assert_eq!(files.len(), rows.len(), "every listed file found and decoded");
        for r in &rows {
            let path = root.join(&r[0]).display().to_string();
            let f = files.iter().find(|f| f["path"] == path.as_str()).unwrap_or_else(|| panic!("{path} not reported"));
            assert_eq!(f["sample_rate"].as_u64().map(|x| x.to_string()), Some(r[4].clone()), "{path}");
            assert_eq!(f["channels"].as_u64().map(|x| x.to_string()), Some(r[5].clone()), "{path}");
            let dur: f64 = r[6].parse().expect("duration_s");
            assert!((f["duration_s"].as_f64().unwrap_or(0.0) - dur).abs() < 2e-3, "{path}: {} vs {dur}", f["duration_s"]);
        }
    }
}

/// FMA's mp3s decode to their documented 30 s (give or take the encoder's padding).
#[test]
fn info_decodes_fma_mp3() {
    let Some(shared) = genrecast_testutil::shared_dir() else { return };
    let out = genrecast(&["info", "--json", &shared.join("data/fma/fma_small").display().to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let files = v["files"].as_array().expect("files");
    assert_eq!(files.len(), 25);
    for f in files {
        assert_eq!(f["container"], "mp3");
        let d = f["duration_s"].as_f64().unwrap_or(0.0);
        assert!((29.0..=30.7).contains(&d), "{}: {d} s", f["path"]);
    }
}
