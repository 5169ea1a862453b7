//! Class balancing of a training side: over- or undersampling, or class weights for the loss.

use rand::seq::{IndexedRandom, SliceRandom};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// How to even out classes in training.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Balancing {
    /// Use the data as it is.
    #[default]
    None,
    /// Repeat tracks of smaller classes (whole copies, then a random remainder) up to the
    /// largest class.
    Oversample,
    /// Draw, without replacement, as many tracks of each class as the smallest class has.
    Undersample,
    /// Keep the data; weight the loss by [`class_weights`] instead.
    ClassWeights,
}

impl std::str::FromStr for Balancing {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "none" => Ok(Self::None),
            "oversample" | "over" => Ok(Self::Oversample),
            "undersample" | "under" => Ok(Self::Undersample),
            "weights" | "class-weights" | "class_weights" => Ok(Self::ClassWeights),
            other => Err(crate::Error::InvalidParameter(format!("unknown balancing '{other}' (known: none, oversample, undersample, weights)"))),
        }
    }
}

/// The training indices after balancing: `classes[i]` is track `i`'s class; tracks without a
/// class are dropped by over/undersampling. The result is shuffled (seeded) for the resampling
/// modes and unchanged for `None`/`ClassWeights`. Call it on a training side only, after
/// splitting, so that copies never reach validation or test.
///
/// # Example
/// ```
/// use genrecast_datasets::{balance, Balancing};
/// let classes = [Some(0), Some(0), Some(0), Some(1)];
/// let mut over = balance(&classes, &[0, 1, 2, 3], Balancing::Oversample, 7);
/// over.sort();
/// assert_eq!(over, [0, 1, 2, 3, 3, 3]);
/// assert_eq!(balance(&classes, &[0, 1, 2, 3], Balancing::Undersample, 7).len(), 2);
/// ```
pub fn balance(classes: &[Option<usize>], indices: &[usize], mode: Balancing, seed: u64) -> Vec<usize> {
    if matches!(mode, Balancing::None | Balancing::ClassWeights) {
        return indices.to_vec();
    }
    let n_classes = indices.iter().filter_map(|&i| classes[i]).max().map_or(0, |m| m + 1);
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); n_classes];
    for &i in indices {
        if let Some(c) = classes[i] {
            by_class[c].push(i);
        }
    }
    let present: Vec<&Vec<usize>> = by_class.iter().filter(|v| !v.is_empty()).collect();
    let Some(target) = (if mode == Balancing::Oversample { present.iter().map(|v| v.len()).max() } else { present.iter().map(|v| v.len()).min() }) else {
        return Vec::new();
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(target * present.len());
    for members in present {
        let mut shuffled = members.clone();
        shuffled.shuffle(&mut rng);
        if mode == Balancing::Undersample {
            out.extend_from_slice(&shuffled[..target]);
        } else {
            for _ in 0..target / members.len() {
                out.extend_from_slice(members);
            }
            out.extend(shuffled.choose_multiple(&mut rng, target % members.len()));
        }
    }
    out.shuffle(&mut rng);
    out
}

/// Weights `n / (k * n_c)` per class over the training `indices` (scikit-learn's
/// `class_weight='balanced'`), 0 for a class absent from them.
///
/// # Example
/// ```
/// use genrecast_datasets::class_weights;
/// let w = class_weights(&[Some(0), Some(0), Some(0), Some(1)], &[0, 1, 2, 3], 3);
/// assert_eq!(w, [4.0 / 6.0, 2.0, 0.0]);
/// ```
pub fn class_weights(classes: &[Option<usize>], indices: &[usize], n_classes: usize) -> Vec<f32> {
    let mut counts = vec![0usize; n_classes];
    for &i in indices {
        if let Some(c) = classes[i].filter(|&c| c < n_classes) {
            counts[c] += 1;
        }
    }
    let n: usize = counts.iter().sum();
    let k = counts.iter().filter(|&&c| c > 0).count();
    counts.iter().map(|&c| if c == 0 { 0.0 } else { n as f32 / (k as f32 * c as f32) }).collect()
}
