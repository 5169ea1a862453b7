//! The models, their text form (`svm:kernel=rbf,c=10`), their families and grids, and fitting.

use std::fmt;

use linfa::prelude::*;
use linfa_nn::{distance::L2Dist, CommonNearestNeighbour, NearestNeighbour};
use ndarray::{Array1, Array2, Axis};
use rand08::{rngs::SmallRng, SeedableRng};

use crate::boosting::{BoostedTrees, BoostingParams};
use crate::{standardized_matrix, ClassicError, Result, Standardizer};

/// An SVM kernel. `gamma` is scikit-learn's (`exp(-gamma |x - x'|^2)`); `None` means
/// `1 / features`, sklearn's `gamma='scale'` on standardised features.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SvmKernel {
    /// `<x, x'>`.
    Linear,
    /// `(gamma <x, x'>)^degree` with `gamma = 1 / features` (sklearn's `kernel='poly'` with
    /// `gamma='scale'`, `coef0=0` on standardised features), computed as linfa's
    /// `<x, x'>^degree` with C scaled by `gamma^degree`, which gives the same machine.
    Poly {
        /// Polynomial degree.
        degree: u32,
    },
    /// Gaussian.
    Rbf {
        /// Width; `None`: `1 / features`.
        gamma: Option<f64>,
    },
}

/// A classic model with its hyper-parameters.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "model", rename_all = "kebab-case")]
pub enum ClassicModel {
    /// k nearest neighbours (Euclidean on standardised features, uniform vote).
    Knn {
        /// Neighbours.
        k: usize,
    },
    /// Multinomial logistic regression with an L2 penalty.
    Logistic {
        /// Penalty strength (linfa's `alpha`).
        l2: f64,
    },
    /// One-vs-rest C-SVMs with Platt-scaled probabilities, normalised over classes.
    Svm {
        /// Kernel.
        kernel: SvmKernel,
        /// Soft-margin cost.
        c: f64,
    },
    /// Bagged decision trees (Gini), each on a bootstrap sample and a random half of the
    /// features; probabilities are vote fractions.
    Forest {
        /// Trees.
        trees: usize,
        /// Depth limit (`None`: grown until pure).
        depth: Option<usize>,
    },
    /// Gradient-boosted trees ([`BoostedTrees`]).
    Boosting {
        /// Rounds.
        rounds: usize,
        /// Tree depth.
        depth: usize,
        /// Learning rate.
        lr: f64,
    },
}

/// A family of models, as the benchmark table lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// k nearest neighbours.
    Knn,
    /// Logistic regression.
    Logistic,
    /// Linear SVM.
    SvmLinear,
    /// Polynomial-kernel SVM.
    SvmPoly,
    /// RBF SVM.
    SvmRbf,
    /// Random forest.
    Forest,
    /// Gradient boosting.
    Boosting,
}

impl Family {
    /// Every family, in table order.
    pub const ALL: [Family; 7] = [Family::Knn, Family::Logistic, Family::SvmLinear, Family::SvmPoly, Family::SvmRbf, Family::Forest, Family::Boosting];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Knn => "knn",
            Self::Logistic => "logistic",
            Self::SvmLinear => "svm-linear",
            Self::SvmPoly => "svm-poly",
            Self::SvmRbf => "svm-rbf",
            Self::Forest => "forest",
            Self::Boosting => "boosting",
        }
    }

    /// The model used without grid search (sklearn-like defaults).
    pub fn default_model(self) -> ClassicModel {
        match self {
            Self::Knn => ClassicModel::Knn { k: 5 },
            Self::Logistic => ClassicModel::Logistic { l2: 1.0 },
            Self::SvmLinear => ClassicModel::Svm { kernel: SvmKernel::Linear, c: 1.0 },
            Self::SvmPoly => ClassicModel::Svm { kernel: SvmKernel::Poly { degree: 3 }, c: 1.0 },
            Self::SvmRbf => ClassicModel::Svm { kernel: SvmKernel::Rbf { gamma: None }, c: 1.0 },
            Self::Forest => ClassicModel::Forest { trees: 100, depth: None },
            Self::Boosting => ClassicModel::Boosting { rounds: 100, depth: 3, lr: 0.1 },
        }
    }

    /// The grid searched with `--grid`: the seed notebooks' ranges (neighbours 3-15, C 0.1-10,
    /// trees 50-200, depth 10-70).
    pub fn grid(self) -> Vec<ClassicModel> {
        // C = 100 is left out: linfa's SMO takes minutes to converge there on a few thousand
        // rows, and it never won on the GTZAN slice.
        let cs = [0.1, 1.0, 10.0];
        match self {
            Self::Knn => (3..=15).step_by(2).map(|k| ClassicModel::Knn { k }).collect(),
            Self::Logistic => [0.01, 0.1, 1.0, 10.0].into_iter().map(|l2| ClassicModel::Logistic { l2 }).collect(),
            Self::SvmLinear => cs.iter().map(|&c| ClassicModel::Svm { kernel: SvmKernel::Linear, c }).collect(),
            Self::SvmPoly => [2, 3].into_iter().flat_map(|degree| cs.iter().map(move |&c| ClassicModel::Svm { kernel: SvmKernel::Poly { degree }, c })).collect(),
            Self::SvmRbf => [None, Some(0.001), Some(0.1)]
                .into_iter()
                .flat_map(|gamma| cs.iter().map(move |&c| ClassicModel::Svm { kernel: SvmKernel::Rbf { gamma }, c }))
                .collect(),
            Self::Forest => [50, 100, 200].into_iter().flat_map(|trees| [Some(10), Some(30), Some(70), None].into_iter().map(move |depth| ClassicModel::Forest { trees, depth })).collect(),
            Self::Boosting => [50, 100, 200].into_iter().flat_map(|rounds| [2, 3, 5].into_iter().map(move |depth| ClassicModel::Boosting { rounds, depth, lr: 0.1 })).collect(),
        }
    }
}

impl std::str::FromStr for Family {
    type Err = ClassicError;
    fn from_str(s: &str) -> Result<Self> {
        Family::ALL.into_iter().find(|f| f.name() == s).ok_or_else(|| ClassicError::Config {
            model: s.into(),
            reason: format!("unknown model family (known: {})", Family::ALL.map(Family::name).join(", ")),
        })
    }
}

impl fmt::Display for ClassicModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Knn { k } => write!(f, "knn:k={k}"),
            Self::Logistic { l2 } => write!(f, "logistic:l2={l2}"),
            Self::Svm { kernel: SvmKernel::Linear, c } => write!(f, "svm:kernel=linear,c={c}"),
            Self::Svm { kernel: SvmKernel::Poly { degree }, c } => write!(f, "svm:kernel=poly,degree={degree},c={c}"),
            Self::Svm { kernel: SvmKernel::Rbf { gamma: None }, c } => write!(f, "svm:kernel=rbf,c={c}"),
            Self::Svm { kernel: SvmKernel::Rbf { gamma: Some(g) }, c } => write!(f, "svm:kernel=rbf,gamma={g},c={c}"),
            Self::Forest { trees, depth: None } => write!(f, "forest:trees={trees}"),
            Self::Forest { trees, depth: Some(d) } => write!(f, "forest:trees={trees},depth={d}"),
            Self::Boosting { rounds, depth, lr } => write!(f, "boosting:rounds={rounds},depth={depth},lr={lr}"),
        }
    }
}

impl std::str::FromStr for ClassicModel {
    type Err = ClassicError;

    /// `family[:key=value,...]`, e.g. `knn:k=7`, `svm-rbf:c=10,gamma=0.01`,
    /// `forest:trees=200,depth=30`, `boosting:rounds=100,depth=3,lr=0.1`.
    fn from_str(s: &str) -> Result<Self> {
        let bad = |reason: String| ClassicError::Config { model: s.into(), reason };
        let (name, rest) = s.split_once(':').unwrap_or((s, ""));
        let mut kv = std::collections::BTreeMap::new();
        for pair in rest.split(',').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').ok_or_else(|| bad(format!("'{pair}' is not key=value")))?;
            kv.insert(k.trim().to_string(), v.trim().to_string());
        }
        let mut take = |key: &str| kv.remove(key);
        fn num<T: std::str::FromStr>(v: Option<String>, key: &str, default: T, bad: &dyn Fn(String) -> ClassicError) -> Result<T> {
            v.map_or(Ok(default), |v| v.parse().map_err(|_| bad(format!("{key}={v} is not a number"))))
        }
        let family = if name == "svm" {
            match take("kernel").as_deref() {
                None | Some("rbf") => Family::SvmRbf,
                Some("linear") => Family::SvmLinear,
                Some("poly") => Family::SvmPoly,
                Some(k) => return Err(bad(format!("kernel '{k}' (known: linear, poly, rbf)"))),
            }
        } else {
            name.parse()?
        };
        let model = match family.default_model() {
            ClassicModel::Knn { k } => ClassicModel::Knn { k: num(take("k"), "k", k, &bad)? },
            ClassicModel::Logistic { l2 } => ClassicModel::Logistic { l2: num(take("l2"), "l2", l2, &bad)? },
            ClassicModel::Svm { kernel, c } => {
                let kernel = match kernel {
                    SvmKernel::Poly { degree } => SvmKernel::Poly { degree: num(take("degree"), "degree", degree, &bad)? },
                    SvmKernel::Rbf { .. } => SvmKernel::Rbf { gamma: take("gamma").map(|g| num(Some(g), "gamma", 0.0, &bad)).transpose()? },
                    k => k,
                };
                ClassicModel::Svm { kernel, c: num(take("c"), "c", c, &bad)? }
            }
            ClassicModel::Forest { trees, depth } => ClassicModel::Forest {
                trees: num(take("trees"), "trees", trees, &bad)?,
                depth: take("depth").map(|d| num(Some(d), "depth", 0, &bad)).transpose()?.or(depth),
            },
            ClassicModel::Boosting { rounds, depth, lr } => ClassicModel::Boosting {
                rounds: num(take("rounds"), "rounds", rounds, &bad)?,
                depth: num(take("depth"), "depth", depth, &bad)?,
                lr: num(take("lr"), "lr", lr, &bad)?,
            },
        };
        if let Some(k) = kv.keys().next() {
            return Err(bad(format!("unknown parameter '{k}' for {}", family.name())));
        }
        model.validate().map_err(bad)?;
        Ok(model)
    }
}

enum Inner {
    Knn { k: usize, x: Array2<f64>, y: Vec<usize> },
    Logistic { model: linfa_logistic::MultiFittedLogisticRegression<f64, usize> },
    /// `x`: the standardised training rows, whose support vectors [`FittedModel::rbf_svm_parts`] lays open.
    Svm { per_class: Vec<Option<linfa_svm::Svm<f64, Pr>>>, x: Array2<f64> },
    Forest { forest: linfa_ensemble::EnsembleLearner<linfa_trees::DecisionTree<f64, usize>> },
    Boosting { model: BoostedTrees },
}

/// A fitted model: the standardiser of its training rows and the learner.
pub struct FittedModel {
    model: ClassicModel,
    standardizer: Standardizer,
    n_classes: usize,
    inner: Inner,
}

impl ClassicModel {
    /// The family it belongs to.
    pub fn family(&self) -> Family {
        match self {
            Self::Knn { .. } => Family::Knn,
            Self::Logistic { .. } => Family::Logistic,
            Self::Svm { kernel: SvmKernel::Linear, .. } => Family::SvmLinear,
            Self::Svm { kernel: SvmKernel::Poly { .. }, .. } => Family::SvmPoly,
            Self::Svm { kernel: SvmKernel::Rbf { .. }, .. } => Family::SvmRbf,
            Self::Forest { .. } => Family::Forest,
            Self::Boosting { .. } => Family::Boosting,
        }
    }

    fn validate(&self) -> std::result::Result<(), String> {
        let positive = |v: f64, what: &str| if v.is_finite() && v > 0.0 { Ok(()) } else { Err(format!("{what} must be positive (got {v})")) };
        match *self {
            Self::Knn { k: 0 } => Err("k must be at least 1".into()),
            Self::Logistic { l2 } if !(l2.is_finite() && l2 >= 0.0) => Err(format!("l2 must be >= 0 (got {l2})")),
            Self::Svm { c, kernel } => {
                positive(c, "c")?;
                match kernel {
                    SvmKernel::Rbf { gamma: Some(g) } => positive(g, "gamma"),
                    SvmKernel::Poly { degree: 0 } => Err("degree must be at least 1".into()),
                    _ => Ok(()),
                }
            }
            Self::Forest { trees, depth } if trees == 0 || depth == Some(0) => Err("trees and depth must be at least 1".into()),
            Self::Boosting { rounds, depth, lr } if rounds == 0 || depth == 0 => {
                let _ = lr;
                Err("rounds and depth must be at least 1".into())
            }
            Self::Boosting { lr, .. } => positive(lr, "lr"),
            _ => Ok(()),
        }
    }

    /// Standardises `x` and fits on classes `y` (each `< n_classes`); `seed` fixes every random
    /// draw.
    ///
    /// # Errors
    /// [`ClassicError::Fit`] for no rows, ragged or non-finite rows, labels out of range, or a
    /// learner's failure.
    pub fn fit(&self, x: &[Vec<f32>], y: &[usize], n_classes: usize, seed: u64) -> Result<FittedModel> {
        let fail = |reason: String| ClassicError::Fit { model: self.to_string(), reason };
        self.validate().map_err(|reason| ClassicError::Config { model: self.to_string(), reason })?;
        if x.is_empty() || x.len() != y.len() {
            return Err(fail(format!("{} rows and {} labels", x.len(), y.len())));
        }
        let d = x[0].len();
        if d == 0 || x.iter().any(|r| r.len() != d) {
            return Err(fail("rows of different or zero width".into()));
        }
        if x.iter().flatten().any(|v| !v.is_finite()) {
            return Err(fail("non-finite feature values".into()));
        }
        if let Some(&c) = y.iter().find(|&&c| c >= n_classes) {
            return Err(fail(format!("class {c} out of range ({n_classes} classes)")));
        }
        let standardizer = Standardizer::fit(x);
        let xs = standardized_matrix(&standardizer, x);
        let targets = Array1::from(y.to_vec());
        let inner = match *self {
            Self::Knn { k } => Inner::Knn { k, x: xs, y: y.to_vec() },
            Self::Logistic { l2 } => {
                let ds = Dataset::new(xs, targets);
                let model = linfa_logistic::MultiLogisticRegression::default().alpha(l2).max_iterations(300).fit(&ds).map_err(|e| fail(e.to_string()))?;
                Inner::Logistic { model }
            }
            Self::Svm { kernel, c } => {
                let mut per_class = Vec::with_capacity(n_classes);
                for class in 0..n_classes {
                    let t: Array1<bool> = y.iter().map(|&v| v == class).collect();
                    if t.iter().all(|&b| b) || !t.iter().any(|&b| b) {
                        per_class.push(None);
                        continue;
                    }
                    // Scaling a kernel by s is the same machine as scaling C by s.
                    let c = match kernel {
                        SvmKernel::Poly { degree } => c * (d as f64).powi(-(degree as i32)),
                        _ => c,
                    };
                    let params = linfa_svm::Svm::<f64, Pr>::params().pos_neg_weights(c, c);
                    let params = match kernel {
                        SvmKernel::Linear => params.linear_kernel(),
                        SvmKernel::Poly { degree } => params.polynomial_kernel(0.0, f64::from(degree)),
                        SvmKernel::Rbf { gamma } => params.gaussian_kernel(1.0 / gamma.unwrap_or(1.0 / d as f64)),
                    };
                    let ds = Dataset::new(xs.clone(), t);
                    per_class.push(Some(params.fit(&ds).map_err(|e| fail(e.to_string()))?));
                }
                Inner::Svm { per_class, x: xs }
            }
            Self::Forest { trees, depth } => {
                let ds = Dataset::new(xs, targets);
                let tree = linfa_trees::DecisionTree::params().max_depth(depth);
                let forest = linfa_ensemble::EnsembleLearnerParams::new_fixed_rng(tree, SmallRng::seed_from_u64(seed))
                    .ensemble_size(trees)
                    .bootstrap_proportion(1.0)
                    .feature_proportion(0.5)
                    .fit(&ds)
                    .map_err(|e| fail(e.to_string()))?;
                Inner::Forest { forest }
            }
            Self::Boosting { rounds, depth, lr } => {
                let params = BoostingParams { rounds, max_depth: depth, learning_rate: lr, ..Default::default() };
                Inner::Boosting { model: BoostedTrees::fit(&xs, y, n_classes, &params, seed) }
            }
        };
        Ok(FittedModel { model: self.clone(), standardizer, n_classes, inner })
    }
}

impl FittedModel {
    /// The model and hyper-parameters fitted.
    pub fn model(&self) -> &ClassicModel {
        &self.model
    }

    /// An RBF SVM's decision functions laid open, so that another runtime (a burn network)
    /// can evaluate them: `None` for every other model.
    ///
    /// # Example
    /// ```
    /// use genrecast_classic::ClassicModel;
    /// let x = vec![vec![0.0, 0.1], vec![0.2, 0.0], vec![0.1, 0.3], vec![5.0, 5.1], vec![5.2, 4.9], vec![4.9, 5.3]];
    /// let fitted: ClassicModel = "svm-rbf:c=1".parse::<ClassicModel>()?;
    /// let fitted = fitted.fit(&x, &[0, 0, 0, 1, 1, 1], 2, 1)?;
    /// let parts = fitted.rbf_svm_parts().unwrap();
    /// let q = vec![4.8, 5.0];
    /// let (p, ours) = (fitted.predict_proba(&[q.clone()]), parts.predict_proba(&q));
    /// assert!((p[0][1] - ours[1] as f32).abs() < 1e-5);
    /// # Ok::<(), genrecast_classic::ClassicError>(())
    /// ```
    pub fn rbf_svm_parts(&self) -> Option<RbfSvmParts> {
        let (Inner::Svm { per_class, x }, ClassicModel::Svm { kernel: SvmKernel::Rbf { gamma }, .. }) = (&self.inner, &self.model) else {
            return None;
        };
        let d = x.ncols();
        let n = self.n_classes;
        // linfa keeps the rows whose weight is above 100 epsilon as support vectors, in row order.
        let used = |a: f64| a.abs() > 100.0 * f64::EPSILON;
        let mut support_rows: Vec<usize> = per_class.iter().flatten().flat_map(|s| s.alpha.iter().enumerate().filter(|(_, &a)| used(a)).map(|(i, _)| i)).collect();
        support_rows.sort_unstable();
        support_rows.dedup();
        let slot: std::collections::HashMap<usize, usize> = support_rows.iter().enumerate().map(|(s, &i)| (i, s)).collect();
        let mut coef = vec![vec![0.0; n]; support_rows.len()];
        let (mut rho, mut platt) = (vec![0.0; n], vec![(0.0, NEVER); n]);
        for (c, svm) in per_class.iter().enumerate() {
            let Some(svm) = svm else { continue };
            for (i, &a) in svm.alpha.iter().enumerate().filter(|(_, &a)| used(a)) {
                coef[slot[&i]][c] = a;
            }
            rho[c] = svm.rho;
            platt[c] = platt_coefficients(svm)?;
        }
        Some(RbfSvmParts {
            mean: self.standardizer.mean.clone(),
            std: self.standardizer.std.clone(),
            gamma: gamma.unwrap_or(1.0 / d as f64),
            support: support_rows.iter().map(|&i| x.row(i).to_vec()).collect(),
            coef,
            rho,
            platt,
        })
    }

    /// Class probabilities of each row (rows sum to 1). Rows of the wrong width or with
    /// non-finite values get uniform probabilities.
    pub fn predict_proba(&self, x: &[Vec<f32>]) -> Vec<Vec<f32>> {
        let n = self.n_classes;
        let d = self.standardizer.mean.len();
        let ok: Vec<bool> = x.iter().map(|r| r.len() == d && r.iter().all(|v| v.is_finite())).collect();
        let clean: Vec<Vec<f32>> = x.iter().zip(&ok).map(|(r, &ok)| if ok { r.clone() } else { vec![0.0; d] }).collect();
        let xs = standardized_matrix(&self.standardizer, &clean);
        let mut out: Vec<Vec<f64>> = match &self.inner {
            Inner::Knn { k, x: train, y } => knn_votes(train, y, &xs, *k, n),
            Inner::Logistic { model } => {
                let p = model.predict_probabilities(&xs);
                let classes = model.classes();
                p.rows().into_iter().map(|row| {
                    let mut v = vec![0.0; n];
                    for (&c, &pc) in classes.iter().zip(row) {
                        v[c] = pc;
                    }
                    v
                }).collect()
            }
            Inner::Svm { per_class, .. } => {
                let mut v = vec![vec![0.0; n]; xs.nrows()];
                for (c, svm) in per_class.iter().enumerate() {
                    if let Some(svm) = svm {
                        let p: Array1<Pr> = svm.predict(&xs);
                        for (row, pr) in v.iter_mut().zip(p.iter()) {
                            row[c] = f64::from(**pr);
                        }
                    }
                }
                v
            }
            Inner::Forest { forest } => {
                let mut v = vec![vec![0.0; n]; xs.nrows()];
                for (tree, features) in forest.models.iter().zip(&forest.model_features) {
                    let sub = xs.select(Axis(1), features);
                    let votes: Array1<usize> = tree.predict(&sub);
                    for (row, &c) in v.iter_mut().zip(votes.iter()) {
                        if c < n {
                            row[c] += 1.0;
                        }
                    }
                }
                v
            }
            Inner::Boosting { model } => model.predict_proba(&xs).rows().into_iter().map(|r| r.to_vec()).collect(),
        };
        for (row, ok) in out.iter_mut().zip(ok) {
            let s: f64 = row.iter().sum();
            if !(ok && s.is_finite() && s > 0.0) {
                row.iter_mut().for_each(|v| *v = 1.0 / n as f64);
            } else {
                row.iter_mut().for_each(|v| *v /= s);
            }
        }
        out.into_iter().map(|r| r.into_iter().map(|v| v as f32).collect()).collect()
    }
}

/// Uniform vote of the `k` nearest training rows (Euclidean), through linfa-nn's k-d tree.
fn knn_votes(train: &Array2<f64>, y: &[usize], xs: &Array2<f64>, k: usize, n: usize) -> Vec<Vec<f64>> {
    let Ok(index) = CommonNearestNeighbour::KdTree.from_batch(train, L2Dist) else {
        return vec![vec![0.0; n]; xs.nrows()];
    };
    xs.rows()
        .into_iter()
        .map(|row| {
            let mut v = vec![0.0; n];
            if let Ok(near) = index.k_nearest(row, k) {
                for (_, i) in near {
                    v[y[i]] += 1.0;
                }
            }
            v
        })
        .collect()
}

/// The Platt `b` of a class that never had an SVM (no training row of it, or only rows of
/// it): its probability `1 / (1 + e^b)` is nil in f32.
const NEVER: f64 = 80.0;

/// An RBF one-vs-rest SVM as plain numbers ([`FittedModel::rbf_svm_parts`]). For a raw row
/// `r`: `z = (r - mean) / std`; the decision value of class `c` is
/// `f_c = sum_s coef[s][c] exp(-gamma |z - support[s]|^2) - rho[c]`; its probability is
/// Platt's `p_c = 1 / (1 + exp(a_c f_c + b_c))` with `(a_c, b_c) = platt[c]`; the class
/// probabilities are the `p_c` normalised to sum to 1, as [`FittedModel::predict_proba`] gives.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RbfSvmParts {
    /// Standardiser: mean of each feature over the training rows.
    pub mean: Vec<f64>,
    /// Standardiser: standard deviation of each feature (never 0).
    pub std: Vec<f64>,
    /// Kernel width: `exp(-gamma |x - x'|^2)` on standardised rows.
    pub gamma: f64,
    /// The support vectors of all classes (standardised training rows), `S x d`.
    pub support: Vec<Vec<f64>>,
    /// Weight of each support vector in each class's decision function, `S x classes`
    /// (0 where a vector does not support that class).
    pub coef: Vec<Vec<f64>>,
    /// Offset of each class's decision function.
    pub rho: Vec<f64>,
    /// Platt's `(a, b)` of each class.
    pub platt: Vec<(f64, f64)>,
}

impl RbfSvmParts {
    /// Class probabilities of one raw row, computed from the parts alone (in f64).
    pub fn predict_proba(&self, row: &[f32]) -> Vec<f64> {
        let z: Vec<f64> = row.iter().zip(self.mean.iter().zip(&self.std)).map(|(&v, (m, s))| (f64::from(v) - m) / s).collect();
        let mut f: Vec<f64> = self.rho.iter().map(|r| -r).collect();
        for (sv, w) in self.support.iter().zip(&self.coef) {
            let k = (-self.gamma * sv.iter().zip(&z).map(|(a, b)| (a - b) * (a - b)).sum::<f64>()).exp();
            f.iter_mut().zip(w).for_each(|(f, w)| *f += w * k);
        }
        let p: Vec<f64> = f.iter().zip(&self.platt).map(|(f, (a, b))| 1.0 / (1.0 + (a * f + b).exp())).collect();
        let s: f64 = p.iter().sum();
        if s.is_finite() && s > 0.0 { p.iter().map(|v| v / s).collect() } else { vec![1.0 / p.len() as f64; p.len()] }
    }
}

/// Platt's `(a, b)` of a fitted SVM. linfa keeps them private; its serialised form has them.
fn platt_coefficients(svm: &linfa_svm::Svm<f64, Pr>) -> Option<(f64, f64)> {
    let v = serde_json::to_value(svm).ok()?;
    let ab = v.get("probability_coeffs")?.as_array()?;
    Some((ab.first()?.as_f64()?, ab.get(1)?.as_f64()?))
}
