//! Grid search over grouped folds: no group (artist, clip) is on both sides of any inner split.

use rayon::prelude::*;

use crate::{ClassicModel, Result};

/// The outcome of a grid search.
#[derive(Clone, Debug, serde::Serialize)]
pub struct GridResult {
    /// The candidate with the best mean score (the first on ties).
    pub best: ClassicModel,
    /// Every candidate with its mean inner-fold balanced accuracy.
    pub scores: Vec<(ClassicModel, f64)>,
    /// Candidates that failed to fit on some inner fold, with the reason (they are not
    /// chosen).
    pub failed: Vec<(ClassicModel, String)>,
}

/// Assigns each distinct group to one of `k` folds, round-robin over the groups in an order
/// shuffled by `seed`; returns the fold of each row.
///
/// # Example
/// ```
/// let folds = genrecast_classic::grouped_folds(&[7, 7, 3, 3, 9], 2, 1);
/// assert_eq!(folds[0], folds[1]); // one group, one fold
/// assert_eq!(folds[2], folds[3]);
/// ```
pub fn grouped_folds(groups: &[usize], k: usize, seed: u64) -> Vec<usize> {
    use rand08::{rngs::SmallRng, seq::SliceRandom, SeedableRng};
    let mut distinct: Vec<usize> = groups.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    distinct.shuffle(&mut SmallRng::seed_from_u64(seed));
    let fold_of: std::collections::HashMap<usize, usize> = distinct.iter().enumerate().map(|(i, &g)| (g, i % k.max(1))).collect();
    groups.iter().map(|g| fold_of[g]).collect()
}

fn balanced_accuracy(truth: &[usize], probs: &[Vec<f32>], n_classes: usize) -> f64 {
    let pairs = truth.iter().zip(probs).map(|(&t, p)| (t, genrecast_eval::argmax(p)));
    genrecast_eval::ConfusionMatrix::new(n_classes, pairs).balanced_accuracy()
}

/// How a grid search splits its training rows: `folds` grouped folds, drawn `repeats` times
/// with the seeds `seed`, `seed + 1`, ... A single draw of a few artist-grouped folds on a
/// few hundred tracks is noisy: on the GTZAN slice the RBF SVM's choice of C and gamma, and
/// with it a fold's test score, changed with the seed alone. Averaging over repeated draws
/// (as scikit-learn's `RepeatedStratifiedGroupKFold` would) steadies the choice.
///
/// # Example
/// ```
/// let cv = genrecast_classic::InnerFolds { folds: 3, repeats: 3, seed: 1 };
/// assert_eq!(cv.to_string(), "3 artist-grouped inner folds drawn 3 times");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct InnerFolds {
    /// Folds per draw.
    pub folds: usize,
    /// Draws of the folds, each with its own seed.
    pub repeats: usize,
    /// Seed of the first draw (and of each candidate's own fit).
    pub seed: u64,
}

impl std::fmt::Display for InnerFolds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.repeats {
            0 | 1 => write!(f, "{} artist-grouped inner folds", self.folds),
            r => write!(f, "{} artist-grouped inner folds drawn {r} times", self.folds),
        }
    }
}

/// Scores each of `candidates` by grouped cross-validation on (`x`, `y`), grouping rows by
/// `groups`, over the folds of `cv`, and returns the best by mean balanced accuracy over
/// every inner fold of every draw. Candidates run in parallel.
///
/// A candidate that fails to fit on an inner fold (e.g. linfa's Platt scaling not converging)
/// is set aside and reported in [`GridResult::failed`].
///
/// # Errors
/// The first candidate's error when every candidate fails.
pub fn grid_search(candidates: &[ClassicModel], x: &[Vec<f32>], y: &[usize], groups: &[usize], n_classes: usize, cv: InnerFolds) -> Result<GridResult> {
    let k = cv.folds;
    let draws: Vec<Vec<usize>> = (0..cv.repeats.max(1) as u64).map(|r| grouped_folds(groups, k, cv.seed + r)).collect();
    let seed = cv.seed;
    let outcomes: Vec<(ClassicModel, Result<f64>)> = candidates
        .par_iter()
        .map(|m| {
            let score = || -> Result<f64> {
                let mut total = 0.0;
                let mut used = 0;
                for folds in &draws {
                    for f in 0..k {
                        let (tr, te): (Vec<usize>, Vec<usize>) = (0..x.len()).partition(|&i| folds[i] != f);
                        if tr.is_empty() || te.is_empty() {
                            continue;
                        }
                        let pick = |idx: &[usize]| -> (Vec<Vec<f32>>, Vec<usize>) { (idx.iter().map(|&i| x[i].clone()).collect(), idx.iter().map(|&i| y[i]).collect()) };
                        let (xtr, ytr) = pick(&tr);
                        let (xte, yte) = pick(&te);
                        let fitted = m.fit(&xtr, &ytr, n_classes, seed)?;
                        total += balanced_accuracy(&yte, &fitted.predict_proba(&xte), n_classes);
                        used += 1;
                    }
                }
                Ok(if used > 0 { total / f64::from(used) } else { 0.0 })
            };
            (m.clone(), score())
        })
        .collect();
    let mut scores = Vec::new();
    let mut failed = Vec::new();
    let mut first_error = None;
    for (m, r) in outcomes {
        match r {
            Ok(s) => scores.push((m, s)),
            Err(e) => {
                failed.push((m, e.to_string()));
                first_error.get_or_insert(e);
            }
        }
    }
    if scores.is_empty() {
        if let Some(e) = first_error {
            return Err(e);
        }
    }
    let best = scores.iter().fold(None::<&(ClassicModel, f64)>, |b, s| match b {
        Some(b) if b.1 >= s.1 => Some(b),
        _ => Some(s),
    });
    let best = best.map(|b| b.0.clone()).unwrap_or_else(|| candidates.first().cloned().unwrap_or(ClassicModel::Knn { k: 5 }));
    Ok(GridResult { best, scores, failed })
}
