//! The feature cache through `genrecast features`: hits, and runs killed with SIGKILL at
//! random points then rerun give the same outputs as one uninterrupted run.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::{bin, text};
use genrecast_testutil::shared_dir;

fn features(inputs: &Path, out: &Path, cache: &Path) -> std::process::Command {
    let mut c = bin();
    c.env_remove("GENRECAST_NO_CACHE")
        .args(["--threads", "1", "features", "--summary", "-q", "--set", "mel_db,mfcc,chroma,centroid,rms,tempo", "--out"])
        .arg(out)
        .arg("--cache-dir")
        .arg(cache)
        .arg(inputs);
    c
}

/// Every file under `dir` (relative path -> bytes), temporary files excluded.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.strip_prefix(dir).expect("prefix").to_path_buf(), std::fs::read(&p).expect("read")));
            }
        }
    }
    out.sort();
    out
}

/// The same files with the same bytes; on failure names the files that differ rather than
/// dumping their bytes.
fn assert_same_tree(got: &Path, want: &Path) {
    let (got, want) = (tree(got), tree(want));
    let names = |t: &[(PathBuf, Vec<u8>)]| t.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    let (got_names, want_names) = (names(&got), names(&want));
    let extra: Vec<_> = got_names.iter().filter(|n| !want_names.contains(n)).collect();
    let missing: Vec<_> = want_names.iter().filter(|n| !got_names.contains(n)).collect();
    assert!(extra.is_empty() && missing.is_empty(), "leftover files {extra:?}, missing files {missing:?}");
    let differing: Vec<_> = got.iter().zip(&want).filter(|(g, w)| g.1 != w.1).map(|(g, _)| g.0.display().to_string()).collect();
    assert!(differing.is_empty(), "files whose bytes differ: {differing:?}");
}

#[test]
fn killed_runs_resume_to_the_same_outputs() {
    let Some(shared) = shared_dir() else { return };
    let inputs = shared.join("data/gtzan/full_22k");
    let tmp = tempfile::tempdir().expect("tmp");
    let (reference, resumed) = (tmp.path().join("reference"), tmp.path().join("resumed"));
    let (cache_a, cache_b) = (tmp.path().join("cache_a"), tmp.path().join("cache_b"));
    let status = features(&inputs, &reference, &cache_a).status().expect("run");
    assert!(status.success());

    // Kill the same job several times at pseudo-random moments (seeded: rerunnable).
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut kills = 0;
    for round in 0..4 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let after = Duration::from_millis(150 + state % 1200);
        let mut child = features(&inputs, &resumed, &cache_b).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn");
        std::thread::sleep(after);
        if child.try_wait().expect("wait").is_none() {
            child.kill().expect("SIGKILL");
            kills += 1;
        }
        child.wait().expect("reap");
        eprintln!("round {round}: killed after {after:?}");
    }
    assert!(kills >= 2, "the job should still be running when killed ({kills} kills)");
    let out = features(&inputs, &resumed, &cache_b).output().expect("final run");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_same_tree(&resumed, &reference);

    // No damaged entry; every file cached; a rerun is served from the cache.
    let out = bin().args(["cache", "verify", "--json", "--cache-dir"]).arg(&cache_b).output().expect("verify");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let n_inputs = tree(&inputs).len();
    assert_eq!(report["intact"], n_inputs, "{report}");
    assert_eq!(report["damaged"].as_array().map(Vec::len), Some(0));
    let out = bin().args(["cache", "stats", "--json", "--cache-dir"]).arg(&cache_b).output().expect("stats");
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(stats["entries"], n_inputs);

    // Clear empties it.
    let out = bin().args(["cache", "clear", "--cache-dir"]).arg(&cache_b).output().expect("clear");
    assert!(out.status.success());
    let out = bin().args(["cache", "stats", "--json", "--cache-dir"]).arg(&cache_b).output().expect("stats");
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(stats["entries"], 0);
}

#[test]
fn a_damaged_entry_is_recomputed_not_served() {
    let Some(shared) = shared_dir() else { return };
    let input = shared.join("data/gtzan/excerpts_22k/rock");
    let tmp = tempfile::tempdir().expect("tmp");
    let cache = tmp.path().join("cache");
    assert!(features(&input, &tmp.path().join("a"), &cache).status().expect("run").success());
    // Flip one byte in the data of every entry.
    let mut damaged = 0;
    for shard in std::fs::read_dir(cache.join("v1")).expect("v1").flatten() {
        for e in std::fs::read_dir(shard.path()).expect("shard").flatten() {
            let mut b = std::fs::read(e.path()).expect("read");
            let n = b.len();
            b[n - 9] ^= 0x01;
            std::fs::write(e.path(), b).expect("write");
            damaged += 1;
        }
    }
    assert!(damaged > 0);
    let out = features(&input, &tmp.path().join("b"), &cache).output().expect("run");
    assert!(out.status.success());
    assert!(text(&out.stderr).contains("cache entry dropped"), "{}", text(&out.stderr));
    assert_same_tree(&tmp.path().join("b"), &tmp.path().join("a"));
}
