//! `genrecast dataset summary|split|verify` on the shared datasets.

use crate::{genrecast, text};
use genrecast_testutil::shared_dir;

#[test]
fn summary_of_gtzan_counts_what_labels_csv_says() {
    let Some(shared) = shared_dir() else { return };
    let root = shared.join("data/gtzan");
    let out = genrecast(&["dataset", "summary", root.to_str().expect("utf8"), "--json", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    // Independent counts from the publisher's labels.csv.
    let rows: Vec<Vec<String>> = std::fs::read_to_string(root.join("labels.csv"))
        .expect("labels.csv")
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    assert_eq!(s["files"], rows.len());
    let count = |col: usize, value: &str| rows.iter().filter(|r| r[col] == value).count();
    assert_eq!(s["per_label"]["jazz"]["valid"], count_both(&rows, "jazz", "valid"));
    assert_eq!(s["per_split"]["train"], count(7, "train"));
    assert_eq!(s["per_split"]["none"], count(7, "none"));
    assert_eq!(s["sample_rates"]["44100"], count(4, "44100"));
    assert_eq!(s["channels"]["2"], count(5, "2"));
    assert_eq!(s["formats"]["au/pcm_s16be"], count(3, "au_original"));
    let clips: std::collections::BTreeSet<&String> = rows.iter().map(|r| &r[2]).collect();
    assert_eq!(s["clips"], clips.len());
    assert_eq!(s["unreadable"].as_array().map(Vec::len), Some(0));
    // Durations: labels.csv gives them to the millisecond.
    let max = rows.iter().map(|r| r[6].parse::<f64>().expect("duration")).fold(0.0, f64::max);
    assert!((s["duration_s"]["max"].as_f64().expect("max") - max).abs() < 0.01, "{} vs {max}", s["duration_s"]["max"]);
}

fn count_both(rows: &[Vec<String>], genre: &str, split: &str) -> usize {
    rows.iter().filter(|r| r[1] == genre && r[7] == split).count()
}

#[test]
fn summary_reports_unreadable_and_duplicate_files() {
    let Some(shared) = shared_dir() else { return };
    let dir = tempfile::tempdir().expect("tmp");
    let rock = dir.path().join("rock");
    std::fs::create_dir_all(&rock).expect("dir");
    let good = shared.join("data/gtzan/excerpts_22k/rock");
    let first = std::fs::read_dir(&good).expect("rock").flatten().next().expect("a file").path();
    std::fs::copy(&first, rock.join("a.flac")).expect("copy");
    std::fs::copy(&first, rock.join("b.flac")).expect("copy");
    std::fs::write(rock.join("broken.flac"), b"fLaC\\0\\0\\0\\x22garbage").expect("write");
    let out = genrecast(&["dataset", "summary", dir.path().to_str().expect("utf8"), "-q"]);
    assert_eq!(out.status.code(), Some(1), "unreadable files make the exit code 1");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("folder dataset"), "{stdout}");
    assert!(stdout.contains("unreadable files: 1") && stdout.contains("broken.flac"), "{stdout}");
    assert!(stdout.contains("identical content: 1 groups"), "{stdout}");
}

#[test]
fn split_refuses_leaks_and_writes_lists() {
    let dir = tempfile::tempdir().expect("tmp");
    let csv = dir.path().join("m.csv");
    std::fs::write(&csv, "path,genre,clip,artist,split\na.wav,rock,c1,x,train\nb.wav,rock,c1,x,test\nc.wav,jazz,c2,y,train\n").expect("csv");
    let out = genrecast(&["dataset", "split", csv.to_str().expect("utf8"), "--split", "column"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("clip:c1 in train+test") && err.contains("--allow-leakage"), "{err}");
    let lists = dir.path().join("lists");
    let out = genrecast(&["dataset", "split", csv.to_str().expect("utf8"), "--split", "column", "--allow-leakage", "--out", lists.to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("warning: split 'column' leaks"));
    let train = std::fs::read_to_string(lists.join("column/train.txt")).expect("train list");
    assert_eq!(train.lines().count(), 2);
    // Artist-level leaks are caught too.
    std::fs::write(&csv, "path,genre,clip,artist,split\na.wav,rock,c1,x,train\nb.wav,rock,c3,x,test\n").expect("csv");
    let out = genrecast(&["dataset", "split", csv.to_str().expect("utf8"), "--split", "column"]);
    assert!(text(&out.stderr).contains("artist:x in train+test"), "{}", text(&out.stderr));
    let out = genrecast(&["dataset", "split", csv.to_str().expect("utf8"), "--split", "column", "--group-by", "clip"]);
    assert!(out.status.success());
}

#[test]
fn gtzan_splits_from_the_cli_are_leak_free() {
    let Some(shared) = shared_dir() else { return };
    let root = shared.join("data/gtzan");
    for split in ["filtered", "folds3", "kfold:5"] {
        let out = genrecast(&["dataset", "split", root.to_str().expect("utf8"), "--split", split]);
        assert!(out.status.success(), "{split}: {}", text(&out.stderr));
    }
    let out = genrecast(&["dataset", "split", root.to_str().expect("utf8"), "--split", "nonsense"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown split 'nonsense'"));
}

#[test]
fn fma_files_match_the_official_checksums() {
    let Some(shared) = shared_dir() else { return };
    let out = genrecast(&["dataset", "verify", shared.join("data/fma/fma_small").to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("25 files match"), "{}", text(&out.stdout));
}
