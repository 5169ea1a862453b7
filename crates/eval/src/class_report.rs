//! Per-class precision, recall, F1 and support, with their macro, micro and weighted averages
//! (sklearn `precision_recall_fscore_support`, `zero_division=0`).

use crate::ConfusionMatrix;

/// Precision, recall and F1 of one class or one average.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct ClassFigures {
    /// Correct predictions of the class over all its predictions (0 if never predicted).
    pub precision: f64,
    /// Correct predictions of the class over its true examples (0 if it has none).
    pub recall: f64,
    /// Harmonic mean of the two (0 when both are 0).
    pub f1: f64,
    /// True examples of the class (for averages: of every class averaged).
    pub support: usize,
}

/// The three averages scikit-learn reports.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Averages {
    /// Unweighted mean over the classes that occur in the truth or the predictions.
    pub macro_avg: ClassFigures,
    /// Pooled counts (for single-label problems all three equal the accuracy).
    pub micro_avg: ClassFigures,
    /// Mean weighted by support.
    pub weighted_avg: ClassFigures,
}

/// Per-class figures and averages of a confusion matrix.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ClassReport {
    /// One entry per class, in label order.
    pub classes: Vec<ClassFigures>,
    /// The averages.
    pub averages: Averages,
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
}

impl ClassReport {
    /// Reads the report off `m`.
    ///
    /// # Example
    /// ```
    /// use genrecast_eval::{ClassReport, ConfusionMatrix};
    /// // truth [0, 0, 1, 2], predicted [0, 1, 1, 1]
    /// let r = ClassReport::new(&ConfusionMatrix::new(3, [(0, 0), (0, 1), (1, 1), (2, 1)]));
    /// assert_eq!(r.classes[1].precision, 1.0 / 3.0);
    /// assert_eq!(r.classes[2].f1, 0.0);
    /// assert_eq!(r.averages.micro_avg.f1, 0.5); // = accuracy
    /// ```
    pub fn new(m: &ConfusionMatrix) -> Self {
        let n = m.counts.len();
        let support: Vec<usize> = m.counts.iter().map(|r| r.iter().sum()).collect();
        let predicted: Vec<usize> = (0..n).map(|j| m.counts.iter().map(|r| r[j]).sum()).collect();
        let classes: Vec<ClassFigures> = (0..n)
            .map(|i| {
                let tp = m.counts[i][i] as f64;
                let precision = if predicted[i] > 0 { tp / predicted[i] as f64 } else { 0.0 };
                let recall = if support[i] > 0 { tp / support[i] as f64 } else { 0.0 };
                ClassFigures { precision, recall, f1: f1(precision, recall), support: support[i] }
            })
            .collect();
        let present: Vec<usize> = (0..n).filter(|&i| support[i] > 0 || predicted[i] > 0).collect();
        let total: usize = support.iter().sum();
        let mean = |w: &dyn Fn(usize) -> f64, get: &dyn Fn(&ClassFigures) -> f64| {
            let wsum: f64 = present.iter().map(|&i| w(i)).sum();
            if wsum == 0.0 { 0.0 } else { present.iter().map(|&i| w(i) * get(&classes[i])).sum::<f64>() / wsum }
        };
        let avg = |w: &dyn Fn(usize) -> f64| ClassFigures {
            precision: mean(w, &|c| c.precision),
            recall: mean(w, &|c| c.recall),
            f1: mean(w, &|c| c.f1),
            support: total,
        };
        let macro_avg = avg(&|_| 1.0);
        let weighted_avg = avg(&|i| support[i] as f64);
        let correct: usize = (0..n).map(|i| m.counts[i][i]).sum();
        let pooled_p = correct as f64 / predicted.iter().sum::<usize>().max(1) as f64;
        let pooled_r = correct as f64 / total.max(1) as f64;
        let micro_avg = ClassFigures { precision: pooled_p, recall: pooled_r, f1: f1(pooled_p, pooled_r), support: total };
        Self { classes, averages: Averages { macro_avg, micro_avg, weighted_avg } }
    }
}
