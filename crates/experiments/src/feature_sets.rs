//! The feature sets of a benchmark: per-track rows from audio (our summary, pretrained
//! backbones side by side), from segment descriptors (rp_extract, Marsyas-style timbral), or
//! from a precomputed table.

use std::collections::HashMap;
use std::path::Path;

use genrecast_datasets::{folds, load_gtzan_table, Dataset, Fold};
use genrecast_models::{crop, InputPreset, InputSpec};

use crate::error::{bail, Context, Result};
use crate::inputs::matrices;
use crate::{BenchModelsOptions, Progress, Runtime};

/// The summary rows of every track of one feature set: several crops per track, or one row.
///
/// ```no_run
/// use genrecast_experiments::{feature_set, DatasetSource, Runtime, Stderr, BenchModelsOptions};
/// let ds = DatasetSource::new("../shared/data/gtzan").open()?;
/// let folds = genrecast_datasets::folds(&ds, "folds3")?;
/// let rt = Runtime { device: genrecast_models::ComputeDevice::Cpu, cache: None, progress: &Stderr };
/// let set = feature_set(&BenchModelsOptions::default(), &ds, &folds, "summary", &rt)?;
/// println!("{}: {} tracks", set.description, set.rows.len());
/// # Ok::<(), genrecast_experiments::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct FeatureSet {
    /// Its name as given (`summary`, `musicnn-msd+vgg-msd`, `ssd+rh`, `table`).
    pub name: String,
    /// What the rows are, for the report.
    pub description: String,
    /// The dataset the rows are of (a table brings its own).
    pub ds: Dataset,
    /// The folds scored.
    pub folds: Vec<Fold>,
    /// Rows of each track (absent: the track failed or has no label).
    pub rows: HashMap<usize, Vec<Vec<f32>>>,
    /// Files that could not be analysed, each with its cause (left out of every row).
    pub failed_files: Vec<String>,
}

/// The feature set `name` of `ds` over `all_folds`: a precomputed table, segment
/// descriptors, or inputs computed from audio (summary, backbones).
///
/// # Errors
/// A name that is no feature set, or a table or extractor that cannot be opened.
pub fn feature_set(args: &BenchModelsOptions, ds: &Dataset, all_folds: &[Fold], name: &str, rt: &Runtime) -> Result<FeatureSet> {
    if name == "table" {
        table_set(args, ds)
    } else if name.split('+').all(|p| SEGMENT_DESCRIPTORS.contains(&p)) {
        descriptor_set(rt.progress, ds, all_folds, name)
    } else {
        audio_set(rt, ds, all_folds, name)
    }
}

/// The class index of track `i`, if it has a label.
pub(crate) fn class_of(ds: &Dataset, i: usize) -> Option<usize> {
    let l = ds.tracks[i].label()?;
    ds.labels.iter().position(|x| x == l)
}

pub(crate) fn audio_set(rt: &Runtime, ds: &Dataset, all_folds: &[Fold], name: &str) -> Result<FeatureSet> {
    // One input, or several backbones' features of the same 3 s patches joined by `+`; a
    // backbone may name its layer after a colon (`musicnn-msd:max-pool`).
    let specs: Vec<InputSpec> = name.split('+').map(input_spec).collect::<Result<_>>()?;
    let presets: Vec<InputPreset> = specs.iter().map(|s| s.preset).collect();
    if presets.iter().any(|p| !matches!(p, InputPreset::Summary) && p.backbone().is_none()) || (presets.len() > 1 && presets.iter().any(|p| p.backbone().is_none())) {
        bail!("feature set '{name}' cannot be used: classic models take summary, a backbone (musicnn-msd, musicnn-mtt, vgg-msd, vgg-mtt, each optionally with :max-pool or :mean-pool), backbones joined by + (e.g. musicnn-msd+vgg-msd:max-pool), or table");
    }
    let needed: Vec<usize> = all_folds.iter().flat_map(|f| f.train.iter().chain(&f.valid).chain(&f.test)).copied().collect();
    let mut failures = Vec::new();
    let per_input: Vec<_> = specs.iter().map(|spec| matrices(ds, &needed, spec, rt, &mut failures)).collect::<Result<_>>()?;
    let mats = join_patches(per_input);
    let spec = &specs[0];
    let rows = mats
        .iter()
        .filter(|(&i, _)| class_of(ds, i).is_some())
        .map(|(&i, m)| {
            // Non-overlapping crops (a backbone's 3 s patches are already disjoint).
            let step = spec.crop_frames.max(1);
            let starts: Vec<usize> = (0..=m.cols.saturating_sub(spec.crop_frames)).step_by(step).collect();
            (i, starts.into_iter().map(|s| crop(m, spec, s)).collect())
        })
        .collect();
    let description = match presets[..] {
        [InputPreset::Summary] => "mean and std of 45 timbral rows over non-overlapping 2 s crops at 22,050 Hz (90-d)".to_string(),
        _ => {
            let dims: usize = specs.iter().map(InputSpec::frame_rows).sum();
            let what = specs.iter().filter_map(|s| Some(format!("{} {}", s.preset.backbone()?.name(), s.layer.name()))).collect::<Vec<_>>().join(" and ");
            format!("{what} features of 3 s patches at 16 kHz, side by side per patch ({dims}-d)")
        }
    };
    Ok(FeatureSet { name: name.into(), description, ds: ds.clone(), folds: all_folds.to_vec(), rows, failed_files: failures })
}

/// One input of a feature set: a preset, and for a backbone an optional `:LAYER`.
fn input_spec(part: &str) -> Result<InputSpec> {
    let (preset, layer) = part.split_once(':').unwrap_or((part, "penultimate"));
    let preset: InputPreset = preset.parse()?;
    if preset.backbone().is_none() && layer != "penultimate" {
        bail!("'{part}': only a backbone has layers");
    }
    Ok(InputSpec::new(preset, 2.0).with_layer(layer.parse()?))
}

/// Several inputs' matrices of the same tracks stacked row-wise, patch by patch: the tracks
/// every input has, cut to the fewest patches any of them has.
fn join_patches(mut per_input: Vec<std::collections::BTreeMap<usize, genrecast_features::Array2>>) -> std::collections::BTreeMap<usize, genrecast_features::Array2> {
    if per_input.len() == 1 {
        return per_input.pop().unwrap_or_default();
    }
    let first = per_input.first().cloned().unwrap_or_default();
    first
        .keys()
        .filter_map(|i| {
            let parts: Vec<genrecast_features::Array2> = per_input.iter().map(|m| m.get(i).cloned()).collect::<Option<_>>()?;
            Some((*i, genrecast_models::join_patches(parts)))
        })
        .collect()
}

/// The descriptors that exist per segment: rp_extract's (TSSD and TRH describe a whole
/// recording's segments and are left out of the benchmark) and the Marsyas-style timbral
/// texture vector.
const SEGMENT_DESCRIPTORS: [&str; 5] = ["rp", "rh", "ssd", "mvd", "timbral"];

/// rp_extract descriptors (`ssd`, or several joined by `+`, e.g. `ssd+rh`) and the
/// Marsyas-style `timbral` vector of every segment (2^17 samples, 5.9 s, as rp_extract cuts
/// them) of every track at 22,050 Hz: one row per segment, as the 90-d summary has one per
/// crop.
fn descriptor_set(progress: &dyn Progress, ds: &Dataset, all_folds: &[Fold], name: &str) -> Result<FeatureSet> {
    use rayon::prelude::*;
    let parts: Vec<&str> = name.split('+').collect();
    let fx = genrecast_descriptors::rp::RpExtractor::new(22_050)?;
    let timbral = genrecast_descriptors::timbral::TimbralExtractor::new(22_050)?;
    let needed: std::collections::BTreeSet<usize> = all_folds.iter().flat_map(|f| f.train.iter().chain(&f.valid).chain(&f.test)).copied().filter(|&i| class_of(ds, i).is_some()).collect();
    let needed: Vec<usize> = needed.into_iter().collect();
    let pb = progress.start(needed.len(), "tracks analysed");
    let results: Vec<(usize, Result<Vec<Vec<f32>>>)> = needed
        .par_iter()
        .map(|&i| {
            let r = descriptor_rows(&ds.tracks[i].path, &parts, &fx, &timbral);
            pb.inc();
            (i, r)
        })
        .collect();
    pb.finish();
    let mut rows = HashMap::new();
    let mut failed_files = Vec::new();
    for (i, r) in results {
        match r {
            Ok(v) => {
                rows.insert(i, v);
            }
            Err(e) => {
                let message = crate::error::chain(&e);
                progress.note(&format!("error: {message}"));
                failed_files.push(message);
            }
        }
    }
    let dims = rows.values().flatten().next().map_or(0, Vec::len);
    let names: Vec<String> = parts.iter().map(|p| if *p == "timbral" { "Marsyas-style timbral texture".to_string() } else { format!("rp_extract {}", p.to_uppercase()) }).collect();
    let description = format!("{} of each 5.9 s segment at 22,050 Hz ({dims}-d)", names.join(" + "));
    Ok(FeatureSet { name: name.into(), description, ds: ds.clone(), folds: all_folds.to_vec(), rows, failed_files })
}

/// One row per rp_extract segment of the track at `path`: the `parts` joined in order.
fn descriptor_rows(path: &Path, parts: &[&str], fx: &genrecast_descriptors::rp::RpExtractor, timbral: &genrecast_descriptors::timbral::TimbralExtractor) -> Result<Vec<Vec<f32>>> {
    let wave = genrecast_audio::load(path, &genrecast_audio::LoadOptions::default())?;
    let d = fx.extract(&wave.samples).with_context(|| path.display().to_string())?;
    d.segments
        .iter()
        .map(|s| {
            let mut row = Vec::new();
            for &p in parts {
                match s.get(p) {
                    Some(v) => row.extend(v.iter().map(|&x| x as f32)),
                    None => {
                        let (a, b) = (s.span.0.min(wave.samples.len()), s.span.1.min(wave.samples.len()));
                        row.extend(timbral.extract(&wave.samples[a..b]).with_context(|| path.display().to_string())?.iter().map(|&x| x as f32));
                    }
                }
            }
            Ok(row)
        })
        .collect()
}

fn table_set(args: &BenchModelsOptions, ds: &Dataset) -> Result<FeatureSet> {
    let path = args.table.clone().unwrap_or_else(|| ds.root.join("kaggle_features/features_30_sec.csv"));
    let (tds, table) = load_gtzan_table(&ds.root, &path, &["length"]).with_context(|| format!("feature table {}", path.display()))?;
    let tfolds = folds(&tds, &args.split)?;
    let rows = table.rows.into_iter().enumerate().filter(|(i, _)| class_of(&tds, *i).is_some()).map(|(i, r)| (i, vec![r])).collect();
    let description = format!("{} ({} columns, one row per 30 s clip)", path.display(), table.columns.len());
    Ok(FeatureSet { name: "table".into(), description, ds: tds, folds: tfolds, rows, failed_files: Vec::new() })
}

/// Group id of each track for the inner folds: its artist, else its clip.
pub fn group_ids(ds: &Dataset) -> Vec<usize> {
    let mut ids: HashMap<String, usize> = HashMap::new();
    ds.tracks
        .iter()
        .map(|t| {
            let key = t.artist.clone().unwrap_or_else(|| format!("clip:{}", t.clip));
            let n = ids.len();
            *ids.entry(key).or_insert(n)
        })
        .collect()
}

