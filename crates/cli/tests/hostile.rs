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

fn check_batch(args_before: &[&str], args_after: &[&str]) {
    let cases = corpus();
    let paths: Vec<String> = cases.iter().map(|c| c.path.display().to_string()).collect();
    let mut args: Vec<&str> = args_before.to_vec();
    args.extend(paths.iter().map(String::as_str));
    args.extend_from_slice(args_after);
    let out = genrecast(&args);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "a batch with bad files exits 1\n{stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("crashed"), "panic in batch:\n{stderr}");
    let summary = stderr.split("files failed:").nth(1).unwrap_or_else(|| panic!("no failure summary:\n{stderr}"));
    let mut problems = Vec::new();
    for c in &cases {
        let shown = c.path.display().to_string();
        let failed_lines: Vec<&str> = summary.lines().filter(|l| l.trim_start().starts_with(&format!("{shown}:"))).collect();
        match c.verdict.as_str() {
            "ok" if !failed_lines.is_empty() => problems.push(format!("{shown} should decode, got {failed_lines:?}")),
            "error" if failed_lines.len() != 1 => problems.push(format!("{shown} should fail exactly once, got {failed_lines:?}")),
            "error" if !failed_lines[0].contains(&c.detail) => problems.push(format!("{shown}: message lacks '{}': {}", c.detail, failed_lines[0])),
            _ => {}
        }
        if c.verdict == "ok" && args_before[0] == "info" && !stdout.contains(&shown) {
            problems.push(format!("{shown} missing from the output"));
        }
    }
    assert!(problems.is_empty(), "{}\n--- stderr:\n{stderr}", problems.join("\n"));
}

#[test]
fn hostile_corpus_through_info() {
    check_batch(&["info"], &[]);
}

#[test]
fn hostile_corpus_through_features() {
    let out = tempfile::tempdir().expect("tempdir");
    let out_dir = out.path().display().to_string();
    check_batch(&["features", "--quiet", "--set", "mfcc,chroma,tempo", "--summary", "--no-frames"], &["--out", &out_dir]);
    let summary = std::fs::read_to_string(out.path().join("summary.csv")).expect("summary.csv");
    // Every row finite: silence and 0.05 s clips give defined values, never NaN.
    assert!(!summary.contains("NaN") && !summary.contains("inf"), "{summary}");
}

#[test]
fn hostile_corpus_through_classify() {
    let out = tempfile::tempdir().expect("tempdir");
    let json = out.path().join("results.json");
    check_batch(&["classify", "--quiet", "--format", "json", "--out", &json.display().to_string()], &[]);
    // Good files, silence and 0.05 s included, get a finite distribution over the genres.
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).expect("results written")).expect("json");
    for f in v["files"].as_array().expect("files") {
        if f.get("error").is_some() {
            continue;
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
    let cases = corpus();
    let tmp = tempfile::tempdir().expect("tempdir");
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
        let name = c.path.file_name().expect("name").to_string_lossy().into_owned();
        let failed: Vec<&str> = summary.lines().filter(|l| l.contains(&format!("/{name}:"))).collect();
        let mapped = page.contains(&format!("/{name}\""));
        match c.verdict.as_str() {
            "ok" if !failed.is_empty() || !mapped => problems.push(format!("{name} should be indexed (failed: {failed:?}, on the map: {mapped})")),
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
}
