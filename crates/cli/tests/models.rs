//! `genrecast models`: the list of built-in models, checked against what the model's own
//! documentation says (crates/models/pretrained/README.md: GTZAN's ten genres, Sturm's
//! filtered train+valid lists, 372 files; musicnn's top-50 tags), and `models export`, whose
//! folder must classify exactly as the built-in name does.

use crate::{example_song, genrecast, text};

fn ok_json(args: &[&str]) -> serde_json::Value {
    let out = genrecast(args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

/// GTZAN's genres, as its folders name them.
const GTZAN_GENRES: [&str; 10] = ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"];

#[test]
fn models_lists_labels_and_training_data_without_build_paths() {
    let v = ok_json(&["models", "--format", "json"]);
    assert_eq!(v["default"], "genre-gtzan");
    let m = &v["models"][0];
    assert_eq!((m["name"].as_str(), m["default"].as_bool()), (Some("genre-gtzan"), Some(true)), "{m}");
    assert_eq!(m["labels"], serde_json::json!(GTZAN_GENRES));
    assert_eq!(m["task"], "single-label");
    // musicnn-msd's and the MSD VGG's features side by side, as the model README says.
    assert_eq!(m["input"], serde_json::json!({ "preset": "musicnn-msd", "also": ["vgg-msd"], "sample_rate": 16000 }));
    assert_eq!(v["models"].as_array().map(Vec::len), Some(1), "one built-in genre model");
    let t = &m["trained_on"];
    assert_eq!((t["dataset"].as_str(), t["split"].as_str(), t["tracks"].as_u64()), (Some("gtzan"), Some("filtered train+valid"), Some(372)), "{t}");
    let taggers: Vec<(&str, usize)> = v["taggers"].as_array().expect("taggers").iter().map(|t| (t["name"].as_str().expect("name"), t["tags"].as_array().expect("tags").len())).collect();
    // The four checkpoints of the musicnn 0.1.0 wheel, each with its top-50 tags.
    assert_eq!(taggers, [("musicnn-msd", 50), ("musicnn-mtt", 50), ("vgg-msd", 50), ("vgg-mtt", 50)]);

    // `models` and `models list` are one command; the table says the same.
    let out = genrecast(&["models", "list"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.contains("genre-gtzan (default)") && table.contains(&GTZAN_GENRES.join(", ")) && table.contains("gtzan, filtered train+valid split, 372 tracks"), "{table}");
    assert_eq!(text(&genrecast(&["models"]).stdout), table);
    // The card's dataset is "../shared/data/gtzan": no output shows that path.
    for shown in [&table, &v.to_string()] {
        assert!(!shown.contains("shared") && !shown.contains("../"), "{shown}");
    }

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("lists/models.json");
    let out = genrecast(&["models", "--out", &path.display().to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).expect("written")).expect("JSON");
    assert_eq!(written, v);
    let out = genrecast(&["models", "--out", &dir.path().join("models.csv").display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("give --format table|json"), "{}", text(&out.stderr));
}

#[test]
fn exported_folder_classifies_exactly_as_the_builtin_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("models/genre");
    let model_arg = model.display().to_string();
    let out = genrecast(&["models", "export", "genre-gtzan", &model_arg]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut files: Vec<String> = std::fs::read_dir(&model).expect("folder").map(|e| e.expect("entry").file_name().to_string_lossy().into_owned()).collect();
    files.sort();
    assert_eq!(files, ["model.json", "model.safetensors"]);
    // Nothing left beside it from the staging folder.
    assert_eq!(std::fs::read_dir(dir.path().join("models")).expect("parent").count(), 1);
    let card: serde_json::Value = serde_json::from_slice(&std::fs::read(model.join("model.json")).expect("card")).expect("JSON");
    assert_eq!(card["trained_on"]["dataset"], "gtzan");
    // The training clip list stays, so that eval still refuses to score the model on them.
    assert_eq!(card["trained_on"]["clips"].as_array().map(Vec::len), Some(336));

    let song = example_song().display().to_string();
    let builtin = ok_json(&["classify", &song, "--format", "json", "--segments"]);
    let exported = ok_json(&["classify", &song, "--format", "json", "--segments", "--model", &model_arg]);
    assert_eq!(exported["files"][0]["probabilities"], builtin["files"][0]["probabilities"]);
    assert_eq!(exported["files"][0]["segments"], builtin["files"][0]["segments"]);
    assert_eq!(exported["trained_on"], builtin["trained_on"]);
    assert_eq!(exported["model"], model_arg.as_str());
}

#[test]
fn export_refuses_to_overwrite_unless_forced_and_only_a_model_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let export = |target: &std::path::Path, force: bool| {
        let target = target.display().to_string();
        let mut args = vec!["models", "export", "genre-gtzan", target.as_str()];
        if force {
            args.push("--force");
        }
        genrecast(&args)
    };
    // An empty folder is filled without --force.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    assert!(export(&empty, false).status.success());
    assert!(empty.join("model.json").is_file());

    // A folder of other things is never replaced, even with --force.
    let notes = dir.path().join("notes");
    std::fs::create_dir(&notes).expect("mkdir");
    std::fs::write(notes.join("todo.txt"), "keep me").expect("write");
    for force in [false, true] {
        let out = export(&notes, force);
        assert_eq!(out.status.code(), Some(2));
        let err = text(&out.stderr);
        assert!(err.contains("notes") && err.contains(if force { "not a model folder" } else { "--force" }), "{err}");
        assert_eq!(std::fs::read_to_string(notes.join("todo.txt")).expect("kept"), "keep me");
        assert!(!notes.join("model.json").exists());
    }

    // A model folder is replaced with --force only, and whole: stray files go with it.
    std::fs::write(empty.join("stale.txt"), "old").expect("write");
    let out = export(&empty, false);
    assert_eq!(out.status.code(), Some(2));
    assert!(empty.join("stale.txt").exists());
    let out = export(&empty, true);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!empty.join("stale.txt").exists() && empty.join("model.safetensors").is_file());
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 2, "leftovers beside the folders");

    // A file in the way, and names that are not built-in models.
    let file = dir.path().join("file");
    std::fs::write(&file, "x").expect("write");
    assert!(text(&export(&file, true).stderr).contains("not a folder"));
    let out = genrecast(&["models", "export", "musicnn-msd", &dir.path().join("tagger").display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no built-in genre model 'musicnn-msd' (built-in: genre-gtzan); the taggers are not model folders"), "{}", text(&out.stderr));
    assert!(!dir.path().join("tagger").exists());
    // A retired name says what became of it, here and wherever a model is named.
    let out = genrecast(&["models", "export", "genre-gtzan-large", &dir.path().join("large").display().to_string()]);
    assert!(out.status.code() == Some(2) && text(&out.stderr).contains("retired") && text(&out.stderr).contains("use genre-gtzan"), "{}", text(&out.stderr));
    let out = genrecast(&["classify", "--model", "genre-gtzan-large", &example_song().display().to_string()]);
    assert!(!out.status.success() && text(&out.stderr).contains("use genre-gtzan"), "{}", text(&out.stderr));
}

#[test]
fn help_points_at_genrecast_models() {
    let top = text(&genrecast(&["--help"]).stdout);
    assert!(top.lines().any(|l| l.trim_start().starts_with("models ")), "{top}");
    // clap wraps the help to the terminal: compare words, not lines.
    let classify = text(&genrecast(&["classify", "--help"]).stdout).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(classify.contains("`genrecast models` lists the built-in models"), "{classify}");
}
