/*!
Audio features for genrecast that match librosa 0.11 numerically.

# Overview
- [`FeatureExtractor`] computes any subset of [`FeatureKind`] (mel, dB mel, MFCC, chroma from
  the STFT and from the CQT, centroid, bandwidth, roll-off, contrast, flatness, ZCR, RMS, onset
  strength, tempo, tonnetz) from one shared STFT, with plans built once ([`FeatureConfig`],
  librosa's defaults).
- The building blocks are public and each names the librosa call it matches: [`StftPlan`],
  [`MelFilterbank`], [`power_to_db`], [`mfcc_from_db`], [`chroma_stft`] with
  [`estimate_tuning`], the constant-Q transform [`ConstantQ`] with [`chroma_cqt`], the
  functions of [`spectral`] and [`rhythm`], and the
  [`MusicnnFrontEnd`] preset.
- [`summarize_array`] turns a feature over time into FMA-style statistics with stable
  [`column_names`].

Arrays are [`Array2`] in librosa's orientation, `features x frames`. Parity with librosa is
tested on real music against arrays made by librosa itself (`shared/reference/librosa`).

# Example
```
use genrecast_features::{FeatureConfig, FeatureExtractor, FeatureKind};
let fx = FeatureExtractor::new(FeatureConfig::default())?;
let y = vec![0.1f32; 22_050 * 2];
let set = fx.extract(&y, &[FeatureKind::MelDb, FeatureKind::Chroma])?;
assert_eq!(set[&FeatureKind::MelDb].shape(), [128, 87]);
# Ok::<(), genrecast_features::Error>(())
```
*/
#![deny(missing_docs)]

mod array;
pub mod chroma;
mod convert;
mod cqt;
mod error;
mod extractor;
mod log10;
mod mel;
mod mfcc;
mod npy;
pub mod rhythm;
pub mod spectral;
mod stft;
pub mod stream;
pub mod summary_stream;
mod rfft;
mod summary;
mod wide;

/// Whether `GENRECAST_NO_AVX512` asks for the portable code instead of the run-time AVX-512
/// and AVX2 kernels (any value but empty or `0`); they give the same bits, so this is for
/// checking that and for profiling.
pub(crate) fn portable_kernels_asked() -> bool {
    std::env::var_os("GENRECAST_NO_AVX512").is_some_and(|v| !v.is_empty() && v != "0")
}

/// The version of the feature code, part of every feature-cache key: the crate version plus a
/// revision bumped whenever a change moves any output value, so that cached features computed
/// by older code are never served.
pub const CODE_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "+r4");

/// The librosa release whose outputs the features match (the version that made the
/// reference arrays the parity tests compare with).
///
/// # Example
/// ```
/// assert!(genrecast_features::LIBROSA_VERSION.starts_with("0.11"));
/// ```
pub const LIBROSA_VERSION: &str = "0.11.0";

pub use array::{dot, Array2};
pub use chroma::{chroma_filterbank, chroma_stft, estimate_tuning, pitch_tuning, ChromaConfig};
pub use cqt::{c1_hz, chroma_cqt, cq_to_chroma, ConstantQ, CqtConfig};
pub use convert::{fft_frequencies, hz_to_mel, linspace, mel_frequencies, mel_to_hz, power_to_db, DbReference};
pub use error::{Error, Result};
pub use extractor::{FeatureConfig, FeatureExtractor, FeatureKind, FeatureSet, MusicnnFrontEnd, SongContext, SongScan};
pub use mel::{MelConfig, MelFilterbank, MelNorm};
pub use mfcc::{dct_ortho, mfcc_from_db};
pub use npy::{remove_stale_temp_files, remove_stale_temp_files_of, write_atomic, write_npy, NpyColumnWriter};
pub use stft::{hann, n_frames, PowerSpectrogram, Precision, StftPlan};
pub use summary::{column_names, summarize, summarize_array, STATISTICS};
