//! `genrecast cache stats|verify|clear`.

use std::process::ExitCode;

use genrecast_datasets::FeatureCache;

use crate::args::CacheCommand;

pub fn run(cmd: CacheCommand) -> anyhow::Result<ExitCode> {
    let (args, what) = match &cmd {
        CacheCommand::Stats(a) => (a, "stats"),
        CacheCommand::Verify(a) => (a, "verify"),
        CacheCommand::Clear(a) => (a, "clear"),
    };
    let dir = args.cache_dir.clone().unwrap_or_else(FeatureCache::default_dir);
    let cache = FeatureCache::open(&dir)?;
    let mut code = ExitCode::SUCCESS;
    let value = match what {
        "stats" => {
            let s = cache.stats()?;
            if !args.json {
                outln!("{}: {} entries, {:.1} MB, {} temporary files", s.dir.display(), s.entries, s.bytes as f64 / 1e6, s.temp_files);
            }
            serde_json::to_value(s)?
        }
        "verify" => {
            let (good, bad) = cache.verify()?;
            if !args.json {
                outln!("{}: {good} entries intact, {} damaged (deleted)", dir.display(), bad.len());
                for (p, e) in &bad {
                    outln!("  {}: {e}", p.display());
                }
            }
            if !bad.is_empty() {
                code = ExitCode::from(1);
            }
            serde_json::json!({ "dir": dir, "intact": good, "damaged": bad })
        }
        _ => {
            let s = cache.clear()?;
            if !args.json {
                outln!("{}: removed {} entries ({:.1} MB) and {} temporary files", s.dir.display(), s.entries, s.bytes as f64 / 1e6, s.temp_files);
            }
            serde_json::to_value(s)?
        }
    };
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&value)?);
    }
    Ok(code)
}
