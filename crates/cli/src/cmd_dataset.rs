//! `genrecast dataset summary|split|verify`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use genrecast_audio::decode_check;
use genrecast_datasets::{check_leakage, content_hash, folds, verify_checksums, Dataset, GroupBy, Side};
use rayon::prelude::*;

use crate::args::{DatasetSplitArgs, DatasetSummaryArgs, DatasetVerifyArgs};

/// What a probe of one file found.
struct Probe {
    format: String,
    sample_rate: u32,
    channels: u16,
    seconds: f64,
    hash: [u8; 32],
}

fn probe(path: &Path) -> anyhow::Result<Probe> {
    // Decode fully: a file whose header is fine but whose data is not is unreadable too.
    let (info, frames) = decode_check(path)?;
    let hash = content_hash(path)?;
    Ok(Probe {
        format: format!("{}/{}", info.container, info.codec),
        sample_rate: info.sample_rate,
        channels: info.channels,
        seconds: frames as f64 / f64::from(info.sample_rate.max(1)),
        hash,
    })
}

#[derive(serde::Serialize, Default)]
struct DurationStats {
    min: f64,
    median: f64,
    mean: f64,
    max: f64,
    total_hours: f64,
}

#[derive(serde::Serialize)]
struct Summary<'a> {
    kind: &'static str,
    root: &'a Path,
    files: usize,
    multi_label: bool,
    labels: &'a [String],
    /// label -> split (or "none") -> files
    per_label: BTreeMap<String, BTreeMap<String, usize>>,
    per_split: BTreeMap<String, usize>,
    variants: BTreeMap<String, usize>,
    clips: usize,
    artists: Option<usize>,
    clips_with_several_files: usize,
    /// The same clip id more than once within one variant: a real duplicate.
    duplicate_clip_ids: Vec<(String, Vec<PathBuf>)>,
    /// Files with identical bytes.
    identical_content: Vec<Vec<PathBuf>>,
    missing: Vec<PathBuf>,
    unreadable: Vec<(PathBuf, String)>,
    formats: BTreeMap<String, usize>,
    sample_rates: BTreeMap<u32, usize>,
    channels: BTreeMap<u16, usize>,
    duration_s: Option<DurationStats>,
    notes: &'a [String],
}

pub fn summary(args: DatasetSummaryArgs) -> anyhow::Result<ExitCode> {
    let ds = args.source.open()?;
    let mut per_label: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut per_split: BTreeMap<String, usize> = BTreeMap::new();
    let mut variants: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_clip_variant: BTreeMap<(&str, Option<&str>), Vec<PathBuf>> = BTreeMap::new();
    let mut files_per_clip: HashMap<&str, usize> = HashMap::new();
    for t in &ds.tracks {
        let split = t.split.clone().unwrap_or_else(|| "none".into());
        *per_split.entry(split.clone()).or_default() += 1;
        let labels: Vec<&String> = if ds.multi_label { t.labels.iter().collect() } else { t.labels.first().into_iter().collect() };
        for l in labels {
            *per_label.entry(l.clone()).or_default().entry(split.clone()).or_default() += 1;
        }
        if let Some(v) = &t.variant {
            *variants.entry(v.clone()).or_default() += 1;
        }
        by_clip_variant.entry((t.clip.as_str(), t.variant.as_deref())).or_default().push(t.path.clone());
        *files_per_clip.entry(t.clip.as_str()).or_default() += 1;
    }
    let duplicate_clip_ids: Vec<(String, Vec<PathBuf>)> =
        by_clip_variant.into_iter().filter(|(_, p)| p.len() > 1).map(|((c, _), p)| (c.to_string(), p)).collect();
    let artists = ds.tracks.iter().any(|t| t.artist.is_some()).then(|| ds.tracks.iter().filter_map(|t| t.artist.as_deref()).collect::<std::collections::BTreeSet<_>>().len());

    let (present, missing): (Vec<&Path>, Vec<&Path>) = ds.tracks.iter().map(|t| t.path.as_path()).partition(|p| p.is_file());
    let mut summary = Summary {
        kind: ds.kind.name(),
        root: &ds.root,
        files: ds.tracks.len(),
        multi_label: ds.multi_label,
        labels: &ds.labels,
        per_label,
        per_split,
        variants,
        clips: files_per_clip.len(),
        artists,
        clips_with_several_files: files_per_clip.values().filter(|&&n| n > 1).count(),
        duplicate_clip_ids,
        identical_content: Vec::new(),
        missing: missing.iter().map(|p| p.to_path_buf()).collect(),
        unreadable: Vec::new(),
        formats: BTreeMap::new(),
        sample_rates: BTreeMap::new(),
        channels: BTreeMap::new(),
        duration_s: None,
        notes: &ds.notes,
    };
    // MSD per-track files hold Echo Nest features, not audio: there is nothing to decode.
    let audio = ds.kind != genrecast_datasets::DatasetKind::Tagtraum;
    if !args.no_probe && audio && !present.is_empty() {
        let bar = crate::progress::bar(present.len(), args.quiet, "files probed");
        let probes: Vec<(PathBuf, anyhow::Result<Probe>)> = present
            .par_iter()
            .map(|p| {
                let r = probe(p);
                bar.inc(1);
                (p.to_path_buf(), r)
            })
            .collect();
        bar.finish_and_clear();
        let mut seconds = Vec::new();
        let mut by_hash: BTreeMap<[u8; 32], Vec<PathBuf>> = BTreeMap::new();
        for (path, r) in probes {
            match r {
                Ok(p) => {
                    *summary.formats.entry(p.format).or_default() += 1;
                    *summary.sample_rates.entry(p.sample_rate).or_default() += 1;
                    *summary.channels.entry(p.channels).or_default() += 1;
                    seconds.push(p.seconds);
                    by_hash.entry(p.hash).or_default().push(path);
                }
                Err(e) => summary.unreadable.push((path, crate::report::chain(&e))),
            }
        }
        summary.identical_content = by_hash.into_values().filter(|v| v.len() > 1).collect();
        if !seconds.is_empty() {
            seconds.sort_by(f64::total_cmp);
            let total: f64 = seconds.iter().sum();
            summary.duration_s = Some(DurationStats {
                min: seconds[0],
                median: seconds[seconds.len() / 2],
                mean: total / seconds.len() as f64,
                max: seconds[seconds.len() - 1],
                total_hours: total / 3600.0,
            });
        }
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_summary(&summary)?;
    }
    Ok(if summary.unreadable.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn print_summary(s: &Summary<'_>) -> anyhow::Result<()> {
    outln!("{} dataset at {}", s.kind, s.root.display());
    let artists = s.artists.map(|a| format!(", {a} artists")).unwrap_or_default();
    outln!("{} files, {} clips{artists}, {} labels ({})", s.files, s.clips, s.labels.len(), if s.multi_label { "multi-label" } else { "single-label" });
    let splits: Vec<&String> = s.per_split.keys().collect();
    let width = s.per_label.keys().map(String::len).max().unwrap_or(5).max(5);
    outln!("\n{:width$}  {:>7}  {}", "label", "files", splits.iter().map(|k| format!("{k:>7}")).collect::<Vec<_>>().join("  "));
    for (label, by_split) in &s.per_label {
        let total: usize = by_split.values().sum();
        let cells: Vec<String> = splits.iter().map(|k| format!("{:>7}", by_split.get(*k).copied().unwrap_or(0))).collect();
        outln!("{label:width$}  {total:>7}  {}", cells.join("  "));
    }
    let cells: Vec<String> = splits.iter().map(|k| format!("{:>7}", s.per_split[*k])).collect();
    outln!("{:width$}  {:>7}  {}", "all", s.files, cells.join("  "));
    if !s.variants.is_empty() {
        outln!("\nvariants: {}", join_counts(&s.variants));
    }
    if !s.formats.is_empty() {
        outln!("\nformats: {}", join_counts(&s.formats));
        outln!("sample rates: {}", join_counts(&s.sample_rates));
        outln!("channels: {}", join_counts(&s.channels));
    }
    if let Some(d) = &s.duration_s {
        outln!("duration: min {:.2} s, median {:.2} s, mean {:.2} s, max {:.2} s, total {:.2} h", d.min, d.median, d.mean, d.max, d.total_hours);
    }
    outln!("\nclips with several files (variants, segments): {}", s.clips_with_several_files);
    outln!("duplicate clip ids within one variant: {}", s.duplicate_clip_ids.len());
    for (clip, paths) in s.duplicate_clip_ids.iter().take(10) {
        outln!("  {clip}: {}", paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "));
    }
    if !s.identical_content.is_empty() {
        outln!("files with identical content: {} groups", s.identical_content.len());
        for group in s.identical_content.iter().take(10) {
            outln!("  {}", group.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" = "));
        }
    }
    outln!("missing files: {}", s.missing.len());
    for p in s.missing.iter().take(5) {
        outln!("  {}", p.display());
    }
    outln!("unreadable files: {}", s.unreadable.len());
    for (p, e) in &s.unreadable {
        outln!("  {}: {e}", p.display());
    }
    for n in s.notes {
        outln!("note: {n}");
    }
    Ok(())
}

fn join_counts<K: std::fmt::Display>(m: &BTreeMap<K, usize>) -> String {
    m.iter().map(|(k, v)| format!("{k} x{v}")).collect::<Vec<_>>().join(", ")
}

pub fn split(args: DatasetSplitArgs) -> anyhow::Result<ExitCode> {
    let ds = args.source.open()?;
    let by: GroupBy = args.group_by.parse()?;
    let folds = folds(&ds, &args.split)?;
    let mut leaks = 0;
    for fold in &folds {
        let sizes: Vec<String> = Side::ALL.iter().map(|s| format!("{} {}", s.name(), fold.side(*s).len())).collect();
        let extra = if fold.missing > 0 { format!(", {} listed clips not in the dataset", fold.missing) } else { String::new() };
        outln!("{}: {} (unassigned {}{extra})", fold.name, sizes.join(", "), fold.unassigned(&ds));
        if let Err(e) = check_leakage(&ds, fold, by) {
            leaks += 1;
            eprintln!("{}: {e}", if args.allow_leakage { "warning" } else { "error" });
        }
        if let Some(out) = &args.out {
            write_fold(out, &ds, fold)?;
        }
    }
    if leaks > 0 && !args.allow_leakage {
        bail!("{leaks} of {} folds leak (pass --allow-leakage to use them anyway)", folds.len());
    }
    Ok(ExitCode::SUCCESS)
}

fn write_fold(out: &Path, ds: &Dataset, fold: &genrecast_datasets::Fold) -> anyhow::Result<()> {
    let dir = out.join(fold.name.replace('/', "_"));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for side in Side::ALL {
        let mut text = String::new();
        for &i in fold.side(side) {
            let t = &ds.tracks[i];
            text.push_str(&format!("{}\t{}\n", t.path.display(), t.labels.join("|")));
        }
        genrecast_features::write_atomic(&dir.join(format!("{}.txt", side.name())), |w| std::io::Write::write_all(w, text.as_bytes()))?;
    }
    Ok(())
}

pub fn verify(args: DatasetVerifyArgs) -> anyhow::Result<ExitCode> {
    let list = match args.checksums {
        Some(l) => l,
        None => {
            let name = args.audio_root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let beside = args.audio_root.with_file_name(format!("{name}_checksums"));
            if !beside.is_file() {
                bail!("no checksum list given and none at {}", beside.display());
            }
            beside
        }
    };
    let report = verify_checksums(&list, &args.audio_root)?;
    outln!("{} files match {}", report.ok, list.display());
    for (file, want, got) in &report.mismatched {
        outln!("MISMATCH {file}: expected {want}, found {got}");
    }
    if !report.unlisted.is_empty() {
        outln!("{} files are not in the list (e.g. {})", report.unlisted.len(), report.unlisted[0]);
    }
    outln!("{} listed files are not present", report.absent);
    Ok(if report.mismatched.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
