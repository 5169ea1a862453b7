//! Short-time Fourier transform with a plan built once and reused across files.

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};

use crate::array::Array2;
use crate::error::{invalid, Result};

/// The periodic Hann window of length `n` (`scipy.signal.get_window("hann", n, fftbins=True)`,
/// what librosa uses).
pub fn hann(n: usize) -> Vec<f32> {
    hann_f64(n).into_iter().map(|v| v as f32).collect()
}

fn hann_f64(n: usize) -> Vec<f64> {
    (0..n).map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos()).collect()
}

/// Number of frames librosa produces for `n` samples: `1 + n / hop` with `center=True`,
/// `1 + (n - frame) / hop` without.
pub fn n_frames(n: usize, frame_length: usize, hop_length: usize, center: bool) -> usize {
    if center {
        1 + n / hop_length
    } else if n >= frame_length {
        1 + (n - frame_length) / hop_length
    } else {
        0
    }
}

/// A power spectrogram, stored frame by frame (`frames x bins`) because every per-frame
/// feature reads it that way; [`PowerSpectrogram::to_array`] gives librosa's orientation.
#[derive(Clone, Debug)]
pub struct PowerSpectrogram {
    /// `|X|^2`, `n_frames * n_bins` values, frame after frame.
    pub power: Vec<f32>,
    /// `1 + n_fft / 2`.
    pub n_bins: usize,
    /// Number of frames.
    pub n_frames: usize,
}

impl PowerSpectrogram {
    /// Frame `t` (all bins).
    pub fn frame(&self, t: usize) -> &[f32] {
        &self.power[t * self.n_bins..(t + 1) * self.n_bins]
    }

    /// The magnitude spectrogram `|X|`, frame by frame.
    pub fn magnitude(&self) -> Vec<f32> {
        self.power.iter().map(|p| p.sqrt()).collect()
    }

    /// `bins x frames`, as `np.abs(librosa.stft(y)) ** 2`.
    pub fn to_array(&self) -> Array2 {
        Array2::from_vec(self.n_frames, self.n_bins, self.power.clone()).transpose()
    }
}

/// An STFT of fixed `n_fft` and hop with a Hann window, `center=True` and zero padding
/// (librosa >= 0.10's `pad_mode="constant"`). Build it once; [`StftPlan::power`] is
/// thread-safe and reuses the FFT plan.
///
/// # Example
/// ```
/// let plan = genrecast_features::StftPlan::new(2048, 512)?;
/// let spec = plan.power(&vec![0.0f32; 22_050]);
/// assert_eq!((spec.n_bins, spec.n_frames), (1025, 44));
/// # Ok::<(), genrecast_features::Error>(())
/// ```
#[derive(Clone)]
pub struct StftPlan {
    n_fft: usize,
    hop: usize,
    window: Vec<f64>,
    // f64, as librosa: it multiplies by a float64 window and transforms in double precision
    // before casting to complex64. In f32 the round-off floor (about -110 dB) would swamp the
    // near-empty bands that spectral contrast measures.
    fft: Arc<dyn RealToComplex<f64>>,
}

impl std::fmt::Debug for StftPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StftPlan").field("n_fft", &self.n_fft).field("hop", &self.hop).finish()
    }
}

impl StftPlan {
    /// Plans an STFT of `n_fft` points every `hop_length` samples.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] if either is zero.
    pub fn new(n_fft: usize, hop_length: usize) -> Result<Self> {
        if n_fft < 2 {
            return Err(invalid("n_fft", n_fft, ">= 2"));
        }
        if hop_length == 0 {
            return Err(invalid("hop_length", hop_length, "> 0"));
        }
        let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n_fft);
        Ok(Self { n_fft, hop: hop_length, window: hann_f64(n_fft), fft })
    }

    /// FFT length.
    pub fn n_fft(&self) -> usize {
        self.n_fft
    }

    /// Hop length.
    pub fn hop_length(&self) -> usize {
        self.hop
    }

    /// `|stft(y)|^2`. Matches `np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop,
    /// window="hann", center=True, pad_mode="constant")) ** 2`.
    pub fn power(&self, y: &[f32]) -> PowerSpectrogram {
        self.power_span(y, 0, 0, n_frames(y.len(), self.n_fft, self.hop, true))
    }

    /// Frames `first_frame .. first_frame + n_frames` of [`power`](Self::power) of a song of
    /// which `y` holds the samples from index `y_start` on: the same values, bit for bit, as
    /// those frames of the whole song's spectrogram, provided `y` holds every sample of the
    /// song that they read (samples outside `y` are read as zeros, as beyond the song's ends).
    /// A long song's frames can so be computed from the few seconds around them, as it
    /// decodes.
    ///
    /// # Example
    /// ```
    /// let plan = genrecast_features::StftPlan::new(512, 256)?;
    /// let y: Vec<f32> = (0..16_000).map(|i| (i as f32 * 0.05).sin()).collect();
    /// let whole = plan.power(&y);
    /// // Frames 20..30 read samples 20 * 256 - 256 .. 29 * 256 + 256.
    /// let part = plan.power_span(&y[4_864..7_680], 4_864, 20, 10);
    /// assert_eq!(part.frame(0), whole.frame(20));
    /// # Ok::<(), genrecast_features::Error>(())
    /// ```
    pub fn power_span(&self, y: &[f32], y_start: usize, first_frame: usize, n_frames: usize) -> PowerSpectrogram {
        let n_fft = self.n_fft;
        let pad = n_fft / 2;
        let n_bins = n_fft / 2 + 1;
        // Frame t below is the song's frame first_frame + t; its samples, relative to y.
        let offset = (first_frame * self.hop) as isize - pad as isize - y_start as isize;
        let mut power = vec![0.0f32; n_frames * n_bins];
        let mut input = self.fft.make_input_vec();
        let mut output = self.fft.make_output_vec();
        let mut scratch = self.fft.make_scratch_vec();
        for t in 0..n_frames {
            // Frame t covers padded samples [t*hop, t*hop + n_fft), i.e. y[t*hop - pad ..].
            let start = (t * self.hop) as isize + offset;
            match usize::try_from(start).ok().and_then(|s| y.get(s..s + n_fft)) {
                // Interior frames (all but a few at each end): no bounds test per sample.
                Some(frame) => {
                    for ((v, &x), &w) in input.iter_mut().zip(frame).zip(&self.window) {
                        *v = f64::from(x) * w;
                    }
                }
                None => {
                    for (i, v) in input.iter_mut().enumerate() {
                        let j = start + i as isize;
                        *v = if j >= 0 && (j as usize) < y.len() { f64::from(y[j as usize]) * self.window[i] } else { 0.0 };
                    }
                }
            }
            // The lengths come from the plan itself, so this cannot fail.
            let _ = self.fft.process_with_scratch(&mut input, &mut output, &mut scratch);
            for (p, c) in power[t * n_bins..(t + 1) * n_bins].iter_mut().zip(&output) {
                *p = (c.re * c.re + c.im * c.im) as f32;
            }
        }
        PowerSpectrogram { power, n_bins, n_frames }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The FFT path against a naive DFT of the same windowed, zero-padded frames.
    #[test]
    fn stft_power_matches_naive_dft() {
        let y: Vec<f32> = (0..300).map(|i| ((i * 7919) % 101) as f32 / 50.0 - 1.0).collect();
        let (n_fft, hop) = (64, 16);
        let spec = StftPlan::new(n_fft, hop).expect("valid test input").power(&y);
        let w = hann(n_fft);
        for t in [0, 3, spec.n_frames - 1] {
            for k in [0, 5, n_fft / 2] {
                let (mut re, mut im) = (0.0f64, 0.0f64);
                for (n, &wn) in w.iter().enumerate() {
                    let j = (t * hop + n) as isize - (n_fft / 2) as isize;
                    let x = if j >= 0 && (j as usize) < y.len() { y[j as usize] * wn } else { 0.0 } as f64;
                    let ang = -2.0 * std::f64::consts::PI * (k * n) as f64 / n_fft as f64;
                    re += x * ang.cos();
                    im += x * ang.sin();
                }
                let want = re * re + im * im;
                let got = spec.frame(t)[k] as f64;
                assert!((got - want).abs() <= 1e-4 * want.max(1.0), "t={t} k={k}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn frame_count_matches_librosa() {
        assert_eq!(n_frames(661_794, 2048, 512, true), 1293);
        assert_eq!(n_frames(100, 2048, 512, false), 0);
    }
}
