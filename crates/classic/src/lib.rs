//! Classic models on summary vectors (one row per track or window): k-nearest neighbours,
//! logistic regression, SVMs (linear, polynomial, RBF), random forests and gradient-boosted
//! trees, each behind feature standardisation, with grid search over grouped folds.
//!
//! linfa provides the learners where it has them (logistic regression, SVM with Platt
//! probabilities, decision-tree bagging, the k-d tree of kNN); gradient boosting is ours (see
//! [`boosting`] for why). Every model returns class probabilities, so that window predictions
//! can be averaged per track and ranked for ROC-AUC.
//!
//! # Example
//! ```
//! use genrecast_classic::ClassicModel;
//! let x = vec![vec![0.0, 0.1], vec![0.2, 0.0], vec![5.0, 5.1], vec![5.2, 4.9]];
//! let model: ClassicModel = "knn:k=1".parse()?;
//! let fitted = model.fit(&x, &[0, 0, 1, 1], 2, 1)?;
//! let p = fitted.predict_proba(&[vec![4.8, 5.0]]);
//! assert_eq!(p[0], [0.0, 1.0]);
//! # Ok::<(), genrecast_classic::ClassicError>(())
//! ```

pub mod boosting;
mod grid;
mod learners;
mod standardize;

pub use boosting::{BoostedTrees, BoostingParams};
pub use grid::{grid_search, grouped_folds, GridResult, InnerFolds};
pub use learners::{ClassicModel, Family, FittedModel, RbfSvmParts, SvmKernel};
pub use standardize::{standardized_matrix, Standardizer};

/// What can go wrong when fitting.
#[derive(Debug, thiserror::Error)]
pub enum ClassicError {
    /// A model string or parameter that does not parse or is out of range.
    #[error("model '{model}': {reason}")]
    Config {
        /// The text given.
        model: String,
        /// Why it was refused.
        reason: String,
    },
    /// The data cannot be fitted (no rows, ragged rows, a learner's own error).
    #[error("{model}: {reason}")]
    Fit {
        /// The model being fitted.
        model: String,
        /// Why it failed.
        reason: String,
    },
}

/// Results of this crate.
pub type Result<T> = std::result::Result<T, ClassicError>;
