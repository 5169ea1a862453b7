//! The bench-embeddings table: how well each embedding of a dataset's tracks groups its
//! genres (k-NN across artists, silhouette).

use std::collections::HashMap;
use std::path::Path;

use genrecast_datasets::{Dataset, Fold};

use crate::error::Result;
use crate::feature_sets::{audio_set, class_of, group_ids};
use crate::{BenchEmbeddingsOptions, DatasetSource, Runtime};

/// One embedding's figures.
#[derive(Clone, Debug, serde::Serialize)]
pub struct EmbeddingRow {
    /// The embedding as named (a feature set or a model folder).
    pub embedding: String,
    /// Its values per track.
    pub dimensions: usize,
    /// Tracks embedded.
    pub tracks: usize,
    /// k-NN genre accuracy, every neighbour from another artist.
    pub knn_accuracy: f64,
    /// The same, balanced over genres.
    pub knn_balanced_accuracy: f64,
    /// Silhouette of the genres, euclidean distance.
    pub silhouette_euclidean: Option<f64>,
    /// Silhouette of the genres, cosine distance.
    pub silhouette_cosine: Option<f64>,
    /// k-NN accuracy per dataset variant.
    pub per_variant_knn_accuracy: std::collections::BTreeMap<String, f64>,
}

/// `bench-embeddings`: k-NN genre accuracy with every neighbour from another artist, and the
/// silhouette of the genres, for each embedding of the dataset's tracks. Returns the dataset
/// and one row per embedding that gave three tracks or more.
///
/// ```no_run
/// use genrecast_experiments::{bench_embeddings, BenchEmbeddingsOptions, DatasetSource, Runtime, Stderr};
/// let opts = BenchEmbeddingsOptions { embeddings: vec!["summary".into()], ..Default::default() };
/// let rt = Runtime { device: genrecast_models::ComputeDevice::Cpu, cache: None, progress: &Stderr };
/// let (_ds, rows) = bench_embeddings(&DatasetSource::new("../shared/data/gtzan"), &opts, &rt)?;
/// println!("{:.3}", rows[0].knn_accuracy);
/// # Ok::<(), genrecast_experiments::Error>(())
/// ```
///
/// # Errors
/// A dataset, model or feature set that cannot be read, or `rt.device` not being there.
pub fn bench_embeddings(source: &DatasetSource, args: &BenchEmbeddingsOptions, rt: &Runtime) -> Result<(Dataset, Vec<EmbeddingRow>)> {
    // A device that is not there stops the run before anything is read, whichever rows would
    // have used it: never a quiet CPU run, nor a row failure per model.
    rt.device.burn_device()?;
    let ds = source.open()?;
    let all: Vec<usize> = (0..ds.tracks.len()).filter(|&i| class_of(&ds, i).is_some()).collect();
    let everything = vec![Fold { name: "all".into(), train: all.clone(), ..Fold::default() }];
    let groups = group_ids(&ds);
    let mut rows = Vec::new();
    for name in args.embeddings.iter().filter(|e| !e.is_empty()) {
        // Per-track vectors: a preset's crop vectors averaged, or a trained model's song
        // embedding on the tracks it never saw.
        let vectors: HashMap<usize, Vec<f32>> = if Path::new(name).is_dir() {
            let classifier = genrecast_models::Classifier::open_on(name, rt.device)?;
            let card = classifier.card();
            let seen_clips: std::collections::HashSet<&str> = card.trained_on.clips.iter().map(String::as_str).collect();
            let seen_artists: std::collections::HashSet<&str> = card.trained_on.artists.iter().map(String::as_str).collect();
            let unseen: Vec<usize> = all.iter().copied().filter(|&i| !seen_clips.contains(ds.tracks[i].clip.as_str()) && !ds.tracks[i].artist.as_deref().is_some_and(|a| seen_artists.contains(a))).collect();
            rt.progress.note(&format!("{name}: {} of {} tracks are outside its training data", unseen.len(), all.len()));
            let pb = rt.progress.start(unseen.len(), "tracks embedded");
            let out: Vec<(usize, Option<Vec<f32>>)> = {
                use rayon::prelude::*;
                unseen
                    .par_iter()
                    .map_init(|| genrecast_models::Classifier::open_on(name, rt.device), |c, &i| {
                        let v = c.as_ref().ok().and_then(|c| c.classify_file(&ds.tracks[i].path, genrecast_models::Aggregation::Mean).ok()).map(|p| p.embedding);
                        pb.inc();
                        (i, v)
                    })
                    .collect()
            };
            pb.finish();
            out.into_iter().filter_map(|(i, v)| Some((i, v?))).collect()
        } else {
            let set = audio_set(rt, &ds, &everything, name)?;
            set.rows
                .into_iter()
                .filter(|(_, r)| !r.is_empty())
                .map(|(i, r)| {
                    let mut mean = vec![0.0f32; r[0].len()];
                    for row in &r {
                        mean.iter_mut().zip(row).for_each(|(m, v)| *m += v / r.len() as f32);
                    }
                    (i, mean)
                })
                .collect()
        };
        let mut idx: Vec<usize> = vectors.keys().copied().collect();
        idx.sort_unstable();
        if idx.len() < 3 {
            rt.progress.note(&format!("error: {name}: only {} tracks embedded", idx.len()));
            continue;
        }
        // Standardised per dimension, so that no feature's scale dominates a distance.
        let raw: Vec<Vec<f32>> = idx.iter().map(|i| vectors[i].clone()).collect();
        let st = genrecast_classic::Standardizer::fit(&raw);
        let x: Vec<Vec<f32>> = raw.iter().map(|r| st.transform(r).into_iter().map(|v| v as f32).collect()).collect();
        let y: Vec<usize> = idx.iter().map(|&i| class_of(&ds, i).unwrap_or(0)).collect();
        let g: Vec<usize> = idx.iter().map(|&i| groups[i]).collect();
        let pred = genrecast_eval::knn_leave_group_out(&x, &y, &g, args.k);
        let cm = genrecast_eval::ConfusionMatrix::new(ds.labels.len(), y.iter().copied().zip(pred.iter().copied()));
        let mut variants: std::collections::BTreeMap<String, (usize, usize)> = std::collections::BTreeMap::new();
        for ((&i, &t), &p) in idx.iter().zip(&y).zip(&pred) {
            let e = variants.entry(ds.tracks[i].variant.clone().unwrap_or_else(|| "-".into())).or_default();
            e.0 += usize::from(t == p);
            e.1 += 1;
        }
        let row = EmbeddingRow {
            embedding: name.clone(),
            dimensions: x[0].len(),
            tracks: x.len(),
            knn_accuracy: cm.accuracy(),
            knn_balanced_accuracy: cm.balanced_accuracy(),
            silhouette_euclidean: genrecast_eval::silhouette(&x, &y, genrecast_eval::Distance::Euclidean),
            silhouette_cosine: genrecast_eval::silhouette(&x, &y, genrecast_eval::Distance::Cosine),
            per_variant_knn_accuracy: variants.into_iter().map(|(k, (c, n))| (k, c as f64 / n as f64)).collect(),
        };
        rt.progress.note(&format!("{name}: {}-NN accuracy {:.3}", args.k, row.knn_accuracy));
        rows.push(row);
    }
    Ok((ds, rows))
}
