//! `genrecast classify` and `genrecast tag`: a model over many files in parallel, results as a
//! table, JSON or CSV; a bad file is reported and the rest go on.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use genrecast_models::{Aggregation, Backbone, Classifier, Prediction, Tagger};
use rayon::prelude::*;

use crate::args::{ClassifyArgs, PredictOptions, ResultFormat, TagArgs};
use crate::inputs;
use crate::report::Failures;

/// Names and provenance printed with the results.
struct Header {
    model: String,
    trained_on: String,
    labels: Vec<String>,
    tag_names: Option<Vec<String>>,
    /// The backbone's arithmetic (`None`: a model without a musicnn backbone, all f32).
    precision: Option<genrecast_models::Precision>,
}

pub fn classify(args: ClassifyArgs) -> anyhow::Result<ExitCode> {
    // Before any model opens: each takes the default when opened.
    genrecast_models::set_seek_default(!args.common.no_seek);
    let aggregation: Aggregation = args.common.aggregate.parse()?;
    let device = args.common.device.device;
    let probe = Classifier::open_on(&args.model, device)?;
    let trained_on = probe.card().trained_on.to_string();
    let header = Header { model: args.model.clone(), trained_on, labels: probe.labels().to_vec(), tag_names: probe.tag_names().filter(|_| args.tags).map(<[String]>::to_vec), precision: probe.precision() };
    let max_windows = args.common.max_windows();
    let open = || Classifier::open_on(&args.model, device).map_err(|e| e.to_string());
    let workers = Workers::new(probe, open, |c| c.set_max_windows(max_windows));
    run_batch(&args.common, &header, workers, |c, path| c.classify_file(path, aggregation).map_err(|e| e.to_string()))
}

pub fn tag(args: TagArgs) -> anyhow::Result<ExitCode> {
    genrecast_models::set_seek_default(!args.common.no_seek);
    let backbone: Backbone = args.model.parse()?;
    let aggregation: Aggregation = args.common.aggregate.parse()?;
    let device = args.common.device.device;
    let probe = Tagger::open_on(backbone, device)?;
    let header = Header { model: backbone.name().into(), trained_on: probe.trained_on().into(), labels: probe.tags().to_vec(), tag_names: None, precision: Some(probe.precision()) };
    let max_windows = args.common.max_windows();
    let open = || Tagger::open_on(backbone, device).map_err(|e| e.to_string());
    let workers = Workers::new(probe, open, |t| t.set_max_windows(max_windows));
    run_batch(&args.common, &header, workers, |t, path| t.tag_file(path, aggregation).map_err(|e| e.to_string()))
}

/// One model per worker thread: the one opened to read the labels serves the first thread,
/// the others open their own.
struct Workers<W, O, S> {
    first: std::sync::Mutex<Option<W>>,
    open: O,
    setup: S,
}

impl<W, O: Fn() -> Result<W, String>, S: Fn(&mut W)> Workers<W, O, S> {
    fn new(first: W, open: O, setup: S) -> Self {
        Self { first: std::sync::Mutex::new(Some(first)), open, setup }
    }

    fn get(&self) -> Result<W, String> {
        let first = self.first.lock().unwrap_or_else(|p| p.into_inner()).take();
        let mut w = match first {
            Some(w) => w,
            None => (self.open)()?,
        };
        (self.setup)(&mut w);
        Ok(w)
    }
}

/// Runs `score` over every file with one worker per thread, then writes the results.
fn run_batch<W: Send, O, S>(opts: &PredictOptions, header: &Header, workers: Workers<W, O, S>, score: impl Fn(&W, &std::path::Path) -> Result<Prediction, String> + Sync) -> anyhow::Result<ExitCode>
where
    O: Fn() -> Result<W, String> + Sync,
    S: Fn(&mut W) + Sync,
{
    let format = opts.format()?;
    if let Some(parent) = opts.out.as_deref().and_then(std::path::Path::parent).filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let (files, walk_errors) = inputs::expand(&opts.paths);
    let mut failures = Failures::from_walk_errors(walk_errors);
    let pb = crate::progress::bar(files.len(), opts.quiet || files.len() < 2, "files");
    // With an output file, finished files are journaled beside it so that a killed run
    // resumes where it stopped.
    let journal = match &opts.out {
        Some(out) => {
            let precision = header.precision.map_or("f32", genrecast_models::Precision::name);
            let context = format!("genrecast {} | {} | {} | aggregate {} | max windows {:?} | precision {precision}", env!("CARGO_PKG_VERSION"), header.model, header.trained_on, opts.aggregate, opts.max_windows());
            let j = crate::journal::Journal::<Prediction>::open(out, &context)?;
            let resumed = files.iter().filter(|f| j.get(f).is_some()).count();
            if resumed > 0 && !opts.quiet {
                eprintln!("resuming: {resumed} of {} files already classified ({})", files.len(), j.path().display());
            }
            Some(j)
        }
        None => None,
    };
    // On stdout, every format but the one JSON document prints each file as it finishes,
    // in input order, so that `classify music/ | cat` is not silent for the whole run.
    let printer = (opts.out.is_none() && format != ResultFormat::Json).then(|| OrderedPrinter::new(head(format, header)));
    let journal_errors = std::sync::Mutex::new(Vec::new());
    let results: Vec<Result<Prediction, String>> = files
        .par_iter()
        .enumerate()
        .map_init(|| workers.get(), |worker, (index, path)| {
            if printer.as_ref().is_some_and(OrderedPrinter::stopped) {
                return Err(format!("{}: not classified: standard output was closed", crate::names::display(path)));
            }
            let r = match journal.as_ref().and_then(|j| j.get(path)) {
                Some(p) => Ok(p),
                None => {
                    let r = match worker {
                        Ok(w) => score(w, path),
                        Err(e) => Err(e.clone()),
                    };
                    match (&r, &journal) {
                        (Err(e), _) => pb.suspend(|| eprintln!("error: {}", crate::names::escape_controls(e))),
                        (Ok(p), Some(j)) => {
                            if let Err(e) = j.record(path, p) {
                                journal_errors.lock().unwrap_or_else(|p| p.into_inner()).push(crate::report::chain(&e));
                            }
                        }
                        (Ok(_), None) => {}
                    }
                    r
                }
            };
            pb.inc(1);
            if let Some(printer) = &printer {
                let text = render(format, header, path, &r, opts);
                pb.suspend(|| printer.put(index, text));
            }
            r
        })
        .collect();
    if let Some(e) = journal_errors.into_inner().unwrap_or_else(|p| p.into_inner()).first() {
        pb.suspend(|| eprintln!("warning: the resume journal could not be written ({e}); a killed run would start over"));
    }
    pb.finish_and_clear();
    let rows: Vec<(PathBuf, Result<Prediction, String>)> = files.into_iter().zip(results).collect();
    match (&opts.out, printer) {
        (_, Some(printer)) => printer.finish()?,
        (Some(path), None) => {
            let text = whole(format, header, &rows, opts)?;
            genrecast_features::write_atomic(path, |w| std::io::Write::write_all(w, text.as_bytes())).with_context(|| format!("writing {}", path.display()))?;
            if let Some(j) = journal {
                j.finish();
            }
        }
        (None, None) => out!("{}", whole(format, header, &rows, opts)?),
    }
    let total = rows.len();
    for (_, r) in rows {
        if let Err(e) = r {
            failures.push(e);
        }
    }
    Ok(failures.finish(total, true))
}

/// Prints each file's text in input order as soon as all before it are printed. After a
/// write fails (a closed pipe, a full disk) nothing more is printed, the batch stops taking
/// new files, and [`OrderedPrinter::finish`] returns the error.
struct OrderedPrinter {
    state: std::sync::Mutex<(usize, std::collections::BTreeMap<usize, String>)>,
    error: std::sync::Mutex<Option<anyhow::Error>>,
    stop: std::sync::atomic::AtomicBool,
}

impl OrderedPrinter {
    fn new(head: String) -> Self {
        let printer = Self { state: Default::default(), error: Default::default(), stop: Default::default() };
        printer.write(&head);
        printer
    }

    fn stopped(&self) -> bool {
        self.stop.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn write(&self, text: &str) {
        if text.is_empty() || self.stopped() {
            return;
        }
        if let Err(e) = crate::output::write_stdout(format_args!("{text}")) {
            self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
            self.error.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(e);
        }
    }

    fn put(&self, index: usize, text: String) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.1.insert(index, text);
        loop {
            let next = state.0;
            let Some(text) = state.1.remove(&next) else { break };
            self.write(&text);
            state.0 += 1;
        }
    }

    fn finish(self) -> anyhow::Result<()> {
        self.error.into_inner().unwrap_or_else(|p| p.into_inner()).map_or(Ok(()), Err)
    }
}

/// What comes before the files: the table's model line, the CSV header.
fn head(format: ResultFormat, h: &Header) -> String {
    match format {
        ResultFormat::Table => format!("model {} (trained on {})\n", h.model, h.trained_on),
        ResultFormat::Csv => {
            let mut head = vec!["file".to_owned(), "start_s".into(), "end_s".into(), "top".into()];
            head.extend(h.labels.iter().cloned());
            // With --tags: the backbone's tag probabilities over the whole song, `tag:NAME`
            // (beside genre columns that may share a name, such as `rock`).
            head.extend(h.tag_names.iter().flatten().map(|t| format!("tag:{t}")));
            csv_line(&head)
        }
        ResultFormat::Json | ResultFormat::Jsonl => String::new(),
    }
}

/// One file's part of the output (nothing for a failed file, except in JSON Lines).
fn render(format: ResultFormat, h: &Header, path: &std::path::Path, r: &Result<Prediction, String>, opts: &PredictOptions) -> String {
    match (format, r) {
        (ResultFormat::Jsonl, r) => {
            let mut v = file_json(h, path, r, opts);
            // A line stands alone: it says which model made it.
            v["model"] = h.model.as_str().into();
            v["precision"] = h.precision.map_or("f32", genrecast_models::Precision::name).into();
            format!("{v}\n")
        }
        (_, Err(_)) => String::new(),
        (ResultFormat::Table, Ok(s)) => table_block(h, path, s, opts),
        (ResultFormat::Csv, Ok(s)) => csv_rows(h, path, s, opts),
        (ResultFormat::Json, Ok(_)) => String::new(),
    }
}

/// The whole output at once, for `--out` (and for the one JSON document).
fn whole(format: ResultFormat, h: &Header, rows: &[(PathBuf, Result<Prediction, String>)], opts: &PredictOptions) -> anyhow::Result<String> {
    if format == ResultFormat::Json {
        return Ok(serde_json::to_string_pretty(&json(h, rows, opts))? + "\n");
    }
    let mut text = head(format, h);
    for (path, r) in rows {
        text.push_str(&render(format, h, path, r, opts));
    }
    Ok(text)
}

fn clock(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

fn table_block(h: &Header, path: &std::path::Path, s: &Prediction, opts: &PredictOptions) -> String {
    let mut out = String::new();
    let width = h.labels.iter().map(String::len).max().unwrap_or(0);
    let spread = if s.windows_total > s.windows.len() { format!(" spread over {}", s.windows_total) } else { String::new() };
    let _ = writeln!(out, "\n{}  ({:.1} s, {} windows{spread})", crate::names::display(path), s.duration, s.windows.len());
    for w in &s.warnings {
        let _ = writeln!(out, "  warning: {w}");
    }
    for i in genrecast_eval::top_indices(&s.probabilities, opts.top_k) {
        let p = s.probabilities[i];
        let _ = writeln!(out, "  {:<width$}  {:5.3}  {}", h.labels[i], p, "#".repeat((p * 30.0).round() as usize));
    }
    if let (Some(names), Some(tags)) = (&h.tag_names, &s.tags) {
        let list: Vec<String> = genrecast_eval::top_indices(tags, 5).into_iter().map(|i| format!("{} {:.2}", names[i], tags[i])).collect();
        let _ = writeln!(out, "  tags: {}", list.join(", "));
    }
    if opts.segments {
        for w in &s.windows {
            let list: Vec<String> = genrecast_eval::top_indices(&w.probabilities, opts.top_k.min(3)).into_iter().map(|i| format!("{} {:.2}", h.labels[i], w.probabilities[i])).collect();
            let _ = writeln!(out, "    {:>6}-{:<6} {}", clock(w.start), clock(w.end), list.join("  "));
        }
    }
    out
}

fn file_json(h: &Header, path: &std::path::Path, r: &Result<Prediction, String>, opts: &PredictOptions) -> serde_json::Value {
    let named = |p: &[f32], names: &[String]| -> serde_json::Map<String, serde_json::Value> { names.iter().zip(p).map(|(n, &v)| (n.clone(), serde_json::json!(v))).collect() };
    let ranked = |p: &[f32], names: &[String], k: usize| -> Vec<serde_json::Value> { genrecast_eval::top_indices(p, k).into_iter().map(|i| serde_json::json!({ "label": names[i], "probability": p[i] })).collect() };
    match r {
        Err(e) => {
            let mut v = serde_json::Value::Object(crate::names::json_fields(path));
            v["error"] = e.as_str().into();
            v
        }
        Ok(s) => {
            let mut v = serde_json::json!({
                "duration_s": s.duration, "top": ranked(&s.probabilities, &h.labels, opts.top_k),
                "probabilities": named(&s.probabilities, &h.labels), "windows": s.windows.len(), "windows_total": s.windows_total.max(s.windows.len()),
            });
            if let Some(v) = v.as_object_mut() {
                v.extend(crate::names::json_fields(path));
            }
            if !s.warnings.is_empty() {
                v["warnings"] = serde_json::json!(s.warnings);
            }
            if let (Some(names), Some(tags)) = (&h.tag_names, &s.tags) {
                v["tags"] = serde_json::json!(ranked(tags, names, 5));
            }
            if opts.segments {
                v["segments"] = s.windows.iter().map(|w| serde_json::json!({ "start_s": w.start, "end_s": w.end, "top": ranked(&w.probabilities, &h.labels, opts.top_k), "probabilities": named(&w.probabilities, &h.labels) })).collect();
            }
            v
        }
    }
}

fn json(h: &Header, rows: &[(PathBuf, Result<Prediction, String>)], opts: &PredictOptions) -> serde_json::Value {
    let files: Vec<serde_json::Value> = rows.iter().map(|(path, r)| file_json(h, path, r, opts)).collect();
    let precision = h.precision.map_or("f32", genrecast_models::Precision::name);
    let kernel = (h.precision == Some(genrecast_models::Precision::Int8)).then(|| genrecast_models::Kernel::detect().name());
    serde_json::json!({
        "model": h.model, "trained_on": h.trained_on, "labels": h.labels,
        "precision": precision, "kernel": kernel, "max_windows": opts.max_windows,
        "files": files
    })
}

fn csv_line(record: &[String]) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(record);
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// One file's CSV rows. CSV has no place for warnings: they go to stderr, with the file.
fn csv_rows(h: &Header, path: &std::path::Path, s: &Prediction, opts: &PredictOptions) -> String {
    for w in &s.warnings {
        eprintln!("warning: {}: {w}", crate::names::display(path));
    }
    let n_tags = h.tag_names.as_ref().map_or(0, Vec::len);
    let record = |start: f64, end: f64, p: &[f32], tags: Option<&Vec<f32>>| {
        let mut rec = vec![crate::names::csv_cell(&crate::names::display(path)), format!("{start:.3}"), format!("{end:.3}"), h.labels[genrecast_models::argmax(p)].clone()];
        rec.extend(p.iter().map(|v| format!("{v:.6}")));
        // Tags are the song's; a window row leaves them empty.
        match tags.filter(|t| t.len() == n_tags) {
            Some(t) => rec.extend(t.iter().map(|v| format!("{v:.6}"))),
            None => rec.extend(std::iter::repeat_n(String::new(), n_tags)),
        }
        csv_line(&rec)
    };
    if opts.segments {
        s.windows.iter().map(|win| record(win.start, win.end, &win.probabilities, None)).collect()
    } else {
        record(0.0, s.duration, &s.probabilities, s.tags.as_ref())
    }
}
