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
    column_names, summarize_array, write_atomic, write_npy, Array2, FeatureConfig, FeatureExtractor, FeatureKind,
    MusicnnFrontEnd,
};
use indicatif::{ProgressBar, ProgressStyle};
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
    let cfg = FeatureConfig { sr: args.sr, n_mfcc: args.n_mfcc, n_mels: args.n_mels, ..Default::default() };
    let fx = FeatureExtractor::new(cfg.clone()).context("feature configuration")?;
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
    let stems = unique_stems(&files);

    let bar = if args.quiet { ProgressBar::hidden() } else { ProgressBar::new(files.len() as u64) };
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} files ({eta} left) {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let failures = Mutex::new(Failures::from_walk_errors(walk_errors));
    let results: Vec<Option<SummaryRow>> = files
        .par_iter()
        .zip(&stems)
        .map(|(path, stem)| {
            let result = cached_features(path, &args, &fx, &musicnn, &request, cache.as_ref(), &cache_config, &bar)
                .and_then(|arrays| write_outputs(path, stem, &args, arrays));
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
    }
    eprintln!("features for {ok} of {} files written to {}", files.len(), args.out.display());
    let failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    Ok(failures.finish(files.len(), true))
}

/// Output folder names: the file stem, with the parent folder prepended where two inputs
/// share a stem (e.g. `blues/00001.wav` and `jazz/00001.wav`). A name never leaves `--out`
/// nor lands on the folder itself (`...wav` has the stem `..`, `..flac` the stem `.`: both
/// get a leading `_`, as does any stem starting with a dot) and never takes `summary.csv`'s
/// name.
fn unique_stems(files: &[PathBuf]) -> Vec<String> {
    let stem = |p: &Path| {
        let s = p.file_stem().map(|s| crate::names::exact_text(Path::new(s))).unwrap_or_default();
        if s.is_empty() {
            "audio".to_owned()
        } else if s.starts_with('.') || s == "summary.csv" {
            format!("_{s}")
        } else {
            s
        }
    };
    let mut counts = std::collections::HashMap::new();
    for f in files {
        *counts.entry(stem(f)).or_insert(0usize) += 1;
    }
    files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let s = stem(f);
            if counts[&s] == 1 {
                s
            } else {
                let parent = f.parent().and_then(|p| p.file_name()).map(|p| crate::names::exact_text(Path::new(p))).unwrap_or_default();
                format!("{parent}__{s}__{i}")
            }
        })
        .collect()
}

type SummaryRow = Option<(String, Vec<String>, Vec<f64>)>;

/// The arrays of one file: from the cache when it has them, else computed (and stored).
#[allow(clippy::too_many_arguments)]
fn cached_features(
    path: &Path,
    args: &FeaturesArgs,
    fx: &FeatureExtractor,
    musicnn: &MusicnnFrontEnd,
    req: &Request,
    cache: Option<&FeatureCache>,
    config: &str,
    bar: &ProgressBar,
) -> anyhow::Result<Vec<(String, Array2)>> {
    // What the decoder noticed (a file cut short, NaN samples) is said once per file, with
    // the file's name; a cached entry was said when it was computed.
    let (mut warnings, mut decoded) = (Vec::new(), Vec::new());
    let names = req.names();
    let mut arrays = match cache {
        None => compute(path, args, fx, musicnn, req, &mut decoded)?,
        Some(cache) => {
            let key = CacheKey::for_file(path, config)?;
            let usable = |arrays: &[(String, Array2)]| arrays.len() == names.len() && arrays.iter().all(|(n, _)| names.contains(n));
            let arrays = cache.get_or_compute(&key, path, usable, || compute(path, args, fx, musicnn, req, &mut decoded), &mut warnings)?;
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

fn compute(path: &Path, args: &FeaturesArgs, fx: &FeatureExtractor, musicnn: &MusicnnFrontEnd, req: &Request, warnings: &mut Vec<String>) -> anyhow::Result<Vec<(String, Array2)>> {
    let opts = LoadOptions { sample_rate: Some(args.sr), offset: args.offset, duration: args.duration, ..Default::default() };
    let wave = load(path, &opts)?;
    warnings.extend(wave.warnings.iter().cloned());
    if wave.samples.is_empty() {
        bail!("{}: no audio in the requested span (offset {} s)", path.display(), args.offset);
    }
    let mut arrays: Vec<(String, Array2)> = Vec::new();
    if !req.kinds.is_empty() {
        let set = fx.extract(&wave.samples, &req.kinds).with_context(|| path.display().to_string())?;
        arrays.extend(set.into_iter().map(|(k, a)| (k.name().to_owned(), a)));
    }
    if req.musicnn {
        let y16 = load(path, &LoadOptions { sample_rate: Some(MusicnnFrontEnd::SAMPLE_RATE), ..opts })?;
        arrays.push((MUSICNN.to_owned(), musicnn.logmel(&y16.samples)));
    }
    if req.timbral {
        let v = TimbralExtractor::new(args.sr)?.extract(&wave.samples).with_context(|| path.display().to_string())?;
        arrays.push((TIMBRAL.to_owned(), Array2::from_vec(1, v.len(), v.into_iter().map(|x| x as f32).collect())));
    }
    if !req.descriptors.is_empty() {
        // rp_extract works at 22,050 Hz (or 11,025 / 44,100); take the main load when it is at that rate.
        let y22 = if args.sr == RP_RATE { wave.samples.clone() } else { load(path, &LoadOptions { sample_rate: Some(RP_RATE), ..opts })?.samples };
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

fn write_outputs(path: &Path, stem: &str, args: &FeaturesArgs, arrays: Vec<(String, Array2)>) -> anyhow::Result<SummaryRow> {
    if !args.no_frames {
        let dir = args.out.join(stem);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        for (name, a) in &arrays {
            write_array(&dir, name, a, args.format)?;
        }
    }
    if !args.summary {
        return Ok(None);
    }
    let mut names = Vec::new();
    let mut values = Vec::new();
    for (name, a) in &arrays {
        if name == TIMBRAL {
            names.extend(TimbralExtractor::column_names());
            values.extend(a.data.iter().map(|&v| f64::from(v)));
        } else if DESCRIPTORS.contains(&name.as_str()) {
            // Already one vector per file: written as is, in rp_extract's (column-major) order.
            names.extend(genrecast_descriptors::rp::column_names(name));
            values.extend((0..a.cols).flat_map(|c| (0..a.rows).map(move |r| f64::from(a.get(r, c)))));
        } else if a.cols == 1 && a.rows == 1 {
            names.push(name.clone());
            values.push(f64::from(a.data[0]));
        } else {
            names.extend(column_names(name, a.rows));
            values.extend(summarize_array(a));
        }
    }
    Ok(Some((crate::names::exact_text(path), names, values)))
}

fn write_array(dir: &Path, name: &str, a: &Array2, format: FeatureFormat) -> anyhow::Result<()> {
    match format {
        FeatureFormat::Npy => write_npy(&dir.join(format!("{name}.npy")), a)?,
        FeatureFormat::Csv => write_atomic(&dir.join(format!("{name}.csv")), |w| {
            for r in 0..a.rows {
                let line: Vec<String> = a.row(r).iter().map(|v| v.to_string()).collect();
                writeln!(w, "{}", line.join(","))?;
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
