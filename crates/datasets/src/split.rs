//! Train / validation / test folds that never put one recording (or one artist) on two sides.
//!
//! A [`Fold`] holds track indices. Folds come from a dataset's own lists (GTZAN's filtered
//! lists, FMA's `set` column, ...) or from [`stratified_group_kfold`]; either way every file of
//! a clip travels together, and [`check_leakage`] proves it before any training or evaluation.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};
use crate::track::Dataset;

/// One train / validation / test partition of a dataset's tracks (by index).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Fold {
    /// e.g. `filtered`, `folds3/2`, `kfold5/1`.
    pub name: String,
    /// Training tracks.
    pub train: Vec<usize>,
    /// Validation tracks (model selection, early stopping).
    pub valid: Vec<usize>,
    /// Test tracks.
    pub test: Vec<usize>,
    /// Clips named by the split lists that the dataset does not have (e.g. a held-back test set).
    pub missing: usize,
}

impl Fold {
    /// An empty fold.
    pub fn named(name: &str) -> Self {
        Self { name: name.to_string(), ..Self::default() }
    }

    /// The indices of one side: `train`, `valid` or `test`.
    pub fn side(&self, side: Side) -> &[usize] {
        match side {
            Side::Train => &self.train,
            Side::Valid => &self.valid,
            Side::Test => &self.test,
        }
    }

    fn side_mut(&mut self, side: Side) -> &mut Vec<usize> {
        match side {
            Side::Train => &mut self.train,
            Side::Valid => &mut self.valid,
            Side::Test => &mut self.test,
        }
    }

    /// Puts every track of each listed clip on `side` (counting clips not in the dataset).
    pub(crate) fn assign(&mut self, side: &str, clips: &[String], by_clip: &BTreeMap<String, Vec<usize>>) {
        let side = Side::parse(side).unwrap_or(Side::Train);
        for clip in clips {
            match by_clip.get(clip) {
                Some(tracks) => self.side_mut(side).extend(tracks),
                None => self.missing += 1,
            }
        }
        let v = self.side_mut(side);
        v.sort_unstable();
        v.dedup();
    }

    /// Tracks on no side.
    pub fn unassigned(&self, dataset: &Dataset) -> usize {
        dataset.tracks.len() - self.train.len() - self.valid.len() - self.test.len()
    }
}

/// A side of a fold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Training.
    Train,
    /// Validation.
    Valid,
    /// Test.
    Test,
}

impl Side {
    /// All sides.
    pub const ALL: [Side; 3] = [Side::Train, Side::Valid, Side::Test];

    /// Reads the spellings datasets use: `train`/`training`, `valid`/`validation`/`val`, `test`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "train" | "training" | "tr" => Some(Self::Train),
            "valid" | "validation" | "val" | "va" | "dev" => Some(Self::Valid),
            "test" | "testing" | "te" | "eval" | "evaluate" => Some(Self::Test),
            _ => None,
        }
    }

    /// `train`, `valid` or `test`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Train => "train",
            Self::Valid => "valid",
            Self::Test => "test",
        }
    }
}

/// What a leakage check groups by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    /// The recording: every file and segment of one clip.
    Clip,
    /// The artist (tracks with no known artist count as their own clip's group).
    Artist,
}

impl GroupBy {
    /// The group of track `i`.
    pub fn key(self, dataset: &Dataset, i: usize) -> String {
        let t = &dataset.tracks[i];
        match (self, &t.artist) {
            (GroupBy::Artist, Some(a)) => format!("artist:{a}"),
            _ => format!("clip:{}", t.clip),
        }
    }
}

impl std::str::FromStr for GroupBy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "clip" | "track" => Ok(Self::Clip),
            "artist" => Ok(Self::Artist),
            other => Err(Error::InvalidParameter(format!("unknown grouping '{other}' (known: clip, artist)"))),
        }
    }
}

/// The groups found on more than one side of a fold.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LeakageReport {
    /// The fold's name.
    pub fold: String,
    /// What was grouped by.
    pub by: GroupBy,
    /// Each leaking group with the sides it is on.
    pub groups: Vec<(String, Vec<Side>)>,
}

impl std::fmt::Display for LeakageReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let by = match self.by {
            GroupBy::Clip => "clips",
            GroupBy::Artist => "artists",
        };
        write!(f, "split '{}' leaks: {} {by} on more than one side", self.fold, self.groups.len())?;
        for (group, sides) in self.groups.iter().take(5) {
            let sides: Vec<&str> = sides.iter().map(|s| s.name()).collect();
            write!(f, "; {group} in {}", sides.join("+"))?;
        }
        if self.groups.len() > 5 {
            write!(f, "; ...")?;
        }
        Ok(())
    }
}

/// Checks that no group (clip, or artist and clip) is on two sides of `fold`, and that no
/// track is on a side twice.
///
/// # Errors
/// [`Error::Leakage`] listing the groups that cross.
///
/// # Example
/// ```
/// use genrecast_datasets::{check_leakage, Dataset, DatasetKind, Fold, GroupBy, Track};
/// let track = |clip: &str| Track { path: format!("{clip}.wav").into(), clip: clip.into(), labels: vec!["rock".into()],
///     artist: None, split: None, variant: None };
/// let ds = Dataset::new(DatasetKind::Folder, ".".into(), vec![track("a"), track("a"), track("b")], false, vec![]);
/// let fold = Fold { name: "x".into(), train: vec![0, 2], test: vec![1], ..Fold::default() };
/// assert!(check_leakage(&ds, &fold, GroupBy::Clip).is_err()); // clip "a" on both sides
/// ```
pub fn check_leakage(dataset: &Dataset, fold: &Fold, by: GroupBy) -> Result<()> {
    let mut sides_of: BTreeMap<String, BTreeSet<Side>> = BTreeMap::new();
    let mut keys = vec![GroupBy::Clip];
    if by == GroupBy::Artist {
        keys.push(GroupBy::Artist);
    }
    for side in Side::ALL {
        for &i in fold.side(side) {
            if i >= dataset.tracks.len() {
                return Err(Error::InvalidParameter(format!("split '{}' names track {i}, the dataset has {}", fold.name, dataset.tracks.len())));
            }
            for key in &keys {
                sides_of.entry(key.key(dataset, i)).or_default().insert(side);
            }
        }
    }
    let groups: Vec<(String, Vec<Side>)> =
        sides_of.into_iter().filter(|(_, s)| s.len() > 1).map(|(g, s)| (g, s.into_iter().collect())).collect();
    if groups.is_empty() {
        Ok(())
    } else {
        Err(Error::Leakage(LeakageReport { fold: fold.name.clone(), by, groups }))
    }
}

/// Splits `indices` into `k` folds so that each group (see [`GroupBy`]) lands in exactly one
/// fold and each fold's class proportions stay close to the whole: the greedy algorithm of
/// scikit-learn's `StratifiedGroupKFold(shuffle=True)`, seeded. Returns `k` folds with `train`
/// and `test` set (no `valid`; see [`holdout`]).
///
/// Groups are the artist for [`GroupBy::Artist`], else the clip; class is each track's first
/// label.
///
/// # Errors
/// [`Error::InvalidParameter`] when `k < 2` or there are fewer groups than folds.
pub fn stratified_group_kfold(dataset: &Dataset, indices: &[usize], k: usize, by: GroupBy, seed: u64) -> Result<Vec<Fold>> {
    let assignment = assign_groups(dataset, indices, k, by, seed)?;
    Ok((0..k)
        .map(|f| {
            let mut fold = Fold::named(&format!("kfold{k}/{}", f + 1));
            for (&i, &g) in indices.iter().zip(&assignment) {
                if g == f {
                    fold.test.push(i);
                } else {
                    fold.train.push(i);
                }
            }
            fold
        })
        .collect())
}

/// Moves about `fraction` of `indices` (whole groups, stratified) out as a held-out set.
/// Returns `(kept, held_out)`.
///
/// # Errors
/// As [`stratified_group_kfold`], e.g. for a fraction outside (0, 0.5].
pub fn holdout(dataset: &Dataset, indices: &[usize], fraction: f64, by: GroupBy, seed: u64) -> Result<(Vec<usize>, Vec<usize>)> {
    if !(fraction > 0.0 && fraction <= 0.5) {
        return Err(Error::InvalidParameter(format!("held-out fraction {fraction} (expected 0 < f <= 0.5)")));
    }
    let k = (1.0 / fraction).round().max(2.0) as usize;
    let assignment = assign_groups(dataset, indices, k, by, seed)?;
    let (mut kept, mut held) = (Vec::new(), Vec::new());
    for (&i, &g) in indices.iter().zip(&assignment) {
        if g == 0 { held.push(i) } else { kept.push(i) }
    }
    Ok((kept, held))
}

/// The fold (0..k) of each of `indices`.
fn assign_groups(dataset: &Dataset, indices: &[usize], k: usize, by: GroupBy, seed: u64) -> Result<Vec<usize>> {
    if k < 2 {
        return Err(Error::InvalidParameter(format!("k-fold needs k >= 2, got {k}")));
    }
    let classes = dataset.class_of_tracks();
    let n_classes = dataset.labels.len() + 1; // the last slot: tracks with no label
    let class_of = |i: usize| classes[i].unwrap_or(n_classes - 1);
    // Class histogram of every group, in first-seen order.
    let mut group_ids: HashMap<String, usize> = HashMap::new();
    let mut histograms: Vec<Vec<f64>> = Vec::new();
    let group_of: Vec<usize> = indices
        .iter()
        .map(|&i| {
            let next = group_ids.len();
            let g = *group_ids.entry(by.key(dataset, i)).or_insert(next);
            if g == histograms.len() {
                histograms.push(vec![0.0; n_classes]);
            }
            histograms[g][class_of(i)] += 1.0;
            g
        })
        .collect();
    if histograms.len() < k {
        return Err(Error::InvalidParameter(format!("{} groups cannot fill {k} folds", histograms.len())));
    }
    let totals: Vec<f64> = (0..n_classes).map(|c| histograms.iter().map(|h| h[c]).sum()).collect();
    // Shuffle, then take the groups with the most uneven class mix first (as scikit-learn).
    let mut order: Vec<usize> = (0..histograms.len()).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let spread = |h: &[f64]| std_dev(h);
    order.sort_by(|&a, &b| spread(&histograms[b]).total_cmp(&spread(&histograms[a])));
    let mut fold_hist = vec![vec![0.0; n_classes]; k];
    let mut fold_of_group = vec![0usize; histograms.len()];
    for g in order {
        let mut best = (f64::INFINITY, usize::MAX, 0usize);
        for f in 0..k {
            for c in 0..n_classes {
                fold_hist[f][c] += histograms[g][c];
            }
            // Mean over classes of the spread of that class's share across folds.
            let cost: f64 = (0..n_classes)
                .filter(|&c| totals[c] > 0.0)
                .map(|c| std_dev(&fold_hist.iter().map(|h| h[c] / totals[c]).collect::<Vec<_>>()))
                .sum::<f64>()
                / n_classes as f64;
            for c in 0..n_classes {
                fold_hist[f][c] -= histograms[g][c];
            }
            let size = fold_hist[f].iter().sum::<f64>() as usize;
            if cost < best.0 - 1e-12 || ((cost - best.0).abs() <= 1e-12 && size < best.1) {
                best = (cost, size, f);
            }
        }
        let f = best.2;
        for c in 0..n_classes {
            fold_hist[f][c] += histograms[g][c];
        }
        fold_of_group[g] = f;
    }
    Ok(group_of.into_iter().map(|g| fold_of_group[g]).collect())
}

fn std_dev(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt()
}
