//! `genrecast classify` and `genrecast tag` with the built-in models, checked against labels
//! that come from outside genrecast: the example song's band (a Danish metal band, per its
//! licence file) and GTZAN's own genre labels of clips the default model never saw.

use crate::{example_song, genrecast, repo, text};
use genrecast_testutil::shared_dir;

fn json(args: &[&str]) -> serde_json::Value {
    let out = genrecast(args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

#[test]
fn example_song_is_metal_with_coherent_outputs() {
    let song = example_song().display().to_string();
    let v = json(&["classify", &song, "--format", "json", "--segments", "--tags", "-k", "3"]);
    let file = &v["files"][0];
    assert_eq!(file["top"][0]["label"], "metal", "{file}");
    let probs: Vec<f64> = file["probabilities"].as_object().expect("map").values().map(|p| p.as_f64().expect("number")).collect();
    assert_eq!(probs.len(), 10);
    assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-4 && probs.iter().all(|p| (0.0..=1.0).contains(p)));
    // 30 s in 3 s windows, in time order, each judged on its own (the default model judges the
    // song from its windows' mean features, so the song is not their mean probability).
    let segs = file["segments"].as_array().expect("segments");
    assert_eq!(segs.len(), 10);
    assert!(segs.windows(2).all(|w| w[0]["end_s"].as_f64() <= w[1]["start_s"].as_f64().map(|s| s + 1e-9)));
    for s in segs {
        let p: Vec<f64> = s["probabilities"].as_object().expect("map").values().map(|p| p.as_f64().expect("number")).collect();
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-4, "{s}");
    }
    // `--aggregate mean|vote` by hand from the segments: vote is the share of windows whose
    // top genre each genre is, and it agrees with the song's top genre on this clear case.
    let top = |p: &serde_json::Value| p.as_object().expect("map").iter().max_by(|a, b| a.1.as_f64().partial_cmp(&b.1.as_f64()).expect("order")).map(|(k, _)| k.clone()).expect("top");
    let metal_votes = segs.iter().filter(|s| top(&s["probabilities"]) == "metal").count() as f64 / segs.len() as f64;
    let voted = json(&["classify", &song, "--format", "json", "--aggregate", "vote"]);
    assert!((voted["files"][0]["probabilities"]["metal"].as_f64().expect("p") - metal_votes).abs() < 1e-6, "{voted}");
    assert_eq!(voted["files"][0]["top"][0]["label"], "metal");
    let tags: Vec<&str> = file["tags"].as_array().expect("tags").iter().map(|t| t["label"].as_str().expect("tag")).collect();
    assert!(tags.contains(&"metal") || tags.contains(&"heavy metal"), "{tags:?}");

    let out = genrecast(&["tag", &song, "--model", "musicnn-mtt", "-k", "5"]);
    assert!(out.status.success());
    let table = text(&out.stdout);
    assert!(["metal", "rock", "guitar", "loud", "drums"].iter().any(|t| table.contains(t)), "{table}");
}

#[test]
fn default_model_on_gtzan_clips_it_never_saw() {
    let Some(shared) = shared_dir() else { return };
    // The clips outside the filtered train/valid lists (filtered_split = none): no clip id in
    // common with the default model's training data (the model card lists them).
    let root = shared.join("data/gtzan");
    let mut rdr = csv::Reader::from_path(root.join("labels.csv")).expect("labels.csv");
    let rows: Vec<(String, String, String, String)> = rdr
        .deserialize::<std::collections::HashMap<String, String>>()
        .map(|r| r.expect("row"))
        .map(|r| (r["path"].clone(), r["genre"].clone(), r["clip"].clone(), r["filtered_split"].clone()))
        .collect();
    let unseen: Vec<&(String, String, String, String)> = rows.iter().filter(|r| r.3 == "none").collect();
    assert!(unseen.len() >= 30);
    // The built-in model on the clips its card says it never saw.
    for model in ["genre-gtzan"] {
        let card: serde_json::Value = serde_json::from_slice(&std::fs::read(repo().join(format!("crates/models/pretrained/{model}/model.json"))).expect("card")).expect("json");
        let trained: Vec<&str> = card["trained_on"]["clips"].as_array().expect("clips").iter().map(|c| c.as_str().expect("clip")).collect();
        assert!(unseen.iter().all(|r| !trained.contains(&r.2.as_str())), "an unseen clip is in {model}'s training data");
        let mut args = vec!["classify".to_owned(), "--model".into(), model.into(), "--format".into(), "csv".into(), "--quiet".into()];
        args.extend(unseen.iter().map(|r| root.join(&r.0).display().to_string()));
        let out = genrecast(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(out.status.success(), "{}", text(&out.stderr));
        let mut rdr = csv::Reader::from_reader(out.stdout.as_slice());
        let mut correct = 0;
        for (r, row) in unseen.iter().zip(rdr.records()) {
            let row = row.expect("csv row");
            assert_eq!(row[0], root.join(&r.0).display().to_string(), "rows in input order");
            correct += usize::from(row[3] == r.1);
        }
        let acc = correct as f64 / unseen.len() as f64;
        println!("{model} on {} unseen GTZAN clips: {correct} right, accuracy {acc:.3}", unseen.len());
        // Chance is 0.1; the recipe scored about 0.72 balanced accuracy in artist-grouped CV
        // (folds3).
        assert!(acc >= 0.5, "{model}: accuracy {acc:.3} on unseen clips");
    }
}

#[test]
fn unknown_models_are_refused_clearly() {
    let song = example_song().display().to_string();
    let out = genrecast(&["classify", &song, "--model", "no-such-model"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no model 'no-such-model'"), "{}", text(&out.stderr));
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("model.json"), b"{\"format\": 1}").expect("write");
    let out = genrecast(&["classify", &song, "--model", &dir.path().display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("model.json: not a genrecast model card"), "{}", text(&out.stderr));
    let out = genrecast(&["tag", &song, "--model", "musicnn-xyz"]);
    assert!(text(&out.stderr).contains("unknown backbone 'musicnn-xyz'"), "{}", text(&out.stderr));
}

/// A folder of 12 GTZAN clips (3 from each of four genres).
fn clips(dir: &std::path::Path) -> Option<std::path::PathBuf> {
    let gtzan = shared_dir()?.join("data/gtzan/full_22k");
    let root = dir.join("music");
    for genre in ["classical", "metal", "reggae", "jazz"] {
        let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(gtzan.join(genre)).ok()?.flatten().map(|e| e.path()).collect();
        files.sort();
        std::fs::create_dir_all(root.join(genre)).ok()?;
        for f in files.into_iter().take(3) {
            std::fs::copy(&f, root.join(genre).join(f.file_name()?)).ok()?;
        }
    }
    Some(root)
}

/// `classify --out` killed with SIGKILL at several points, then rerun, writes exactly the
/// JSON of an uninterrupted run; the rerun takes the finished files from the journal instead
/// of classifying them again, and the journal is gone once the output is written.
#[test]
fn classify_killed_with_sigkill_resumes_to_the_same_output() {
    let tmp = tempfile::tempdir().expect("tmp");
    let Some(root) = clips(tmp.path()) else { return };
    let run = |out: &std::path::Path| {
        let mut c = crate::bin();
        c.args(["--threads", "2", "classify", "--format", "json", "--segments", "--out"]).arg(out).arg(&root);
        c
    };
    let reference = tmp.path().join("whole.json");
    let out = run(&reference).output().expect("classify");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let want = std::fs::read(&reference).expect("output");
    let journal_of = |out: &std::path::Path| out.with_file_name(format!("{}.journal", out.file_name().expect("name").to_string_lossy()));
    assert!(!journal_of(&reference).exists(), "journal left after a complete run");

    let lines = |p: &std::path::Path| std::fs::read_to_string(p).map(|t| t.lines().count()).unwrap_or(0);
    // Two kills at fixed delays, and one as soon as the journal holds two finished files (so
    // that the resume is certain to have something to take).
    for (round, kill_at) in [Some(300u64), Some(2500), None].into_iter().enumerate() {
        let out_path = tmp.path().join(format!("killed-{round}.json"));
        let mut child = run(&out_path).stderr(std::process::Stdio::null()).spawn().expect("spawn");
        match kill_at {
            Some(ms) => std::thread::sleep(std::time::Duration::from_millis(ms)),
            None => {
                let started = std::time::Instant::now();
                while lines(&journal_of(&out_path)) < 2 && started.elapsed() < std::time::Duration::from_secs(120) {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
            }
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let journaled = lines(&journal_of(&out_path));
        let out = run(&out_path).output().expect("rerun");
        let stderr = text(&out.stderr);
        assert!(out.status.success(), "round {round}: {stderr}");
        assert_eq!(std::fs::read(&out_path).expect("output"), want, "round {round}: output differs from the uninterrupted run");
        assert!(!journal_of(&out_path).exists(), "round {round}: journal left");
        if kill_at.is_none() {
            assert!(journaled >= 2, "the journal never reached two files");
            let resumed: usize = stderr.split("resuming: ").nth(1).and_then(|r| r.split(' ').next()).and_then(|n| n.parse().ok()).unwrap_or(0);
            assert!(resumed >= 1, "the rerun took nothing from the journal: {stderr}");
        }
    }
}

/// `--precision int8` (the default) and `f32` on the same GTZAN clips: the JSON says which
/// ran, the portable kernel forced by `GENRECAST_KERNEL=portable` gives exactly the same
/// output as the CPU's own (the integer sums are exact), and int8 keeps the exact path's
/// top genre with probabilities close to it.
#[test]
fn int8_and_portable_kernels_against_the_exact_path() {
    let tmp = tempfile::tempdir().expect("tmp");
    let Some(root) = clips(tmp.path()) else { return };
    let root = root.display().to_string();
    let run = |precision: &str, portable: bool| -> serde_json::Value {
        let mut c = crate::bin();
        if portable {
            c.env("GENRECAST_KERNEL", "portable");
        }
        let out = c.args(["--precision", precision, "classify", &root, "--format", "json", "-q"]).output().expect("classify");
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let (fast, portable, exact) = (run("int8", false), run("int8", true), run("f32", false));
    assert_eq!((fast["precision"].as_str(), portable["kernel"].as_str()), (Some("int8"), Some("portable")));
    assert_eq!((exact["precision"].as_str(), exact["kernel"].as_str()), (Some("f32"), None));
    assert_eq!(fast["max_windows"].as_u64(), Some(genrecast_models::DEFAULT_MAX_WINDOWS as u64));
    assert_eq!(fast["files"], portable["files"], "the portable kernel must give the same integers");
    let files = |v: &serde_json::Value| v["files"].as_array().expect("files").clone();
    let (f, e) = (files(&fast), files(&exact));
    assert_eq!(f.len(), 12);
    let mut worst = 0f64;
    for (a, b) in f.iter().zip(&e) {
        assert_eq!(a["top"][0]["label"], b["top"][0]["label"], "{} changed its top genre", a["file"]);
        for (k, p) in b["probabilities"].as_object().expect("map") {
            worst = worst.max((p.as_f64().expect("p") - a["probabilities"][k].as_f64().expect("p")).abs());
        }
    }
    println!("int8 against f32 on 12 GTZAN clips: largest probability difference {worst:.4}");
    // Measured 0.0069 with the default on musicnn-msd+vgg-msd (0.031 on musicnn-msd+musicnn-mtt,
    // 0.051 on musicnn-msd alone, 0.03 with the linear head before it).
    assert!(worst < 0.05, "int8 moved a probability by {worst}");
}

/// `bench classify` without the Python peer: the table, the agreement line, and both outputs
/// kept (no timing is asserted).
#[test]
fn bench_classify_reports_speed_memory_and_agreement() {
    let tmp = tempfile::tempdir().expect("tmp");
    let Some(root) = clips(tmp.path()) else { return };
    let keep = tmp.path().join("kept");
    let out = crate::bin()
        .args(["bench", "classify", "--no-peers", "--limit", "4", "--threads", "2", "--max-windows", "4"])
        .arg(&root)
        .arg("--keep")
        .arg(&keep)
        .output()
        .expect("bench");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("| system | threads | wall s | s per audio minute | peak RSS MB | exit |"), "{stdout}");
    assert!(stdout.contains("int8") && stdout.contains("max windows 4") && stdout.contains("(f32, every window: the exact path)"), "{stdout}");
    assert!(stdout.contains("top-1 agreement") && stdout.contains("/4 ("), "{stdout}");
    let fast: serde_json::Value = serde_json::from_slice(&std::fs::read(keep.join("fast.json")).expect("fast.json")).expect("json");
    assert_eq!(fast["files"].as_array().map(Vec::len), Some(4));
    assert!(fast["files"].as_array().expect("files").iter().all(|f| f["windows"].as_u64() == Some(4)), "{fast}");
}

/// One output convention: `--format` follows `--out`'s extension, `--out` makes its folders,
/// JSON Lines gives one object per file (errors included) in input order, and the provenance
/// line names the dataset, not the path it had on the machine that trained the model.
#[test]
fn formats_follow_out_and_jsonl_streams_one_object_per_file() {
    let hostile = repo().join("crates/cli/tests/hostile");
    let files: Vec<String> = ["good.flac", "empty.wav", "good_10s.ogg", "good.mp3"].iter().map(|f| hostile.join(f).display().to_string()).collect();
    let mut args = vec!["classify", "-q", "--format", "jsonl"];
    args.extend(files.iter().map(String::as_str));
    let out = genrecast(&args);
    assert_eq!(out.status.code(), Some(1), "one file failed");
    let lines: Vec<serde_json::Value> = text(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("a JSON object per line")).collect();
    let order: Vec<&str> = lines.iter().map(|v| v["file"].as_str().expect("file")).collect();
    assert_eq!(order, files.iter().map(String::as_str).collect::<Vec<_>>(), "input order");
    assert!(lines[1]["error"].as_str().is_some_and(|e| e.contains("empty")) && lines[0]["model"] == "genre-gtzan", "{lines:?}");

    let tmp = tempfile::tempdir().expect("tmp");
    for (name, check) in [("a/b/r.csv", "file,start_s,end_s,top,blues"), ("r.json", "\"files\""), ("r.jsonl", "{\"duration_s\""), ("r.txt", "model genre-gtzan (trained on gtzan, ")] {
        let target = tmp.path().join(name);
        let out = genrecast(&["classify", "-q", &files[0], "--out", target.to_str().expect("utf-8")]);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        let written = std::fs::read_to_string(&target).expect(name);
        assert!(written.starts_with(check) || written.contains(check), "{name}: {written}");
        assert!(!written.contains("shared/data"), "{name}: a build machine's path: {written}");
    }
    let out = genrecast(&["classify", "-q", &files[0], "--out", tmp.path().join("r.xlsx").to_str().expect("utf-8")]);
    assert!(out.status.code() == Some(2) && text(&out.stderr).contains("give --format"), "{}", text(&out.stderr));
}

/// `--format csv --tags` keeps the tags: one `tag:NAME` column per backbone tag, with the
/// song's probabilities, the same as JSON's top tags.
#[test]
fn csv_keeps_the_tags() {
    let song = example_song().display().to_string();
    let out = genrecast(&["classify", "-q", "--tags", "--format", "csv", &song]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let header: Vec<String> = reader.headers().expect("header").iter().map(str::to_owned).collect();
    let row: Vec<String> = reader.records().next().expect("a row").expect("csv").iter().map(str::to_owned).collect();
    let tags: Vec<usize> = (0..header.len()).filter(|&i| header[i].starts_with("tag:")).collect();
    assert_eq!(tags.len(), 50, "musicnn-msd's 50 tags: {header:?}");
    let out = genrecast(&["classify", "-q", "--tags", "--format", "json", &song]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    for t in v["files"][0]["tags"].as_array().expect("tags") {
        let name = format!("tag:{}", t["label"].as_str().expect("label"));
        let i = header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("{name} missing"));
        let csv_value: f64 = row[i].parse().expect("number");
        assert!((csv_value - t["probability"].as_f64().expect("p")).abs() < 1e-6, "{name}: {csv_value} against {t}");
    }
}

/// `bench memory` runs each command on each file as its own process and reports its peak
/// RSS (no figure is asserted: only that every run happened, on the audio it says).
#[test]
fn bench_memory_reports_each_command_on_each_file() {
    let song = example_song().display().to_string();
    let out = genrecast(&["bench", "memory", "--threads", "1", "--json", &song]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let runs = v["runs"].as_array().expect("runs");
    let commands: Vec<&str> = runs.iter().map(|r| r["command"].as_str().expect("command")).collect();
    assert_eq!(commands, ["classify", "features", "index"]);
    for r in runs {
        assert_eq!(r["ok"], true, "{r}");
        assert!(r["peak_rss_mb"].as_f64().is_some_and(|m| m > 1.0), "{r}");
        assert!(r["audio_s"].as_f64().is_some_and(|s| (s - 30.0).abs() < 0.1), "{r}");
    }
    // A failed run is reported, and the exit code says so.
    let empty = repo().join("crates/cli/tests/hostile/empty.wav").display().to_string();
    let out = genrecast(&["bench", "memory", "--commands", "classify", "--json", &empty]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["runs"][0]["ok"], false, "{v}");
}

/// `--device`: `cpu` is the default path (same probabilities as no flag); a GPU this build or
/// machine does not have is refused on every command that runs a network, naming what is
/// missing, before any output or database is written, and never by quietly using the CPU.
#[test]
fn device_choice_is_explicit_and_a_missing_gpu_is_named() {
    let song = example_song().display().to_string();
    let default = json(&["classify", &song, "--format", "json"]);
    let on_cpu = json(&["classify", &song, "--format", "json", "--device", "cpu"]);
    assert_eq!(default["files"][0]["probabilities"], on_cpu["files"][0]["probabilities"]);

    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("lib.sqlite").display().to_string();
    let out_dir = dir.path().join("model").display().to_string();
    let data = repo().join("crates/cli/tests/hostile").display().to_string();
    let bench_dir = dir.path().join("bench").display().to_string();
    let runs: [Vec<&str>; 9] = [
        vec!["classify", &song],
        vec!["tag", &song],
        vec!["index", &song, "--db", &db],
        vec!["serve", "--addr", "127.0.0.1:0"],
        vec!["train", &data, "--out", &out_dir],
        vec!["eval", "--model", "genre-gtzan", &data],
        vec!["bench", "model"],
        // Classic models on descriptors would not need the GPU: the device is still checked.
        vec!["bench-models", &data, "--features", "ssd,musicnn-msd", "--models", "knn", "--out", &bench_dir],
        vec!["bench-embeddings", &data, "--embeddings", "musicnn-msd", "--out", &bench_dir],
    ];
    for args in runs {
        let mut args = args.clone();
        args.extend(["--device", "cuda:1"]);
        let out = genrecast(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?} printed before refusing");
        // Without the `cuda` feature (CI), the build is what is missing; with it, on a machine
        // without the GPU, the driver, NVRTC or the GPU number is named.
        let named = if cfg!(feature = "cuda") { err.contains("cuda:1") } else { err.contains("--features cuda") };
        assert!(named && !err.contains("panicked"), "{args:?}: {err}");
    }
    assert!(std::fs::read_dir(dir.path()).expect("dir").next().is_none(), "nothing may be written");

    let out = genrecast(&["classify", &song, "--device", "gpu"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("expected cpu, cuda or cuda:N"), "{}", text(&out.stderr));
}

/// `--no-seek` decodes a long file from start to end instead of seeking to the windows it is
/// judged from: classify and tag print the same, and index takes the flag. The long file is
/// five GTZAN clips end to end (150 s, past the 120 s above which files stream), as 16-bit WAV.
#[test]
fn no_seek_prints_what_seeking_prints() {
    let Some(shared) = shared_dir() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let mut pcm = Vec::new();
    for clip in ["jazz/jazz.00000", "metal/metal.00001", "blues/blues.00000", "reggae/reggae.00002", "jazz/jazz.00001"] {
        let path = shared.join(format!("data/gtzan/full_22k/{clip}.flac"));
        let y = genrecast_audio::load(&path, &genrecast_audio::LoadOptions { sample_rate: None, ..Default::default() }).expect("clip");
        pcm.extend(y.samples.iter().flat_map(|v| ((v * 32_768.0).round() as i16).to_le_bytes()));
    }
    let mut wav = Vec::new();
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + pcm.len() as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    for field in [16u32.to_le_bytes().as_slice(), &1u16.to_le_bytes(), &1u16.to_le_bytes(), &22_050u32.to_le_bytes(), &44_100u32.to_le_bytes(), &2u16.to_le_bytes(), &16u16.to_le_bytes()] {
        wav.extend_from_slice(field);
    }
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(pcm.len() as u32).to_le_bytes());
    wav.extend_from_slice(&pcm);
    let long = tmp.path().join("joined.wav");
    std::fs::write(&long, wav).expect("write");
    let long = long.display().to_string();
    for command in [["classify", "--segments"], ["tag", "--segments"]] {
        let seeking = json(&[command[0], command[1], &long, "--format", "json", "--threads", "1"]);
        let decoding = json(&[command[0], command[1], &long, "--format", "json", "--threads", "1", "--no-seek"]);
        assert_eq!(seeking["files"][0]["segments"].as_array().map(Vec::len), Some(genrecast_models::DEFAULT_MAX_WINDOWS), "{seeking}");
        assert_eq!(seeking["files"], decoding["files"], "{}", command[0]);
    }
    let db = tmp.path().join("library.sqlite").display().to_string();
    let out = genrecast(&["index", "--no-seek", "-q", "--db", &db, &long]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}
