//! Fixed scales for library embeddings: per-dimension mean and standard deviation fitted once,
//! on a stated corpus, and applied to every library alike.
//!
//! Distances between songs must not depend on which other songs a library holds. Fitting the
//! scale over the library itself made the same two songs 2.0 apart in a 2-song library and
//! 1.35 in a 34-song one; a scale that comes with the model (or, for the model-independent
//! summary vector, with genrecast) gives them one distance everywhere.

use crate::{Error, Result};

/// Per-dimension mean and standard deviation for an embedding, with what they were fitted on.
///
/// # Example
/// ```
/// use genrecast_models::EmbeddingScale;
/// let scale = EmbeddingScale::fit(&[vec![1.0, 10.0], vec![3.0, 10.0]], "two rows");
/// let mut v = vec![3.0, 12.0];
/// scale.apply(&mut v);
/// // (3 - 2) / 1, and a constant column keeps a std of 1: (12 - 10) / 1.
/// assert_eq!(v, [1.0, 2.0]);
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EmbeddingScale {
    /// Mean of each dimension.
    pub mean: Vec<f32>,
    /// Population standard deviation of each dimension (1 where a dimension was constant).
    pub std: Vec<f32>,
    /// The corpus the statistics come from, in words.
    pub fitted_on: String,
}

impl EmbeddingScale {
    /// Fits on `rows` (all of one width), accumulating in f64.
    pub fn fit(rows: &[Vec<f32>], fitted_on: &str) -> Self {
        let s = genrecast_eval::Standardizer::fit(rows);
        Self { mean: s.mean.iter().map(|&m| m as f32).collect(), std: s.std.iter().map(|&d| d as f32).collect(), fitted_on: fitted_on.to_owned() }
    }

    /// Dimensions.
    pub fn len(&self) -> usize {
        self.mean.len()
    }

    /// Whether it has no dimensions.
    pub fn is_empty(&self) -> bool {
        self.mean.is_empty()
    }

    /// Standardises `v` in place: `(v - mean) / std`, dimension by dimension.
    pub fn apply(&self, v: &mut [f32]) {
        for ((x, m), s) in v.iter_mut().zip(&self.mean).zip(&self.std) {
            *x = (*x - m) / s;
        }
    }

    /// The same statistics as the learners' [`genrecast_eval::Standardizer`].
    pub fn standardizer(&self) -> genrecast_eval::Standardizer {
        genrecast_eval::Standardizer { mean: self.mean.iter().map(|&m| f64::from(m)).collect(), std: self.std.iter().map(|&d| f64::from(d)).collect() }
    }

    /// Refuses statistics that cannot scale anything: lengths that differ, non-finite values,
    /// a standard deviation that is not positive.
    ///
    /// # Errors
    /// [`Error::Config`] naming `what`.
    pub fn validate(&self, what: &str) -> Result<()> {
        if self.mean.len() != self.std.len() || self.mean.is_empty() {
            return Err(Error::Config(format!("{what}: embedding scale with {} means and {} standard deviations", self.mean.len(), self.std.len())));
        }
        if self.mean.iter().any(|m| !m.is_finite()) || self.std.iter().any(|s| !s.is_finite() || *s <= 0.0) {
            return Err(Error::Config(format!("{what}: embedding scale with a non-finite mean or a standard deviation that is not positive")));
        }
        Ok(())
    }
}

/// The fixed scale of the 90-d summary vector ([`summary_vector`](crate::summary_vector)), the
/// library's `summary` embedding: fitted on the GTZAN files the default model was trained on,
/// by `tools/fit_summary_scale.sh` (its command and corpus are in `fitted_on`).
///
/// # Example
/// ```
/// let scale = genrecast_models::summary_scale()?;
/// assert_eq!(scale.len(), 90);
/// # Ok::<(), genrecast_models::Error>(())
/// ```
///
/// # Errors
/// [`Error::Config`] if the compiled-in file does not parse (never for a build that passed its
/// tests).
pub fn summary_scale() -> Result<EmbeddingScale> {
    let scale: EmbeddingScale = serde_json::from_slice(include_bytes!("../pretrained/summary-scale.json")).map_err(|e| Error::Config(format!("the built-in summary scale: {e}")))?;
    scale.validate("the built-in summary scale")?;
    Ok(scale)
}
