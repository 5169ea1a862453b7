//! Ranking metrics: ROC-AUC, average precision, the precision-recall curve and PR-AUC, top-K
//! accuracy, one-vs-rest and multi-label averages. Ties are handled as scikit-learn does: all
//! examples sharing a score form one threshold.

/// How per-class figures are combined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Average {
    /// Unweighted mean over classes.
    Macro,
    /// Every (example, class) pair pooled into one binary problem (multi-label only).
    Micro,
    /// Mean over classes weighted by their number of positive examples.
    Weighted,
}

/// True-positive and false-positive counts at each distinct score, highest first
/// (scikit-learn's `_binary_clf_curve`).
fn cumulative_counts(truth: &[bool], scores: &[f32]) -> Vec<(f64, f64)> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut out = Vec::new();
    let (mut tp, mut fp) = (0.0, 0.0);
    for (k, &i) in order.iter().enumerate() {
        if truth[i] { tp += 1.0 } else { fp += 1.0 }
        let last_of_tie = order.get(k + 1).is_none_or(|&j| scores[j] != scores[i]);
        if last_of_tie {
            out.push((tp, fp));
        }
    }
    out
}

/// Area under the ROC curve of binary `truth` against `scores` (sklearn `roc_auc_score`);
/// `None` when only one class is present.
///
/// # Example
/// ```
/// // scikit-learn's documented example: roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
/// let auc = genrecast_eval::roc_auc(&[false, false, true, true], &[0.1, 0.4, 0.35, 0.8]);
/// assert_eq!(auc, Some(0.75));
/// ```
pub fn roc_auc(truth: &[bool], scores: &[f32]) -> Option<f64> {
    let counts = cumulative_counts(truth, scores);
    let &(p, n) = counts.last()?;
    if p == 0.0 || n == 0.0 {
        return None;
    }
    let (mut area, mut prev) = (0.0, (0.0, 0.0));
    for &(tp, fp) in &counts {
        area += (fp - prev.1) / n * (tp + prev.0) / (2.0 * p);
        prev = (tp, fp);
    }
    Some(area)
}

/// A ROC curve: the false- and true-positive rates at each distinct score, highest score
/// first, from (0, 0) (nothing called positive) to (1, 1), as scikit-learn's
/// `roc_curve(drop_intermediate=False)` returns them.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RocCurve {
    /// False-positive rate at each point.
    pub fpr: Vec<f64>,
    /// True-positive rate at each point.
    pub tpr: Vec<f64>,
}

/// The ROC curve of binary `truth` against `scores`; `None` when only one class is present.
///
/// # Example
/// ```
/// // scikit-learn: roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], drop_intermediate=False)
/// let c = genrecast_eval::roc_curve(&[false, false, true, true], &[0.1, 0.4, 0.35, 0.8]).unwrap();
/// assert_eq!(c.fpr, [0.0, 0.0, 0.5, 0.5, 1.0]);
/// assert_eq!(c.tpr, [0.0, 0.5, 0.5, 1.0, 1.0]);
/// ```
pub fn roc_curve(truth: &[bool], scores: &[f32]) -> Option<RocCurve> {
    let counts = cumulative_counts(truth, scores);
    let &(p, n) = counts.last()?;
    if p == 0.0 || n == 0.0 {
        return None;
    }
    let fpr = std::iter::once(0.0).chain(counts.iter().map(|&(_, fp)| fp / n)).collect();
    let tpr = std::iter::once(0.0).chain(counts.iter().map(|&(tp, _)| tp / p)).collect();
    Some(RocCurve { fpr, tpr })
}

/// A precision-recall curve, ordered as scikit-learn's `precision_recall_curve` returns it:
/// recall decreasing, ending at (recall 0, precision 1).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PrCurve {
    /// Precision at each point.
    pub precision: Vec<f64>,
    /// Recall at each point.
    pub recall: Vec<f64>,
}

/// The precision-recall curve of binary `truth` against `scores`; `None` without positives.
pub fn precision_recall_curve(truth: &[bool], scores: &[f32]) -> Option<PrCurve> {
    let counts = cumulative_counts(truth, scores);
    let &(p, _) = counts.last()?;
    if p == 0.0 {
        return None;
    }
    let mut precision: Vec<f64> = counts.iter().rev().map(|&(tp, fp)| tp / (tp + fp)).collect();
    let mut recall: Vec<f64> = counts.iter().rev().map(|&(tp, _)| tp / p).collect();
    precision.push(1.0);
    recall.push(0.0);
    Some(PrCurve { precision, recall })
}

/// Average precision, the step-wise area under the precision-recall curve (sklearn
/// `average_precision_score`); `None` without positives.
///
/// # Example
/// ```
/// // scikit-learn's documented example: 0.8333...
/// let ap = genrecast_eval::average_precision(&[false, false, true, true], &[0.1, 0.4, 0.35, 0.8]).unwrap();
/// assert!((ap - 5.0 / 6.0).abs() < 1e-12);
/// ```
pub fn average_precision(truth: &[bool], scores: &[f32]) -> Option<f64> {
    let c = precision_recall_curve(truth, scores)?;
    Some((0..c.recall.len() - 1).map(|i| (c.recall[i] - c.recall[i + 1]) * c.precision[i]).sum())
}

/// Trapezoidal area under the precision-recall curve (sklearn `auc(recall, precision)`);
/// `None` without positives. Slightly optimistic next to [`average_precision`].
pub fn pr_auc(truth: &[bool], scores: &[f32]) -> Option<f64> {
    let c = precision_recall_curve(truth, scores)?;
    Some((0..c.recall.len() - 1).map(|i| (c.recall[i] - c.recall[i + 1]) * (c.precision[i] + c.precision[i + 1]) / 2.0).sum())
}

/// Fraction of rows whose true class is among the `k` highest scores (sklearn
/// `top_k_accuracy_score`: among equal scores the higher class index ranks first).
///
/// # Example
/// ```
/// let scores = [vec![0.5, 0.3, 0.2], vec![0.1, 0.2, 0.7]];
/// assert_eq!(genrecast_eval::top_k_accuracy(&[1, 1], &scores, 1), 0.0);
/// assert_eq!(genrecast_eval::top_k_accuracy(&[1, 1], &scores, 2), 1.0);
/// ```
pub fn top_k_accuracy<R: AsRef<[f32]>>(truth: &[usize], scores: &[R], k: usize) -> f64 {
    let hits = truth.iter().zip(scores).filter(|(&t, row)| {
        let row = row.as_ref();
        let Some(&st) = row.get(t) else { return false };
        let above = row.iter().enumerate().filter(|&(c, &s)| s > st || (s == st && c > t)).count();
        above < k
    }).count();
    hits as f64 / truth.len().max(1) as f64
}

fn combine(per_class: &[Option<f64>], weights: &[f64], average: Average) -> Option<f64> {
    let pairs: Vec<(f64, f64)> = per_class.iter().zip(weights).filter_map(|(v, &w)| v.map(|v| (v, w))).collect();
    if pairs.is_empty() {
        return None;
    }
    match average {
        Average::Weighted => {
            let total: f64 = pairs.iter().map(|p| p.1).sum();
            Some(pairs.iter().map(|(v, w)| v * w).sum::<f64>() / total)
        }
        _ => Some(pairs.iter().map(|p| p.0).sum::<f64>() / pairs.len() as f64),
    }
}

/// One-vs-rest ROC-AUC of single-label `truth` (class indices) against per-class `scores`,
/// averaged `Macro` or `Weighted` (sklearn `roc_auc_score(multi_class='ovr')`). Classes with
/// no positive or no negative example are left out of the mean. `Micro` is treated as macro.
pub fn one_vs_rest_auc<R: AsRef<[f32]>>(truth: &[usize], scores: &[R], average: Average) -> Option<f64> {
    let n_classes = scores.first()?.as_ref().len();
    let mut per_class = Vec::with_capacity(n_classes);
    let mut weights = Vec::with_capacity(n_classes);
    for c in 0..n_classes {
        let t: Vec<bool> = truth.iter().map(|&y| y == c).collect();
        let s: Vec<f32> = scores.iter().map(|r| r.as_ref()[c]).collect();
        per_class.push(roc_auc(&t, &s));
        weights.push(t.iter().filter(|&&b| b).count() as f64);
    }
    combine(&per_class, &weights, average)
}

fn multi_label(truth: &[Vec<bool>], scores: &[Vec<f32>], average: Average, metric: fn(&[bool], &[f32]) -> Option<f64>) -> Option<f64> {
    if average == Average::Micro {
        let t: Vec<bool> = truth.iter().flatten().copied().collect();
        let s: Vec<f32> = scores.iter().flatten().copied().collect();
        return metric(&t, &s);
    }
    let n_labels = truth.first()?.len();
    let mut per_class = Vec::with_capacity(n_labels);
    let mut weights = Vec::with_capacity(n_labels);
    for c in 0..n_labels {
        let t: Vec<bool> = truth.iter().map(|r| r[c]).collect();
        let s: Vec<f32> = scores.iter().map(|r| r[c]).collect();
        per_class.push(metric(&t, &s));
        weights.push(t.iter().filter(|&&b| b).count() as f64);
    }
    combine(&per_class, &weights, average)
}

/// ROC-AUC of a multi-label problem (`truth[i][tag]`), averaged per tag or micro-pooled
/// (sklearn `roc_auc_score(Y, S, average=...)`). Tags lacking positives or negatives are left
/// out of the macro mean.
pub fn multi_label_auc(truth: &[Vec<bool>], scores: &[Vec<f32>], average: Average) -> Option<f64> {
    multi_label(truth, scores, average, roc_auc)
}

/// Average precision of a multi-label problem (sklearn `average_precision_score(Y, S,
/// average=...)`).
pub fn multi_label_average_precision(truth: &[Vec<bool>], scores: &[Vec<f32>], average: Average) -> Option<f64> {
    multi_label(truth, scores, average, average_precision)
}
