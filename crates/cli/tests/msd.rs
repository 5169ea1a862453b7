//! Million-Song-style inputs end to end: segment series of the real MSD per-track files in
//! `shared/data/msd/h5` into the LSTM, 1-D CNN and MLP; musiXmatch lyrics joined with tagtraum
//! genres into a lyrics model; both together in a multimodal model.

use std::path::Path;

use crate::{bin, text};
use genrecast_testutil::shared_dir;

/// The six per-track files, labelled by their Echo Nest tempo (SOURCE.txt lists it):
/// "fast" above 120 BPM, "slow" below.
fn tempo_manifest(msd: &Path, dir: &Path, extra: Option<&Path>) -> std::path::PathBuf {
    let tempo = [("TRAAABD128F429CF47", 121.3), ("TRAAADZ128F9348C2E", 100.1), ("TRAAAEF128F4273421", 119.3), ("TRAAAFD128F92F423A", 129.7), ("TRAAAFP128F931B4E3", 142.0), ("TRAXLZU12903D05F94", 113.4)];
    let mut csv = String::from("path,genre,clip\n");
    for (id, bpm) in tempo {
        csv.push_str(&format!("{},{},{id}\n", msd.join("h5").join(format!("{id}.h5")).display(), if bpm > 120.0 { "fast" } else { "slow" }));
    }
    if let Some(p) = extra {
        csv.push_str(&format!("{},fast,TRBROKEN000000000\n", p.display()));
    }
    let path = dir.join("msd.csv");
    std::fs::write(&path, csv).expect("manifest");
    path
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json")
}

fn lyrics_files(msd: &Path) -> String {
    let dir = msd.join("musixmatch");
    format!("{},{}", dir.join("mxm_dataset_train.head114.txt").display(), dir.join("mxm_dataset_test.head8259.txt").display())
}

#[test]
fn segment_series_train_the_sequence_models_and_a_bad_file_is_named() {
    let Some(shared) = shared_dir() else { return };
    let msd = shared.join("data/msd");
    let tmp = tempfile::tempdir().expect("tmp");
    let broken = tmp.path().join("TRBROKEN000000000.h5");
    std::fs::write(&broken, b"\x89HDF\r\n\x1a\n truncated").expect("write");
    let manifest = tempo_manifest(&msd, tmp.path(), Some(&broken));
    for model in ["lstm", "cnn1d", "mlp"] {
        let out_dir = tmp.path().join(model);
        let out = bin().args(["train", "--model", model, "--input", "msd-segments", "--split", "kfold:3", "--epochs", "2", "-q", "--out"]).arg(&out_dir).arg(&manifest).output().expect("train");
        let err = text(&out.stderr);
        // The broken file is named with its cause; the others train (exit 1 says one was left out).
        assert!(err.contains("TRBROKEN000000000.h5") && err.contains("HDF5"), "{model}: {err}");
        assert_eq!(out.status.code(), Some(1), "{model}: {err}");
        let card = json(&out_dir.join("model.json"));
        assert_eq!(card["input"]["preset"], "msd-segments");
        assert_eq!(card["input"]["crop_frames"], 300);
        assert_eq!((card["network"]["n_features"].as_u64(), card["network"]["masked"].as_bool()), (Some(25), Some(true)), "{model}");
        assert_eq!(card["normalizer"]["mask_row"], 24);

        // eval scores the same held-out side the same way train did.
        let out = bin().args(["eval", "--split", "kfold:3", "--json", "-q", "--model"]).arg(&out_dir).arg(&manifest).output().expect("eval");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{model}: {e}: {}", text(&out.stderr)));
        assert_eq!(v["accuracy"], card["metrics"]["accuracy"], "{model}");
        assert_eq!(v["tracks"], card["metrics"]["tracks"], "{model}");
    }
    // A model on segment series cannot classify a sound file, and says why.
    let out = bin().args(["classify", "--model"]).arg(tmp.path().join("lstm")).arg(crate::example_song()).output().expect("classify");
    assert!(!out.status.success() && text(&out.stderr).contains("reads MSD segment series"), "{}", text(&out.stderr));
}

#[test]
fn lyrics_alone_predict_tagtraum_genres_above_chance() {
    let Some(shared) = shared_dir() else { return };
    let msd = shared.join("data/msd");
    let tmp = tempfile::tempdir().expect("tmp");
    let model = tmp.path().join("lyrics");
    let cls = msd.join("tagtraum/msd_tagtraum_cd1.cls");
    let out = bin().args(["train", "--model", "mlp", "--input", "lyrics", "--split", "kfold:5", "--epochs", "10", "-q", "--lyrics", &lyrics_files(&msd), "--out"]).arg(&model).arg(&cls).output().expect("train");
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    // 2,149 of the 8,373 songs with lyrics have a tagtraum CD1 genre (a join by track id).
    assert!(err.contains("2149 of 133676 tracks have a bag of words"), "{err}");
    // Word vectors never learn from held-out songs.
    assert!(err.contains("held-out songs excluded"), "{err}");
    let card = json(&model.join("model.json"));
    assert_eq!(card["input"]["preset"], "lyrics");
    assert_eq!(card["lyrics"]["vectors"]["dims"], 50);
    // 13 genres; Pop_Rock is 70 % of the join. Lyrics carry genre: balanced accuracy well
    // above chance (1/13 = 0.077), accuracy not below always answering Pop_Rock by much.
    let (acc, bacc) = (card["metrics"]["accuracy"].as_f64().expect("acc"), card["metrics"]["balanced_accuracy"].as_f64().expect("bacc"));
    assert!(bacc > 0.12 && acc > 0.65, "accuracy {acc}, balanced {bacc}");

    // eval needs the lyrics files and then reproduces train's score.
    let out = bin().args(["eval", "--split", "kfold:5", "--json", "-q", "--model"]).arg(&model).arg(&cls).output().expect("eval");
    assert!(!out.status.success() && text(&out.stderr).contains("--lyrics"), "{}", text(&out.stderr));
    let out = bin().args(["eval", "--split", "kfold:5", "--json", "-q", "--lyrics", &lyrics_files(&msd), "--model"]).arg(&model).arg(&cls).output().expect("eval");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    assert_eq!((&v["accuracy"], &v["tracks"]), (&card["metrics"]["accuracy"], &card["metrics"]["tracks"]));

    // --input lyrics without lyrics files is refused up front.
    let out = bin().args(["train", "--model", "mlp", "--input", "lyrics", "-q", "--out"]).arg(tmp.path().join("x")).arg(&cls).output().expect("train");
    assert!(!out.status.success() && text(&out.stderr).contains("--lyrics"), "{}", text(&out.stderr));
}

#[test]
fn segment_series_and_lyrics_train_a_multimodal_model() {
    let Some(shared) = shared_dir() else { return };
    let msd = shared.join("data/msd");
    let tmp = tempfile::tempdir().expect("tmp");
    let manifest = tempo_manifest(&msd, tmp.path(), None);
    let model = tmp.path().join("multimodal");
    let out = bin().args(["train", "--model", "cnn1d", "--input", "msd-segments", "--split", "kfold:3", "--epochs", "2", "-q", "--lyrics", &lyrics_files(&msd), "--out"]).arg(&model).arg(&manifest).output().expect("train");
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    // SOURCE.txt: three of the six per-track files have lyrics in the train excerpt.
    assert!(err.contains("3 of 6 tracks have a bag of words") && err.contains("cnn1d + lyrics"), "{err}");
    let card = json(&model.join("model.json"));
    assert_eq!((card["input"]["lyrics_dims"].as_u64(), card["network"]["lyrics"].as_u64()), (Some(50), Some(50)));
    let out = bin().args(["eval", "--split", "kfold:3", "--json", "-q", "--lyrics", &lyrics_files(&msd), "--model"]).arg(&model).arg(&manifest).output().expect("eval");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    assert_eq!(v["accuracy"], card["metrics"]["accuracy"]);
}

#[test]
fn inputs_that_the_files_cannot_give_are_refused_up_front() {
    let Some(shared) = shared_dir() else { return };
    let msd = shared.join("data/msd");
    let tmp = tempfile::tempdir().expect("tmp");
    let manifest = tempo_manifest(&msd, tmp.path(), None);
    let nomatch = tmp.path().join("nomatch.txt");
    std::fs::write(&nomatch, "%a,b\nTRZZZ0000000000000,1,1:1\n").expect("write");
    let gtzan = shared.join("data/gtzan").display().to_string();
    let cases: [(Vec<String>, &str); 4] = [
        // Audio features from Echo Nest analyses.
        (vec!["--model".into(), "mlp".into(), manifest.display().to_string()], "use --input msd-segments"),
        // Segment series from audio files.
        (vec!["--model".into(), "lstm".into(), "--input".into(), "msd-segments".into(), gtzan], "reads MSD per-track .h5 files"),
        // Lyrics that join no track.
        (vec!["--model".into(), "mlp".into(), "--input".into(), "lyrics".into(), "--lyrics".into(), nomatch.display().to_string(), manifest.display().to_string()], "has lyrics in the --lyrics files"),
        // A missing lyrics file, named once with its cause.
        (vec!["--model".into(), "mlp".into(), "--input".into(), "lyrics".into(), "--lyrics".into(), "/nonexistent/mxm.txt".into(), manifest.display().to_string()], "/nonexistent/mxm.txt: No such file"),
    ];
    for (args, want) in cases {
        let out = bin().arg("train").args(&args).args(["-q", "--epochs", "1", "--split", "kfold:3", "--out"]).arg(tmp.path().join("m")).output().expect("train");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert_eq!(err.matches("No such file").count().min(1), usize::from(want.contains("No such file")), "{err}");
        assert!(!err.contains("No such file or directory (os error 2): No such file"), "a cause printed twice: {err}");
    }
    assert!(!tmp.path().join("m").exists(), "nothing is written for a refused run");
}

/// Lyrics join any input, audio included, by the clip id: here GTZAN clips wear the ids of
/// songs that have lyrics. The songs are not those songs; this checks the plumbing of audio
/// crops (86 frames: one row of lyrics) and summary vectors (one frame: 50 rows) with lyrics,
/// not an accuracy.
#[test]
fn lyrics_join_audio_inputs_by_clip_id() {
    let Some(shared) = shared_dir() else { return };
    let msd = shared.join("data/msd");
    let tmp = tempfile::tempdir().expect("tmp");
    let ids = ["TRAAAAV128F421A322", "TRAAABD128F429CF47", "TRAAAED128E0783FAB", "TRAAAEF128F4273421", "TRAAAFD128F92F423A", "TRAAAGF12903CEC202"];
    let mut csv = String::from("path,genre,clip\n");
    for (k, id) in ids.iter().enumerate() {
        let genre = if k % 2 == 0 { "blues" } else { "metal" };
        csv.push_str(&format!("{},{genre},{id}\n", shared.join(format!("data/gtzan/full_22k/{genre}/{genre}.0000{k}.flac")).display()));
    }
    let manifest = tmp.path().join("audio.csv");
    std::fs::write(&manifest, csv).expect("manifest");
    for (model, input, rows) in [("cnn1d", "mfcc", 21), ("mlp", "summary", 90 + 50)] {
        let dir = tmp.path().join(model);
        let out = bin().args(["train", "--model", model, "--input", input, "--split", "kfold:3", "--epochs", "1", "-q", "--lyrics", &lyrics_files(&msd), "--out"]).arg(&dir).arg(&manifest).output().expect("train");
        let err = text(&out.stderr);
        assert!(out.status.success(), "{model}: {err}");
        assert!(err.contains("6 of 6 tracks have a bag of words") && err.contains(&format!("{model} + lyrics")), "{err}");
        let card = json(&dir.join("model.json"));
        let lyrics_rows = card["network"]["lyrics"].as_u64().expect("lyrics").div_ceil(card["network"]["n_frames"].as_u64().expect("frames"));
        assert_eq!(card["network"]["n_features"].as_u64().expect("features") + lyrics_rows, rows, "{model}");
        let out = bin().args(["eval", "--split", "kfold:3", "--json", "-q", "--lyrics", &lyrics_files(&msd), "--model"]).arg(&dir).arg(&manifest).output().expect("eval");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{model}: {e}: {}", text(&out.stderr)));
        assert_eq!(v["accuracy"], card["metrics"]["accuracy"], "{model}");
    }
}
