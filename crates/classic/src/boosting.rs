//! Multi-class gradient-boosted trees (softmax loss, second-order leaf values, histogram
//! splits), in the manner of XGBoost and LightGBM.
//!
//! Written here because no maintained crate trains them: linfa has no boosting beyond
//! AdaBoost, smartcore none, and `gbdt` trains only regression and binary losses (multi-class
//! only from XGBoost dumps). Each round fits one regression tree per class to the gradient
//! `p - y` with Hessian `p (1 - p)`; leaves take `-G / (H + lambda)`, shrunk by the learning
//! rate. Features are binned once into at most 64 quantile bins, so a split search is a pass
//! over histograms.

use ndarray::Array2;
use rand08::{rngs::SmallRng, seq::SliceRandom, SeedableRng};
use rayon::prelude::*;

/// Settings of a boosted ensemble.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BoostingParams {
    /// Boosting rounds (trees per class).
    pub rounds: usize,
    /// Depth of each tree.
    pub max_depth: usize,
    /// Shrinkage of each tree's output.
    pub learning_rate: f64,
    /// L2 penalty on leaf values.
    pub lambda: f64,
    /// Smallest Hessian sum a child may have.
    pub min_child_weight: f64,
    /// Fraction of rows drawn (without replacement) for each round.
    pub subsample: f64,
}

impl Default for BoostingParams {
    fn default() -> Self {
        Self { rounds: 100, max_depth: 3, learning_rate: 0.1, lambda: 1.0, min_child_weight: 1e-3, subsample: 0.8 }
    }
}

#[derive(Clone, Debug)]
enum Node {
    Split { feature: usize, threshold: f64, left: usize, right: usize },
    Leaf(f64),
}

#[derive(Clone, Debug)]
struct Tree(Vec<Node>);

impl Tree {
    fn predict(&self, row: ndarray::ArrayView1<f64>) -> f64 {
        let mut i = 0;
        loop {
            match self.0[i] {
                Node::Leaf(v) => return v,
                Node::Split { feature, threshold, left, right } => i = if row[feature] <= threshold { left } else { right },
            }
        }
    }
}

/// A fitted ensemble.
#[derive(Clone, Debug)]
pub struct BoostedTrees {
    base: Vec<f64>,
    /// `trees[round][class]`.
    trees: Vec<Vec<Tree>>,
}

const BINS: usize = 64;

/// Quantile bin edges of one column: value `v` falls in the first bin whose edge is `>= v`.
fn edges(col: ndarray::ArrayView1<f64>) -> Vec<f64> {
    let mut v: Vec<f64> = col.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    if v.len() <= BINS {
        // Midpoints between distinct values.
        return v.windows(2).map(|w| 0.5 * (w[0] + w[1])).collect();
    }
    let mut e: Vec<f64> = (1..BINS).map(|b| v[b * v.len() / BINS]).collect();
    e.dedup();
    e
}

fn bin_of(edges: &[f64], x: f64) -> u8 {
    edges.partition_point(|&e| e < x) as u8
}

struct Grower<'a> {
    bins: &'a [Vec<u8>],
    edges: &'a [Vec<f64>],
    grad: &'a [f64],
    hess: &'a [f64],
    params: &'a BoostingParams,
}

impl Grower<'_> {
    fn grow(&self, rows: Vec<usize>, depth: usize, nodes: &mut Vec<Node>) -> usize {
        let g: f64 = rows.iter().map(|&i| self.grad[i]).sum();
        let h: f64 = rows.iter().map(|&i| self.hess[i]).sum();
        let lambda = self.params.lambda;
        let id = nodes.len();
        nodes.push(Node::Leaf(-g / (h + lambda) * self.params.learning_rate));
        if depth >= self.params.max_depth || rows.len() < 2 {
            return id;
        }
        let parent = g * g / (h + lambda);
        let mut best: Option<(f64, usize, usize)> = None; // (gain, feature, last bin on the left)
        for (f, col) in self.bins.iter().enumerate() {
            let n_bins = self.edges[f].len() + 1;
            let mut hg = [0.0f64; BINS + 1];
            let mut hh = [0.0f64; BINS + 1];
            for &i in &rows {
                let b = col[i] as usize;
                hg[b] += self.grad[i];
                hh[b] += self.hess[i];
            }
            let (mut gl, mut hl) = (0.0, 0.0);
            for b in 0..n_bins - 1 {
                gl += hg[b];
                hl += hh[b];
                let (gr, hr) = (g - gl, h - hl);
                if hl < self.params.min_child_weight || hr < self.params.min_child_weight {
                    continue;
                }
                let gain = gl * gl / (hl + lambda) + gr * gr / (hr + lambda) - parent;
                if gain > 1e-12 && best.is_none_or(|(bg, _, _)| gain > bg) {
                    best = Some((gain, f, b));
                }
            }
        }
        let Some((_, feature, last)) = best else { return id };
        let (left_rows, right_rows): (Vec<usize>, Vec<usize>) = rows.into_iter().partition(|&i| self.bins[feature][i] as usize <= last);
        let left = self.grow(left_rows, depth + 1, nodes);
        let right = self.grow(right_rows, depth + 1, nodes);
        nodes[id] = Node::Split { feature, threshold: self.edges[feature][last], left, right };
        id
    }
}

fn softmax_rows(raw: &Array2<f64>) -> Array2<f64> {
    let mut p = raw.clone();
    for mut row in p.rows_mut() {
        let m = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        row.mapv_inplace(|v| (v - m).exp());
        let s = row.sum();
        row.mapv_inplace(|v| v / s);
    }
    p
}

impl BoostedTrees {
    /// Fits on standardised rows `x` with classes `y` (`< n_classes`).
    ///
    /// # Example
    /// ```
    /// use genrecast_classic::{BoostedTrees, BoostingParams};
    /// let x = ndarray::array![[0.0], [1.0], [2.0], [3.0]];
    /// let model = BoostedTrees::fit(&x, &[0, 0, 1, 1], 2, &BoostingParams { subsample: 1.0, ..Default::default() }, 7);
    /// let p = model.predict_proba(&ndarray::array![[0.5], [2.5]]);
    /// assert!(p[[0, 0]] > 0.9 && p[[1, 1]] > 0.9);
    /// ```
    pub fn fit(x: &Array2<f64>, y: &[usize], n_classes: usize, params: &BoostingParams, seed: u64) -> Self {
        let n = x.nrows();
        let edges: Vec<Vec<f64>> = x.columns().into_iter().map(edges).collect();
        let bins: Vec<Vec<u8>> = x.columns().into_iter().zip(&edges).map(|(c, e)| c.iter().map(|&v| bin_of(e, v)).collect()).collect();
        // Start from the log class priors (smoothed so that a missing class stays finite).
        let mut counts = vec![1.0; n_classes];
        for &c in y {
            counts[c] += 1.0;
        }
        let total: f64 = counts.iter().sum();
        let base: Vec<f64> = counts.iter().map(|c| (c / total).ln()).collect();
        let mut raw = Array2::from_shape_fn((n, n_classes), |(_, k)| base[k]);
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut all: Vec<usize> = (0..n).collect();
        let mut trees = Vec::with_capacity(params.rounds);
        for _ in 0..params.rounds {
            let p = softmax_rows(&raw);
            all.shuffle(&mut rng);
            let take = ((params.subsample.clamp(0.0, 1.0) * n as f64).round() as usize).clamp(1.min(n), n);
            let rows: Vec<usize> = all[..take].to_vec();
            let round: Vec<Tree> = (0..n_classes)
                .into_par_iter()
                .map(|k| {
                    let grad: Vec<f64> = (0..n).map(|i| p[[i, k]] - f64::from(u8::from(y[i] == k))).collect();
                    let hess: Vec<f64> = (0..n).map(|i| (p[[i, k]] * (1.0 - p[[i, k]])).max(1e-6)).collect();
                    let grower = Grower { bins: &bins, edges: &edges, grad: &grad, hess: &hess, params };
                    let mut nodes = Vec::new();
                    grower.grow(rows.clone(), 0, &mut nodes);
                    Tree(nodes)
                })
                .collect();
            for (i, row) in x.rows().into_iter().enumerate() {
                for (k, t) in round.iter().enumerate() {
                    raw[[i, k]] += t.predict(row);
                }
            }
            trees.push(round);
        }
        Self { base, trees }
    }

    /// Class probabilities of standardised rows.
    pub fn predict_proba(&self, x: &Array2<f64>) -> Array2<f64> {
        let mut raw = Array2::from_shape_fn((x.nrows(), self.base.len()), |(_, k)| self.base[k]);
        for (i, row) in x.rows().into_iter().enumerate() {
            for round in &self.trees {
                for (k, t) in round.iter().enumerate() {
                    raw[[i, k]] += t.predict(row);
                }
            }
        }
        softmax_rows(&raw)
    }
}
