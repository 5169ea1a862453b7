//! `genrecast index`, `similar`, `playlist`, `map` and `plot`: a music library in SQLite and
//! what people do with it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;

use anyhow::{bail, Context};
use genrecast_audio::{load, resample, LoadOptions, ResampleQuality};
use genrecast_features::{FeatureConfig, FeatureExtractor, FeatureKind};
use genrecast_library::{map::MapPoint, FileStatus, Library, Metric, Spacing, Standardizer, Track, TrackRecord};
use genrecast_models::{summary_vector, summary_vector_file, Aggregation, Classifier};
use genrecast_plots::Rows;
use rayon::prelude::*;

use crate::args::{IndexArgs, LibraryQuery, MapArgs, PlaylistArgs, PlotArgs, ResultFormat, SimilarArgs};
use crate::cmd_library_browse::{self as browse, open_existing, top_genre};
use crate::inputs;
use crate::report::Failures;

/// Per-thread analysis state: the model and the summary-feature extractor.
struct Analyser {
    classifier: Classifier,
    features: FeatureExtractor,
}

impl Analyser {
    fn open(model: &str, device: genrecast_models::ComputeDevice) -> Result<Self, String> {
        Ok(Self { classifier: Classifier::open_on(model, device).map_err(|e| e.to_string())?, features: FeatureExtractor::new(FeatureConfig::default()).map_err(|e| e.to_string())? })
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

pub fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Fills `record`'s title, artist, album, genre, track, year and label: what the file's tags
/// say comes first; the file name and folder stand in.
fn describe(record: &mut TrackRecord, label_from_folder: bool, labels: &[String]) {
    let path = &record.path;
    let tags = genrecast_audio::read_tags(path);
    record.title = tags.title.or_else(|| path.file_stem().map(|s| s.to_string_lossy().into_owned()));
    let folder = path.parent().and_then(|p| p.file_name()).map(|s| s.to_string_lossy().into_owned());
    record.label = folder.clone().filter(|f| label_from_folder && labels.contains(f));
    record.artist = tags.artist.or(if label_from_folder { None } else { folder });
    (record.album, record.genre, record.track_number, record.year) = (tags.album, tags.genre, tags.track, tags.year);
}

pub fn index(args: IndexArgs) -> anyhow::Result<ExitCode> {
    // Before any model opens: each takes the default when opened.
    genrecast_models::set_seek_default(!args.no_seek);
    // A device that is not there stops the run before the database is created.
    args.device.device.burn_device()?;
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
    // Opened here first so that a model or device that is not there stops the run at once.
    let device = args.device.device;
    let (labels, model_dims) = {
        let classifier = Classifier::open_on(&args.model, device)?;
        (classifier.labels().to_vec(), classifier.card().network.embedding)
    };
    // A track that another model analysed (or a built-in model of the same name before it
    // changed: its embedding has another width) is analysed again, so that the library
    // never holds two models' results side by side.
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
            Ok((size, mtime)) => match lib.status_for(f, size, mtime, &args.model, model_dims)? {
                FileStatus::Current => {}
                status => {
                    retried += usize::from(status == FileStatus::Failed);
                    todo.push((f.clone(), size, mtime));
                }
            },
            Err(e) => failures.push(format!("{}: {e}", f.display())),
        }
    }
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
                || Analyser::open(model, device),
                |analyser, (path, size, mtime)| {
                    let mut record = TrackRecord::new(path.clone(), *size, *mtime);
                    describe(&mut record, label_from_folder, labels);
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

/// The library, the metric, and the scale of the asked embedding.
fn open_query(q: &LibraryQuery) -> anyhow::Result<(Library, Metric, Option<Standardizer>)> {
    if !["model", "summary"].contains(&q.embedding.as_str()) {
        bail!("--embedding {} (known: model, summary)", q.embedding);
    }
    let lib = open_existing(&q.db)?;
    let scale = embedding_scale(&lib, &q.embedding, &q.db)?;
    Ok((lib, q.metric.parse()?, scale))
}

/// How the library's `kind` embeddings are scaled before distances: by statistics fixed by
/// what made them, never fitted on the library (then two songs are as far apart in every
/// library that holds them). `summary`: genrecast's fixed scale; `model`: the scale in the
/// card of the model that analysed the library (none for a linear head, whose embedding is
/// its input standardised on its training data).
pub fn embedding_scale(lib: &Library, kind: &str, db: &Path) -> anyhow::Result<Option<Standardizer>> {
    match kind {
        "summary" => Ok(Some(genrecast_models::summary_scale()?.standardizer())),
        _ => {
            let Some(model) = lib.model()? else { return Ok(None) };
            let card = genrecast_models::model_card(&model)
                .with_context(|| format!("{}: the library was analysed with '{model}', whose card scales its embeddings", crate::names::display(db)))?;
            Ok(card.embedding_scale.map(|s| s.standardizer()))
        }
    }
}

/// A song to start from: a track of the library, or a file outside it, analysed now with
/// the library's model (its embedding as analysed, not yet scaled).
struct Seed {
    track: Track,
    outside: Option<Vec<f32>>,
}

/// Finds seeds in the library, analysing those outside it (the model opened once).
struct Seeds<'a> {
    lib: &'a Library,
    query: &'a LibraryQuery,
    analyser: Option<Analyser>,
}

impl<'a> Seeds<'a> {
    fn new(lib: &'a Library, query: &'a LibraryQuery) -> Self {
        Self { lib, query, analyser: None }
    }

    fn get(&mut self, song: &Path) -> anyhow::Result<Seed> {
        let song = absolute(song);
        if let Some(track) = self.lib.track_by_path(&song)? {
            return Ok(Seed { track, outside: None });
        }
        let analyser = match &mut self.analyser {
            Some(a) => a,
            empty => {
                let model = self.lib.model()?.with_context(|| format!("{}: the library has no analysed tracks", self.query.db.display()))?;
                empty.insert(Analyser::open(&model, genrecast_models::ComputeDevice::Cpu).map_err(anyhow::Error::msg)?)
            }
        };
        let mut record = TrackRecord::new(song.clone(), 0, 0);
        describe(&mut record, false, &[]);
        for w in analyser.analyse(&song, &mut record).map_err(anyhow::Error::msg)? {
            eprintln!("warning: {}", crate::names::escape_controls(&w));
        }
        let kind = &self.query.embedding;
        let embedding = record.embeddings.iter().find(|(k, _)| k == kind).map(|(_, v)| v.clone()).with_context(|| format!("{}: no '{kind}' embedding", song.display()))?;
        Ok(Seed { track: Track::from_record(0, &record), outside: Some(embedding) })
    }
}

/// Writes ranked tracks (similar songs, a playlist) as `format`: the table is written by
/// `table`, JSON is `document` with the entries under `key`; each entry has its distance and
/// track, and `extra` fields.
struct Ranked<'a> {
    entries: Vec<(f32, &'a Track, serde_json::Map<String, serde_json::Value>)>,
}

impl Ranked<'_> {
    fn render(&self, format: ResultFormat, document: serde_json::Value, key: &str, table: impl FnOnce() -> String) -> anyhow::Result<String> {
        let json = |(d, t, extra): &(f32, &Track, serde_json::Map<String, serde_json::Value>)| {
            let mut v = serde_json::json!({ "distance": d, "track": t });
            if let Some(o) = v.as_object_mut() {
                o.extend(extra.clone());
            }
            v
        };
        Ok(match format {
            ResultFormat::Table => table(),
            ResultFormat::Json => {
                let mut doc = document;
                doc[key] = self.entries.iter().map(json).collect();
                serde_json::to_string_pretty(&doc)? + "\n"
            }
            ResultFormat::Jsonl => self
                .entries
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let mut v = json(e);
                    v["rank"] = (i + 1).into();
                    format!("{v}\n")
                })
                .collect(),
            ResultFormat::Csv => {
                let labels = browse::labels_of(self.entries.iter().map(|e| e.1));
                let mut head = vec!["rank".to_string(), "distance".into()];
                head.extend(browse::TRACK_COLUMNS.iter().map(|c| c.to_string()));
                head.extend(labels.iter().cloned());
                let mut text = browse::csv_line(&head);
                for (i, (d, t, _)) in self.entries.iter().enumerate() {
                    let mut cells = vec![(i + 1).to_string(), format!("{d:.6}")];
                    cells.extend(browse::track_cells(t, None, &labels));
                    text.push_str(&browse::csv_line(&cells));
                }
                text
            }
        })
    }
}

pub fn similar(args: SimilarArgs) -> anyhow::Result<ExitCode> {
    let format = args.output.format(args.json)?;
    let (lib, metric, scale) = open_query(&args.query)?;
    let kind = &args.query.embedding;
    let seed = Seeds::new(&lib, &args.query).get(&args.song)?;
    let song = seed.track.path.clone();
    let results = match &seed.outside {
        None => lib.similar(seed.track.id, kind, scale.as_ref(), args.k, metric)?,
        Some(query) => lib.similar_to(query, kind, scale.as_ref(), args.k, metric, &[])?,
    };
    let ranked = Ranked { entries: results.iter().map(|(t, d)| (*d, t, serde_json::Map::new())).collect() };
    let document = serde_json::json!({ "song": browse::json_path(&song), "embedding": kind, "metric": metric });
    let text = ranked.render(format, document, "similar", || {
        let mut text = format!("nearest {} to {} ({kind} embedding, {} distance):\n", results.len(), crate::names::display(&song), args.query.metric);
        for (i, (t, d)) in results.iter().enumerate() {
            text.push_str(&format!("{:>3}. {d:.4}  {:<14} {}\n", i + 1, top_genre(t), crate::names::display(&t.path)));
        }
        text
    })?;
    browse::emit(&text, args.output.out.as_deref())?;
    Ok(ExitCode::SUCCESS)
}

pub fn playlist(args: PlaylistArgs) -> anyhow::Result<ExitCode> {
    let format = args.output.format(args.json)?;
    let (lib, metric, scale) = open_query(&args.query)?;
    let kind = &args.query.embedding;
    let all = lib.scaled_embeddings(kind, scale.as_ref())?;
    if all.is_empty() {
        bail!("{}: no track has a '{kind}' embedding (did every file fail to analyse?)", args.query.db.display());
    }
    // The same file given twice is one seed.
    let mut songs: Vec<PathBuf> = Vec::new();
    for s in &args.songs {
        if !songs.contains(&absolute(s)) {
            songs.push(absolute(s));
        }
    }
    if args.n < songs.len() {
        bail!("-n {} is fewer than the {} seed songs", args.n, songs.len());
    }
    let mut finder = Seeds::new(&lib, &args.query);
    let mut seeds: Vec<Track> = Vec::new();
    let mut vectors: Vec<(i64, Vec<f32>)> = Vec::new();
    for (i, song) in songs.iter().enumerate() {
        let mut seed = finder.get(song)?;
        let vector = match seed.outside {
            None => all.iter().find(|(id, _)| *id == seed.track.id).map(|(_, v)| v.clone()).with_context(|| format!("{}: no '{kind}' embedding (the file failed to analyse?)", song.display()))?,
            Some(mut v) => {
                if v.len() != all[0].1.len() {
                    bail!("{}: a {}-d '{kind}' embedding against {}-d library embeddings (another model?)", song.display(), v.len(), all[0].1.len());
                }
                if let Some(scale) = &scale {
                    scale.transform_in_place(&mut v);
                }
                // Songs outside the library get ids below any row id.
                seed.track.id = -(i as i64) - 1;
                v
            }
        };
        vectors.push((seed.track.id, vector));
        seeds.push(seed.track);
    }
    let tracks = lib.tracks()?;
    let group = |field: fn(&Track) -> &Option<String>| -> std::collections::HashMap<i64, String> {
        tracks.iter().chain(&seeds).filter_map(|t| field(t).as_deref().map(|g| (t.id, g.trim().to_lowercase()))).filter(|(_, g)| !g.is_empty()).collect()
    };
    let mut spacing = Vec::new();
    if let Some(within) = args.no_repeat_artist {
        spacing.push(Spacing { group: group(|t| &t.artist), within });
    }
    if let Some(within) = args.no_repeat_album {
        spacing.push(Spacing { group: group(|t| &t.album), within });
    }
    let list = genrecast_library::playlist_through(&vectors, &all, args.n, metric, &spacing);
    if list.len() < args.n {
        let why = if spacing.is_empty() { "the library has no more songs with this embedding" } else { "no other song keeps the no-repeat rules" };
        eprintln!("note: {} of {} songs: {why}", list.len(), args.n);
    }
    let by_id: std::collections::HashMap<i64, &Track> = tracks.iter().chain(&seeds).map(|t| (t.id, t)).collect();
    let is_seed = |id: i64| seeds.iter().any(|s| s.id == id);
    let entries: Vec<(f32, &Track, serde_json::Map<String, serde_json::Value>)> = list
        .iter()
        .map(|(id, d)| {
            let extra = serde_json::json!({ "seed": is_seed(*id), "in_library": *id > 0 });
            (*d, by_id[id], extra.as_object().cloned().unwrap_or_default())
        })
        .collect();
    let mut m3u = String::from("#EXTM3U\n");
    for (_, t, _) in &entries {
        // Players show `#EXTINF:seconds,Artist - Title` instead of the file name.
        let name = match (&t.artist, &t.title) {
            (Some(a), Some(title)) => format!("{a} - {title}"),
            (None, Some(title)) => title.clone(),
            _ => t.path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
        };
        let one_line = |s: &str| s.replace(['\n', '\r'], " ");
        m3u.push_str(&format!("#EXTINF:{},{}\n{}\n", t.duration.map_or(-1, |d| d.round() as i64), one_line(&name), one_line(&t.path.display().to_string())));
    }
    let seed_paths: Vec<PathBuf> = seeds.iter().map(|s| browse::json_path(&s.path)).collect();
    let document = serde_json::json!({ "seeds": seed_paths, "embedding": kind, "metric": metric });
    let text = Ranked { entries }.render(format, document, "playlist", || {
        list.iter()
            .enumerate()
            .map(|(i, (id, d))| {
                let t = by_id[id];
                format!("{:>3}. {d:.4}  {:<14} {}{}\n", i + 1, top_genre(t), crate::names::display(&t.path), if is_seed(*id) { "  (seed)" } else { "" })
            })
            .collect()
    })?;
    browse::emit(&text, args.output.out.as_deref())?;
    if let Some(path) = &args.m3u {
        browse::write_file(path, &m3u)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn map(args: MapArgs) -> anyhow::Result<ExitCode> {
    let (lib, _, scale) = open_query(&args.query)?;
    let embeddings: std::collections::HashMap<i64, Vec<f32>> = lib.scaled_embeddings(&args.query.embedding, scale.as_ref())?.into_iter().collect();
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
    let (files, walk_errors) = inputs::expand(&args.songs);
    let mut failures = Failures::from_walk_errors(walk_errors);
    let cfg = FeatureConfig::default();
    let fx = FeatureExtractor::new(cfg.clone())?;
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let seconds_per_col = cfg.hop_length as f64 / f64::from(cfg.sr);
    let stem_of = |f: &Path| f.file_stem().map_or_else(|| "song".into(), |s| s.to_string_lossy().into_owned());
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for file in &files {
        // Songs of one name in different folders: the second is `<stem>-2`, and so on.
        let mut stem = stem_of(file);
        let n = seen.entry(stem.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            stem = format!("{stem}-{n}");
        }
        let drawn = (|| -> anyhow::Result<()> {
            let wave = load(file, &LoadOptions { sample_rate: Some(cfg.sr), duration: args.duration, ..LoadOptions::default() })?;
            for what in &args.what {
                let (kind, rows, name) = match what.as_str() {
                    "mel" => (FeatureKind::MelDb, Rows::MelDb { fmin: cfg.fmin, fmax: cfg.fmax.unwrap_or(f64::from(cfg.sr) / 2.0) }, "mel spectrogram"),
                    "chroma" => (FeatureKind::Chroma, Rows::Chroma, "chroma"),
                    _ => (FeatureKind::Mfcc, Rows::Mfcc, "MFCC"),
                };
                let set = fx.extract(&wave.samples, &[kind]).with_context(|| crate::names::display(file))?;
                let m = &set[&kind];
                let path = args.out.join(format!("{stem}-{what}.{}", args.format));
                genrecast_plots::matrix_heatmap(&path, &format!("{stem}: {name}"), &m.data, m.rows, m.cols, seconds_per_col, &rows).with_context(|| path.display().to_string())?;
                outln!("{}", path.display());
            }
            Ok(())
        })();
        if let Err(e) = drawn {
            // Every error above names its file (the decoder's do themselves).
            let message = crate::report::chain(&e);
            eprintln!("error: {}", crate::names::escape_controls(&message));
            failures.push(message);
        }
    }
    Ok(failures.finish(files.len(), true))
}
