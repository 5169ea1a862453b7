//! The confusion matrix and the per-class figures read off it.

/// Counts of true class (row) against predicted class (column).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ConfusionMatrix {
    /// `counts[true][predicted]`.
    pub counts: Vec<Vec<usize>>,
}

impl ConfusionMatrix {
    /// Builds the matrix of `n_classes` from (true, predicted) pairs.
    ///
    /// # Example
    /// ```
    /// use genrecast_eval::ConfusionMatrix;
    /// let m = ConfusionMatrix::new(2, [(0, 0), (0, 1), (1, 1)]);
    /// assert_eq!(m.counts, [[1, 1], [0, 1]]);
    /// assert_eq!(m.accuracy(), 2.0 / 3.0);
    /// assert_eq!(m.balanced_accuracy(), 0.75); // sklearn: mean of recalls 0.5 and 1.0
    /// ```
    pub fn new(n_classes: usize, pairs: impl IntoIterator<Item = (usize, usize)>) -> Self {
        let mut counts = vec![vec![0; n_classes]; n_classes];
        for (t, p) in pairs {
            if t < n_classes && p < n_classes {
                counts[t][p] += 1;
            }
        }
        Self { counts }
    }

    /// Examples counted.
    pub fn total(&self) -> usize {
        self.counts.iter().flatten().sum()
    }

    /// Fraction on the diagonal (sklearn `accuracy_score`).
    pub fn accuracy(&self) -> f64 {
        let correct: usize = (0..self.counts.len()).map(|i| self.counts[i][i]).sum();
        correct as f64 / self.total().max(1) as f64
    }

    /// Recall of each class (`None` for a class with no true examples).
    pub fn recalls(&self) -> Vec<Option<f64>> {
        self.counts.iter().enumerate().map(|(i, row)| {
            let n: usize = row.iter().sum();
            (n > 0).then(|| row[i] as f64 / n as f64)
        }).collect()
    }

    /// Precision of each class (`None` when it is never predicted).
    pub fn precisions(&self) -> Vec<Option<f64>> {
        (0..self.counts.len()).map(|j| {
            let n: usize = self.counts.iter().map(|r| r[j]).sum();
            (n > 0).then(|| self.counts[j][j] as f64 / n as f64)
        }).collect()
    }

    /// Mean recall over the classes present (sklearn `balanced_accuracy_score`).
    pub fn balanced_accuracy(&self) -> f64 {
        let r: Vec<f64> = self.recalls().into_iter().flatten().collect();
        if r.is_empty() { 0.0 } else { r.iter().sum::<f64>() / r.len() as f64 }
    }

    /// F1 of each class (0 where precision and recall are both 0 or undefined, as sklearn's
    /// `zero_division=0`).
    pub fn f1s(&self) -> Vec<f64> {
        crate::ClassReport::new(self).classes.iter().map(|c| c.f1).collect()
    }

    /// Mean F1 over the classes that occur in the truth or the predictions (sklearn
    /// `f1_score(average='macro')`).
    pub fn macro_f1(&self) -> f64 {
        crate::ClassReport::new(self).averages.macro_avg.f1
    }

    /// The matrix as text, with `labels` as row and column names.
    pub fn to_table(&self, labels: &[String]) -> String {
        let w = labels.iter().map(String::len).max().unwrap_or(4).max(4);
        let short: Vec<String> = labels.iter().map(|l| l.chars().take(5).collect()).collect();
        let mut s = format!("{:w$} | {}\n", "true\\pred", short.iter().map(|l| format!("{l:>5}")).collect::<Vec<_>>().join(" "));
        for (label, row) in labels.iter().zip(&self.counts) {
            s.push_str(&format!("{label:w$} | {}\n", row.iter().map(|c| format!("{c:>5}")).collect::<Vec<_>>().join(" ")));
        }
        s
    }
}
