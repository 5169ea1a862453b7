//! Feature standardisation for the learners: [`genrecast_eval::Standardizer`] (statistics
//! from the training rows only) applied as the `ndarray` matrix linfa takes.

use ndarray::Array2;

pub use genrecast_eval::Standardizer;

/// `rows` standardised by `s`, as an `n x d` matrix.
///
/// # Example
/// ```
/// use genrecast_classic::{standardized_matrix, Standardizer};
/// let s = Standardizer::fit(&[vec![1.0, 5.0], vec![3.0, 5.0]]);
/// assert_eq!(standardized_matrix(&s, &[vec![3.0, 6.0]]).row(0).to_vec(), [1.0, 1.0]);
/// ```
pub fn standardized_matrix(s: &Standardizer, rows: &[Vec<f32>]) -> Array2<f64> {
    let d = s.mean.len();
    Array2::from_shape_fn((rows.len(), d), |(i, j)| (f64::from(rows[i][j]) - s.mean[j]) / s.std[j])
}
