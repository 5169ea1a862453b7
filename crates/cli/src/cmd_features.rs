//! `genrecast features`: librosa-compatible features for many files, in parallel.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::{bail, Context};
use genrecast_audio::{load, LoadOptions};
use genrecast_datasets::{CacheKey, FeatureCache};
use genrecast_descriptors::rp::{RpExtractor, DESCRIPTORS};
use genrecast_descriptors::timbral::TimbralExtractor;
use genrecast_features::{
    column_names, summarize_array, write_atomic, write_npy, NpyColumnWriter, Array2, FeatureConfig, FeatureExtractor, FeatureKind,
    MusicnnFrontEnd,
};
use indicatif::ProgressBar;
use rayon::prelude::*;

use crate::args::{FeatureFormat, FeaturesArgs};
use crate::inputs;
use crate::report::Failures;

/// Name of the musicnn front end in `--set` (computed from a separate 16 kHz load).
const MUSICNN: &str = "musicnn_logmel";

/// Name of the Marsyas-style timbral texture vector in `--set`.
const TIMBRAL: &str = "timbral";

/// The rate the rp_extract descriptors are computed at.
const RP_RATE: u32 = 22_050;

struct Request {
    kinds: Vec<FeatureKind>,
    musicnn: bool,
    /// rp_extract descriptors (`rp`, `rh`, `ssd`, `tssd`, `trh`, `mvd`), in that order.
    descriptors: Vec<&'static str>,
    /// The Marsyas-style timbral texture vector.
    timbral: bool,
}

impl Request {
    /// The output names, in output order.
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.kinds.iter().map(|k| k.name().to_owned()).collect();
        if self.musicnn {
            names.push(MUSICNN.to_owned());
        }
        names.extend(self.descriptors.iter().map(|d| (*d).to_owned()));
        if self.timbral {
            names.push(TIMBRAL.to_owned());
        }
        names
    }
}

/// The analysis options of `genrecast features`, by flag.
const ANALYSIS_FLAGS: [&str; 6] = ["--sr", "--n-fft", "--hop-length", "--n-mels", "--fmin", "--fmax"];

/// Whether feature `kind` reads analysis option `flag` (librosa passes the mel options of
/// mfcc, onset strength and tempo on to their mel spectrogram; chroma_cqt and tonnetz take
/// only the hop from the STFT options).
fn kind_uses(kind: FeatureKind, flag: &str) -> bool {
    let mel_based = matches!(kind, FeatureKind::Mel | FeatureKind::MelDb | FeatureKind::Mfcc | FeatureKind::Onset | FeatureKind::Tempo);
    match flag {
        "--sr" | "--hop-length" => true,
        "--n-fft" => !matches!(kind, FeatureKind::ChromaCqt | FeatureKind::Tonnetz),
        _ => mel_based,
    }
}

impl Request {
    /// Warnings for analysis options given that a requested feature ignores: a set whose
    /// parameters are fixed by its reference says so, and an option no requested feature
    /// reads says which features do.
    fn ignored_options(&self, given: &[&str]) -> Vec<String> {
        let mut warnings = Vec::new();
        let mut fixed = |set: String, uses: &dyn Fn(&str) -> bool, why: &str| {
            let ignored: Vec<&str> = given.iter().copied().filter(|f| !uses(f)).collect();
            if !ignored.is_empty() {
                warnings.push(format!("{} not used by {set}: {why}", ignored.join(", ")));
            }
        };
        if self.musicnn {
            fixed(MUSICNN.to_owned(), &|_| false, "its parameters are fixed by musicnn's front end (16 kHz, n_fft 512, hop 256, 96 mels, fmin 0, fmax 8 kHz)");
        }
        if !self.descriptors.is_empty() {
            fixed(self.descriptors.join(", "), &|_| false, "rp_extract fixes their parameters (22,050 Hz, its own segments and bark bands)");
        }
        if self.timbral {
            fixed(TIMBRAL.to_owned(), &|f| f == "--sr", "Marsyas' design fixes 512-sample windows without overlap and 40 mel bands");
        }
        for flag in given {
            if !self.kinds.is_empty() && !self.kinds.iter().any(|&k| kind_uses(k, flag)) {
                let users: Vec<&str> = FeatureKind::ALL.iter().filter(|&&k| kind_uses(k, flag)).map(|k| k.name()).collect();
                warnings.push(format!("{flag} is used by none of the requested features (it applies to {})", users.join(", ")));
            }
        }
        warnings
    }
}

fn parse_set(set: &[String]) -> anyhow::Result<Request> {
    let mut kinds = Vec::new();
    let mut musicnn = false;
    let mut descriptors = Vec::new();
    let mut timbral = false;
    for name in set.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        match name {
            "all" => {
                kinds.extend(FeatureKind::ALL);
                musicnn = true;
                descriptors.extend(DESCRIPTORS);
                timbral = true;
            }
            TIMBRAL => timbral = true,
            MUSICNN => musicnn = true,
            d if DESCRIPTORS.contains(&d) => descriptors.extend(DESCRIPTORS.iter().filter(|&&x| x == d)),
            other => kinds.push(other.parse::<FeatureKind>().with_context(|| format!("--set {other}"))?),
        }
    }
    kinds.sort();
    kinds.dedup();
    descriptors.sort_by_key(|d| DESCRIPTORS.iter().position(|x| x == d));
    descriptors.dedup();
    if kinds.is_empty() && !musicnn && descriptors.is_empty() && !timbral {
        bail!("--set names no feature");
    }
    Ok(Request { kinds, musicnn, descriptors, timbral })
}

pub fn run(args: FeaturesArgs) -> anyhow::Result<ExitCode> {
    let request = parse_set(&args.set)?;
    if args.no_frames && !args.summary {
        bail!("--no-frames without --summary would write nothing");
    }
    let defaults = FeatureConfig::default();
    let cfg = FeatureConfig {
        sr: args.sr.unwrap_or(defaults.sr),
        n_fft: args.n_fft.unwrap_or(defaults.n_fft),
        hop_length: args.hop_length.unwrap_or(defaults.hop_length),
        n_mels: args.n_mels.unwrap_or(defaults.n_mels),
        fmin: args.fmin.unwrap_or(defaults.fmin),
        fmax: args.fmax,
        n_mfcc: args.n_mfcc,
        ..defaults
    };
    // n_mfcc is bounded by n_mels only where MFCCs are asked for (`--set mel --n-mels 8`
    // is fine with the default 20 MFCCs).
    let cfg = if request.kinds.contains(&FeatureKind::Mfcc) { cfg } else { FeatureConfig { n_mfcc: cfg.n_mfcc.clamp(1, cfg.n_mels.max(1)), ..cfg } };
    let fx = FeatureExtractor::new(cfg.clone()).context("invalid analysis options")?;
    // Some parameters only meet their limits inside a feature (contrast's octave bands,
    // chroma_cqt's seven octaves): a second of silence finds them before any file is read.
    if !request.kinds.is_empty() {
        fx.extract(&vec![0.0; (cfg.sr as usize).min(96_000).max(cfg.n_fft)], &request.kinds).context("invalid analysis options")?;
    }
    let timbral = if request.timbral { Some(TimbralExtractor::new(cfg.sr).context("invalid analysis options")?) } else { None };
    let given: Vec<&str> = ANALYSIS_FLAGS
        .into_iter()
        .zip([args.sr.is_some(), args.n_fft.is_some(), args.hop_length.is_some(), args.n_mels.is_some(), args.fmin.is_some(), args.fmax.is_some()])
        .filter_map(|(flag, on)| on.then_some(flag))
        .collect();
    for w in request.ignored_options(&given) {
        eprintln!("warning: {w}");
    }
    let musicnn = MusicnnFrontEnd::new()?;
    let cache = args.cache.open()?;
    // Everything that changes the arrays goes into the key (the code version is added by it).
    let cache_config = serde_json::to_string(&serde_json::json!({
        "features": cfg, "set": request.names(), "offset": args.offset, "duration": args.duration,
        "resampler": format!("{:?}", genrecast_audio::ResampleQuality::default()),
    }))?;
    // A strict run must not be answered from what a lax run decoded of a file cut short.
    let cache_config = if genrecast_audio::strict_default() { format!("{cache_config};strict") } else { cache_config };
    let (files, walk_errors) = inputs::expand(&args.paths);
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    // Half-written files of an earlier, killed run (never under their final names).
    genrecast_features::remove_stale_temp_files(&args.out);
    let relative: Vec<PathBuf> = files.iter().map(|f| relative_to_input(f, &args.paths)).collect();
    let folders = output_folders(&relative);
    let job = Job { args: &args, fx: &fx, musicnn: &musicnn, timbral: timbral.as_ref(), request: &request };

    let bar = crate::progress::bar(files.len(), args.quiet, "files");
    let failures = Mutex::new(Failures::from_walk_errors(walk_errors));
    let results: Vec<Option<SummaryRow>> = files
        .par_iter()
        .zip(relative.par_iter().zip(&folders))
        .map(|(path, (rel, folder))| {
            let result = match streamed_summary(path, &job, &bar).or_else(|| streamed_frames(path, rel, folder, &job, &bar)) {
                Some(row) => row,
                None => cached_features(path, &job, cache.as_ref(), &cache_config, &bar).and_then(|arrays| write_outputs(path, rel, folder, &job, arrays)),
            };
            bar.inc(1);
            result
                .map_err(|e| {
                    let msg = crate::report::chain(&e);
                    bar.suspend(|| eprintln!("error: {}", crate::names::escape_controls(&msg)));
                    failures.lock().unwrap_or_else(|p| p.into_inner()).push(msg);
                })
                .ok()
        })
        .collect();
    bar.finish_and_clear();
    let ok = results.iter().filter(|r| r.is_some()).count();
    if args.summary {
        let rows: Vec<SummaryRow> = results.into_iter().flatten().collect();
        write_summary(&args.out.join("summary.csv"), &rows)?;
        write_summary_params(&args.out.join("summary.params.json"), &job, &rows)?;
    }
    eprintln!("features for {ok} of {} files written to {}", files.len(), args.out.display());
    let failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    Ok(failures.finish(files.len(), true))
}

/// The summary row of a long file (as `genrecast_models::streams` judges: over 120 s) when
/// only its summary is wanted (`--summary --no-frames`): the kinds that can be computed as it
/// decodes (`summary_stream::streams_kind`, musicnn_logmel from a 16 kHz stream, the timbral
/// set holding 80 bytes per 512 samples, the rp_extract set one segment's samples and 26 KB
/// per segment) are, in memory that does not grow with the file (or barely); chroma_cqt and
/// tonnetz are computed from the file held whole, by themselves, so the peak is theirs alone (`None`: nothing streams, the file goes the whole-file way). The columns are those of
/// the whole-file summary, in its order. Not cached: the cache holds whole arrays.
fn streamed_summary(path: &Path, job: &Job, bar: &indicatif::ProgressBar) -> Option<anyhow::Result<SummaryRow>> {
    use genrecast_features::summary_stream::{streams_kind, summarize_file, summarize_musicnn_file};
    let (args, req) = (job.args, job.request);
    let summary_only = args.summary && args.no_frames;
    if !summary_only || !genrecast_models::streams(path).unwrap_or(false) {
        return None;
    }
    let streamed: Vec<FeatureKind> = req.kinds.iter().copied().filter(|&k| streams_kind(k)).collect();
    let held = Request { kinds: req.kinds.iter().copied().filter(|&k| !streams_kind(k)).collect(), musicnn: false, descriptors: Vec::new(), timbral: false };
    let held_names = held.names();
    let say = |msg: String| {
        if !args.quiet {
            bar.suspend(|| eprintln!("{msg}"));
        }
    };
    if streamed.is_empty() && !req.musicnn && !req.timbral && req.descriptors.is_empty() {
        say(format!("note: {}: a long file held whole: {} read it whole (the other features are summarised as it decodes)", crate::names::display(path), held_names.join(", ")));
        return None;
    }
    say(format!("{}: a long file, summarised as it decodes (read several times, in flat memory)", crate::names::display(path)));
    if !held_names.is_empty() {
        say(format!("note: {}: a long file held whole for {} (they read it whole)", crate::names::display(path), held_names.join(", ")));
    }
    let opts = LoadOptions { offset: args.offset, duration: args.duration, ..Default::default() };
    Some((|| {
        // (output name, column names, values), put in the whole-file order at the end.
        let mut parts: Vec<(String, Vec<String>, Vec<f64>)> = Vec::new();
        let mut warnings: Vec<String> = Vec::new();
        if !streamed.is_empty() {
            let (summaries, w) = summarize_file(path, &opts, job.fx, &streamed)?;
            warnings.extend(w);
            for s in summaries {
                let name = s.kind.name().to_owned();
                let names = if time_axis(&name, job.fx.config()).is_none() { vec![name.clone()] } else { column_names(&name, s.rows) };
                parts.push((name, names, s.values));
            }
        }
        if req.musicnn {
            let (values, w) = summarize_musicnn_file(path, &opts, job.musicnn)?;
            warnings.extend(w);
            parts.push((MUSICNN.to_owned(), column_names(MUSICNN, values.len() / 7), values));
        }
        if let Some(timbral) = job.timbral.filter(|_| req.timbral) {
            let (values, w) = timbral.extract_file(path, &LoadOptions { sample_rate: Some(job.fx.config().sr), ..opts.clone() })?;
            warnings.extend(w);
            // Rounded to f32 as the whole-file path stores it (an array of f32).
            let values: Vec<f64> = values.into_iter().map(|v| f64::from(v as f32)).collect();
            if !values.iter().all(|v| v.is_finite()) {
                bail!("{}: feature {TIMBRAL} is not finite (corrupt samples?)", path.display());
            }
            parts.push((TIMBRAL.to_owned(), TimbralExtractor::column_names(), values));
        }
        if !req.descriptors.is_empty() {
            let (d, w) = RpExtractor::new(RP_RATE)?.extract_file(path, &opts)?;
            warnings.extend(w);
            for name in &req.descriptors {
                if let Some((rows, cols, data)) = d.matrix(name) {
                    // As the whole-file path: an array of f32, then its summary columns.
                    let a = Array2::from_vec(rows, cols, data.into_iter().map(|v| v as f32).collect());
                    if !a.data.iter().all(|v| v.is_finite()) {
                        bail!("{}: feature {name} is not finite (corrupt samples?)", path.display());
                    }
                    let (names, values) = summary_columns(name, &a, job.fx.config());
                    parts.push(((*name).to_owned(), names, values));
                }
            }
        }
        if !held_names.is_empty() {
            for (name, a) in compute(path, job, &held, &mut warnings)? {
                let (names, values) = summary_columns(&name, &a, job.fx.config());
                parts.push((name, names, values));
            }
        }
        // Each pass's decoder says the same of the same file: once is enough.
        let mut said = Vec::new();
        for w in warnings {
            if !said.contains(&w) {
                bar.suspend(|| eprintln!("warning: {}", crate::names::escape_controls(&format!("{}: {w}", crate::names::display(path)))));
                said.push(w);
            }
        }
        let order = req.names();
        parts.sort_by_key(|p| order.iter().position(|n| *n == p.0));
        let (names, values) = parts.into_iter().fold((Vec::new(), Vec::new()), |(mut n, mut v), p| {
            n.extend(p.1);
            v.extend(p.2);
            (n, v)
        });
        Ok(Some((crate::names::exact_text(path), names, values)))
    })())
}

/// A streamed file's row of `summary.csv`, named as `write_outputs` names them: a
/// one-value-per-file feature (the tempo) by itself.
fn summary_row(path: &Path, job: &Job, summaries: Vec<genrecast_features::summary_stream::KindSummary>) -> SummaryRow {
    let (mut names, mut values) = (Vec::new(), Vec::new());
    for s in summaries {
        if time_axis(s.kind.name(), job.fx.config()).is_none() {
            names.push(s.kind.name().to_owned());
        } else {
            names.extend(column_names(s.kind.name(), s.rows));
        }
        values.extend(s.values);
    }
    Some((crate::names::exact_text(path), names, values))
}

/// The frame files (`.npy`) of a long file (over 120 s, as for [`streamed_summary`]) written
/// as it decodes, one column per frame ([`NpyColumnWriter`]), when every feature asked can be
/// so computed: memory does not grow with the file, only the outputs do. With `--summary`,
/// its row is computed the same way (two more passes). `None`: the file goes the whole-file
/// way (another format, a feature that reads the file whole, or a short file). Not cached.
fn streamed_frames(path: &Path, rel: &Path, folder: &Path, job: &Job, bar: &indicatif::ProgressBar) -> Option<anyhow::Result<SummaryRow>> {
    let (args, req) = (job.args, job.request);
    let streamable = !req.kinds.is_empty() && req.kinds.iter().all(|&k| genrecast_features::summary_stream::streams_kind(k)) && !req.musicnn && req.descriptors.is_empty() && !req.timbral;
    if args.no_frames || args.format != FeatureFormat::Npy || !streamable || !genrecast_models::streams(path).unwrap_or(false) {
        return None;
    }
    let opts = LoadOptions { offset: args.offset, duration: args.duration, ..Default::default() };
    if !args.quiet {
        bar.suspend(|| eprintln!("{}: a long file, its frames written as it decodes (in flat memory)", crate::names::display(path)));
    }
    Some((|| {
        let dir = args.out.join(folder);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let over_time: Vec<FeatureKind> = req.kinds.iter().copied().filter(|k| !matches!(k, FeatureKind::Onset | FeatureKind::Tempo)).collect();
        let mut writers = over_time
            .iter()
            .map(|&k| Ok((k, job.fx.rows_of(k), NpyColumnWriter::create(&dir.join(format!("{}.npy", k.name())), job.fx.rows_of(k))?)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let streamed = genrecast_features::summary_stream::stream_frames(path, &opts, job.fx, &req.kinds, &mut |frame| {
            let mut at = 0;
            for (_, rows, w) in &mut writers {
                w.push(&frame.values[at..at + *rows])?;
                at += *rows;
            }
            Ok(())
        })?;
        for w in &streamed.warnings {
            bar.suspend(|| eprintln!("warning: {}", crate::names::escape_controls(&format!("{}: {w}", crate::names::display(path)))));
        }
        let mut shapes = Vec::new();
        for (k, rows, w) in writers {
            let cols = w.finish()?;
            shapes.push((k.name().to_owned(), [rows, cols]));
        }
        if let Some(env) = streamed.onset {
            let a = Array2 { rows: 1, cols: env.len(), data: env };
            write_npy(&dir.join("onset.npy"), &a)?;
            shapes.push(("onset".into(), a.shape()));
        }
        if let Some(bpm) = streamed.tempo {
            write_npy(&dir.join("tempo.npy"), &Array2 { rows: 1, cols: 1, data: vec![bpm] })?;
            shapes.push(("tempo".into(), [1, 1]));
        }
        // In the order asked, as the whole-file way lists them.
        shapes.sort_by_key(|(name, _)| req.kinds.iter().position(|k| k.name() == name));
        write_params(&dir.join("params.json"), path, rel, job, &shapes)?;
        if !args.summary {
            return Ok(None);
        }
        let (summaries, _) = genrecast_features::summary_stream::summarize_file(path, &opts, job.fx, &req.kinds)?;
        Ok(summary_row(path, job, summaries))
    })())
}

/// What every file of one run shares.
struct Job<'a> {
    args: &'a FeaturesArgs,
    fx: &'a FeatureExtractor,
    musicnn: &'a MusicnnFrontEnd,
    timbral: Option<&'a TimbralExtractor>,
    request: &'a Request,
}

/// `file`'s path below the folder given on the command line that it was found in, or its
/// file name for a file given by itself.
fn relative_to_input(file: &Path, inputs: &[PathBuf]) -> PathBuf {
    inputs
        .iter()
        .filter(|root| root.is_dir())
        .find_map(|root| file.strip_prefix(root).ok().filter(|rel| !rel.as_os_str().is_empty()))
        .map(Path::to_path_buf)
        .or_else(|| file.file_name().map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("audio"))
}

/// Output folders, relative to `--out`: the input's relative path with the file's stem for
/// its name (`a/song.flac` -> `a/song`). Only plain names are kept, so a folder never leaves
/// `--out` nor lands on it: a name starting with a dot (`..` from `...wav`, `.` from `..flac`,
/// hidden folders) gets a leading `_`, and a top-level `summary.csv` or `summary.params.json` too. Two inputs that
/// still meet (`a/song.flac`, `a/song.wav`) are told apart by their index in the batch.
fn output_folders(relative: &[PathBuf]) -> Vec<PathBuf> {
    let plain = |s: String| if s.is_empty() { "audio".to_owned() } else if s.starts_with('.') { format!("_{s}") } else { s };
    let wanted: Vec<Vec<String>> = relative
        .iter()
        .map(|rel| {
            let mut parts: Vec<String> = rel
                .parent()
                .into_iter()
                .flat_map(Path::components)
                .filter_map(|c| match c {
                    std::path::Component::Normal(s) => Some(plain(crate::names::exact_text(Path::new(s)))),
                    _ => None,
                })
                .collect();
            parts.push(plain(rel.file_stem().map(|s| crate::names::exact_text(Path::new(s))).unwrap_or_default()));
            if ["summary.csv", "summary.params.json"].contains(&parts[0].as_str()) {
                parts[0] = format!("_{}", parts[0]);
            }
            parts
        })
        .collect();
    let mut counts = std::collections::HashMap::new();
    for w in &wanted {
        *counts.entry(w.clone()).or_insert(0usize) += 1;
    }
    let mut taken: std::collections::HashSet<Vec<String>> = wanted.iter().filter(|w| counts[*w] == 1).cloned().collect();
    wanted
        .into_iter()
        .enumerate()
        .map(|(i, mut parts)| {
            if counts[&parts] > 1 {
                let stem = parts.pop().unwrap_or_default();
                let mut n = i;
                while !taken.insert([parts.clone(), vec![format!("{stem}__{n}")]].concat()) {
                    n += relative.len();
                }
                parts.push(format!("{stem}__{n}"));
            }
            parts.iter().collect()
        })
        .collect()
}

type SummaryRow = Option<(String, Vec<String>, Vec<f64>)>;

/// The arrays of one file: from the cache when it has them, else computed (and stored).
fn cached_features(path: &Path, job: &Job, cache: Option<&FeatureCache>, config: &str, bar: &ProgressBar) -> anyhow::Result<Vec<(String, Array2)>> {
    // What the decoder noticed (a file cut short, NaN samples) is said once per file, with
    // the file's name; a cached entry was said when it was computed.
    let (mut warnings, mut decoded) = (Vec::new(), Vec::new());
    let names = job.request.names();
    let mut arrays = match cache {
        None => compute(path, job, job.request, &mut decoded)?,
        Some(cache) => {
            let key = CacheKey::for_file(path, config)?;
            let usable = |arrays: &[(String, Array2)]| arrays.len() == names.len() && arrays.iter().all(|(n, _)| names.contains(n));
            let arrays = cache.get_or_compute(&key, path, usable, || compute(path, job, job.request, &mut decoded), &mut warnings)?;
            // A file the decoder warned about (cut short, NaN samples) is not kept: a cache hit
            // would answer without the warning.
            if !decoded.is_empty() {
                let _ = std::fs::remove_file(cache.entry_path(&key));
            }
            arrays
        }
    };
    warnings.extend(decoded.into_iter().map(|w| format!("{}: {w}", crate::names::display(path))));
    for w in warnings {
        bar.suspend(|| eprintln!("warning: {}", crate::names::escape_controls(&w)));
    }
    // Cached entries come back by name; outputs keep the requested order.
    arrays.sort_by_key(|(n, _)| names.iter().position(|m| m == n));
    Ok(arrays)
}

/// The arrays of `req` (the job's request, or part of it) over the file held whole.
fn compute(path: &Path, job: &Job, req: &Request, warnings: &mut Vec<String>) -> anyhow::Result<Vec<(String, Array2)>> {
    let args = job.args;
    let sr = job.fx.config().sr;
    let opts = LoadOptions { sample_rate: Some(sr), offset: args.offset, duration: args.duration, ..Default::default() };
    let wave = load(path, &opts)?;
    warnings.extend(wave.warnings.iter().cloned());
    if wave.samples.is_empty() {
        bail!("{}: no audio in the requested span (offset {} s)", path.display(), args.offset);
    }
    let mut arrays: Vec<(String, Array2)> = Vec::new();
    if !req.kinds.is_empty() {
        let set = job.fx.extract(&wave.samples, &req.kinds).with_context(|| path.display().to_string())?;
        arrays.extend(set.into_iter().map(|(k, a)| (k.name().to_owned(), a)));
    }
    if req.musicnn {
        let y16 = load(path, &LoadOptions { sample_rate: Some(MusicnnFrontEnd::SAMPLE_RATE), ..opts })?;
        arrays.push((MUSICNN.to_owned(), job.musicnn.logmel(&y16.samples)));
    }
    if let Some(timbral) = job.timbral.filter(|_| req.timbral) {
        let v = timbral.extract(&wave.samples).with_context(|| path.display().to_string())?;
        arrays.push((TIMBRAL.to_owned(), Array2::from_vec(1, v.len(), v.into_iter().map(|x| x as f32).collect())));
    }
    if !req.descriptors.is_empty() {
        // rp_extract works at 22,050 Hz (or 11,025 / 44,100); take the main load when it is at that rate.
        let y22 = if sr == RP_RATE { wave.samples.clone() } else { load(path, &LoadOptions { sample_rate: Some(RP_RATE), ..opts })?.samples };
        let d = RpExtractor::new(RP_RATE)?.extract(&y22).with_context(|| path.display().to_string())?;
        for name in &req.descriptors {
            if let Some((rows, cols, data)) = d.matrix(name) {
                arrays.push(((*name).to_owned(), Array2::from_vec(rows, cols, data.into_iter().map(|v| v as f32).collect())));
            }
        }
    }
    for (name, a) in &arrays {
        if !a.data.iter().all(|v| v.is_finite()) {
            bail!("{}: feature {name} is not finite (corrupt samples?)", path.display());
        }
    }
    Ok(arrays)
}

/// Where a feature's frames are in time: the rate and hop it was computed at, or `None` for
/// one vector per file (tempo, the rp_extract descriptors, timbral).
fn time_axis(name: &str, cfg: &FeatureConfig) -> Option<(u32, usize)> {
    match name {
        MUSICNN => Some((MusicnnFrontEnd::SAMPLE_RATE, 256)),
        TIMBRAL => None,
        d if DESCRIPTORS.contains(&d) => None,
        other => match other.parse::<FeatureKind>() {
            Ok(FeatureKind::Tempo) | Err(_) => None,
            Ok(_) => Some((cfg.sr, cfg.hop_length)),
        },
    }
}

/// The names of a feature's values when it is one vector per file, in the order
/// [`vector_values`] lists them.
fn vector_names(name: &str, a: &Array2) -> Vec<String> {
    if name == TIMBRAL {
        TimbralExtractor::column_names()
    } else if DESCRIPTORS.contains(&name) {
        genrecast_descriptors::rp::column_names(name)
    } else if a.data.len() == 1 {
        vec![name.to_owned()]
    } else {
        (1..=a.data.len()).map(|i| format!("{name}/{i:02}")).collect()
    }
}

/// A one-vector feature's values: rp_extract's matrices in its own (column-major) order.
fn vector_values(name: &str, a: &Array2) -> Vec<f64> {
    if DESCRIPTORS.contains(&name) {
        (0..a.cols).flat_map(|c| (0..a.rows).map(move |r| f64::from(a.get(r, c)))).collect()
    } else {
        a.data.iter().map(|&v| f64::from(v)).collect()
    }
}

fn write_outputs(path: &Path, rel: &Path, folder: &Path, job: &Job, arrays: Vec<(String, Array2)>) -> anyhow::Result<SummaryRow> {
    let args = job.args;
    if !args.no_frames {
        let dir = args.out.join(folder);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        for (name, a) in &arrays {
            write_array(&dir, name, a, args.format, time_axis(name, job.fx.config()))?;
        }
        let shapes: Vec<(String, [usize; 2])> = arrays.iter().map(|(name, a)| (name.clone(), a.shape())).collect();
        write_params(&dir.join("params.json"), path, rel, job, &shapes)?;
    }
    if !args.summary {
        return Ok(None);
    }
    let mut names = Vec::new();
    let mut values = Vec::new();
    for (name, a) in &arrays {
        let (n, v) = summary_columns(name, a, job.fx.config());
        names.extend(n);
        values.extend(v);
    }
    Ok(Some((crate::names::exact_text(path), names, values)))
}

/// One feature's columns of `summary.csv` and their values: a feature over time summarised,
/// one vector per file written as is.
fn summary_columns(name: &str, a: &Array2, cfg: &FeatureConfig) -> (Vec<String>, Vec<f64>) {
    if time_axis(name, cfg).is_none() {
        (vector_names(name, a), vector_values(name, a))
    } else {
        (column_names(name, a.rows), summarize_array(a))
    }
}

/// The source's native rate and duration, from its header; a file whose header does not
/// say how long it is (some MP3s) is decoded once more to count its frames.
fn source_info(path: &Path) -> anyhow::Result<(u32, f64)> {
    let stream = genrecast_audio::AudioStream::open(path)?;
    let info = stream.info();
    let frames = match info.declared_frames {
        Some(n) => n,
        None => genrecast_audio::decode_check(path)?.1,
    };
    Ok((info.sample_rate, frames as f64 / f64::from(info.sample_rate.max(1))))
}

/// `params.json`: everything needed to redo the arrays beside it with librosa, and their shapes.
fn write_params(dest: &Path, path: &Path, rel: &Path, job: &Job, arrays: &[(String, [usize; 2])]) -> anyhow::Result<()> {
    let (args, cfg) = (job.args, job.fx.config());
    let (native_sr, duration) = source_info(path)?;
    let analysed = (duration - args.offset).max(0.0).min(args.duration.unwrap_or(f64::INFINITY));
    let extension = match args.format {
        FeatureFormat::Npy => "npy",
        FeatureFormat::Csv => "csv",
        FeatureFormat::Json => "json",
    };
    let features: Vec<serde_json::Value> = arrays
        .iter()
        .map(|(name, shape)| {
            let mut entry = serde_json::json!({ "name": name, "file": format!("{name}.{extension}"), "shape": shape });
            let fixed = match name.as_str() {
                MUSICNN => Some(serde_json::json!({ "sr": MusicnnFrontEnd::SAMPLE_RATE, "n_fft": 512, "hop_length": 256, "n_mels": 96, "fmin": 0.0, "fmax": 8000.0, "scale": "log10(10000 x + 1)" })),
                TIMBRAL => Some(serde_json::json!({ "sr": cfg.sr, "n_fft": genrecast_descriptors::timbral::WINDOW, "hop_length": genrecast_descriptors::timbral::WINDOW, "n_mels": 40, "texture_frames": genrecast_descriptors::timbral::TEXTURE })),
                d if DESCRIPTORS.contains(&d) => Some(serde_json::json!({ "sr": RP_RATE, "reference": "rp_extract" })),
                _ => None,
            };
            if let Some(fixed) = fixed {
                entry["fixed_parameters"] = fixed;
            }
            entry["frames"] = time_axis(name, cfg).map_or(serde_json::Value::Null, |_| shape[1].into());
            entry
        })
        .collect();
    let mut params = run_params(job);
    params["source"] = crate::names::exact_text(path).into();
    params["source_relative"] = crate::names::exact_text(rel).into();
    params["native_sr"] = native_sr.into();
    params["duration_s"] = duration.into();
    params["analysed_duration_s"] = analysed.into();
    params["features"] = features.into();
    write_json(dest, &params)
}

/// What every file of a run shares in its `params.json`: the versions and the analysis
/// settings, as librosa names them.
fn run_params(job: &Job) -> serde_json::Value {
    let (args, cfg) = (job.args, job.fx.config());
    serde_json::json!({
        "genrecast_version": env!("CARGO_PKG_VERSION"),
        "feature_code_version": genrecast_features::CODE_VERSION,
        "librosa_version": genrecast_features::LIBROSA_VERSION,
        "offset_s": args.offset,
        "duration_limit_s": args.duration,
        "sr": cfg.sr,
        "n_fft": cfg.n_fft,
        "hop_length": cfg.hop_length,
        "window": "hann",
        "center": true,
        "pad_mode": "constant",
        "n_mels": cfg.n_mels,
        "fmin": cfg.fmin,
        "fmax": cfg.fmax.unwrap_or(f64::from(cfg.sr) / 2.0),
        "n_mfcc": cfg.n_mfcc,
        "frame_time": "frame * hop_length / sr (librosa.frames_to_time)",
    })
}

/// `summary.params.json`, beside `summary.csv`: the run's settings, what its columns are and
/// which files it holds, so that a summary without frame files (`--no-frames`) can be redone.
fn write_summary_params(dest: &Path, job: &Job, rows: &[SummaryRow]) -> anyhow::Result<()> {
    let mut params = run_params(job);
    params["features"] = job.request.names().into();
    params["columns"] = "path, then per feature FEATURE/STATISTIC/NN over the frames of each dimension NN (01 first); features that are one vector per file (tempo, descriptor sets) as they are".into();
    params["statistics"] = serde_json::json!({
        "names": genrecast_features::STATISTICS,
        "definition": "mean; population std; skew and excess kurtosis as scipy.stats.skew/kurtosis (biased; 0 for a constant row); median; min; max",
    });
    params["sources"] = rows.iter().flatten().map(|(file, _, _)| file.clone()).collect::<Vec<_>>().into();
    write_json(dest, &params)
}

fn write_json(dest: &Path, params: &serde_json::Value) -> anyhow::Result<()> {
    write_atomic(dest, |w| {
        serde_json::to_writer_pretty(&mut *w, params)?;
        writeln!(w)?;
        Ok(())
    })?;
    Ok(())
}

/// One feature's array in `format`. A CSV has a header row; a feature over time has one row
/// per frame with its time (`frame * hop / sr`) first, a one-vector feature one row.
fn write_array(dir: &Path, name: &str, a: &Array2, format: FeatureFormat, time: Option<(u32, usize)>) -> anyhow::Result<()> {
    match format {
        FeatureFormat::Npy => write_npy(&dir.join(format!("{name}.npy")), a)?,
        FeatureFormat::Csv => write_atomic(&dir.join(format!("{name}.csv")), |w| {
            match time {
                Some((sr, hop)) => {
                    let columns: Vec<String> = if a.rows == 1 { vec![name.to_owned()] } else { (1..=a.rows).map(|r| format!("{name}/{r:02}")).collect() };
                    writeln!(w, "time,{}", columns.join(","))?;
                    for t in 0..a.cols {
                        let seconds = (t * hop) as f64 / f64::from(sr);
                        let values: Vec<String> = (0..a.rows).map(|r| a.get(r, t).to_string()).collect();
                        writeln!(w, "{seconds},{}", values.join(","))?;
                    }
                }
                None => {
                    writeln!(w, "{}", vector_names(name, a).join(","))?;
                    let values: Vec<String> = vector_values(name, a).iter().map(|v| v.to_string()).collect();
                    writeln!(w, "{}", values.join(","))?;
                }
            }
            Ok(())
        })?,
        FeatureFormat::Json => write_atomic(&dir.join(format!("{name}.json")), |w| {
            let rows: Vec<&[f32]> = (0..a.rows).map(|r| a.row(r)).collect();
            serde_json::to_writer(&mut *w, &serde_json::json!({ "shape": a.shape(), "data": rows }))?;
            Ok(())
        })?,
    }
    Ok(())
}

fn write_summary(path: &Path, rows: &[SummaryRow]) -> anyhow::Result<()> {
    let Some((_, header, _)) = rows.iter().flatten().next() else {
        return Ok(());
    };
    write_atomic(path, |w| {
        writeln!(w, "path,{}", header.join(","))?;
        for (file, _, values) in rows.iter().flatten() {
            let vals: Vec<String> = values.iter().map(|v| format!("{v}")).collect();
            writeln!(w, "{},{}", csv_field(&crate::names::csv_cell(file)), vals.join(","))?;
        }
        Ok(())
    })?;
    Ok(())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}
