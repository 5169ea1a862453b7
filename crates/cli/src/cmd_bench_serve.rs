//! `genrecast bench serve`: a load test of `genrecast serve` over loopback HTTP. The server
//! runs as its own process (so that its memory is its own), clients are plain threads with a
//! minimal HTTP/1.1 client.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::args::BenchServeArgs;

pub fn run(args: BenchServeArgs) -> anyhow::Result<ExitCode> {
    let song = std::fs::read(&args.song).with_context(|| args.song.display().to_string())?;
    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe)
        .args(["serve", "--addr", "127.0.0.1:0", "--max-queue", "100000"])
        .args(args.serve_args.split_whitespace())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting genrecast serve")?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("server stdout")?).read_line(&mut line)?;
    let Some(port) = line.rsplit("127.0.0.1:").next().and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next()).and_then(|p| p.parse::<u16>().ok()) else {
        let _ = child.kill();
        bail!("the server did not start: {line}");
    };
    let pid = child.id();
    outln!("genrecast serve (pid {pid}) on port {port}; {} per level (requests in flight at the end are waited for and counted); uploading {} ({} kB)\n", format_seconds(args.seconds), args.song.display(), song.len() / 1024);
    outln!("| clients | requests | throughput (songs/s) | p50 latency (s) | p99 latency (s) | errors | server RSS start -> end (max), MB |");
    outln!("|---|---|---|---|---|---|---|");
    let result = levels(&args, port, pid, &song);
    let _ = child.kill();
    let _ = child.wait();
    result?;
    Ok(ExitCode::SUCCESS)
}

/// Runs every level of clients against the server on `port` (process `pid`).
fn levels(args: &BenchServeArgs, port: u16, pid: u32, song: &[u8]) -> anyhow::Result<()> {
    for &clients in &args.clients {
        let rss_start = rss_mb(pid);
        let level_start = Instant::now();
        let deadline = Instant::now() + Duration::from_secs_f64(args.seconds);
        let max_rss = std::sync::atomic::AtomicU64::new(rss_start as u64);
        let series = std::sync::Mutex::new(Vec::new());
        let (latencies, errors) = std::thread::scope(|s| {
            let sampler = s.spawn(|| {
                let mut next_report = args.rss_every;
                while Instant::now() < deadline {
                    let rss = rss_mb(pid);
                    max_rss.fetch_max(rss as u64, std::sync::atomic::Ordering::Relaxed);
                    let t = level_start.elapsed().as_secs_f64();
                    if args.rss_every > 0.0 && t >= next_report {
                        series.lock().unwrap_or_else(|p| p.into_inner()).push((next_report, rss));
                        next_report += args.rss_every;
                    }
                    std::thread::sleep(Duration::from_millis(250));
                }
            });
            let workers: Vec<_> = (0..clients.max(1))
                .map(|_| {
                    s.spawn(|| {
                        let (mut lat, mut err) = (Vec::new(), Vec::new());
                        while Instant::now() < deadline {
                            let t0 = Instant::now();
                            match post(port, "/classify", song) {
                                Ok(200) => lat.push(t0.elapsed().as_secs_f64()),
                                Ok(code) => err.push(format!("HTTP {code}")),
                                Err(e) => err.push(e.to_string()),
                            }
                        }
                        (lat, err)
                    })
                })
                .collect();
            let mut all = (Vec::new(), Vec::new());
            for w in workers {
                if let Ok((l, e)) = w.join() {
                    all.0.extend(l);
                    all.1.extend(e);
                }
            }
            let _ = sampler.join();
            all
        });
        // Requests still in flight at the deadline are waited for and counted.
        let elapsed = level_start.elapsed().as_secs_f64();
        let mut sorted = latencies.clone();
        sorted.sort_by(f64::total_cmp);
        let pct = |q: f64| sorted.get(((sorted.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(f64::NAN);
        let rss_end = rss_mb(pid);
        outln!(
            "| {clients} | {} | {:.2} | {:.3} | {:.3} | {} | {rss_start:.0} -> {rss_end:.0} ({}) |",
            latencies.len(),
            latencies.len() as f64 / elapsed,
            pct(0.5),
            pct(0.99),
            errors.len(),
            max_rss.load(std::sync::atomic::Ordering::Relaxed)
        );
        if let Some(e) = errors.first() {
            eprintln!("  first error at {clients} clients: {e}");
        }
        let series = series.into_inner().unwrap_or_else(|p| p.into_inner());
        if !series.is_empty() {
            let points: Vec<String> = series.iter().map(|(t, mb)| format!("{t:.0} s {mb:.0}")).collect();
            outln!("|  | server RSS (MB) over the level: {} |||||", points.join(", "));
        }
    }
    Ok(())
}

fn format_seconds(s: f64) -> String {
    format!("{s:.0} s")
}

/// The server's resident memory in MB (Linux `/proc`; 0 elsewhere).
fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok()).map_or(0.0, |kb| kb / 1024.0)
}

/// One POST over a fresh connection; the HTTP status.
fn post(port: u16, target: &str, body: &[u8]) -> std::io::Result<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    write!(s, "POST {target} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())?;
    s.write_all(body)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let head = String::from_utf8_lossy(&raw[..raw.len().min(64)]).into_owned();
    head.split(' ').nth(1).and_then(|c| c.parse().ok()).ok_or_else(|| std::io::Error::other(format!("no HTTP status in {head:?}")))
}
