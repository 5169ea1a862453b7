//! Spectral shape features and frame-wise time-domain features (`librosa/feature/spectral.py`).
//!
//! Functions taking a spectrum take it frame-major: `n_frames` runs of `n_bins` magnitudes,
//! as [`crate::PowerSpectrogram::magnitude`] returns. They return one value per frame
//! (librosa's `1 x frames` arrays) unless stated.

use crate::array::Array2;
use crate::convert::{power_to_db, DbReference};
use crate::error::{invalid, Result};
use crate::stft::n_frames;

/// `np.finfo(np.float32).tiny`: librosa's default threshold in `util.normalize`.
const TINY_F32: f64 = f32::MIN_POSITIVE as f64;

fn frames(mag: &[f32], n_bins: usize) -> impl Iterator<Item = &[f32]> {
    mag.chunks_exact(n_bins)
}

/// Spectral centroid: the magnitude-weighted mean frequency of each frame (0 for a silent
/// frame). Matches `librosa.feature.spectral_centroid(S=|stft|, freq=freq)`.
pub fn spectral_centroid(mag: &[f32], n_bins: usize, freq: &[f64]) -> Vec<f32> {
    frames(mag, n_bins).map(|f| centroid_of(f, freq) as f32).collect()
}

fn centroid_of(f: &[f32], freq: &[f64]) -> f64 {
    let total: f64 = f.iter().map(|&v| f64::from(v).abs()).sum();
    if total < TINY_F32 {
        return 0.0;
    }
    f.iter().zip(freq).map(|(&v, &fr)| f64::from(v) * fr).sum::<f64>() / total
}

/// Spectral bandwidth of order `p` around the centroid, with L1-normalised frames.
/// Matches `librosa.feature.spectral_bandwidth(S=|stft|, p=2, norm=True)`.
pub fn spectral_bandwidth(mag: &[f32], n_bins: usize, freq: &[f64], p: f64) -> Vec<f32> {
    frames(mag, n_bins)
        .map(|f| {
            let c = centroid_of(f, freq);
            let total: f64 = f.iter().map(|&v| f64::from(v).abs()).sum();
            let scale = if total < TINY_F32 { 1.0 } else { 1.0 / total };
            let s: f64 = if p == 2.0 {
                f.iter().zip(freq).map(|(&v, &fr)| f64::from(v) * (fr - c) * (fr - c)).sum::<f64>() * scale
            } else {
                f.iter().zip(freq).map(|(&v, &fr)| f64::from(v) * (fr - c).abs().powf(p)).sum::<f64>() * scale
            };
            s.powf(1.0 / p) as f32
        })
        .collect()
}

/// The frequency below which `roll_percent` of each frame's magnitude lies. Matches
/// `librosa.feature.spectral_rolloff(S=|stft|, roll_percent=0.85)`.
///
/// # Errors
/// If `roll_percent` is not in (0, 1).
pub fn spectral_rolloff(mag: &[f32], n_bins: usize, freq: &[f64], roll_percent: f64) -> Result<Vec<f32>> {
    if !(roll_percent > 0.0 && roll_percent < 1.0) {
        return Err(invalid("roll_percent", roll_percent, "in (0, 1)"));
    }
    let mut cum = vec![0.0f32; n_bins];
    Ok(frames(mag, n_bins)
        .map(|f| {
            // librosa accumulates in the input's dtype (float32); do the same so that the
            // threshold crossing lands on the same bin.
            let mut acc = 0.0f32;
            for (c, &v) in cum.iter_mut().zip(f) {
                acc += v;
                *c = acc;
            }
            let threshold = (roll_percent as f32) * acc;
            let k = cum.iter().position(|&c| c >= threshold).unwrap_or(n_bins - 1);
            freq[k] as f32
        })
        .collect())
}

/// Spectral flatness: geometric over arithmetic mean of `max(amin, |X|^power)`. Matches
/// `librosa.feature.spectral_flatness(S=|stft|, amin=1e-10, power=2.0)`.
pub fn spectral_flatness(mag: &[f32], n_bins: usize, amin: f64, power: f64) -> Vec<f32> {
    frames(mag, n_bins)
        .map(|f| {
            let (mut log_sum, mut sum) = (0.0f64, 0.0f64);
            for &v in f {
                let s = f64::from(v).powf(power).max(amin);
                log_sum += s.ln();
                sum += s;
            }
            let n = f.len() as f64;
            ((log_sum / n).exp() / (sum / n)) as f32
        })
        .collect()
}

/// Spectral contrast: per octave band, the dB difference between the mean of the top and
/// bottom `quantile` of magnitudes. Returns `(n_bands + 1) x frames`. Matches
/// `librosa.feature.spectral_contrast(S=|stft|, sr=sr, fmin=200.0, n_bands=6, quantile=0.02,
/// linear=False)`, including its band-edge quirks (each band takes one bin below its lower
/// edge and drops its top bin; the last takes everything above).
///
/// # References
/// Jiang, Dan-Ning, et al. "Music type classification by spectral contrast feature."
/// ICME 2002.
///
/// # Errors
/// For `n_bands == 0`, `quantile` outside (0, 1), `fmin <= 0`, or bands past Nyquist.
pub fn spectral_contrast(mag: &[f32], n_bins: usize, freq: &[f64], sr: f64, fmin: f64, n_bands: usize, quantile: f64) -> Result<Array2> {
    if n_bands == 0 {
        return Err(invalid("n_bands", n_bands, "a positive integer"));
    }
    if !(quantile > 0.0 && quantile < 1.0) {
        return Err(invalid("quantile", quantile, "in (0, 1)"));
    }
    if fmin <= 0.0 {
        return Err(invalid("fmin", fmin, "> 0"));
    }
    let mut octa = vec![0.0f64; n_bands + 2];
    for (i, o) in octa.iter_mut().enumerate().skip(1) {
        *o = fmin * 2f64.powi(i as i32 - 1);
    }
    if octa[..n_bands + 1].iter().any(|&o| o >= 0.5 * sr) {
        return Err(invalid("n_bands", n_bands, "bands below Nyquist: reduce fmin or n_bands"));
    }
    // Bin ranges [lo, hi) used for sorting, and the count that sets the quantile size.
    let mut bands = Vec::with_capacity(n_bands + 1);
    for k in 0..=n_bands {
        let (f_low, f_high) = (octa[k], octa[k + 1]);
        let idx: Vec<usize> = (0..n_bins).filter(|&i| freq[i] >= f_low && freq[i] <= f_high).collect();
        let (Some(&first), Some(&last)) = (idx.first(), idx.last()) else {
            return Err(invalid("n_fft", n_bins, "enough bins for every contrast band"));
        };
        let lo = if k > 0 { first - 1 } else { first };
        let hi_incl = if k == n_bands { n_bins - 1 } else { last };
        let count = hi_incl + 1 - lo;
        let hi = if k < n_bands { hi_incl } else { hi_incl + 1 };
        let q = ((quantile * count as f64).round_ties_even() as usize).max(1);
        bands.push((lo, hi, q));
    }
    let n_frames = mag.len() / n_bins;
    let mut peak = vec![0.0f32; (n_bands + 1) * n_frames];
    let mut valley = vec![0.0f32; (n_bands + 1) * n_frames];
    let mut sorted = Vec::with_capacity(n_bins);
    for (t, f) in frames(mag, n_bins).enumerate() {
        for (k, &(lo, hi, q)) in bands.iter().enumerate() {
            sorted.clear();
            sorted.extend_from_slice(&f[lo..hi]);
            let len = sorted.len();
            let mean = |s: &[f32]| (s.iter().map(|&v| f64::from(v)).sum::<f64>() / s.len() as f64) as f32;
            // Only the q smallest and q largest matter: two partial selections, not a sort.
            if q < len {
                sorted.select_nth_unstable_by(q - 1, f32::total_cmp);
            }
            valley[k * n_frames + t] = mean(&sorted[..q]);
            if q < len {
                sorted.select_nth_unstable_by(len - q, f32::total_cmp);
            }
            peak[k * n_frames + t] = mean(&sorted[len - q..]);
        }
    }
    power_to_db(&mut peak, DbReference::Value(1.0), 1e-10, Some(80.0));
    power_to_db(&mut valley, DbReference::Value(1.0), 1e-10, Some(80.0));
    let data = peak.iter().zip(&valley).map(|(p, v)| p - v).collect();
    Ok(Array2::from_vec(n_bands + 1, n_frames, data))
}

/// `y` centred as librosa pads it (`frame_length / 2` samples each side, edge or zero
/// values), so that frame `t` is `padded[t*hop .. t*hop + frame_length]`: one copy, then
/// plain slices (a per-sample closure through `dyn Iterator` cost 12 % of extraction).
fn centred(y: &[f32], frame_length: usize, edge: bool) -> Vec<f32> {
    let half = frame_length / 2;
    let (first, last) = if edge { (y[0], y[y.len() - 1]) } else { (0.0, 0.0) };
    let mut p = Vec::with_capacity(y.len() + 2 * half);
    p.resize(half, first);
    p.extend_from_slice(y);
    p.resize(y.len() + 2 * half, last);
    p
}

/// Frame `t` of a [`centred`] signal (short at the end when the padded signal is).
fn frame(padded: &[f32], t: usize, frame_length: usize, hop: usize) -> &[f32] {
    let start = (t * hop).min(padded.len());
    &padded[start..(start + frame_length).min(padded.len())]
}

/// Zero-crossing rate per frame, with edge padding, `|x| <= 1e-10` counted as zero and zero
/// counted as positive. Matches `librosa.feature.zero_crossing_rate(y, frame_length=2048,
/// hop_length=512, center=True)`.
pub fn zero_crossing_rate(y: &[f32], frame_length: usize, hop_length: usize) -> Vec<f32> {
    if y.is_empty() {
        return vec![];
    }
    // librosa zeroes |x| <= threshold, then counts sign-bit changes.
    let negative: Vec<bool> = centred(y, frame_length, true).iter().map(|&v| if v.abs() <= 1e-10 { false } else { v.is_sign_negative() }).collect();
    (0..n_frames(y.len(), frame_length, hop_length, true))
        .map(|t| {
            let start = (t * hop_length).min(negative.len());
            let f = &negative[start..(start + frame_length).min(negative.len())];
            let count = f.windows(2).filter(|w| w[0] != w[1]).count();
            count as f32 / f.len().max(1) as f32
        })
        .collect()
}

/// Root-mean-square energy per frame of the zero-padded signal. Matches
/// `librosa.feature.rms(y=y, frame_length=2048, hop_length=512, center=True)`.
pub fn rms(y: &[f32], frame_length: usize, hop_length: usize) -> Vec<f32> {
    if y.is_empty() {
        return vec![];
    }
    let padded = centred(y, frame_length, false);
    (0..n_frames(y.len(), frame_length, hop_length, true))
        .map(|t| {
            let f = frame(&padded, t, frame_length, hop_length);
            let s: f64 = f.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
            ((s / f.len().max(1) as f64).sqrt()) as f32
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::fft_frequencies;

    /// librosa's `S_ideal` test: one non-zero bin, so the centroid is that bin's frequency
    /// and the bandwidth is zero.
    #[test]
    fn spectral_centroid_single_bin_is_bin_frequency() {
        let freq = fft_frequencies(22_050.0, 2048);
        let mut frame = vec![0.0f32; 1025];
        frame[100] = 3.0;
        assert!((spectral_centroid(&frame, 1025, &freq)[0] as f64 - freq[100]).abs() < 1e-3);
        assert!(spectral_bandwidth(&frame, 1025, &freq, 2.0)[0].abs() < 1e-3);
        assert_eq!(spectral_rolloff(&frame, 1025, &freq, 0.85).unwrap()[0] as f64, freq[100] as f32 as f64);
    }

    #[test]
    fn spectral_flatness_white_is_one_and_tone_is_small() {
        let white = vec![1.0f32; 64];
        assert!((spectral_flatness(&white, 64, 1e-10, 2.0)[0] - 1.0).abs() < 1e-6);
        let mut tone = vec![0.0f32; 64];
        tone[3] = 1.0;
        assert!(spectral_flatness(&tone, 64, 1e-10, 2.0)[0] < 1e-6);
    }

    #[test]
    fn zcr_of_alternating_signal_is_one() {
        let y: Vec<f32> = (0..4096).map(|i| if i % 2 == 0 { 1.0 } else { -1.0 }).collect();
        let z = zero_crossing_rate(&y, 2048, 512);
        // 2047 crossings among 2048 samples in an interior frame.
        assert!((z[4] - 2047.0 / 2048.0).abs() < 1e-6);
    }

    #[test]
    fn rms_of_constant_is_constant() {
        let y = vec![0.5f32; 8192];
        assert!((rms(&y, 2048, 512)[8] - 0.5).abs() < 1e-6);
    }
}
