//! `tools/make_teacher_tags.py --exclude-test-of folds3:K` (the pretraining audio of the
//! transfer experiment, #23) against Foleis' lists as `--split folds3` reads them: what it keeps
//! is exactly the GTZAN slice's clips of fold K's training side (so no clip or artist of the
//! test side), plus the FMA clips.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use genrecast_datasets::{folds, open, open_with, DatasetKind, ManifestOptions, OpenOptions};
use genrecast_testutil::shared_dir;

/// A teacher CSV as `genrecast tag --format csv` writes it, one row per audio file of
/// `labels.csv` in `folder`: "rock" on (0.5), "jazz" off (0.05).
fn tag_rows(folder: &Path, out: &mut String) -> usize {
    let mut rd = csv::Reader::from_path(folder.join("labels.csv")).expect("labels.csv");
    let mut n = 0;
    for r in rd.records() {
        let path = folder.join(&r.expect("row")[0]);
        out.push_str(&format!("{},0.000,30.000,rock,0.5,0.05\n", path.display()));
        n += 1;
    }
    n
}

#[test]
fn pretraining_audio_of_a_folds3_fold_leaves_out_its_test_side() {
    let Some(shared) = shared_dir() else { return };
    let (gtzan_dir, fma_dir) = (shared.join("data/gtzan"), shared.join("data/fma"));
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut teacher = String::from("file,start_s,end_s,top,rock,jazz\n");
    tag_rows(&gtzan_dir, &mut teacher);
    let fma_files = tag_rows(&fma_dir, &mut teacher);
    let tags = tmp.path().join("tags.csv");
    std::fs::write(&tags, teacher).expect("write tags");

    let gtzan = open(&gtzan_dir, Some(DatasetKind::Gtzan)).expect("gtzan");
    let f3 = folds(&gtzan, "folds3").expect("folds3");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/make_teacher_tags.py");
    for k in 1..=3 {
        let out = tmp.path().join(format!("pre-{k}.csv"));
        let status = Command::new("python3")
            .arg(&script)
            .args([tags.as_os_str(), gtzan_dir.as_os_str(), out.as_os_str()])
            .args(["0.1", "--teacher", "musicnn-msd", "--fma"])
            .arg(&fma_dir)
            .args(["--exclude-test-of", &format!("folds3:{k}")])
            .status()
            .expect("python3");
        assert!(status.success(), "make_teacher_tags.py for fold {k}");
        let opts = OpenOptions {
            kind: Some(DatasetKind::Manifest),
            manifest: ManifestOptions { label_column: "tags".into(), label_separator: Some('|'), ..ManifestOptions::default() },
            ..OpenOptions::default()
        };
        let pre = open_with(&out, &opts).expect("manifest");
        assert!(pre.multi_label);
        assert_eq!(pre.labels, ["rock"], "only tags at or above the threshold");

        let fold = &f3[k - 1];
        let side = |idx: &[usize]| -> BTreeSet<String> { idx.iter().map(|&i| gtzan.tracks[i].clip.clone()).collect() };
        let test_artists: BTreeSet<String> = fold.test.iter().filter_map(|&i| gtzan.tracks[i].artist.clone()).collect();
        assert!(!test_artists.is_empty());
        let kept_gtzan: BTreeSet<String> = pre.tracks.iter().filter(|t| !t.clip.starts_with("fma-")).map(|t| t.clip.clone()).collect();
        // Exactly the fold's training side (every variant of its clips), nothing of its test side.
        assert_eq!(kept_gtzan, side(&fold.train), "fold {k}");
        let train_files = fold.train.len();
        assert_eq!(pre.tracks.len(), train_files + fma_files, "fold {k}: every file of those clips, and the FMA files");
        assert!(kept_gtzan.is_disjoint(&side(&fold.test)));
        for t in &pre.tracks {
            let artist = t.artist.as_deref().expect("every kept file has an artist");
            assert!(!test_artists.contains(artist), "fold {k}: {} by a test-side artist", t.path.display());
            assert_eq!(t.split.as_deref(), Some("train"));
        }
        assert_eq!(pre.tracks.iter().filter(|t| t.clip.starts_with("fma-")).count(), fma_files);
    }
}
