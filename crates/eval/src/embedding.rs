//! How well an embedding separates labels: the silhouette score and k-nearest-neighbour
//! accuracy where a track's neighbours never share its group (artist), so that an embedding
//! is not rewarded for recognising the artist or the recording.

/// Distance used by [`silhouette`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Distance {
    /// Euclidean.
    Euclidean,
    /// `1 - cos`.
    Cosine,
}

impl Distance {
    /// The distance between `a` and `b` (in `f64`); cosine distance is 1 when either is zero.
    ///
    /// # Example
    /// ```
    /// use genrecast_eval::Distance;
    /// assert_eq!(Distance::Euclidean.between(&[0.0, 3.0], &[4.0, 0.0]), 5.0);
    /// assert!(Distance::Cosine.between(&[1.0, 0.0], &[2.0, 0.0]).abs() < 1e-12);
    /// ```
    pub fn between(self, a: &[f32], b: &[f32]) -> f64 {
        match self {
            Self::Euclidean => a.iter().zip(b).map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2)).sum::<f64>().sqrt(),
            Self::Cosine => {
                let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
                for (&x, &y) in a.iter().zip(b) {
                    let (x, y) = (f64::from(x), f64::from(y));
                    ab += x * y;
                    aa += x * x;
                    bb += y * y;
                }
                if aa == 0.0 || bb == 0.0 { 1.0 } else { 1.0 - ab / (aa.sqrt() * bb.sqrt()) }
            }
        }
    }
}

fn distance(a: &[f32], b: &[f32], d: Distance) -> f64 {
    d.between(a, b)
}

/// Mean silhouette coefficient of `x` clustered by `labels` (sklearn `silhouette_score`): for
/// each point, `(b - a) / max(a, b)` with `a` its mean distance to its own cluster and `b` to
/// the nearest other cluster; 0 for points alone in their cluster. `None` with fewer than two
/// clusters.
///
/// # Example
/// ```
/// use genrecast_eval::{silhouette, Distance};
/// let x = [vec![0.0], vec![1.0], vec![10.0], vec![11.0]];
/// let s = silhouette(&x, &[0, 0, 1, 1], Distance::Euclidean).unwrap();
/// // Point 0: a = 1, b = mean(10, 11) = 10.5; point 1: a = 1, b = mean(9, 10) = 9.5; the
/// // other cluster mirrors them.
/// assert!((s - (9.5 / 10.5 + 8.5 / 9.5) / 2.0).abs() < 1e-12);
/// ```
pub fn silhouette(x: &[Vec<f32>], labels: &[usize], d: Distance) -> Option<f64> {
    let n_labels = labels.iter().copied().max()? + 1;
    let sizes: Vec<usize> = (0..n_labels).map(|c| labels.iter().filter(|&&l| l == c).count()).collect();
    if sizes.iter().filter(|&&s| s > 0).count() < 2 {
        return None;
    }
    let mut total = 0.0;
    for i in 0..x.len() {
        let mut sums = vec![0.0; n_labels];
        for j in 0..x.len() {
            if i != j {
                sums[labels[j]] += distance(&x[i], &x[j], d);
            }
        }
        let own = labels[i];
        if sizes[own] <= 1 {
            continue;
        }
        let a = sums[own] / (sizes[own] - 1) as f64;
        let b = (0..n_labels).filter(|&c| c != own && sizes[c] > 0).map(|c| sums[c] / sizes[c] as f64).fold(f64::INFINITY, f64::min);
        let m = a.max(b);
        total += if m > 0.0 { (b - a) / m } else { 0.0 };
    }
    Some(total / x.len() as f64)
}

/// Predicted label of each point by a uniform vote of its `k` nearest (Euclidean) points of
/// other groups (ties: the lowest label, as scikit-learn's `KNeighborsClassifier`).
///
/// # Example
/// ```
/// let x = [vec![0.0], vec![0.1], vec![5.0], vec![5.1]];
/// // Points 0 and 1 share a group, so each must look past the other.
/// let p = genrecast_eval::knn_leave_group_out(&x, &[0, 0, 1, 1], &[7, 7, 8, 9], 1);
/// assert_eq!(p, [1, 1, 1, 1]);
/// ```
pub fn knn_leave_group_out(x: &[Vec<f32>], labels: &[usize], groups: &[usize], k: usize) -> Vec<usize> {
    let n_labels = labels.iter().copied().max().map_or(0, |m| m + 1);
    (0..x.len())
        .map(|i| {
            let mut near: Vec<(f64, usize)> = (0..x.len()).filter(|&j| groups[j] != groups[i]).map(|j| (distance(&x[i], &x[j], Distance::Euclidean), j)).collect();
            near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let mut votes = vec![0usize; n_labels];
            for &(_, j) in near.iter().take(k) {
                votes[labels[j]] += 1;
            }
            crate::argmax(&votes)
        })
        .collect()
}
