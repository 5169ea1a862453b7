//! Per-column standardisation (sklearn `StandardScaler`), fitted on one set of rows and
//! applied to others: the classic models scale their inputs with it, and distances between
//! embeddings are taken on standardised columns so that no column's unit (a centroid in Hz
//! next to a flatness in [0, 1]) drowns the rest.

/// Per-column mean and standard deviation of the rows it was fitted on.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Standardizer {
    /// Column means.
    pub mean: Vec<f64>,
    /// Column population standard deviations (1 where a column is constant, as sklearn does).
    pub std: Vec<f64>,
}

impl Standardizer {
    /// Fits on `rows` (all of one width; a longer row's extra values are ignored).
    ///
    /// # Example
    /// ```
    /// use genrecast_eval::Standardizer;
    /// let s = Standardizer::fit(&[vec![1.0, 5.0], vec![3.0, 5.0]]);
    /// assert_eq!(s.mean, [2.0, 5.0]);
    /// assert_eq!(s.std, [1.0, 1.0]); // the constant column keeps scale 1
    /// assert_eq!(s.transform(&[3.0, 6.0]), [1.0, 1.0]);
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

    /// `(row - mean) / std`, column by column.
    pub fn transform(&self, row: &[f32]) -> Vec<f64> {
        row.iter().zip(&self.mean).zip(&self.std).map(|((&v, m), s)| (f64::from(v) - m) / s).collect()
    }

    /// As [`transform`](Self::transform), in place and in `f32`.
    pub fn transform_in_place(&self, row: &mut [f32]) {
        for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
            *v = ((f64::from(*v) - m) / s) as f32;
        }
    }
}
