//! `genrecast index`, `similar`, `playlist`, `map` (opened in headless Chromium) and `plot` on
//! real GTZAN clips, and an index killed with SIGKILL and rerun.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::{bin, example_song, repo, text};
use genrecast_testutil::shared_dir;

/// A library folder of `per_genre` full clips of four genres (copied, so the test may touch
/// them).
fn music(dir: &Path, per_genre: usize) -> Option<PathBuf> {
    let gtzan = shared_dir()?.join("data/gtzan/full_22k");
    let root = dir.join("music");
    for genre in ["classical", "metal", "reggae", "jazz"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(gtzan.join(genre)).ok()?.flatten().map(|e| e.path()).collect();
        files.sort();
        std::fs::create_dir_all(root.join(genre)).ok()?;
        for f in files.into_iter().take(per_genre) {
            std::fs::copy(&f, root.join(genre).join(f.file_name()?)).ok()?;
        }
    }
    Some(root)
}

fn json(out: &std::process::Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn index_similar_playlist_map_plot() {
    let tmp = tempfile::tempdir().expect("tmp");
    let Some(root) = music(tmp.path(), 3) else { return };
    let db = tmp.path().join("lib.sqlite");
    let out = bin().args(["index", "--label-from-folder", "-q", "--db"]).arg(&db).arg(&root).output().expect("index");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("12 files, 12 new or changed"), "{}", text(&out.stderr));
    // Incremental: nothing to do, then only the touched file.
    let out = bin().args(["index", "-q", "--label-from-folder", "--db"]).arg(&db).arg(&root).output().expect("index");
    assert!(text(&out.stderr).contains("12 files, 0 new or changed"), "{}", text(&out.stderr));
    let touched = root.join("jazz").join(std::fs::read_dir(root.join("jazz")).expect("dir").flatten().next().expect("file").file_name());
    let bytes = std::fs::read(&touched).expect("read");
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&touched, bytes).expect("touch");
    let out = bin().args(["index", "-q", "--label-from-folder", "--db"]).arg(&db).arg(&root).output().expect("index");
    assert!(text(&out.stderr).contains("12 files, 1 new or changed"), "{}", text(&out.stderr));

    // Similar songs: never the seed, nearest first; a metal clip's nearest is metal (GTZAN's
    // labels, not ours).
    let metal: Vec<PathBuf> = std::fs::read_dir(root.join("metal")).expect("dir").flatten().map(|e| e.path()).collect();
    let seed = std::fs::canonicalize(&metal[0]).expect("canonical");
    let v = json(&bin().args(["similar", "-k", "5", "--json", "--db"]).arg(&db).arg(&seed).output().expect("similar"));
    let near = v["similar"].as_array().expect("similar");
    assert_eq!(near.len(), 5);
    assert!(near.iter().all(|n| n["track"]["path"] != seed.to_string_lossy().as_ref()));
    let d: Vec<f64> = near.iter().map(|n| n["distance"].as_f64().expect("d")).collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
    assert_eq!(near[0]["track"]["label"], "metal", "{v}");
    // A song outside the library is analysed on the fly.
    let v = json(&bin().args(["similar", "-k", "3", "--json", "--db"]).arg(&db).arg(example_song()).output().expect("similar"));
    assert_eq!(v["similar"].as_array().map(Vec::len), Some(3));
    // A copy of a library song under another name is the same song: never its own neighbour
    // (it was listed first, at distance 0).
    let copy = tmp.path().join("copy_of_seed.flac");
    std::fs::copy(&seed, &copy).expect("copy");
    let v = json(&bin().args(["similar", "-k", "5", "--json", "--db"]).arg(&db).arg(&copy).output().expect("similar"));
    let near = v["similar"].as_array().expect("similar");
    assert!(near.len() == 5 && near.iter().all(|n| n["track"]["path"] != seed.to_string_lossy().as_ref() && n["distance"].as_f64() > Some(1e-6)), "{v}");

    // A playlist: starts at the seed, no repeats, the requested length.
    let m3u = tmp.path().join("list.m3u");
    let out = bin().args(["playlist", "-n", "8", "--embedding", "summary", "--m3u"]).arg(&m3u).arg("--db").arg(&db).arg(&seed).output().expect("playlist");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let playlist = std::fs::read_to_string(&m3u).expect("m3u");
    let list: Vec<String> = playlist.lines().skip(1).filter(|l| !l.starts_with('#')).map(str::to_string).collect();
    assert_eq!(list.len(), 8);
    // Each entry has its #EXTINF line: seconds (a 30 s clip) and a name.
    let extinf: Vec<&str> = playlist.lines().filter(|l| l.starts_with("#EXTINF:")).collect();
    assert!(extinf.len() == 8 && extinf.iter().all(|l| l.starts_with("#EXTINF:30,")), "{playlist}");
    assert_eq!(list[0], seed.to_string_lossy());
    let unique: std::collections::BTreeSet<&String> = list.iter().collect();
    assert_eq!(unique.len(), 8);

    // The map, checked by a real browser.
    let html = tmp.path().join("map.html");
    let out = bin().args(["map", "--out"]).arg(&html).arg("--db").arg(&db).output().expect("map");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let page = std::fs::read_to_string(&html).expect("html");
    assert!(page.contains(seed.file_name().expect("name").to_string_lossy().as_ref()) && !page.contains("{{DATA}}"));
    browser_check(&html, 12, tmp.path());

    // Heatmaps of one song.
    let plots = tmp.path().join("plots");
    let out = bin().args(["plot", "--what", "mel,chroma,mfcc", "--duration", "5", "--out"]).arg(&plots).arg(&seed).output().expect("plot");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stem = seed.file_stem().expect("stem").to_string_lossy().into_owned();
    for what in ["mel", "chroma", "mfcc"] {
        let png = plots.join(format!("{stem}-{what}.png"));
        assert!(std::fs::read(&png).expect("png").starts_with(b"\x89PNG"), "{}", png.display());
    }
}

/// Opens the map in headless Chromium at `#selftest`: every point drawn, the tooltip shown on
/// hover; saves a screenshot beside it. Without Chromium the check is skipped, except in CI
/// (`CI=true`), where .ci/run installs it and its absence fails the test.
fn browser_check(html: &Path, points: usize, dir: &Path) {
    let Some(chromium) = ["chromium", "chromium-browser", "google-chrome"].into_iter().find(|c| std::process::Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success())) else {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI must have Chromium for the map test");
        eprintln!("skipped the browser check: no chromium");
        return;
    };
    let url = format!("file://{}#selftest", html.display());
    let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,800"];
    let out = std::process::Command::new(chromium).args(flags).args(["--virtual-time-budget=5000", "--dump-dom"]).arg(&url).output().expect("chromium");
    let dom = text(&out.stdout);
    let want = format!("selftest: {points} of {points} points drawn; tooltip ok");
    assert!(dom.contains(&want), "wanted '{want}'; chromium said: {}\n{}", dom.lines().find(|l| l.contains("selftest")).unwrap_or("nothing"), text(&out.stderr));
    let shot = std::env::var_os("GENRECAST_SCREENSHOT_DIR").map_or_else(|| dir.to_path_buf(), PathBuf::from).join("map.png");
    let out = std::process::Command::new(chromium).args(flags).arg(format!("--screenshot={}", shot.display())).arg(&url).output().expect("chromium");
    assert!(std::fs::read(&shot).map(|b| b.starts_with(b"\x89PNG")).unwrap_or(false), "no screenshot: {}", text(&out.stderr));
}

/// Everything stored per file: top genre, rounded probabilities and embeddings.
fn snapshot(db: &Path) -> BTreeMap<String, String> {
    let out = bin().args(["map", "--out"]).arg(db.with_extension("html")).arg("--db").arg(db).output().expect("map");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut m = BTreeMap::new();
    let page = std::fs::read_to_string(db.with_extension("html")).expect("html");
    let data = page.split("const points = ").nth(1).and_then(|s| s.split(";\n").next()).expect("data");
    let points: serde_json::Value = serde_json::from_str(data).expect("points");
    for p in points.as_array().expect("array") {
        m.insert(p["path"].as_str().expect("path").rsplit('/').next().expect("name").to_string(), format!("{} {}", p["group"], p["top"]));
    }
    m
}

#[test]
fn index_killed_with_sigkill_resumes_to_the_same_library() {
    let tmp = tempfile::tempdir().expect("tmp");
    let Some(root) = music(tmp.path(), 3) else { return };
    let reference = tmp.path().join("whole.sqlite");
    let out = bin().args(["--threads", "2", "index", "-q", "--db"]).arg(&reference).arg(&root).output().expect("index");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let want = snapshot(&reference);
    assert_eq!(want.len(), 12);
    for (round, delay_ms) in [400u64, 1500, 3000].into_iter().enumerate() {
        let db = tmp.path().join(format!("killed-{round}.sqlite"));
        let mut child = bin().args(["--threads", "2", "index", "-q", "--db"]).arg(&db).arg(&root).spawn().expect("spawn");
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let out = bin().args(["--threads", "2", "index", "-q", "--db"]).arg(&db).arg(&root).output().expect("rerun");
        assert!(out.status.success(), "round {round}: {}", text(&out.stderr));
        assert_eq!(snapshot(&db), want, "round {round} (killed after {delay_ms} ms)");
    }
}

/// What the files' tags say (written by ffmpeg into ID3v2, FLAC and Ogg Vorbis comments and
/// MP4 atoms, `scripts/make_hostile_corpus.py`) is read by `info` and stored by `index`; the
/// file name and folder stand in only where a file has none.
#[test]
fn file_tags_reach_info_and_the_library() {
    let tmp = tempfile::tempdir().expect("tmp");
    let songs = tmp.path().join("Some Folder");
    std::fs::create_dir_all(&songs).expect("mkdir");
    let hostile = crate::repo().join("crates/cli/tests/hostile");
    for f in ["tagged.mp3", "tagged.flac", "tagged.ogg", "tagged.m4a", "good.flac"] {
        std::fs::copy(hostile.join(f), songs.join(f)).expect("copy");
    }
    let out = bin().args(["info", "--json"]).arg(songs.join("tagged.m4a")).output().expect("info");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let want = serde_json::json!({ "title": "Tagged Song \u{e9}", "artist": "The Testers", "album": "Fixtures", "genre": "Jazz", "track": 3, "year": 1999 });
    assert_eq!(v["files"][0]["tags"], want);

    let db = tmp.path().join("lib.sqlite");
    let out = bin().args(["index", "-q", "--db"]).arg(&db).arg(&songs).output().expect("index");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v = json(&bin().args(["similar", "-k", "4", "--json", "--db"]).arg(&db).arg(songs.join("good.flac")).output().expect("similar"));
    let near = v["similar"].as_array().expect("similar");
    assert_eq!(near.len(), 4);
    for n in near {
        let t = &n["track"];
        for (field, value) in want.as_object().expect("object") {
            let key = if field == "track" { "track_number" } else { field.as_str() };
            assert_eq!(&t[key], value, "{key} of {}", t["path"]);
        }
    }
    // No tags: the file's stem and folder.
    let v = json(&bin().args(["similar", "-k", "4", "--json", "--db"]).arg(&db).arg(songs.join("tagged.mp3")).output().expect("similar"));
    let untagged = v["similar"].as_array().expect("similar").iter().map(|n| &n["track"]).find(|t| t["path"].as_str().is_some_and(|p| p.ends_with("good.flac"))).expect("good.flac among the other four");
    assert!(untagged["title"] == "good" && untagged["artist"] == "Some Folder" && untagged["album"].is_null(), "{untagged}");
}

/// Without `--db`, the library lives in the user's data folder (XDG), wherever the command
/// runs from: `index` creates it there and `similar` finds it from another folder.
#[test]
fn the_default_library_is_in_the_users_data_folder() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let song = crate::repo().join("crates/cli/tests/hostile/good.flac");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    std::fs::create_dir_all(&a).expect("mkdir");
    std::fs::create_dir_all(&b).expect("mkdir");
    let out = bin().env("XDG_DATA_HOME", &data).current_dir(&a).args(["index", "-q"]).arg(&song).output().expect("index");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(data.join("genrecast/library.sqlite").is_file());
    let out = bin().env("XDG_DATA_HOME", &data).current_dir(&b).args(["similar", "-k", "1", "--json"]).arg(crate::repo().join("crates/cli/tests/hostile/good.mp3")).output().expect("similar");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!a.join("library.sqlite").exists() && !b.join("library.sqlite").exists());
}

/// A library of two GTZAN clips each of four genres (no tags: the folder is the artist), the
/// tagged fixtures (artist The Testers, album Fixtures, genre tag Jazz) and a file that is
/// not audio (stored as failed). Returns the database and the canonical paths indexed.
fn mixed_library(dir: &Path) -> Option<(PathBuf, Vec<PathBuf>)> {
    let root = music(dir, 2)?;
    let tagged = root.join("tagged");
    std::fs::create_dir_all(&tagged).ok()?;
    for f in ["tagged.flac", "tagged.mp3", "garbage.wav"] {
        std::fs::copy(crate::repo().join("crates/cli/tests/hostile").join(f), tagged.join(f)).ok()?;
    }
    let db = dir.join("lib.sqlite");
    let out = bin().args(["index", "-q", "--db"]).arg(&db).arg(&root).output().expect("index");
    assert_eq!(out.status.code(), Some(1), "garbage.wav fails, the rest is stored: {}", text(&out.stderr));
    let mut files: Vec<PathBuf> = ["classical", "metal", "reggae", "jazz", "tagged"].iter().flat_map(|g| std::fs::read_dir(root.join(g)).expect("dir").flatten().map(|e| std::fs::canonicalize(e.path()).expect("canonical"))).collect();
    files.sort();
    Some((db, files))
}

/// `library list`'s paths (the first column; the names here have no spaces).
fn listed(out: &std::process::Output) -> Vec<String> {
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).lines().skip(1).map(|l| l.split_whitespace().next().expect("path").to_string()).collect()
}

fn names(paths: &[PathBuf], keep: impl Fn(&Path) -> bool) -> Vec<String> {
    paths.iter().filter(|p| keep(p)).map(|p| p.to_string_lossy().into_owned()).collect()
}

#[test]
fn library_list_show_and_export() {
    let tmp = tempfile::tempdir().expect("tmp");
    let Some((db, files)) = mixed_library(tmp.path()) else { return };
    let library = |args: &[&str]| bin().arg("library").args(args).arg("--db").arg(&db).output().expect("library");
    let folder_is = |name: &'static str| move |p: &Path| p.parent().and_then(Path::file_name).is_some_and(|f| f == name);

    // Every track, by path; filters by what the paths and the fixtures' tags say.
    assert_eq!(listed(&library(&["list"])), names(&files, |_| true));
    assert_eq!(listed(&library(&["list", "--path", "*/metal/*.flac"])), names(&files, folder_is("metal")));
    assert_eq!(listed(&library(&["list", "--path", "reggae/reggae."])), names(&files, folder_is("reggae")));
    let tagged_audio = names(&files, |p| p.file_name().is_some_and(|n| n == "tagged.flac" || n == "tagged.mp3"));
    assert_eq!(listed(&library(&["list", "--artist", "TESTERS"])), tagged_audio);
    assert_eq!(listed(&library(&["list", "--album", "fixtures", "--path", "*.?lac"])), tagged_audio[..1]);
    let failed = library(&["list", "--failed"]);
    assert_eq!(listed(&failed), names(&files, |p| p.ends_with("garbage.wav")));
    assert!(text(&failed.stdout).contains("failed: ") && text(&failed.stdout).contains("not a recognised audio file"), "{}", text(&failed.stdout));
    // --genre: the top genre `classify` gives each file (another code path, same model), or
    // the genre its tags name (Jazz, for the two tagged files).
    let out = bin().args(["classify", "--format", "csv"]).args(&files).output().expect("classify");
    let mut top = std::collections::HashMap::new();
    for row in csv::Reader::from_reader(out.stdout.as_slice()).records() {
        let row = row.expect("row");
        top.insert(PathBuf::from(&row[0]), row[3].to_string());
    }
    assert_eq!(top.len(), files.len() - 1, "classify: {}", text(&out.stderr));
    for genre in ["jazz", "metal", "classical"] {
        let want = names(&files, |p| top.get(p).is_some_and(|g| g == genre) || (genre == "jazz" && tagged_audio.iter().any(|t| Path::new(t) == p)));
        assert!(!want.is_empty());
        assert_eq!(listed(&library(&["list", "--genre", &genre.to_uppercase()])), want, "--genre {genre}");
        let both = library(&["list", "--genre", genre, "--path", "*/metal/*"]);
        let want_both: Vec<String> = want.iter().filter(|p| p.contains("/metal/")).cloned().collect();
        if want_both.is_empty() {
            assert_eq!(both.status.code(), Some(1));
        } else {
            assert_eq!(listed(&both), want_both);
        }
    }
    // Nothing matches: exit 1 with a message. No library, or an empty one: a clear error.
    let none = library(&["list", "--artist", "nobody"]);
    assert!(none.status.code() == Some(1) && text(&none.stderr).contains("no track matches"), "{}", text(&none.stderr));
    let missing = bin().args(["library", "list", "--db"]).arg(tmp.path().join("none.sqlite")).output().expect("list");
    assert!(missing.status.code() == Some(2) && text(&missing.stderr).contains("no library"), "{}", text(&missing.stderr));
    assert!(!tmp.path().join("none.sqlite").exists());
    let empty_dir = tmp.path().join("empty");
    std::fs::create_dir_all(&empty_dir).expect("mkdir");
    let empty = tmp.path().join("empty.sqlite");
    let _ = bin().args(["index", "-q", "--db"]).arg(&empty).arg(&empty_dir).output().expect("index");
    let out = bin().args(["library", "export", "--db"]).arg(&empty).output().expect("export");
    assert!(out.status.code() == Some(2) && text(&out.stderr).contains("holds no tracks"), "{}", text(&out.stderr));

    // show: by path and by id the same track, every field.
    let show = |song: &str| json(&library(&["show", song, "--format", "json"]));
    let flac = show(&tagged_audio[0]);
    let want = serde_json::json!({ "title": "Tagged Song \u{e9}", "artist": "The Testers", "album": "Fixtures", "genre": "Jazz", "track_number": 3, "year": 1999, "model": "genre-gtzan", "error": null });
    for (field, value) in want.as_object().expect("object") {
        assert_eq!(&flac[field], value, "{field}");
    }
    // The model's embedding is as wide as its card says (the default's SVM reads its 456-d
    // input, musicnn-msd's and the MSD VGG's features side by side).
    let card: serde_json::Value = serde_json::from_slice(&std::fs::read(repo().join("crates/models/pretrained/genre-gtzan/model.json")).expect("card")).expect("json");
    let dims = card["network"]["embedding"].as_u64().expect("embedding size");
    assert_eq!(flac["embeddings"], serde_json::json!([{ "kind": "model", "dims": dims }, { "kind": "summary", "dims": 90 }]));
    let p: Vec<f64> = flac["predictions"].as_array().expect("predictions").iter().map(|p| p[1].as_f64().expect("p")).collect();
    assert!(p.len() == 10 && (p.iter().sum::<f64>() - 1.0).abs() < 1e-3 && p.windows(2).all(|w| w[0] >= w[1]), "{p:?}");
    assert_eq!(flac["tags"].as_array().map(Vec::len), Some(50), "the MSD tagger's 50 tags");
    assert_eq!(show(&flac["id"].to_string()), flac);
    // A clip's duration is GTZAN's (labels.csv).
    let metal = names(&files, folder_is("metal"));
    let clip = Path::new(&metal[0]).file_name().expect("name").to_string_lossy().into_owned();
    let labels = std::fs::read_to_string(genrecast_testutil::shared_dir().expect("shared").join("data/gtzan/labels.csv")).expect("labels.csv");
    let seconds: f64 = labels.lines().find(|l| l.starts_with(&format!("full_22k/metal/{clip},"))).and_then(|l| l.split(',').nth(6)).and_then(|s| s.parse().ok()).expect("duration_s");
    assert!((show(&metal[0])["duration"].as_f64().expect("duration") - seconds).abs() < 0.01);
    let broken = show(&names(&files, |p| p.ends_with("garbage.wav"))[0]);
    assert!(broken["error"].as_str().is_some_and(|e| e.contains("garbage.wav")) && broken["embeddings"] == serde_json::json!([]) && broken["predictions"] == serde_json::json!([]), "{broken}");
    assert_eq!(library(&["show", "/no/such/song.flac"]).status.code(), Some(2));

    // export: CSV (format from --out, folders created), each row field by field as `show`.
    let csv_out = tmp.path().join("new/folder/all.csv");
    let out = library(&["export", "--out", csv_out.to_str().expect("utf-8")]);
    assert!(out.status.success() && out.stdout.is_empty(), "{}", text(&out.stderr));
    let mut reader = csv::Reader::from_path(&csv_out).expect("csv");
    let head = reader.headers().expect("header").clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.iter().map(|r| r[1].to_string()).collect::<Vec<_>>(), names(&files, |_| true));
    let cell = |row: &csv::StringRecord, name: &str| row[head.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"))].to_string();
    for row in &rows {
        let v = show(&cell(row, "path"));
        let plain = |key: &str| match &v[key] {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        for key in ["id", "path", "title", "artist", "album", "genre", "track_number", "year", "label", "error", "model"] {
            assert_eq!(cell(row, key), plain(key), "{key} of {}", cell(row, "path"));
        }
        let close = |a: &str, b: Option<f64>| match b {
            None => a.is_empty(),
            Some(b) => (a.parse::<f64>().expect("number") - b).abs() < 1e-3,
        };
        assert!(close(&cell(row, "duration_s"), v["duration"].as_f64()));
        let predictions = v["predictions"].as_array().expect("predictions");
        assert_eq!(cell(row, "top_genre"), predictions.first().map_or(String::new(), |p| p[0].as_str().expect("label").to_string()));
        assert!(close(&cell(row, "top_probability"), predictions.first().and_then(|p| p[1].as_f64())));
        for genre in ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"] {
            let p = predictions.iter().find(|p| p[0] == genre).and_then(|p| p[1].as_f64());
            assert!(close(&cell(row, genre), p) && (p.is_none() || (cell(row, genre).parse::<f64>().expect("p") - p.unwrap_or(0.0)).abs() < 1e-6), "{genre}");
        }
        let kinds: Vec<String> = v["embeddings"].as_array().expect("embeddings").iter().map(|e| format!("{}:{}", e["kind"].as_str().expect("kind"), e["dims"])).collect();
        assert_eq!(cell(row, "embeddings"), kinds.join(";"));
    }
    // JSON Lines with a filter; JSON from --out's extension; a filter matching nothing
    // writes nothing.
    let out = library(&["export", "--format", "jsonl", "--path", "*/tagged/*"]);
    let lines: Vec<serde_json::Value> = text(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("line")).collect();
    assert_eq!(lines.iter().map(|l| l["path"].as_str().expect("path").to_string()).collect::<Vec<_>>(), names(&files, folder_is("tagged")));
    let json_out = tmp.path().join("all.json");
    assert!(library(&["export", "--out", json_out.to_str().expect("utf-8")]).status.success());
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json_out).expect("json")).expect("json");
    assert_eq!(doc["tracks"].as_array().map(Vec::len), Some(files.len()));
    let nothing = tmp.path().join("nothing.csv");
    assert_eq!(library(&["export", "--artist", "nobody", "--out", nothing.to_str().expect("utf-8")]).status.code(), Some(1));
    assert!(!nothing.exists());
}

/// The songs of an .m3u playlist.
fn m3u_songs(path: &Path) -> Vec<PathBuf> {
    std::fs::read_to_string(path).expect("m3u").lines().filter(|l| !l.starts_with('#')).map(PathBuf::from).collect()
}

#[test]
fn playlists_through_several_seeds_with_spacing_and_formats() {
    let tmp = tempfile::tempdir().expect("tmp");
    let Some((db, files)) = mixed_library(tmp.path()) else { return };
    let in_folder = |name: &str| files.iter().find(|p| p.parent().and_then(Path::file_name).is_some_and(|f| f == name)).expect("file").clone();
    let (jazz, metal) = (in_folder("jazz"), in_folder("metal"));
    let outside = std::fs::canonicalize(example_song()).expect("canonical");

    // Seeds: a song outside the library, a jazz clip (given twice: one seed) and a metal clip;
    // 7 places shared 3, 2, 2, so the seeds are at 0, 3 and 5, each once.
    let m3u = tmp.path().join("lists/new/mix.m3u");
    let out = bin().args(["playlist", "-n", "7", "--format", "jsonl", "--m3u"]).arg(&m3u).arg("--db").arg(&db).arg(&outside).arg(&jazz).arg(&metal).arg(&jazz).output().expect("playlist");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let songs = m3u_songs(&m3u);
    assert_eq!(songs.len(), 7);
    assert_eq!((&songs[0], &songs[3], &songs[5]), (&outside, &jazz, &metal));
    assert_eq!(songs.iter().collect::<std::collections::BTreeSet<_>>().len(), 7, "{songs:?}");
    let playlist = std::fs::read_to_string(&m3u).expect("m3u");
    assert_eq!(playlist.lines().filter(|l| l.starts_with("#EXTINF:")).count(), 7, "{playlist}");
    let lines: Vec<serde_json::Value> = text(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("line")).collect();
    let seeds: Vec<usize> = lines.iter().enumerate().filter(|(_, l)| l["seed"] == true).map(|(i, _)| i).collect();
    assert_eq!(seeds, [0, 3, 5]);
    assert!(lines[0]["in_library"] == false && lines[1..].iter().all(|l| l["in_library"] == true));
    assert_eq!(lines.iter().map(|l| PathBuf::from(l["track"]["path"].as_str().expect("path"))).collect::<Vec<_>>(), songs);
    assert_eq!(lines.iter().map(|l| l["rank"].as_u64().expect("rank")).collect::<Vec<_>>(), (1..=7).collect::<Vec<_>>());
    let few = bin().args(["playlist", "-n", "1", "--db"]).arg(&db).arg(&jazz).arg(&metal).output().expect("playlist");
    assert_eq!(few.status.code(), Some(2));

    // --no-repeat-artist: here the folder is the artist (GTZAN clips have no tags; the
    // tagged files are both The Testers, in one folder). Without it, the walk from a metal
    // clip plays two clips of a folder in a row.
    let list = |flags: &[&str], seed: &Path| {
        let m3u = tmp.path().join("list.m3u");
        let out = bin().arg("playlist").args(flags).arg("--m3u").arg(&m3u).arg("--db").arg(&db).arg(seed).output().expect("playlist");
        assert!(out.status.success(), "{}", text(&out.stderr));
        m3u_songs(&m3u)
    };
    let repeats = |songs: &[PathBuf]| songs.windows(2).filter(|w| w[0].parent() == w[1].parent()).count();
    assert!(repeats(&list(&["-n", "10"], &metal)) > 0);
    let spaced = list(&["-n", "10", "--no-repeat-artist"], &metal);
    assert!(spaced.len() >= 5 && repeats(&spaced) == 0, "{spaced:?}");
    // --no-repeat-album=N: the two tagged files (album Fixtures, near-identical audio) are
    // neighbours, unless the album may not recur within 3 songs; GTZAN clips have no album.
    let (flac, mp3) = (in_folder("tagged").with_file_name("tagged.flac"), in_folder("tagged").with_file_name("tagged.mp3"));
    assert_eq!(list(&["-n", "5"], &flac)[1], mp3);
    let spaced = list(&["-n", "5", "--no-repeat-album=3"], &flac);
    assert!(spaced.len() == 5 && !spaced[..4].contains(&mp3), "{spaced:?}");

    // similar: --format csv to --out (folders created), the same songs as --format json,
    // and --json still the JSON document.
    let similar = |flags: &[&str]| bin().args(["similar", "-k", "4", "--db"]).arg(&db).args(flags).arg(&metal).output().expect("similar");
    let doc = json(&similar(&["--format", "json"]));
    assert_eq!(json(&similar(&["--json"])), doc);
    let paths: Vec<String> = doc["similar"].as_array().expect("similar").iter().map(|n| n["track"]["path"].as_str().expect("path").to_string()).collect();
    assert!(paths.len() == 4 && !paths.contains(&metal.to_string_lossy().into_owned()));
    let csv_out = tmp.path().join("out/sim/near.csv");
    assert!(similar(&["--out", csv_out.to_str().expect("utf-8")]).status.success());
    let mut reader = csv::Reader::from_path(&csv_out).expect("csv");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.iter().map(|r| r[3].to_string()).collect::<Vec<_>>(), paths);
    assert_eq!(rows.iter().map(|r| r[0].to_string()).collect::<Vec<_>>(), ["1", "2", "3", "4"]);
    let d: Vec<f64> = rows.iter().map(|r| r[1].parse().expect("distance")).collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
    let lines = text(&similar(&["--format", "jsonl"]).stdout).lines().count();
    assert_eq!(lines, 4);
}

/// The distance between two songs does not depend on what else the library holds: the same
/// two GTZAN clips, alone in one library and among 8 in another, are as far apart in both,
/// in the model embedding and in the summary embedding (both scaled by statistics fixed by
/// the model and by genrecast, not fitted on the library; fitted on it, they were 2.0 apart in
/// the 2-song library and 1.35 in a 34-song one).
#[test]
fn distances_do_not_depend_on_the_rest_of_the_library() {
    let tmp = tempfile::tempdir().expect("tmp");
    let Some(root) = music(tmp.path(), 2) else { return };
    let pair: Vec<PathBuf> = ["classical", "metal"].iter().map(|g| {
        let mut f: Vec<PathBuf> = std::fs::read_dir(root.join(g)).expect("dir").flatten().map(|e| e.path()).collect();
        f.sort();
        std::fs::canonicalize(&f[0]).expect("canonical")
    }).collect();
    let (small, large) = (tmp.path().join("small.sqlite"), tmp.path().join("large.sqlite"));
    let out = bin().args(["index", "-q", "--db"]).arg(&small).args(&pair).output().expect("index");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = bin().args(["index", "-q", "--db"]).arg(&large).arg(&root).output().expect("index");
    assert!(out.status.success(), "{}", text(&out.stderr));
    for embedding in ["model", "summary"] {
        for metric in ["euclidean", "cosine"] {
            let distance = |db: &Path| -> f64 {
                let v = json(&bin().args(["similar", "--top-k", "20", "--json", "--embedding", embedding, "--metric", metric, "--db"]).arg(db).arg(&pair[0]).output().expect("similar"));
                let hit = v["similar"].as_array().expect("list").iter().find(|n| n["track"]["path"] == pair[1].to_string_lossy().as_ref()).cloned();
                hit.unwrap_or_else(|| panic!("{v}"))["distance"].as_f64().expect("distance")
            };
            let (a, b) = (distance(&small), distance(&large));
            assert!(a > 0.0 && (a - b).abs() <= 1e-6 * a.max(1.0), "{embedding}, {metric}: {a} in the 2-song library, {b} in the 8-song one");
        }
    }
}

/// `plot` takes several songs and folders; an unknown `--what` is refused before anything is
/// drawn; a file that fails is reported with its name and the rest are drawn; two songs of
/// one name get images of their own.
#[test]
fn plot_takes_several_songs_and_checks_what_first() {
    let tmp = tempfile::tempdir().expect("tmp");
    let Some(root) = music(tmp.path(), 1) else { return };
    let plots = tmp.path().join("plots");
    let out = bin().args(["plot", "--what", "mel,bogus", "--out"]).arg(&plots).arg(&root).output().expect("plot");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(!plots.exists(), "nothing drawn before --what was checked");
    // The same clip under a second folder, and an empty file beside them.
    let again = tmp.path().join("again");
    std::fs::create_dir(&again).expect("dir");
    let metal = std::fs::read_dir(root.join("metal")).expect("dir").flatten().next().expect("clip").path();
    std::fs::copy(&metal, again.join(metal.file_name().expect("name"))).expect("copy");
    std::fs::write(again.join("empty.wav"), b"").expect("empty");
    let out = bin().args(["plot", "--what", "mel", "--duration", "3", "--out"]).arg(&plots).arg(&root).arg(&again).output().expect("plot");
    assert_eq!(out.status.code(), Some(1), "one file failed: {}", text(&out.stderr));
    assert!(text(&out.stderr).contains("empty.wav"), "{}", text(&out.stderr));
    let mut drawn: Vec<String> = std::fs::read_dir(&plots).expect("plots").flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    drawn.sort();
    let stem = metal.file_stem().expect("stem").to_string_lossy().into_owned();
    assert_eq!(drawn.len(), 5, "four genres and the copy: {drawn:?}");
    assert!(drawn.contains(&format!("{stem}-mel.png")) && drawn.contains(&format!("{stem}-2-mel.png")), "{drawn:?}");
}

/// `plot` draws the example song as librosa's specshow would: PNGs with Hz, note-name and
/// coefficient axes and a colour bar (checked by what the image holds, not pixel by pixel).
#[test]
fn plot_draws_the_example_song_with_axes_and_colour_bars() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = bin().args(["plot", "--what", "mel,chroma,mfcc", "--duration", "20", "--out"]).arg(tmp.path()).arg(example_song()).output().expect("plot");
    assert!(out.status.success(), "{}", text(&out.stderr));
    for what in ["mel", "chroma", "mfcc"] {
        let png = tmp.path().join(format!("muldjord-chaos-god-excerpt-{what}.png"));
        let (w, h, colours) = png_facts(&std::fs::read(&png).expect("png"));
        // 20 s is 862 frames: a pixel column each, plus axes and the colour bar.
        assert!((1000..1300).contains(&w) && (300..800).contains(&h), "{what}: {w} x {h}");
        assert!(colours > 100, "{what}: {colours} colours");
    }
    let out = bin().args(["plot", "--what", "mel,chroma", "--format", "svg", "--duration", "20", "--out"]).arg(tmp.path()).arg(example_song()).output().expect("plot");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let texts = |what: &str| -> Vec<String> {
        let svg = std::fs::read_to_string(tmp.path().join(format!("muldjord-chaos-god-excerpt-{what}.svg"))).expect("svg");
        svg.split("<text").skip(1).filter_map(|t| Some(t.split_once('>')?.1.split("</text>").next()?.trim().to_string())).collect()
    };
    let mel = texts("mel");
    for label in ["Hz", "512", "2048", "8192", "+0 dB", "-80 dB", "time (s)"] {
        assert!(mel.iter().any(|t| t == label), "no {label}: {mel:?}");
    }
    let chroma = texts("chroma");
    assert!(["C", "C#", "B", "pitch class"].iter().all(|l| chroma.iter().any(|t| t == l)), "{chroma:?}");
}

/// The SVG of a 10-minute song embeds its spectrogram as one PNG instead of a rectangle per
/// cell (it was 1.6 million `<rect>`s and 137 MB for 5 minutes), and stays under 2 MB.
#[test]
fn plot_svg_of_a_ten_minute_song_is_small() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sr, seconds) = (22_050u32, 600u32);
    let song = tmp.path().join("ten-minutes.wav");
    // A tone gliding up and down over noise, so that the image is no flat colour.
    let mut seed = 7u32;
    let samples = (0..sr * seconds).map(move |i| {
        let t = f64::from(i) / f64::from(sr);
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let glide = 300.0 + 250.0 * (t / 7.0).sin();
        (128.0 + 55.0 * (2.0 * std::f64::consts::PI * glide * t).sin() + f64::from(seed >> 28) - 8.0) as u8
    });
    crate::write_u8_wav(&song, sr, sr * seconds, samples);
    let out = bin().args(["plot", "--what", "mel,mfcc", "--format", "svg", "--out"]).arg(tmp.path()).arg(&song).output().expect("plot");
    assert!(out.status.success(), "{}", text(&out.stderr));
    for what in ["mel", "mfcc"] {
        let svg = std::fs::read_to_string(tmp.path().join(format!("ten-minutes-{what}.svg"))).expect("svg");
        assert!(svg.len() < 2_000_000, "{what}: {} bytes", svg.len());
        assert_eq!(svg.matches("<image").count(), 2, "{what}: the heatmap and its colour bar");
        assert!(svg.matches("<rect").count() < 20 && svg.contains("data:image/png;base64,") && svg.trim_end().ends_with("</svg>"));
    }
}

/// Width, height and distinct colours of a PNG.
pub fn png_facts(bytes: &[u8]) -> (u32, u32, usize) {
    let mut decoder = png::Decoder::new(bytes);
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    let colours: std::collections::HashSet<&[u8]> = buf[..info.buffer_size()].chunks(info.color_type.samples()).collect();
    (info.width, info.height, colours.len())
}
