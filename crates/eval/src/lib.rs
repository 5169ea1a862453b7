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
pub use ranking::{average_precision, multi_label_auc, multi_label_average_precision, one_vs_rest_auc, pr_auc, precision_recall_curve, roc_auc, roc_curve, top_k_accuracy, Average, PrCurve, RocCurve};
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

/// Indices of the `k` largest `values`, largest first; ties keep index order (so the first of
/// them leads, as [`argmax`] picks it). For top-k genres and tags.
///
/// # Example
/// ```
/// assert_eq!(genrecast_eval::top_indices(&[0.2, 0.5, 0.1, 0.5], 3), [1, 3, 0]);
/// ```
pub fn top_indices(values: &[f32], k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    order.truncate(k);
    order
}

/// Class edges that cut `values` into `n` groups of (about) equal size: the quantiles at
/// `0, 1/n, ..., 1` (`np.quantile`, linear interpolation), with repeated edges dropped, so that
/// ties (many equal play counts, say) give fewer classes rather than empty ones. Use with
/// [`quantile_class`]; together they are `pandas.qcut(values, n, labels=False,
/// duplicates="drop")`. Empty for no finite values or `n == 0`.
///
/// # Example
/// ```
/// use genrecast_eval::{quantile_class, quantile_edges};
/// let counts = [3.5, 1.0, 7.25, 2.0, 9.0, 4.0, 6.0, 5.5, 8.0, 0.5, 10.0];
/// let edges = quantile_edges(&counts, 4);
/// assert_eq!(edges, [0.5, 2.75, 5.5, 7.625, 10.0]);
/// let classes: Vec<usize> = counts.iter().map(|&v| quantile_class(&edges, v).unwrap()).collect();
/// assert_eq!(classes, [1, 0, 2, 0, 3, 1, 2, 1, 3, 0, 3]); // pandas.qcut's answer
/// ```
pub fn quantile_edges(values: &[f64], n: usize) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() || n == 0 {
        return Vec::new();
    }
    sorted.sort_by(f64::total_cmp);
    let last = sorted.len() - 1;
    let mut edges: Vec<f64> = (0..=n)
        .map(|k| {
            let h = last as f64 * k as f64 / n as f64;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(last);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        })
        .collect();
    edges.dedup();
    edges
}

/// The class (0-based, lowest values first) of `value` under [`quantile_edges`]: class `i`
/// holds `edges[i] < value <= edges[i + 1]`, the first class also its lower edge. `None` for a
/// value outside the edges or not finite.
pub fn quantile_class(edges: &[f64], value: f64) -> Option<usize> {
    let (&first, &last) = (edges.first()?, edges.last()?);
    if !(first..=last).contains(&value) {
        return None;
    }
    // The first edge >= value closes the class; the lowest value falls in class 0.
    Some(edges.partition_point(|&e| e < value).saturating_sub(1).min(edges.len().saturating_sub(2)))
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

#[cfg(test)]
mod quantile_tests {
    use super::*;

    /// Play-count-like values with ties at zero, against `pandas.qcut(x, 10, labels=False,
    /// duplicates="drop")` (pandas 2, run by hand): nine classes survive the ties.
    #[test]
    fn deciles_with_ties_match_pandas_qcut() {
        let x = [0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 55.0, 89.0, 144.0, 233.0, 377.0, 610.0, 987.0, 1597.0];
        let edges = quantile_edges(&x, 10);
        let want_edges = [0.0, 0.8, 2.7, 6.8, 17.0, 42.4, 105.5, 261.8, 647.7, 1597.0];
        assert_eq!(edges.len(), want_edges.len());
        for (e, w) in edges.iter().zip(want_edges) {
            assert!((e - w).abs() < 1e-9, "{edges:?}");
        }
        let classes: Vec<usize> = x.iter().filter_map(|&v| quantile_class(&edges, v)).collect();
        assert_eq!(classes, [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8]);
        assert_eq!(quantile_class(&edges, -1.0), None);
        assert_eq!(quantile_class(&edges, f64::NAN), None);
        assert!(quantile_edges(&[], 10).is_empty());
    }
}
