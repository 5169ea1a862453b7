//! Reports that bundle the metrics of one evaluation, for Markdown and JSON output.

use crate::{argmax, multi_label_auc, multi_label_average_precision, one_vs_rest_auc, pr_auc, roc_auc, top_k_accuracy, average_precision, Average, ClassReport, ConfusionMatrix};

/// Every figure of a single-label evaluation (one row of scores per track or example).
#[derive(Clone, Debug, serde::Serialize)]
pub struct SingleLabelReport {
    /// Class names.
    pub labels: Vec<String>,
    /// Examples scored.
    pub examples: usize,
    /// Fraction correct.
    pub accuracy: f64,
    /// Mean per-class recall.
    pub balanced_accuracy: f64,
    /// Top-K accuracy for K = 1, 2, 3, 5 (those below the class count).
    pub top_k: Vec<(usize, f64)>,
    /// One-vs-rest ROC-AUC, macro average.
    pub roc_auc_macro: Option<f64>,
    /// Mean over classes of the average precision (one-vs-rest).
    pub average_precision_macro: Option<f64>,
    /// Per-class ROC-AUC, average precision and trapezoidal PR-AUC (one-vs-rest).
    pub per_class_ranking: Vec<RankingFigures>,
    /// Per-class precision / recall / F1 and averages.
    pub classes: ClassReport,
    /// The confusion matrix (true rows, predicted columns).
    pub confusion: ConfusionMatrix,
}

/// Ranking figures of one class or tag.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct RankingFigures {
    /// ROC-AUC (`None` when the class has no positive or no negative example).
    pub roc_auc: Option<f64>,
    /// Average precision.
    pub average_precision: Option<f64>,
    /// Trapezoidal area under the precision-recall curve.
    pub pr_auc: Option<f64>,
}

fn column(scores: &[Vec<f32>], c: usize) -> Vec<f32> {
    scores.iter().map(|r| r[c]).collect()
}

impl SingleLabelReport {
    /// Scores `scores[i]` (one probability per label) against true class `truth[i]`; the
    /// prediction is the arg-max.
    ///
    /// # Example
    /// ```
    /// use genrecast_eval::SingleLabelReport;
    /// let labels = vec!["jazz".to_string(), "rock".to_string()];
    /// let r = SingleLabelReport::new(&labels, &[0, 1, 1], &[vec![0.9, 0.1], vec![0.6, 0.4], vec![0.2, 0.8]]);
    /// assert_eq!(r.accuracy, 2.0 / 3.0);
    /// assert_eq!(r.roc_auc_macro, Some(1.0)); // the ranking is perfect, the threshold is not
    /// assert!(r.to_markdown().contains("| rock |"));
    /// ```
    pub fn new(labels: &[String], truth: &[usize], scores: &[Vec<f32>]) -> Self {
        let n = labels.len();
        let confusion = ConfusionMatrix::new(n, truth.iter().zip(scores).map(|(&t, s)| (t, argmax(s))));
        let top_k = [1, 2, 3, 5].into_iter().filter(|&k| k < n).map(|k| (k, top_k_accuracy(truth, scores, k))).collect();
        let per_class_ranking: Vec<RankingFigures> = (0..n)
            .map(|c| {
                let t: Vec<bool> = truth.iter().map(|&y| y == c).collect();
                let s = column(scores, c);
                RankingFigures { roc_auc: roc_auc(&t, &s), average_precision: average_precision(&t, &s), pr_auc: pr_auc(&t, &s) }
            })
            .collect();
        let aps: Vec<f64> = per_class_ranking.iter().filter_map(|r| r.average_precision).collect();
        Self {
            labels: labels.to_vec(),
            examples: truth.len(),
            accuracy: confusion.accuracy(),
            balanced_accuracy: confusion.balanced_accuracy(),
            top_k,
            roc_auc_macro: one_vs_rest_auc(truth, scores, Average::Macro),
            average_precision_macro: (!aps.is_empty()).then(|| aps.iter().sum::<f64>() / aps.len() as f64),
            per_class_ranking,
            classes: ClassReport::new(&confusion),
            confusion,
        }
    }

    /// The report as Markdown: headline figures, the per-class table and the confusion matrix.
    pub fn to_markdown(&self) -> String {
        let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
        let a = &self.classes.averages;
        let mut s = format!(
            "| examples | accuracy | balanced accuracy | macro F1 | micro F1 | ROC-AUC (ovr, macro) | mean AP |{}\n|---|---|---|---|---|---|---|{}\n| {} | {:.3} | {:.3} | {:.3} | {:.3} | {} | {} |{}\n\n",
            self.top_k.iter().map(|(k, _)| format!(" top-{k} |")).collect::<String>(),
            "---|".repeat(self.top_k.len()),
            self.examples, self.accuracy, self.balanced_accuracy, a.macro_avg.f1, a.micro_avg.f1, f(self.roc_auc_macro), f(self.average_precision_macro),
            self.top_k.iter().map(|(_, v)| format!(" {v:.3} |")).collect::<String>(),
        );
        s.push_str("| class | support | precision | recall | F1 | ROC-AUC | AP | PR-AUC |\n|---|---|---|---|---|---|---|---|\n");
        for ((label, c), r) in self.labels.iter().zip(&self.classes.classes).zip(&self.per_class_ranking) {
            s.push_str(&format!("| {label} | {} | {:.3} | {:.3} | {:.3} | {} | {} | {} |\n", c.support, c.precision, c.recall, c.f1, f(r.roc_auc), f(r.average_precision), f(r.pr_auc)));
        }
        for (name, c) in [("macro avg", a.macro_avg), ("weighted avg", a.weighted_avg)] {
            s.push_str(&format!("| *{name}* | {} | {:.3} | {:.3} | {:.3} | | | |\n", c.support, c.precision, c.recall, c.f1));
        }
        s.push_str("\nConfusion matrix (rows: true, columns: predicted):\n\n| |");
        s.push_str(&self.labels.iter().map(|l| format!(" {l} |")).collect::<String>());
        s.push_str(&format!("\n|---|{}\n", "---|".repeat(self.labels.len())));
        for (label, row) in self.labels.iter().zip(&self.confusion.counts) {
            s.push_str(&format!("| **{label}** |{}\n", row.iter().map(|c| format!(" {c} |")).collect::<String>()));
        }
        s
    }
}

/// Every figure of a multi-label (tagging) evaluation.
#[derive(Clone, Debug, serde::Serialize)]
pub struct MultiLabelReport {
    /// Tag names.
    pub labels: Vec<String>,
    /// Examples scored.
    pub examples: usize,
    /// ROC-AUC averaged over tags.
    pub roc_auc_macro: Option<f64>,
    /// ROC-AUC of all (example, tag) pairs pooled.
    pub roc_auc_micro: Option<f64>,
    /// Average precision averaged over tags (the MTAT literature's "PR-AUC").
    pub average_precision_macro: Option<f64>,
    /// Average precision of all pairs pooled.
    pub average_precision_micro: Option<f64>,
    /// Per-tag figures and positives.
    pub per_tag: Vec<(RankingFigures, usize)>,
}

impl MultiLabelReport {
    /// Scores `scores[i][tag]` against `truth[i][tag]`.
    ///
    /// # Example
    /// ```
    /// use genrecast_eval::MultiLabelReport;
    /// let labels = vec!["guitar".to_string(), "vocal".to_string()];
    /// let truth = vec![vec![true, false], vec![false, true], vec![true, true]];
    /// let scores = vec![vec![0.9, 0.2], vec![0.1, 0.7], vec![0.8, 0.3]];
    /// let r = MultiLabelReport::new(&labels, &truth, &scores);
    /// assert_eq!(r.roc_auc_macro, Some(1.0));
    /// ```
    pub fn new(labels: &[String], truth: &[Vec<bool>], scores: &[Vec<f32>]) -> Self {
        let per_tag = (0..labels.len())
            .map(|c| {
                let t: Vec<bool> = truth.iter().map(|r| r[c]).collect();
                let s = column(scores, c);
                let positives = t.iter().filter(|&&b| b).count();
                (RankingFigures { roc_auc: roc_auc(&t, &s), average_precision: average_precision(&t, &s), pr_auc: pr_auc(&t, &s) }, positives)
            })
            .collect();
        Self {
            labels: labels.to_vec(),
            examples: truth.len(),
            roc_auc_macro: multi_label_auc(truth, scores, Average::Macro),
            roc_auc_micro: multi_label_auc(truth, scores, Average::Micro),
            average_precision_macro: multi_label_average_precision(truth, scores, Average::Macro),
            average_precision_micro: multi_label_average_precision(truth, scores, Average::Micro),
            per_tag,
        }
    }

    /// The report as Markdown: averages, then one row per tag.
    pub fn to_markdown(&self) -> String {
        let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
        let mut s = format!(
            "| examples | ROC-AUC macro | ROC-AUC micro | AP macro | AP micro |\n|---|---|---|---|---|\n| {} | {} | {} | {} | {} |\n\n| tag | positives | ROC-AUC | AP | PR-AUC |\n|---|---|---|---|---|\n",
            self.examples, f(self.roc_auc_macro), f(self.roc_auc_micro), f(self.average_precision_macro), f(self.average_precision_micro)
        );
        for (label, (r, pos)) in self.labels.iter().zip(&self.per_tag) {
            s.push_str(&format!("| {label} | {pos} | {} | {} | {} |\n", f(r.roc_auc), f(r.average_precision), f(r.pr_auc)));
        }
        s
    }
}
