//! Feature standardisation (sklearn `StandardScaler`): statistics from the training rows only.

use ndarray::Array2;

/// Per-column mean and standard deviation of training rows.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Standardizer {
    /// Column means.
    pub mean: Vec<f64>,
    /// Column population standard deviations (1 where a column is constant, as sklearn does).
    pub std: Vec<f64>,
}

impl Standardizer {
    /// Fits on `rows` (all of one width).
    ///
    /// # Example
    /// ```
    /// use genrecast_classic::Standardizer;
    /// let s = Standardizer::fit(&[vec![1.0, 5.0], vec![3.0, 5.0]]);
    /// assert_eq!(s.mean, [2.0, 5.0]);
    /// assert_eq!(s.std, [1.0, 1.0]); // the constant column keeps scale 1
    /// assert_eq!(s.apply(&[vec![3.0, 6.0]]).row(0).to_vec(), [1.0, 1.0]);
    /// ```
    pub fn fit(rows: &[Vec<f32>]) -> Self {
        let d = rows.first().map_or(0, Vec::len);
        let n = rows.len().max(1) as f64;
        let mut mean = vec![0.0; d];
        for r in rows {
            for (m, &v) in mean.iter_mut().zip(r) {
                *m += f64::from(v) / n;
            }
        }
        let mut var = vec![0.0; d];
        for r in rows {
            for ((s, &v), m) in var.iter_mut().zip(r).zip(&mean) {
                *s += (f64::from(v) - m).powi(2) / n;
            }
        }
        let std = var.into_iter().map(|v: f64| if v > 1e-24 { v.sqrt() } else { 1.0 }).collect();
        Self { mean, std }
    }

    /// Standardised copy of `rows` as an `n x d` matrix.
    pub fn apply(&self, rows: &[Vec<f32>]) -> Array2<f64> {
        let d = self.mean.len();
        Array2::from_shape_fn((rows.len(), d), |(i, j)| (f64::from(rows[i][j]) - self.mean[j]) / self.std[j])
    }
}
