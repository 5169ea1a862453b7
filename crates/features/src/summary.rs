//! Summary statistics over time, with stable named columns (as FMA's `features.csv`).

use crate::array::Array2;

/// The statistics computed for every feature dimension, in column order (FMA's set).
pub const STATISTICS: [&str; 7] = ["mean", "std", "skew", "kurtosis", "median", "min", "max"];

/// Summary of one row over frames: mean, population std, skewness and excess kurtosis (biased
/// moment estimates, as `scipy.stats.skew` / `kurtosis` defaults), median, min, max.
/// A constant row has skew and kurtosis 0 (scipy gives NaN) so that vectors stay finite.
///
/// # Example
/// ```
/// let s = genrecast_features::summarize(&[1.0, 2.0, 3.0, 4.0]);
/// assert_eq!((s[0], s[4], s[5], s[6]), (2.5, 2.5, 1.0, 4.0));
/// assert!((s[1] - 1.118034).abs() < 1e-6 && s[2].abs() < 1e-12);
/// ```
pub fn summarize(x: &[f32]) -> [f64; 7] {
    if x.is_empty() {
        return [0.0; 7];
    }
    let n = x.len() as f64;
    let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
    for &v in x {
        let d = f64::from(v) - mean;
        m2 += d * d;
        m3 += d * d * d;
        m4 += d * d * d * d;
    }
    let (m2, m3, m4) = (m2 / n, m3 / n, m4 / n);
    let (skew, kurt) = if m2 <= 1e-24 * mean.abs().max(1.0).powi(2) { (0.0, 0.0) } else { (m3 / m2.powf(1.5), m4 / (m2 * m2) - 3.0) };
    let mut sorted: Vec<f32> = x.to_vec();
    sorted.sort_unstable_by(f32::total_cmp);
    let k = sorted.len();
    let median = if k % 2 == 1 { f64::from(sorted[k / 2]) } else { (f64::from(sorted[k / 2 - 1]) + f64::from(sorted[k / 2])) / 2.0 };
    [mean, m2.sqrt(), skew, kurt, median, f64::from(sorted[0]), f64::from(sorted[k - 1])]
}

/// Column names for a feature of `rows` dimensions: `feature/statistic/NN`, NN counted from
/// 01 as FMA numbers them.
pub fn column_names(feature: &str, rows: usize) -> Vec<String> {
    let mut names = Vec::with_capacity(rows * STATISTICS.len());
    for stat in STATISTICS {
        for r in 0..rows {
            names.push(format!("{feature}/{stat}/{:02}", r + 1));
        }
    }
    names
}

/// Summary vector of a feature array, in the order of [`column_names`].
pub fn summarize_array(a: &Array2) -> Vec<f64> {
    let per_row: Vec<[f64; 7]> = (0..a.rows).map(|r| summarize(a.row(r))).collect();
    (0..STATISTICS.len()).flat_map(|s| per_row.iter().map(move |row| row[s])).collect()
}
