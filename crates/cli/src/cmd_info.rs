//! `genrecast info`: what each file is, checked by decoding it fully.

use std::io::Write;
use std::process::ExitCode;

use rayon::prelude::*;
use serde::Serialize;

use crate::args::InfoArgs;
use crate::inputs;
use crate::report::Failures;

#[derive(Serialize)]
struct FileInfo {
    path: String,
    #[serde(flatten)]
    stream: genrecast_audio::StreamInfo,
    frames: u64,
    duration_s: f64,
    /// What the file's tags say (omitted when they say nothing).
    #[serde(skip_serializing_if = "genrecast_audio::FileTags::is_empty")]
    tags: genrecast_audio::FileTags,
}

#[derive(Serialize)]
struct FileError {
    path: String,
    error: String,
}

pub fn run(args: InfoArgs) -> anyhow::Result<ExitCode> {
    let (files, walk_errors) = inputs::expand(&args.paths);
    let results: Vec<_> = files
        .par_iter()
        .map(|p| {
            genrecast_audio::decode_check(p).map(|(stream, frames)| FileInfo {
                path: crate::names::exact_text(p),
                duration_s: frames as f64 / f64::from(stream.sample_rate),
                stream,
                frames,
                tags: genrecast_audio::read_tags(p),
            })
        })
        .collect();
    let mut failures = Failures::from_walk_errors(walk_errors);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut ok = Vec::new();
    let mut errs = Vec::new();
    for (path, r) in files.iter().zip(results) {
        match r {
            Ok(info) => {
                if !args.json {
                    print_text(&mut out, &info)?;
                }
                ok.push(info);
            }
            Err(e) => {
                if !args.json {
                    eprintln!("error: {}", crate::names::escape_controls(&e.to_string()));
                }
                errs.push(FileError { path: crate::names::exact_text(path), error: e.to_string() });
                failures.push(e.to_string());
            }
        }
    }
    if args.json {
        serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "files": ok, "failures": errs }))?;
        writeln!(out)?;
    }
    Ok(failures.finish(files.len(), !args.json))
}

fn print_text(out: &mut impl Write, i: &FileInfo) -> std::io::Result<()> {
    let s = &i.stream;
    // Names and tags are data: control characters in them are escaped on the terminal.
    let shown = crate::names::escape_controls;
    writeln!(out, "{}", shown(&i.path))?;
    writeln!(out, "  container    {}", s.container)?;
    writeln!(out, "  codec        {}", s.codec)?;
    writeln!(out, "  sample rate  {} Hz", s.sample_rate)?;
    writeln!(out, "  channels     {}", s.channels)?;
    if let Some(b) = s.bits_per_sample {
        writeln!(out, "  bits         {b}")?;
    }
    writeln!(out, "  duration     {:.3} s ({} frames decoded)", i.duration_s, i.frames)?;
    let t = &i.tags;
    for (name, value) in [("title", &t.title), ("artist", &t.artist), ("album", &t.album), ("genre tag", &t.genre)] {
        if let Some(v) = value {
            writeln!(out, "  {name:<12} {}", shown(v))?;
        }
    }
    if let Some(n) = t.track {
        writeln!(out, "  track        {n}")?;
    }
    if let Some(y) = t.year {
        writeln!(out, "  year         {y}")?;
    }
    for w in &s.warnings {
        writeln!(out, "  warning      {w}")?;
    }
    Ok(())
}
