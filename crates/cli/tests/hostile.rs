//! Every file of the generated hostile corpus (`scripts/make_hostile_corpus.py`) through
//! `genrecast info` and `genrecast features`: no panic, one clear error naming each bad file,
//! every good file still processed.

use std::path::PathBuf;

use crate::{genrecast, repo, text};

struct Case {
    path: PathBuf,
    verdict: String,
    detail: String,
}

impl Case {
    /// `ok`, `error` or `any`: a file cut short (`cut`) decodes with a warning, and is an
    /// error under `--strict`.
    fn outcome(&self, strict: bool) -> &str {
        match self.verdict.as_str() {
            "cut" if strict => "error",
            "cut" => "ok",
            v => v,
        }
    }
}

fn corpus() -> Vec<Case> {
    let dir = repo().join("crates/cli/tests/hostile");
    let manifest = std::fs::read_to_string(dir.join("expected.tsv")).expect("expected.tsv");
    let cases: Vec<Case> = manifest
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut f = l.split('\t');
            let name = f.next().unwrap_or_default();
            Case { path: dir.join(name), verdict: f.next().unwrap_or_default().to_owned(), detail: f.next().unwrap_or_default().to_owned() }
        })
        .collect();
    assert!(cases.len() >= 40, "corpus has {} files", cases.len());
    cases
}

fn check_batch(args_before: &[&str], args_after: &[&str]) -> (String, String) {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut cases = corpus();
    cases.extend(runtime_cases(tmp.path()));
    let strict = args_before.contains(&"--strict");
    let paths: Vec<String> = cases.iter().map(|c| c.path.display().to_string()).collect();
    let mut args: Vec<&str> = args_before.to_vec();
    args.extend(paths.iter().map(String::as_str));
    args.extend_from_slice(args_after);
    let out = genrecast(&args);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "a batch with bad files exits 1\n{stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("crashed"), "panic in batch:\n{stderr}");
    let mut problems = failure_summary_problems(&cases, &stderr, strict);
    if args_before.contains(&"info") {
        for c in cases.iter().filter(|c| c.outcome(strict) == "ok") {
            let shown = c.path.display().to_string();
            // `info` prints each file's block: its name (a folder's: its songs'), its fields,
            // then its warnings.
            let Some(at) = stdout.find(&shown) else {
                problems.push(format!("{shown} missing from the output"));
                continue;
            };
            let block = stdout[at..].split("\n\n").next().unwrap_or_default();
            if !c.detail.is_empty() && !block.lines().any(|l| l.trim_start().starts_with("warning") && l.contains(&c.detail)) {
                problems.push(format!("{shown}: no warning holding '{}':\n{block}", c.detail));
            }
        }
    }
    assert!(problems.is_empty(), "{}\n--- stderr:\n{stderr}", problems.join("\n"));
    (stdout, stderr)
}

/// What is wrong with the failure summary at the end of `stderr`: every `error` case listed
/// exactly once with its message, no `ok` case listed.
fn failure_summary_problems(cases: &[Case], stderr: &str, strict: bool) -> Vec<String> {
    let summary = stderr.split("files failed:").nth(1).unwrap_or_else(|| panic!("no failure summary:\n{stderr}"));
    let mut problems = Vec::new();
    for c in cases {
        let shown = c.path.display().to_string();
        let lines: Vec<&str> = summary.lines().filter(|l| l.trim_start().starts_with(&format!("{shown}:"))).collect();
        match c.outcome(strict) {
            "ok" if !lines.is_empty() => problems.push(format!("{shown} should be processed, got {lines:?}")),
            "error" if lines.len() != 1 => problems.push(format!("{shown} should fail exactly once, got {lines:?}")),
            "error" if !lines[0].contains(&c.detail) => problems.push(format!("{shown}: message lacks '{}': {}", c.detail, lines[0])),
            _ => {}
        }
    }
    problems
}

#[test]
fn hostile_corpus_through_info() {
    check_batch(&["info"], &[]);
}

/// One rule for files cut short, whatever the format: decoded as far as they go with a
/// warning that says how much was lost (above), refused under `--strict` (here). Before, WAV,
/// AU and FLAC files were refused while an MP3 missing half its frames or an Ogg file cut at
/// 60 % passed without a word, and an Ogg file whose last page claimed 1 s was read as 1 s.
#[test]
fn hostile_corpus_through_info_strict() {
    check_batch(&["--strict", "info"], &[]);
}

#[test]
fn hostile_corpus_through_features() {
    let out = tempfile::tempdir().expect("tempdir");
    let out_dir = out.path().display().to_string();
    let (_, stderr) = check_batch(&["features", "--quiet", "--set", "mfcc,chroma,chroma_cqt,tonnetz,tempo", "--summary", "--no-frames"], &["--out", &out_dir]);
    // A file cut short is summarised from what it holds, with a warning naming it.
    for c in corpus().into_iter().filter(|c| c.verdict == "cut") {
        let shown = c.path.display().to_string();
        assert!(stderr.lines().any(|l| l.starts_with(&format!("warning: {shown}: ")) && l.contains(&c.detail)), "{shown}: no warning holding '{}'\n{stderr}", c.detail);
    }
    let summary = std::fs::read_to_string(out.path().join("summary.csv")).expect("summary.csv");
    // Every value finite: silence, 0.05 s clips, extreme gains and NaN/Inf samples give
    // defined values, never NaN.
    for row in summary.lines().skip(1) {
        let (path, values) = row.split_once(',').expect("path column");
        let bad: Vec<&str> = values.split(',').filter(|v| !v.parse::<f64>().is_ok_and(f64::is_finite)).collect();
        assert!(bad.is_empty(), "{path}: non-finite summary values {bad:?}");
    }
}

#[test]
fn hostile_corpus_through_classify() {
    let out = tempfile::tempdir().expect("tempdir");
    let json = out.path().join("results.json");
    check_batch(&["classify", "--quiet", "--format", "json", "--out", &json.display().to_string()], &[]);
    // Good files, silence and 0.05 s included, get a finite distribution over the genres.
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).expect("results written")).expect("json");
    let cut: Vec<Case> = corpus().into_iter().filter(|c| c.verdict == "cut").collect();
    for f in v["files"].as_array().expect("files") {
        if f.get("error").is_some() {
            continue;
        }
        // A file cut short is classified from what it holds, and its result says so.
        let name = f["file"].as_str().unwrap_or_default();
        if let Some(c) = cut.iter().find(|c| c.path.display().to_string() == name) {
            let warned = f["warnings"].as_array().is_some_and(|w| w.iter().any(|w| w.as_str().unwrap_or_default().contains(&c.detail)));
            assert!(warned, "{name}: no warning holding '{}': {f}", c.detail);
        }
        let p: Vec<f64> = f["probabilities"].as_object().expect("map").values().map(|p| p.as_f64().unwrap_or(f64::NAN)).collect();
        assert!(p.iter().all(|x| x.is_finite()) && (p.iter().sum::<f64>() - 1.0).abs() < 1e-4, "{f}");
    }
}

#[test]
fn wrong_extension_decodes_with_a_warning() {
    let out = genrecast(&["info", &repo().join("crates/cli/tests/hostile/wav_named.mp3").display().to_string()]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    assert!(stdout.contains("container    wav") && stdout.contains("warning      extension '.mp3'"), "{stdout}");
}

#[test]
fn hostile_corpus_through_index() {
    // The library path: every bad file stored with its error and reported once, every good
    // file analysed (it has an embedding, so it is on the map), no panic.
    let tmp = tempfile::tempdir().expect("tempdir");
    let extra = tmp.path().join("extra");
    std::fs::create_dir_all(&extra).expect("mkdir");
    let mut cases = corpus();
    cases.extend(runtime_cases(&extra));
    let db = tmp.path().join("lib.sqlite");
    let paths: Vec<String> = cases.iter().map(|c| c.path.display().to_string()).collect();
    let mut args = vec!["index", "--quiet", "--db", db.to_str().expect("utf-8 path")];
    args.extend(paths.iter().map(String::as_str));
    let out = genrecast(&args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let summary = stderr.split("files failed:").nth(1).unwrap_or_else(|| panic!("no failure summary:\n{stderr}"));
    let html = tmp.path().join("map.html");
    let out = genrecast(&["map", "--db", db.to_str().expect("utf-8"), "--out", html.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let page = std::fs::read_to_string(&html).expect("map");
    let mut problems = Vec::new();
    for c in &cases {
        // A folder named like a song stands for the song inside it.
        let name = if c.path.is_dir() { "track.wav".to_owned() } else { c.path.file_name().expect("name").to_string_lossy().into_owned() };
        let failed: Vec<&str> = summary.lines().filter(|l| l.contains(&format!("/{name}:"))).collect();
        let mapped = page.contains(&format!("/{name}\""));
        match c.verdict.as_str() {
            "ok" | "cut" if !failed.is_empty() || !mapped => problems.push(format!("{name} should be indexed (failed: {failed:?}, on the map: {mapped})")),
            "error" if failed.len() != 1 || mapped => problems.push(format!("{name} should fail once and stay off the map, got {failed:?}, mapped {mapped}")),
            "error" if !failed[0].contains(&c.detail) => problems.push(format!("{name}: message lacks '{}': {}", c.detail, failed[0])),
            _ => {}
        }
    }
    assert!(problems.is_empty(), "{}\n--- stderr:\n{stderr}", problems.join("\n"));
    // A rerun analyses nothing that worked, and retries what failed.
    let failed = cases.iter().filter(|c| c.verdict == "error").count();
    let out = genrecast(&args);
    let stderr = text(&out.stderr);
    assert!(stderr.contains(&format!("{} files, 0 new or changed", cases.len())), "{stderr}");
    let retried: usize = stderr.split(" that failed before retried").next().and_then(|s| s.rsplit(", ").next()).and_then(|n| n.parse().ok()).expect("retried count");
    assert!(retried >= failed, "{retried} retried, {failed} known failures\n{stderr}");
    // The summary counts out of every input, not out of the files retried ("84 of 81").
    let (bad, of): (usize, usize) = stderr
        .lines()
        .find_map(|l| {
            let (a, rest) = l.trim().split_once(" of ")?;
            Some((a.parse().ok()?, rest.strip_suffix(" files failed:")?.parse().ok()?))
        })
        .expect("a failure summary");
    assert!(bad <= of && of == cases.len(), "{bad} of {of} failed, {} inputs\n{stderr}", cases.len());
}

/// Inputs git cannot hold, made at test time in `dir`: two symbolic links that point at each
/// other, a folder named like a song (holding a good one), and a file nobody may read (which
/// root can read all the same, so its verdict depends on who runs the test).
fn runtime_cases(dir: &std::path::Path) -> Vec<Case> {
    let good = repo().join("crates/cli/tests/hostile/good_pcm16_mono.wav");
    std::os::unix::fs::symlink("loop_b.mp3", dir.join("loop_a.mp3")).expect("symlink");
    std::os::unix::fs::symlink("loop_a.mp3", dir.join("loop_b.mp3")).expect("symlink");
    std::fs::create_dir_all(dir.join("album.mp3")).expect("mkdir");
    std::fs::copy(&good, dir.join("album.mp3/track.wav")).expect("copy");
    let locked = dir.join("locked.wav");
    std::fs::copy(&good, &locked).expect("copy");
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).expect("chmod");
    let readable = std::fs::File::open(&locked).is_ok();
    // A named pipe: opening it to read would wait for a writer forever.
    let fifo = std::process::Command::new("mkfifo").arg(dir.join("pipe.wav")).status().expect("mkfifo");
    assert!(fifo.success(), "mkfifo");
    // Names of dots only before the extension.
    std::fs::copy(&good, dir.join("...wav")).expect("copy");
    // A WAV that declares 0 Hz (symphonia panicked on it: "TimeBase cannot have 0 numerator").
    let mut zero_hz = std::fs::read(&good).expect("good");
    zero_hz[24..28].copy_from_slice(&0u32.to_le_bytes());
    std::fs::write(dir.join("zero_hz.wav"), zero_hz).expect("write");
    let case = |name: &str, verdict: &str, detail: &str| Case { path: dir.join(name), verdict: verdict.into(), detail: detail.into() };
    vec![
        case("pipe.wav", "error", "is a named pipe (FIFO), not an audio file"),
        case("...wav", "ok", ""),
        case("zero_hz.wav", "error", "sample rate 0 Hz"),
        case("loop_a.mp3", "error", "symbolic links"),
        case("loop_b.mp3", "error", "symbolic links"),
        // Passed as a folder: walked, and its song processed.
        case("album.mp3", "ok", ""),
        if readable { case("locked.wav", "ok", "") } else { case("locked.wav", "error", "ermission denied") },
    ]
}

/// Three hours of 8 kHz, 8-bit mono WAV (86 MB): a tone whose pitch steps every minute.
fn three_hours(path: &std::path::Path) {
    let (sr, seconds) = (8000u32, 3 * 3600u32);
    let samples = (0..seconds / 60).flat_map(move |minute| {
        let f = 110.0 * 2f64.powf(f64::from(minute % 36) / 12.0);
        (0..sr * 60).map(move |i| (128.0 + 60.0 * (2.0 * std::f64::consts::PI * f * f64::from(i) / f64::from(sr)).sin()) as u8)
    });
    crate::write_u8_wav(path, sr, sr * seconds, samples);
}

/// A genre-labelled folder tree that mixes real GTZAN clips with every hostile input (as
/// symbolic links to the corpus, spread over the genre folders), the runtime cases and a
/// three-hour recording: `train` goes on without the bad files, lists each once with its
/// cause, exits 1, and still writes a model.
#[test]
fn hostile_corpus_through_train() {
    let Some(shared) = genrecast_testutil::shared_dir() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let genres = ["classical", "metal", "reggae", "jazz"];
    for g in genres {
        std::fs::create_dir_all(data.join(g)).expect("mkdir");
        let mut clips: Vec<PathBuf> = std::fs::read_dir(shared.join("data/gtzan/full_22k").join(g)).expect("gtzan").flatten().map(|e| e.path()).collect();
        clips.sort();
        for c in clips.into_iter().take(6) {
            std::fs::copy(&c, data.join(g).join(c.file_name().expect("name"))).expect("copy");
        }
    }
    let mut cases = Vec::new();
    for (i, c) in corpus().into_iter().enumerate() {
        let link = data.join(genres[i % 4]).join(c.path.file_name().expect("name"));
        std::os::unix::fs::symlink(&c.path, &link).expect("symlink");
        cases.push(Case { path: link, ..c });
    }
    cases.extend(runtime_cases(&data.join("metal")));
    three_hours(&data.join("jazz/three_hours.wav"));
    cases.push(Case { path: data.join("jazz/three_hours.wav"), verdict: "ok".into(), detail: String::new() });

    let model = tmp.path().join("model");
    let out = crate::bin()
        .args(["train", "--kind", "folder", "--model", "mlp", "--split", "kfold:3:clip", "--epochs", "1", "--quiet", "--out"])
        .arg(&model)
        .arg(&data)
        .output()
        .expect("train");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "files failed, so exit 1\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(model.join("model.json").exists() && model.join("model.safetensors").exists(), "no model written\n{stderr}");
    let problems = failure_summary_problems(&cases, &stderr, false);
    assert!(problems.is_empty(), "{}\n--- stderr:\n{stderr}", problems.join("\n"));
}

/// A three-hour recording through `info`, `features`, `classify` and `index` (and `train`,
/// above): it is read whole, its features are finite, and the classifier judges it from
/// its default budget of windows spread over its 3,609.
#[test]
fn three_hour_recording_through_every_command() {
    let tmp = tempfile::tempdir().expect("tmp");
    let long = tmp.path().join("three_hours.wav");
    three_hours(&long);
    let path = long.to_str().expect("utf-8");

    let out = genrecast(&["info", path]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("10800.000 s"), "{}", text(&out.stdout));

    let feats = tmp.path().join("features");
    let out = genrecast(&["features", "--quiet", "--set", "mfcc,chroma,centroid,rms,tempo", "--summary", "--no-frames", "--out", feats.to_str().expect("utf-8"), path]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = std::fs::read_to_string(feats.join("summary.csv")).expect("summary");
    let row = summary.lines().nth(1).expect("one row");
    assert!(row.split(',').skip(1).all(|v| v.parse::<f64>().is_ok_and(f64::is_finite)), "{row}");

    let out = genrecast(&["classify", "--quiet", "--format", "json", path]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let file = &v["files"][0];
    // musicnn's patches: 187 frames of 256 samples at 16 kHz (2.992 s); 675,001 frames.
    let patches = (1 + 10_800 * 16_000 / 256) / 187;
    assert_eq!((file["windows"].as_u64(), file["windows_total"].as_u64()), (Some(genrecast_models::DEFAULT_MAX_WINDOWS as u64), Some(patches)), "{file}");
    let p: Vec<f64> = file["probabilities"].as_object().expect("map").values().filter_map(serde_json::Value::as_f64).collect();
    assert!(p.len() == 10 && (p.iter().sum::<f64>() - 1.0).abs() < 1e-4, "{file}");

    let db = tmp.path().join("lib.sqlite");
    let out = genrecast(&["index", "--quiet", "--db", db.to_str().expect("utf-8"), path]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// Hostile file names beside good ones: a name that is not UTF-8, one with a terminal escape
/// sequence, one that is a spreadsheet formula. `classify` keeps every result in JSON, CSV
/// and the table (failed before: exit 101 and no output at all for the non-UTF-8 name), and
/// the names come out escaped.
#[test]
fn hostile_names_lose_no_results_and_are_escaped() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("music");
    std::fs::create_dir(&dir).expect("dir");
    let song = crate::example_song();
    let names: [&[u8]; 4] = [b"good.ogg", b"bad\xff\xfe.ogg", b"esc\x1b[2J\x07.ogg", b"=HYPERLINK(1).ogg"];
    for n in names {
        std::fs::copy(&song, dir.join(std::ffi::OsStr::from_bytes(n))).expect("copy");
    }
    let d = dir.to_str().expect("utf-8 folder");
    let out = genrecast(&["classify", d, "--format", "json", "-q"]);
    assert!(out.status.success(), "exit {:?}: {}", out.status.code(), text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let files = v["files"].as_array().expect("files");
    assert_eq!(files.len(), 4, "{v}");
    assert!(files.iter().all(|f| f["top"][0]["label"] == "metal"), "{v}");
    let bad = files.iter().find(|f| f["file"].as_str().is_some_and(|s| s.ends_with("bad\\xFF\\xFE.ogg"))).expect("the non-UTF-8 name, escaped");
    let raw: Vec<u8> = bad["file_bytes"].as_array().expect("raw bytes").iter().map(|b| b.as_u64().expect("byte") as u8).collect();
    assert!(std::path::Path::new(std::ffi::OsStr::from_bytes(&raw)).is_file(), "file_bytes must name the file");

    let out = genrecast(&["classify", d, "--format", "csv", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    assert_eq!(csv.lines().count(), 5, "{csv}");
    assert!(csv.lines().all(|l| !l.starts_with('=') && !l.starts_with("\"=")), "a formula reached the CSV: {csv}");
    assert!(!csv.contains('\u{1b}'), "{csv}");

    let out = genrecast(&["classify", d, "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(!table.contains('\u{1b}') && !table.contains('\u{7}') && table.contains("esc\\x1b[2J\\x07.ogg"), "{table}");
    assert_eq!(table.matches("metal").count(), 4, "{table}");

    // An unreadable file with an escape in its name: the error line is escaped too.
    std::fs::write(dir.join(std::ffi::OsStr::from_bytes(b"broken\x1b]0;owned\x07.wav")), b"RIFF junk").expect("write");
    let out = genrecast(&["classify", d, "-q"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("broken\\x1b]0;owned\\x07.wav") && !stderr.contains('\u{1b}'), "{stderr}");
}

/// `features --out OUT` with inputs named `...wav` (stem `..`), `..flac` (stem `.`),
/// `summary.csv.wav`, `summary.params.json.wav` and `=cmd.wav`: every output stays inside OUT in a folder of its own,
/// summary.csv keeps all four rows, and the formula is defused (before: writes beside OUT,
/// into OUT itself, and a folder named summary.csv that failed the whole summary).
#[test]
fn features_output_names_never_escape_or_collide() {
    let tmp = tempfile::tempdir().expect("tmp");
    let inputs = tmp.path().join("in");
    std::fs::create_dir(&inputs).expect("dir");
    let wav = crate::repo().join("crates/cli/tests/hostile/good_pcm16_mono.wav");
    let flac = crate::repo().join("crates/cli/tests/hostile/good.flac");
    for (name, src) in [("...wav", &wav), ("..flac", &flac), ("summary.csv.wav", &wav), ("summary.params.json.wav", &wav), ("=cmd.wav", &wav)] {
        std::fs::copy(src, inputs.join(name)).expect("copy");
    }
    let out = tmp.path().join("nested").join("out");
    let o = genrecast(&["features", "-q", "--set", "mfcc,rms", "--summary", "--out", out.to_str().expect("utf-8"), inputs.to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    // Nothing beside OUT, four folders and the summary inside it.
    let beside: Vec<_> = std::fs::read_dir(tmp.path().join("nested")).expect("nested").flatten().map(|e| e.file_name()).collect();
    assert_eq!(beside, vec![std::ffi::OsString::from("out")], "written beside --out");
    let mut inside: Vec<String> = std::fs::read_dir(&out).expect("out").flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    inside.sort();
    assert_eq!(inside.len(), 7, "five folders, summary.csv and summary.params.json: {inside:?}");
    for file in ["summary.csv", "summary.params.json"] {
        assert!(std::fs::metadata(out.join(file)).is_ok_and(|m| m.is_file()), "{file}: {inside:?}");
    }
    for dir in inside.iter().filter(|n| !["summary.csv", "summary.params.json"].contains(&n.as_str())) {
        assert!(out.join(dir).join("mfcc.npy").is_file(), "{dir}: {inside:?}");
    }
    let summary = std::fs::read_to_string(out.join("summary.csv")).expect("summary");
    assert_eq!(summary.lines().count(), 6, "{summary}");
    assert!(summary.lines().all(|l| !l.starts_with('=')), "{summary}");
}

/// `index` refuses a file name that is not UTF-8 with its cause (the library keeps names as
/// text; a lossy copy made `--prune` drop the track and the next run add it back), and
/// indexes the rest; reruns with `--prune` change nothing.
#[test]
fn index_refuses_names_it_cannot_store_exactly() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("music");
    std::fs::create_dir(&dir).expect("dir");
    for n in [&b"good.ogg"[..], b"bad\xff.ogg"] {
        std::fs::copy(crate::example_song(), dir.join(std::ffi::OsStr::from_bytes(n))).expect("copy");
    }
    let db = tmp.path().join("lib.sqlite");
    let run = || genrecast(&["index", "-q", "--prune", "--db", db.to_str().expect("utf-8"), dir.to_str().expect("utf-8")]);
    for round in 0..2 {
        let out = run();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "round {round}: {stderr}");
        assert!(stderr.contains("bad\\xFF.ogg: the file name is not valid UTF-8"), "{stderr}");
        assert!(stderr.contains("1 of 2 files failed"), "{stderr}");
        assert!(stderr.contains("pruned 0 tracks") && stderr.contains("1 tracks in the library"), "round {round}: {stderr}");
    }
}

/// A 32-bit float WAV of `samples` at 16 kHz.
fn float_wav(path: &std::path::Path, samples: &[f32]) {
    let data: Vec<u8> = samples.iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&3u16.to_le_bytes()); // IEEE float
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&16_000u32.to_le_bytes());
    b.extend_from_slice(&64_000u32.to_le_bytes());
    b.extend_from_slice(&4u16.to_le_bytes());
    b.extend_from_slice(&32u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&(data.len() as u32).to_le_bytes());
    b.extend_from_slice(&data);
    std::fs::write(path, b).expect("write wav");
}

/// Answers from nothing say so: digital silence, NaN samples (read as silence) and a single
/// sample are classified with warnings in the JSON and the table (before: exit 0 and a bare
/// "classical 0.44" for each); samples of 1e30 are refused as `features` refuses them.
#[test]
fn predictions_from_nothing_carry_warnings() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    float_wav(&dir.join("silence.wav"), &vec![0.0; 16_000 * 4]);
    float_wav(&dir.join("nan.wav"), &vec![f32::NAN; 16_000 * 4]);
    float_wav(&dir.join("one.wav"), &[0.25]);
    float_wav(&dir.join("huge.wav"), &(0..16_000 * 4).map(|i| if i % 2 == 0 { 1e30 } else { -1e30 }).collect::<Vec<f32>>());
    let files: Vec<String> = ["silence.wav", "nan.wav", "one.wav", "huge.wav"].iter().map(|f| dir.join(f).display().to_string()).collect();
    let mut args = vec!["classify", "--format", "json", "-q"];
    args.extend(files.iter().map(String::as_str));
    let out = genrecast(&args);
    assert_eq!(out.status.code(), Some(1), "huge.wav fails, so exit 1: {}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let by_name = |n: &str| v["files"].as_array().expect("files").iter().find(|f| f["file"].as_str().is_some_and(|p| p.ends_with(n))).cloned().expect(n);
    let warnings = |n: &str| by_name(n)["warnings"].as_array().map(|w| w.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect::<Vec<_>>()).unwrap_or_default();
    assert!(warnings("silence.wav").iter().any(|w| w.contains("digital silence")), "{v}");
    let nan = warnings("nan.wav");
    assert!(nan.iter().any(|w| w.contains("64000 samples are NaN or infinite")) && nan.iter().any(|w| w.contains("digital silence")), "{nan:?}");
    assert!(warnings("one.wav").iter().any(|w| w.contains("only 1 samples")), "{v}");
    let huge = by_name("huge.wav");
    assert!(huge["error"].as_str().is_some_and(|e| e.contains("not finite")), "{huge}");
    // features refuses the same file.
    let o = genrecast(&["features", "-q", "--no-cache", "--set", "mfcc", "--out", dir.join("f").to_str().expect("utf-8"), &files[3]]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    // The table shows the warnings too.
    let out = genrecast(&["classify", "-q", &files[0]]);
    assert!(text(&out.stdout).contains("warning: the audio is digital silence"), "{}", text(&out.stdout));
}

/// A folder with no song in it is said, and the run exits 1 (it was silence and exit 0).
#[test]
fn empty_folders_are_said_and_fail() {
    let tmp = tempfile::tempdir().expect("tmp");
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(empty.join("sub")).expect("mkdir");
    std::fs::write(empty.join("notes.txt"), b"not audio").expect("write");
    let shown = empty.display().to_string();
    let db = tmp.path().join("lib.sqlite").display().to_string();
    let out_dir = tmp.path().join("features").display().to_string();
    for args in [vec!["classify", &shown], vec!["info", &shown], vec!["features", &shown, "--out", &out_dir], vec!["index", &shown, "--db", &db]] {
        let out = genrecast(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}\n{stderr}");
        assert!(stderr.contains(&format!("{shown}: no audio files in this folder (looked for .wav")) && stderr.contains("1 of 1 files failed"), "{args:?}\n{stderr}");
    }
}
