//! `genrecast index`, `similar`, `playlist`, `map` and `plot`: a music library in SQLite and
//! what people do with it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;

use anyhow::{bail, Context};
use genrecast_audio::{load, resample, LoadOptions, ResampleQuality};
use genrecast_features::{FeatureConfig, FeatureExtractor, FeatureKind};
use genrecast_library::{map::MapPoint, FileStatus, Library, Metric, TrackRecord};
use genrecast_models::{summary_vector, summary_vector_file, Aggregation, Classifier};
use rayon::prelude::*;

use crate::args::{IndexArgs, LibraryQuery, MapArgs, PlaylistArgs, PlotArgs, SimilarArgs};
use crate::inputs;
use crate::report::Failures;

/// Per-thread analysis state: the model and the summary-feature extractor.
struct Analyser {
    classifier: Classifier,
    features: FeatureExtractor,
}

impl Analyser {
    fn open(model: &str) -> Result<Self, String> {
        Ok(Self { classifier: Classifier::open(model).map_err(|e| e.to_string())?, features: FeatureExtractor::new(FeatureConfig::default()).map_err(|e| e.to_string())? })
    }

    /// Genres, tags, the model embedding and the summary vector of one file; returns what the
    /// decoder warned of (a file cut short, NaN samples).
    fn analyse(&self, path: &Path, record: &mut TrackRecord) -> Result<Vec<String>, String> {
        let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
        let (p, summary, warnings) = if genrecast_models::streams(path).map_err(|e| e.to_string())? {
            // A long recording is analysed as it decodes, in flat memory: the model over the
            // windows it reads (musicnn backbones; a model on other input holds the file),
            // the summary in running statistics. Each pass decodes the file again.
            let p = self.classifier.classify_file(path, Aggregation::Mean).map_err(|e| e.to_string())?;
            let (summary, _same_warnings) = summary_vector_file(path, &self.features).map_err(|e| e.to_string())?;
            let warnings = p.warnings.clone();
            (p, summary, warnings)
        } else {
            // Decoded once at its own rate, then resampled for the model and for the summary.
            let native = load(path, &LoadOptions { sample_rate: None, ..LoadOptions::default() }).map_err(|e| e.to_string())?;
            let at = |rate: u32| resample(&native.samples, native.sample_rate, rate, ResampleQuality::default()).map_err(|e| fail(&e));
            let p = self.classifier.classify_samples(&at(self.classifier.sample_rate())?, Aggregation::Mean).map_err(|e| fail(&e))?;
            let summary = summary_vector(&at(self.features.config().sr)?, &self.features).map_err(|e| fail(&e))?;
            let warnings = native.warnings.iter().chain(&p.warnings).cloned().collect();
            (p, summary, warnings)
        };
        record.duration = Some(p.duration);
        record.model = Some(self.classifier.name().to_string());
        record.predictions = self.classifier.labels().iter().cloned().zip(p.probabilities.iter().copied()).collect();
        if let (Some(names), Some(tags)) = (self.classifier.tag_names(), &p.tags) {
            record.tags = names.iter().cloned().zip(tags.iter().copied()).collect();
        }
        record.embeddings = vec![("model".into(), p.embedding), ("summary".into(), summary)];
        Ok(warnings.iter().map(|w| format!("{}: {w}", crate::names::display(path))).collect())
    }
}

fn file_stamp(path: &Path) -> std::io::Result<(u64, i64)> {
    let m = std::fs::metadata(path)?;
    let mtime = m.modified()?.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i64);
    Ok((m.len(), mtime))
}

fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

pub fn index(args: IndexArgs) -> anyhow::Result<ExitCode> {
    if let Some(parent) = args.db.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut lib = Library::open(&args.db)?;
    let (files, walk_errors) = inputs::expand(&args.paths);
    // Failures are counted out of every input: the files found here, and the paths that could
    // not be listed, which `Failures` adds (not out of the files analysed this time, which
    // gave "84 of 81 failed").
    let inputs_seen = files.len();
    let mut failures = Failures::from_walk_errors(walk_errors);
    let files: Vec<PathBuf> = files.iter().map(|f| absolute(f)).collect();
    // Only new or changed files are analysed, and those that failed last time (the cause
    // may have been a disk that vanished).
    let mut todo = Vec::new();
    let mut retried = 0usize;
    for f in &files {
        if f.to_str().is_none() {
            // The library keeps paths as text; a lossy copy of this name would not find the
            // file again (and --prune would drop a track whose file exists).
            failures.push(format!("{}: the file name is not valid UTF-8, and the library stores names as text: rename the file to index it", crate::names::display(f)));
            continue;
        }
        match file_stamp(f) {
            Ok((size, mtime)) => match lib.status(f, size, mtime)? {
                FileStatus::Current => {}
                status => {
                    retried += usize::from(status == FileStatus::Failed);
                    todo.push((f.clone(), size, mtime));
                }
            },
            Err(e) => failures.push(format!("{}: {e}", f.display())),
        }
    }
    let labels = Classifier::open(&args.model)?.labels().to_vec();
    eprintln!("{}: {} files, {} new or changed, {retried} that failed before retried", args.db.display(), files.len(), todo.len() - retried);
    let pb = crate::progress::bar(todo.len(), args.quiet, "files indexed");
    // Workers analyse in parallel; this thread stores each result as it comes, one
    // transaction per track, so a crash loses only the tracks in flight.
    let (tx, rx) = mpsc::channel::<(TrackRecord, Vec<String>)>();
    let mut stored = 0usize;
    let mut store_error = None;
    std::thread::scope(|scope| {
        let model = &args.model;
        let todo = &todo;
        let labels = &labels;
        let label_from_folder = args.label_from_folder;
        scope.spawn(move || {
            todo.par_iter().for_each_init(
                || Analyser::open(model),
                |analyser, (path, size, mtime)| {
                    let mut record = TrackRecord::new(path.clone(), *size, *mtime);
                    // What the file's tags say comes first; the file name and folder stand in.
                    let tags = genrecast_audio::read_tags(path);
                    record.title = tags.title.or_else(|| path.file_stem().map(|s| s.to_string_lossy().into_owned()));
                    let folder = path.parent().and_then(|p| p.file_name()).map(|s| s.to_string_lossy().into_owned());
                    record.label = folder.clone().filter(|f| label_from_folder && labels.contains(f));
                    record.artist = tags.artist.or(if label_from_folder { None } else { folder });
                    (record.album, record.genre, record.track_number, record.year) = (tags.album, tags.genre, tags.track, tags.year);
                    let result = match analyser {
                        Ok(a) => a.analyse(path, &mut record),
                        Err(e) => Err(e.clone()),
                    };
                    let warnings = result.unwrap_or_else(|e| {
                        record.error = Some(e);
                        Vec::new()
                    });
                    let _ = tx.send((record, warnings));
                },
            );
        });
        for (record, warnings) in rx {
            for w in warnings {
                pb.suspend(|| eprintln!("warning: {}", crate::names::escape_controls(&w)));
            }
            if let Some(e) = &record.error {
                pb.suspend(|| eprintln!("error: {}", crate::names::escape_controls(e)));
                failures.push(e.clone());
            }
            match lib.store(&record) {
                Ok(_) => stored += 1,
                Err(e) => {
                    store_error.get_or_insert(e);
                }
            }
            pb.inc(1);
        }
    });
    pb.finish_and_clear();
    if let Some(e) = store_error {
        return Err(e).context("storing results");
    }
    if args.prune {
        let present: HashSet<PathBuf> = files.iter().cloned().collect();
        let n = lib.prune(&present)?;
        eprintln!("pruned {n} tracks whose files are gone");
    }
    let total = lib.tracks()?.len();
    eprintln!("{}: {stored} stored now, {total} tracks in the library", args.db.display());
    Ok(failures.finish(inputs_seen, true))
}

fn open_query(q: &LibraryQuery) -> anyhow::Result<(Library, Metric)> {
    if !q.db.is_file() {
        bail!("{}: no library (create one with `genrecast index DIR --db {}`)", q.db.display(), q.db.display());
    }
    if !["model", "summary"].contains(&q.embedding.as_str()) {
        bail!("--embedding {} (known: model, summary)", q.embedding);
    }
    Ok((Library::open(&q.db)?, q.metric.parse()?))
}

fn top(track: &genrecast_library::Track) -> String {
    track.predictions.first().map_or_else(|| "-".into(), |(g, p)| format!("{g} {:.0}%", p * 100.0))
}

pub fn similar(args: SimilarArgs) -> anyhow::Result<ExitCode> {
    let (lib, metric) = open_query(&args.query)?;
    let kind = &args.query.embedding;
    let song = absolute(&args.song);
    let results = match lib.track_by_path(&song)? {
        Some(t) => lib.similar(t.id, kind, args.k, metric)?,
        None => {
            // Not in the library: analyse it with the library's model.
            let model = lib.model()?.with_context(|| format!("{}: the library has no analysed tracks", args.query.db.display()))?;
            let analyser = Analyser::open(&model).map_err(anyhow::Error::msg)?;
            let mut record = TrackRecord::new(song.clone(), 0, 0);
            for w in analyser.analyse(&song, &mut record).map_err(anyhow::Error::msg)? {
                eprintln!("warning: {}", crate::names::escape_controls(&w));
            }
            let query = record.embeddings.into_iter().find(|(k, _)| k == kind).map(|(_, v)| v).context("no embedding")?;
            lib.similar_to(&query, kind, args.k, metric, &[])?
        }
    };
    if args.json {
        let v: Vec<serde_json::Value> = results.iter().map(|(t, d)| serde_json::json!({ "distance": d, "track": t })).collect();
        outln!("{}", serde_json::to_string_pretty(&serde_json::json!({ "song": song, "embedding": kind, "metric": metric, "similar": v }))?);
    } else {
        outln!("nearest {} to {} ({kind} embedding, {} distance):", results.len(), song.display(), args.query.metric);
        for (i, (t, d)) in results.iter().enumerate() {
            outln!("{:>3}. {d:.4}  {:<14} {}", i + 1, top(t), crate::names::display(&t.path));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn playlist(args: PlaylistArgs) -> anyhow::Result<ExitCode> {
    let (lib, metric) = open_query(&args.query)?;
    let song = absolute(&args.song);
    let seed = lib.track_by_path(&song)?.with_context(|| format!("{}: not in {} (index it first)", song.display(), args.query.db.display()))?;
    let (all, _) = lib.standardised_embeddings(&args.query.embedding)?;
    let list = genrecast_library::playlist(seed.id, &all, args.n, metric);
    if list.is_empty() {
        bail!("{}: no '{}' embedding (the file failed to analyse?)", song.display(), args.query.embedding);
    }
    let mut m3u = String::from("#EXTM3U\n");
    for (i, (id, d)) in list.iter().enumerate() {
        let t = lib.track(*id)?;
        outln!("{:>3}. {d:.4}  {:<14} {}", i + 1, top(&t), crate::names::display(&t.path));
        // Players show `#EXTINF:seconds,Artist - Title` instead of the file name.
        let name = match (&t.artist, &t.title) {
            (Some(a), Some(title)) => format!("{a} - {title}"),
            (None, Some(title)) => title.clone(),
            _ => t.path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
        };
        let one_line = |s: &str| s.replace(['\n', '\r'], " ");
        m3u.push_str(&format!("#EXTINF:{},{}\n{}\n", t.duration.map_or(-1, |d| d.round() as i64), one_line(&name), one_line(&t.path.display().to_string())));
    }
    if let Some(path) = &args.m3u {
        genrecast_features::write_atomic(path, |w| std::io::Write::write_all(w, m3u.as_bytes())).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn map(args: MapArgs) -> anyhow::Result<ExitCode> {
    let (lib, _) = open_query(&args.query)?;
    let embeddings: std::collections::HashMap<i64, Vec<f32>> = lib.standardised_embeddings(&args.query.embedding)?.0.into_iter().collect();
    let tracks: Vec<_> = lib.tracks()?.into_iter().filter(|t| embeddings.contains_key(&t.id)).collect();
    if tracks.is_empty() {
        bail!("{}: no analysed tracks to map", args.query.db.display());
    }
    let vectors: Vec<Vec<f32>> = tracks.iter().map(|t| embeddings[&t.id].clone()).collect();
    eprintln!("t-SNE of {} tracks ({} embedding) ...", tracks.len(), args.query.embedding);
    let xy = genrecast_library::map::tsne(&vectors, args.perplexity, args.seed);
    let points: Vec<MapPoint> = tracks
        .iter()
        .zip(xy)
        .map(|(t, [x, y])| {
            let predicted = t.predictions.first().map(|p| p.0.clone()).unwrap_or_else(|| "unknown".into());
            let group = if args.colour == "predicted" { predicted } else { t.label.clone().unwrap_or(predicted) };
            MapPoint {
                x,
                y,
                title: t.title.clone().unwrap_or_default(),
                artist: t.artist.clone().unwrap_or_default(),
                path: t.path.display().to_string(),
                group,
                top: t.predictions.iter().take(3).cloned().collect(),
            }
        })
        .collect();
    let title = format!("{} tracks of {}", points.len(), args.query.db.display());
    genrecast_library::map::write_html(&args.out, &title, &points)?;
    eprintln!("map written to {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}

pub fn plot(args: PlotArgs) -> anyhow::Result<ExitCode> {
    if !["png", "svg"].contains(&args.format.as_str()) {
        bail!("--format {} (png or svg)", args.format);
    }
    let wave = load(&args.song, &LoadOptions { sample_rate: Some(22_050), duration: args.duration, ..LoadOptions::default() }).with_context(|| args.song.display().to_string())?;
    let fx = FeatureExtractor::new(FeatureConfig::default())?;
    let stem = args.song.file_stem().map_or_else(|| "song".into(), |s| s.to_string_lossy().into_owned());
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let seconds_per_col = 512.0 / 22_050.0;
    for what in &args.what {
        let (kind, row_label) = match what.as_str() {
            "mel" => (FeatureKind::MelDb, "mel band (dB)"),
            "chroma" => (FeatureKind::Chroma, "pitch class (C..B)"),
            "mfcc" => (FeatureKind::Mfcc, "MFCC"),
            other => bail!("--what {other} (known: mel, chroma, mfcc)"),
        };
        let set = fx.extract(&wave.samples, &[kind]).with_context(|| args.song.display().to_string())?;
        let m = &set[&kind];
        let path = args.out.join(format!("{stem}-{what}.{}", args.format));
        genrecast_plots::matrix_heatmap(&path, &format!("{stem}: {what}"), &m.data, m.rows, m.cols, seconds_per_col, row_label)?;
        outln!("{}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
