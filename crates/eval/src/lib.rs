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

pub use class_report::{Averages, ClassFigures, ClassReport};
pub use confusion::ConfusionMatrix;
pub use embedding::{knn_leave_group_out, silhouette, Distance};
pub use ranking::{average_precision, multi_label_auc, multi_label_average_precision, one_vs_rest_auc, pr_auc, precision_recall_curve, roc_auc, top_k_accuracy, Average, PrCurve};
pub use report::{MultiLabelReport, RankingFigures, SingleLabelReport};
