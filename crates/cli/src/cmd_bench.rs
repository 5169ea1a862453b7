//! `genrecast bench features`: our extractor against librosa and Essentia on the same files in
//! the same run, one core each, in seconds per minute of audio.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{bail, Context};
use genrecast_audio::{load, LoadOptions};
use genrecast_features::{FeatureConfig, FeatureExtractor, FeatureKind};

use crate::args::BenchFeaturesArgs;
use crate::inputs;

/// The set the peer scripts time: mel + dB, MFCC, chroma, centroid, bandwidth, roll-off,
/// contrast, ZCR, RMS, tempo (`shared/peers/librosa_features.py`).
const PEER_SET: [FeatureKind; 11] = [
    FeatureKind::Mel, FeatureKind::MelDb, FeatureKind::Mfcc, FeatureKind::Chroma, FeatureKind::Centroid,
    FeatureKind::Bandwidth, FeatureKind::Rolloff, FeatureKind::Contrast, FeatureKind::Zcr, FeatureKind::Rms,
    FeatureKind::Tempo,
];

/// Seconds per minute of audio for the two stages.
#[derive(Clone, Copy, Debug, Default)]
struct Rates {
    decode: f64,
    features: f64,
}

pub fn run(args: BenchFeaturesArgs) -> anyhow::Result<ExitCode> {
    let (mut files, _) = inputs::expand(std::slice::from_ref(&args.dir));
    if let Some(n) = args.limit {
        files.truncate(n);
    }
    if files.is_empty() {
        bail!("no audio files under {}", args.dir.display());
    }
    eprintln!("benchmarking {} files from {} (one core each)", files.len(), args.dir.display());
    let ours = bench_ours(&files)?;
    let mut rows = vec![("genrecast".to_owned(), Some(ours), String::new())];
    let peers_dir = args.peers_dir.clone();
    for (name, script, decode_stage, feature_stage) in [
        ("librosa", "librosa_features.py", "decode+mono+resample", "features(mel..tempo)"),
        ("essentia", "essentia_features.py", "decode+resample", "features(mel,mfcc,spectral,tempo)"),
    ] {
        if args.no_peers {
            break;
        }
        match run_peer(&args.python, &peers_dir.join(script), &args.dir, args.limit, decode_stage, feature_stage) {
            Ok(r) => rows.push((name.to_owned(), Some(r), String::new())),
            Err(e) => rows.push((name.to_owned(), None, crate::report::chain(&e))),
        }
    }
    outln!("\n| system | decode+resample s/audio-min | features s/audio-min | genrecast speed-up (decode, features, both) |");
    outln!("|---|---|---|---|");
    for (name, r, err) in &rows {
        match r {
            Some(r) => {
                let ratio = if name == "genrecast" {
                    "-".to_owned()
                } else {
                    let both = (r.decode + r.features) / (ours.decode + ours.features);
                    format!("{:.1}x, {:.1}x, {both:.1}x", r.decode / ours.decode, r.features / ours.features)
                };
                outln!("| {name} | {:.4} | {:.4} | {ratio} |", r.decode, r.features);
            }
            None => outln!("| {name} | not run: {err} | | |"),
        }
    }
    outln!("\nfeatures = mel+dB, MFCC 20, chroma (tuning estimated), centroid, bandwidth, roll-off, contrast, ZCR, RMS, tempo.");
    outln!("genrecast computes them from one shared STFT ({} precision); the peer scripts call each librosa/Essentia function as typical GTZAN scripts do.", FeatureConfig::default().precision.name());
    Ok(ExitCode::SUCCESS)
}

fn bench_ours(files: &[PathBuf]) -> anyhow::Result<Rates> {
    let fx = FeatureExtractor::new(FeatureConfig::default())?;
    // Warm-up on one file so that page cache and allocator state are not billed to file 1.
    if let Ok(w) = load(&files[0], &LoadOptions::default()) {
        let _ = fx.extract(&w.samples, &PEER_SET);
    }
    let (mut t_dec, mut t_feat, mut minutes) = (0.0, 0.0, 0.0);
    for f in files {
        let t0 = Instant::now();
        let wave = match load(f, &LoadOptions::default()) {
            Ok(w) => w,
            Err(e) => {
                eprintln!("skipped: {e}");
                continue;
            }
        };
        let t1 = Instant::now();
        fx.extract(&wave.samples, &PEER_SET).with_context(|| f.display().to_string())?;
        let t2 = Instant::now();
        t_dec += (t1 - t0).as_secs_f64();
        t_feat += (t2 - t1).as_secs_f64();
        minutes += wave.duration() / 60.0;
    }
    if minutes == 0.0 {
        bail!("no file decoded");
    }
    Ok(Rates { decode: t_dec / minutes, features: t_feat / minutes })
}

/// Runs a peer script on `dir` on one core (no BLAS/OpenMP/numba/TensorFlow thread pools)
/// with `extra` arguments; returns its stdout, or its last error line as the failure.
/// A Python command whose numeric libraries are held to one thread, as genrecast is with
/// `--threads 1`, so that per-core speeds compare.
fn one_thread_python(python: &str) -> Command {
    let mut cmd = Command::new(python);
    for var in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"] {
        cmd.env(var, "1");
    }
    cmd
}

/// What `tools/peer_keras_cnn2d.py` measured.
#[derive(serde::Deserialize)]
pub struct KerasStep {
    pub version: String,
    pub train_step_s: f64,
    pub inference_s: f64,
}

/// Times the same 2-D CNN in Keras (TensorFlow, one thread): median training step and
/// inference pass at `batch` examples of `features x frames`.
pub fn keras_cnn2d_step(python: &str, batch: usize, features: usize, frames: usize, steps: usize) -> anyhow::Result<KerasStep> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/peer_keras_cnn2d.py");
    if !script.is_file() {
        bail!("{} not found", script.display());
    }
    eprintln!("running {python} {} ...", script.display());
    let out = one_thread_python(python)
        .arg(&script)
        .args(["--batch", &batch.to_string(), "--features", &features.to_string(), "--frames", &frames.to_string(), "--steps", &steps.to_string()])
        .output()
        .with_context(|| format!("starting {python}"))?;
    if !out.status.success() {
        bail!("{} failed: {}", script.display(), String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("no message"));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).with_context(|| format!("reading the output of {}: {line}", script.display()))
}

fn run_python(python: &str, script: &Path, dir: &Path, limit: Option<usize>, extra: &[&std::ffi::OsStr]) -> anyhow::Result<String> {
    if !script.is_file() {
        bail!("{} not found", script.display());
    }
    let mut cmd = one_thread_python(python);
    cmd.arg(script).arg(dir).args(extra);
    if let Some(n) = limit {
        cmd.arg("--limit").arg(n.to_string());
    }
    eprintln!("running {} {} ...", python, script.display());
    let out = cmd.output().with_context(|| format!("starting {python}"))?;
    if !out.status.success() {
        bail!("{} failed: {}", script.display(), String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("no message"));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs a peer script and reads its `# stage total_s per_file_s per_audio_min_s` lines.
fn run_peer(python: &str, script: &Path, dir: &Path, limit: Option<usize>, decode_stage: &str, feature_stage: &str) -> anyhow::Result<Rates> {
    let stdout = run_python(python, script, dir, limit, &[])?;
    let stage = |name: &str| -> anyhow::Result<f64> {
        stdout
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .map(|l| l.split('\t').collect::<Vec<_>>())
            .find(|f| f.len() == 4 && f[0] == name)
            .and_then(|f| f[3].trim().parse().ok())
            .with_context(|| format!("no '{name}' stage in the output of {}", script.display()))
    };
    Ok(Rates { decode: stage(decode_stage)?, features: stage(feature_stage)? })
}

/// `genrecast bench model`: median seconds of a training step and of inference at one batch,
/// or musicnn's patches per second, or a trained model end to end on a file, on `--device`.
pub fn bench_model(args: crate::args::BenchModelArgs) -> anyhow::Result<ExitCode> {
    let on = args.device.device;
    let threads = rayon::current_num_threads();
    // What the numbers ran on, stated with each of them.
    let ran_on = if on.is_gpu() { on.describe() } else { format!("burn 0.22.1 flex, CPU, {threads} thread(s)") };
    if let (Some(clip), Some(model)) = (&args.clip, &args.trained) {
        let c = genrecast_models::Classifier::open_on(model, on)?;
        let mut times = Vec::new();
        let mut duration = 0.0;
        for i in 0..=args.steps {
            let start = Instant::now();
            let p = c.classify_file(clip, genrecast_models::Aggregation::Mean)?;
            duration = p.duration;
            if i > 0 {
                times.push(start.elapsed().as_secs_f64());
            }
        }
        let median = genrecast_eval::median(&times);
        if args.json {
            outln!("{}", serde_json::json!({ "model": model, "clip": clip, "device": on.to_string(), "ran_on": ran_on, "audio_seconds": duration, "seconds_per_file": times, "median_seconds_per_file": median }));
        } else {
            outln!("{model} on {} ({duration:.1} s of audio, {ran_on}): {median:.3} s per file end to end, {:.2} files/s (median of {})", clip.display(), 1.0 / median, args.steps);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Ok(backbone) = args.model.parse::<genrecast_models::Backbone>() {
        let times = genrecast_models::time_musicnn(on, backbone, args.batch, args.steps)?;
        let median = genrecast_eval::median(&times);
        let per_s = args.batch as f64 / median;
        if args.json {
            outln!("{}", serde_json::json!({ "model": backbone.name(), "device": on.to_string(), "ran_on": ran_on, "batch": args.batch, "seconds_per_pass": times, "patches_per_second": per_s }));
        } else {
            outln!("{} ({ran_on}), batch {} of 3 s patches (187x96 log-mel): {median:.3} s per pass, {per_s:.1} patches/s (median of {})", backbone.name(), args.batch, args.steps);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let arch: genrecast_models::Architecture = args.model.parse()?;
    let t = genrecast_models::time_steps(on, arch, args.features, args.frames, args.batch, args.steps)?;
    let (train, infer) = (t.train_median(), t.infer_median());
    if args.json {
        outln!("{}", serde_json::json!({ "model": args.model, "device": on.to_string(), "ran_on": ran_on, "batch": args.batch, "input": [1, args.features, args.frames], "train_step_seconds": t.train, "inference_seconds": t.infer, "median_train_step_seconds": train, "median_inference_seconds": infer, "losses": t.losses }));
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{} ({ran_on}), batch {} of 1x{}x{}: training step {train:.3} s, inference {infer:.3} s (median of {})",
        args.model,
        args.batch,
        args.features,
        args.frames,
        args.steps
    );
    if let Some(python) = &args.python {
        if arch != genrecast_models::Architecture::Cnn2d {
            bail!("--python: the Keras peer is written for cnn2d only");
        }
        let peer = crate::cmd_bench::keras_cnn2d_step(python, args.batch, args.features, args.frames, args.steps)?;
        outln!(
            "Keras {} (TensorFlow CPU, 1 thread), same network: training step {:.3} s, inference {:.3} s; genrecast is {:.2}x its speed in training, {:.2}x in inference",
            peer.version, peer.train_step_s, peer.inference_s, peer.train_step_s / train, peer.inference_s / infer
        );
    }
    Ok(ExitCode::SUCCESS)
}
