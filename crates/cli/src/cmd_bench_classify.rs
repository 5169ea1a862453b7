//! `genrecast bench classify`: `genrecast classify` against musicnn 0.1.0 on TensorFlow
//! (`shared/peers/musicnn_tag.py`, MSD model) on the same files in the same run, each as a
//! whole process with the same number of threads: wall time per audio minute, peak RSS, and
//! how far the fast path's predictions lie from the exact one's.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{bail, Context};

use crate::args::BenchClassifyArgs;

/// What one timed process did.
pub(crate) struct Run {
    pub wall_s: f64,
    pub peak_rss_mb: f64,
    pub ok: bool,
    pub stdout: String,
    pub stderr_tail: String,
}

/// Runs `cmd` to its end, timing it and reading its peak RSS from the kernel's accounting
/// of that one child (`wait4`).
pub(crate) fn timed(mut cmd: Command) -> anyhow::Result<Run> {
    use std::os::unix::process::ExitStatusExt;
    cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let t0 = Instant::now();
    let mut child = cmd.spawn().with_context(|| format!("starting {:?}", cmd.get_program()))?;
    // Both pipes are drained while the child runs, so that it never blocks on a full one.
    fn drain(pipe: Option<impl std::io::Read + Send + 'static>) -> std::thread::JoinHandle<String> {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_string(&mut text);
            }
            text
        })
    }
    let (out_reader, err_reader) = (drain(child.stdout.take()), drain(child.stderr.take()));
    let pid = i32::try_from(child.id()).context("child pid")?;
    let mut status = 0i32;
    // SAFETY: an all-zero rusage is a valid value, and wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall_s = t0.elapsed().as_secs_f64();
    if r != pid {
        bail!("waiting for {:?}: {}", cmd.get_program(), std::io::Error::last_os_error());
    }
    let stdout = out_reader.join().unwrap_or_default();
    let text = err_reader.join().unwrap_or_default();
    let tail: Vec<&str> = text.lines().rev().take(3).collect();
    let ok = std::process::ExitStatus::from_raw(status).success();
    // Linux reports ru_maxrss in KiB.
    Ok(Run { wall_s, peak_rss_mb: usage.ru_maxrss as f64 / 1024.0, ok, stdout, stderr_tail: tail.into_iter().rev().collect::<Vec<_>>().join(" | ") })
}

/// One file's prediction from `classify --format json`.
struct FilePrediction {
    duration: f64,
    probabilities: Vec<f64>,
}

fn read_predictions(path: &Path) -> anyhow::Result<std::collections::BTreeMap<String, FilePrediction>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let doc: serde_json::Value = serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let labels: Vec<String> = doc["labels"].as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()).unwrap_or_default();
    let mut out = std::collections::BTreeMap::new();
    for f in doc["files"].as_array().into_iter().flatten() {
        let (Some(file), Some(probs)) = (f["file"].as_str(), f["probabilities"].as_object()) else { continue };
        let probabilities = labels.iter().map(|l| probs.get(l).and_then(serde_json::Value::as_f64).unwrap_or(f64::NAN)).collect();
        out.insert(file.to_owned(), FilePrediction { duration: f["duration_s"].as_f64().unwrap_or(0.0), probabilities });
    }
    Ok(out)
}

fn argmax(v: &[f64]) -> usize {
    v.iter().enumerate().fold((0, f64::MIN), |(bi, bv), (i, &x)| if x > bv { (i, x) } else { (bi, bv) }).0
}

pub fn run(args: BenchClassifyArgs) -> anyhow::Result<ExitCode> {
    let a = &args.peer;
    let (mut files, _) = crate::inputs::expand(std::slice::from_ref(&a.dir));
    if let Some(n) = a.limit {
        files.truncate(n);
    }
    if files.is_empty() {
        bail!("no audio files under {}", a.dir.display());
    }
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get));
    let precision = genrecast_models::Precision::default().name();
    let exe = std::env::current_exe().context("finding the genrecast binary")?;
    let work = tempfile::tempdir().context("a temporary folder")?;
    // The same files for every system: links in one folder, so that a --limit applies to all.
    let list = work.path().join("files");
    std::fs::create_dir(&list)?;
    for (k, f) in files.iter().enumerate() {
        let name = format!("{k:05}-{}", f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
        let abs = std::fs::canonicalize(f).with_context(|| f.display().to_string())?;
        std::os::unix::fs::symlink(abs, list.join(name))?;
    }
    let ours = |precision: &str, max_windows: usize, out: &Path| {
        let mut cmd = Command::new(&exe);
        cmd.arg("--threads").arg(threads.to_string()).arg("--precision").arg(precision);
        cmd.arg("classify").arg(&list).arg("--model").arg(&args.model).arg("--format").arg("json").arg("--quiet").arg("--max-windows").arg(max_windows.to_string()).arg("--out").arg(out);
        cmd
    };
    eprintln!("benchmarking on {} files, {threads} thread(s) each", files.len());
    let fast_json = work.path().join("fast.json");
    let exact_json = work.path().join("exact.json");
    let mut rows: Vec<(String, Run)> = Vec::new();
    let fast_label = format!("genrecast {} ({}, {} kernel, max windows {})", args.model, precision, genrecast_models::Kernel::detect().name(), args.max_windows);
    // Warm the page cache for both systems alike: the first run reads every file.
    for f in &files {
        let _ = std::fs::read(f);
    }
    let fast = timed(ours(precision, args.max_windows, &fast_json))?;
    eprintln!("{fast_label}: {:.2} s", fast.wall_s);
    rows.push((fast_label, fast));
    if !args.no_exact {
        let exact = timed(ours("f32", 0, &exact_json))?;
        eprintln!("genrecast exact: {:.2} s", exact.wall_s);
        rows.push((format!("genrecast {} (f32, every window: the exact path)", args.model), exact));
    }
    if !a.no_peers {
        let script = a.peers_dir.join("musicnn_tag.py");
        if !script.is_file() {
            bail!("{} not found (--peers-dir, or --no-peers)", script.display());
        }
        let mut cmd = Command::new(&a.python);
        for var in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"] {
            cmd.env(var, threads.to_string());
        }
        cmd.env("TF_NUM_INTEROP_THREADS", "1");
        cmd.arg(&script).arg(&list).arg("--models").arg("MSD_musicnn");
        let peer = timed(cmd)?;
        eprintln!("musicnn: {:.2} s", peer.wall_s);
        rows.push(("musicnn 0.1.0 MSD_musicnn, TensorFlow (librosa load + mel + network)".into(), peer));
    }
    let fast_pred = read_predictions(&fast_json).unwrap_or_default();
    let audio_min: f64 = fast_pred.values().map(|p| p.duration).sum::<f64>() / 60.0;
    outln!("\n{} files, {:.1} min of audio ({}); {threads} thread(s) for every system; whole processes, start-up included.\n", files.len(), audio_min, a.dir.display());
    outln!("| system | threads | wall s | s per audio minute | peak RSS MB | exit |");
    outln!("|---|---|---|---|---|---|");
    for (name, r) in &rows {
        outln!("| {name} | {threads} | {:.2} | {:.3} | {:.0} | {} |", r.wall_s, r.wall_s / audio_min.max(1e-9), r.peak_rss_mb, if r.ok { "ok" } else { "failed" });
    }
    let peer = rows.iter().find(|(n, _)| n.starts_with("musicnn"));
    if let (Some((_, p)), Some((_, f))) = (peer, rows.first()) {
        outln!("\ngenrecast is {:.2}x faster than musicnn, with {:.3} of its peak RSS (1/{:.0}).", p.wall_s / f.wall_s, f.peak_rss_mb / p.peak_rss_mb, p.peak_rss_mb / f.peak_rss_mb);
        // The peer's own timer covers its file loop only (no Python start, TensorFlow import,
        // graph build or warm-up): the stricter comparison for us.
        let in_loop = p.stdout.lines().find_map(|l| l.strip_prefix("# TOTAL ")).and_then(|l| l.split_whitespace().find_map(|w| w.strip_prefix("wall=")?.trim_end_matches('s').parse::<f64>().ok()));
        if let Some(loop_s) = in_loop {
            outln!("musicnn's own timer for its file loop (decode + mel + network, without Python start, import and graph build): {loop_s:.2} s, {:.3} s per audio minute; genrecast's whole process is {:.2}x faster than that.", loop_s / audio_min.max(1e-9), loop_s / f.wall_s);
        }
    }
    if !args.no_exact {
        let exact = read_predictions(&exact_json).unwrap_or_default();
        let (mut same, mut n, mut diff, mut values) = (0, 0, 0.0, 0);
        for (file, e) in &exact {
            let Some(f) = fast_pred.get(file) else { continue };
            n += 1;
            same += usize::from(argmax(&e.probabilities) == argmax(&f.probabilities));
            for (x, y) in e.probabilities.iter().zip(&f.probabilities) {
                diff += (x - y).abs();
                values += 1;
            }
        }
        outln!(
            "\nAgainst the exact path (f32, every window): top-1 agreement {same}/{n} ({:.1} %), mean absolute probability difference {:.4}.",
            100.0 * same as f64 / n.max(1) as f64,
            diff / f64::from(values.max(1))
        );
    }
    for (name, r) in &rows {
        if !r.ok {
            outln!("\n{name} failed: {}", r.stderr_tail);
        }
    }
    if let Some(dir) = &args.keep {
        std::fs::create_dir_all(dir)?;
        for (src, name) in [(&fast_json, "fast.json"), (&exact_json, "exact.json")] {
            if src.is_file() {
                std::fs::copy(src, dir.join(name))?;
            }
        }
    }
    let all_ok = rows.iter().all(|(_, r)| r.ok);
    Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
