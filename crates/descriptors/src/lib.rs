//! The classic descriptor sets of music genre classification, computed from audio.
//!
//! - [`rp`]: the rp_extract family of Rauber, Pampalk and Lidy (TU Wien): a psycho-acoustic
//!   Bark sonogram and, from it, rhythm patterns (RP), rhythm histograms (RH), statistical
//!   spectrum descriptors (SSD), their temporal variants (TSSD, TRH) and the modulation
//!   variance descriptor (MVD), as `rp_extract.py` computes them.
//! - [`timbral`]: Marsyas-style timbral texture features (Tzanetakis and Cook 2002).
//!
//! # Example
//! ```
//! use genrecast_descriptors::rp::RpExtractor;
//! let fx = RpExtractor::new(22_050)?;
//! let y: Vec<f32> = (0..22_050 * 7).map(|i| (i as f32 * 0.05).sin() * 0.3).collect();
//! let d = fx.extract(&y)?;
//! assert_eq!((d.rp.len(), d.rh.len(), d.ssd.len()), (1440, 60, 168));
//! # Ok::<(), genrecast_descriptors::Error>(())
//! ```
#![deny(missing_docs)]

pub mod rp;
pub mod timbral;

/// What can go wrong computing descriptors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A parameter outside what the descriptor set defines.
    #[error("invalid {name} {value}: expected {expected}")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// Its value.
        value: String,
        /// What would be accepted.
        expected: &'static str,
    },
    /// A file analysed as it decodes failed: it does not decode, holds no audio, or changed
    /// between passes (the message names the file).
    #[error("{0}")]
    Stream(String),
}

/// Results of this crate.
pub type Result<T> = std::result::Result<T, Error>;
