//! `genrecast bench memory`: peak memory against song length. Each command runs on each file
//! as a whole process of this binary, with the same `--threads`, and its peak RSS is read
//! from the kernel's accounting of that one child (`wait4`). Memory that does not grow with
//! the song is the goal (issue #28): a 2-hour file should cost little more than a 10-minute
//! one.

use std::path::Path;
use std::process::{Command, ExitCode};

use anyhow::{bail, Context};

use crate::args::BenchMemoryArgs;
use crate::cmd_bench_classify::timed;

/// One command on one file.
#[derive(serde::Serialize)]
struct Measure {
    command: String,
    file: String,
    audio_s: Option<f64>,
    wall_s: f64,
    peak_rss_mb: f64,
    ok: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    error: String,
}

/// The arguments that run `command` on `file`, writing into `work`.
fn command_args(command: &str, file: &Path, work: &Path) -> Vec<std::ffi::OsString> {
    let mut a: Vec<std::ffi::OsString> = match command {
        "classify" | "tag" => vec![command.into(), "-q".into(), "--format".into(), "json".into(), "--out".into(), work.join("out.json").into()],
        "features" => vec!["features".into(), "-q".into(), "--summary".into(), "--no-frames".into(), "--out".into(), work.join("features").into()],
        _ => vec!["index".into(), "-q".into(), "--db".into(), work.join("library.sqlite").into()],
    };
    a.push(file.into());
    a
}

/// Seconds of audio the file's header declares (none for a file that does not say).
fn audio_seconds(file: &Path) -> Option<f64> {
    let stream = genrecast_audio::AudioStream::open(file).ok()?;
    let info = stream.info();
    Some(info.declared_frames? as f64 / f64::from(info.sample_rate.max(1)))
}

pub fn run(args: BenchMemoryArgs) -> anyhow::Result<ExitCode> {
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get));
    let exe = std::env::current_exe().context("finding the genrecast binary")?;
    for f in &args.files {
        if !f.is_file() {
            bail!("{}: not a file", crate::names::display(f));
        }
    }
    let mut measures = Vec::new();
    for command in &args.commands {
        for file in &args.files {
            // A fresh folder per run: no cache, library or output of another run is reused.
            let work = tempfile::tempdir().context("a temporary folder")?;
            let mut cmd = Command::new(&exe);
            cmd.env("GENRECAST_NO_CACHE", "1").arg("--threads").arg(threads.to_string()).args(command_args(command, file, work.path()));
            let run = timed(cmd)?;
            let m = Measure {
                command: command.clone(),
                file: crate::names::display(file),
                audio_s: audio_seconds(file),
                wall_s: run.wall_s,
                peak_rss_mb: run.peak_rss_mb,
                ok: run.ok,
                error: if run.ok { String::new() } else { run.stderr_tail },
            };
            if !args.json {
                eprintln!("{command} {}: {:.0} MB, {:.2} s{}", m.file, m.peak_rss_mb, m.wall_s, if m.ok { "" } else { " (failed)" });
            }
            measures.push(m);
        }
    }
    let text = if args.json {
        serde_json::to_string_pretty(&serde_json::json!({ "threads": threads, "genrecast_version": env!("CARGO_PKG_VERSION"), "runs": measures }))? + "\n"
    } else {
        let mut t = format!("peak RSS by song length ({threads} threads, whole processes; features = --summary --no-frames)\n\n| command | file | audio | wall | peak RSS |\n|---|---|---|---|---|\n");
        for m in &measures {
            let audio = m.audio_s.map_or_else(|| "?".to_owned(), |s| if s >= 600.0 { format!("{:.1} min", s / 60.0) } else { format!("{s:.1} s") });
            let rss = if m.ok { format!("{:.0} MB", m.peak_rss_mb) } else { format!("failed: {}", m.error) };
            t.push_str(&format!("| {} | {} | {audio} | {:.2} s | {rss} |\n", m.command, m.file, m.wall_s));
        }
        t
    };
    crate::output::write_stdout(format_args!("{text}"))?;
    Ok(if measures.iter().all(|m| m.ok) { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
