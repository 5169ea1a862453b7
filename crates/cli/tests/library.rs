//! `genrecast index`, `similar`, `playlist`, `map` (opened in headless Chromium) and `plot` on
//! real GTZAN clips, and an index killed with SIGKILL and rerun.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::{bin, example_song, text};
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
