//! Metrics shared by every genrecast model, matching scikit-learn's definitions: accuracy,
//! balanced accuracy, the confusion matrix, per-class precision / recall / F1 with macro, micro
//! and weighted averages, top-K accuracy, ROC-AUC, average precision and PR-AUC (one-vs-rest
//! and multi-label), and the reports that bundle them.
//!
//! Every figure is checked against scikit-learn's output on the same arrays
//! (`tests/reference/metrics.json`, made by `tools/make_metric_reference.py`).

mod class_report;
mod confusion;
mod embedding;
mod ranking;
mod report;
mod scaling;

pub use class_report::{Averages, ClassFigures, ClassReport};
pub use confusion::ConfusionMatrix;
pub use embedding::{knn_leave_group_out, silhouette, Distance};
pub use ranking::{average_precision, multi_label_auc, multi_label_average_precision, one_vs_rest_auc, pr_auc, precision_recall_curve, roc_auc, top_k_accuracy, Average, PrCurve};
pub use report::{MultiLabelReport, RankingFigures, SingleLabelReport};
pub use scaling::Standardizer;

/// Index of the largest value, the first on ties (numpy's `argmax`); 0 for an empty slice.
/// Values that do not compare (NaN) never win.
///
/// # Example
/// ```
/// assert_eq!(genrecast_eval::argmax(&[0.2f32, 0.5, 0.5, 0.1]), 1);
/// assert_eq!(genrecast_eval::argmax(&[3usize, 1, 4]), 2);
/// ```
pub fn argmax<T: PartialOrd>(row: &[T]) -> usize {
    row.iter().enumerate().fold(0, |best, (i, v)| if *v > row[best] { i } else { best })
}

/// The median (`np.median`: the mean of the two middle values for an even count); NaN for
/// an empty slice.
///
/// # Example
/// ```
/// assert_eq!(genrecast_eval::median(&[3.0, 1.0, 2.0]), 2.0);
/// assert_eq!(genrecast_eval::median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
/// assert!(genrecast_eval::median(&[]).is_nan());
/// ```
pub fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Mean and population standard deviation (`np.mean`, `np.std`), as the benchmark tables
/// report figures over folds; `(0, 0)` for an empty slice.
///
/// # Example
/// ```
/// assert_eq!(genrecast_eval::mean_sd(&[1.0, 3.0]), (2.0, 1.0));
/// ```
pub fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    (m, (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n).sqrt())
}
