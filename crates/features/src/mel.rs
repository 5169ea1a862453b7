//! Mel filterbanks and the mel spectrogram.

use crate::array::Array2;
use crate::convert::{fft_frequencies, mel_frequencies};
use crate::error::{invalid, Result};
use crate::stft::PowerSpectrogram;

/// How each mel filter is normalised (librosa `norm`).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MelNorm {
    /// No normalisation (`norm=None`): triangles peak at 1.
    None,
    /// Slaney's constant-energy scaling, `2 / (f[i+2] - f[i])` (`norm="slaney"`, the default).
    Slaney,
    /// Each filter divided by its p-norm (`norm=p`; `f32::INFINITY` for the max norm).
    P(f32),
}

/// Parameters of a mel filterbank.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MelConfig {
    /// Sample rate. Default: `22050` (librosa `sr`).
    pub sr: u32,
    /// FFT length. Default: `2048` (librosa `n_fft`).
    pub n_fft: usize,
    /// Number of mel bands. Default: `128` (librosa `n_mels`).
    pub n_mels: usize,
    /// Lowest frequency. Default: `0.0` (librosa `fmin`).
    pub fmin: f64,
    /// Highest frequency; `None` is `sr / 2`. Default: `None` (librosa `fmax`).
    pub fmax: Option<f64>,
    /// HTK mel scale instead of Slaney's. Default: `false` (librosa `htk`).
    pub htk: bool,
    /// Filter normalisation. Default: [`MelNorm::Slaney`] (librosa `norm`).
    pub norm: MelNorm,
}

impl Default for MelConfig {
    fn default() -> Self {
        Self { sr: 22_050, n_fft: 2048, n_mels: 128, fmin: 0.0, fmax: None, htk: false, norm: MelNorm::Slaney }
    }
}

/// A mel filterbank stored sparsely: each filter is a run of non-zero weights.
///
/// Matches `librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax,
/// htk=htk, norm=norm)` (weights computed in `f64`, stored as `f32` as librosa's default
/// `dtype=np.float32` does).
///
/// # Example
/// ```
/// use genrecast_features::{MelConfig, MelFilterbank};
/// let fb = MelFilterbank::new(&MelConfig::default())?;
/// assert_eq!(fb.to_dense().shape(), [128, 1025]);
/// # Ok::<(), genrecast_features::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct MelFilterbank {
    n_bins: usize,
    filters: Vec<(usize, Vec<f32>)>,
}

impl MelFilterbank {
    /// Builds the filterbank.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] for `n_mels == 0`, `fmin < 0` or `fmax <= fmin`.
    pub fn new(cfg: &MelConfig) -> Result<Self> {
        let fmax = cfg.fmax.unwrap_or(f64::from(cfg.sr) / 2.0);
        if cfg.n_mels == 0 {
            return Err(invalid("n_mels", cfg.n_mels, "> 0"));
        }
        if cfg.fmin < 0.0 || fmax <= cfg.fmin {
            return Err(invalid("fmax", fmax, "> fmin >= 0"));
        }
        let fftfreqs = fft_frequencies(f64::from(cfg.sr), cfg.n_fft);
        let mel_f = mel_frequencies(cfg.n_mels + 2, cfg.fmin, fmax, cfg.htk);
        let mut filters = Vec::with_capacity(cfg.n_mels);
        for i in 0..cfg.n_mels {
            let (fd0, fd1) = (mel_f[i + 1] - mel_f[i], mel_f[i + 2] - mel_f[i + 1]);
            let mut w: Vec<f64> = fftfreqs
                .iter()
                .map(|&f| {
                    let lower = -(mel_f[i] - f) / fd0;
                    let upper = (mel_f[i + 2] - f) / fd1;
                    lower.min(upper).max(0.0)
                })
                .collect();
            match cfg.norm {
                MelNorm::None => {}
                MelNorm::Slaney => {
                    let enorm = 2.0 / (mel_f[i + 2] - mel_f[i]);
                    w.iter_mut().for_each(|v| *v *= enorm);
                }
                MelNorm::P(p) => {
                    let n = p_norm(&w, f64::from(p));
                    if n > f64::from(f32::MIN_POSITIVE) {
                        w.iter_mut().for_each(|v| *v /= n);
                    }
                }
            }
            let first = w.iter().position(|&v| v > 0.0).unwrap_or(0);
            let last = w.iter().rposition(|&v| v > 0.0).map_or(first, |l| l + 1);
            filters.push((first, w[first..last].iter().map(|&v| v as f32).collect()));
        }
        Ok(Self { n_bins: fftfreqs.len(), filters })
    }

    /// Number of mel bands.
    pub fn n_mels(&self) -> usize {
        self.filters.len()
    }

    /// `n_mels x (1 + n_fft / 2)` dense weights, as librosa returns them.
    pub fn to_dense(&self) -> Array2 {
        let mut a = Array2::zeros(self.filters.len(), self.n_bins);
        for (m, (start, w)) in self.filters.iter().enumerate() {
            a.row_mut(m)[*start..start + w.len()].copy_from_slice(w);
        }
        a
    }

    /// Applies the filterbank to one spectrum frame, writing `n_mels` values.
    #[inline(always)]
    pub fn apply_frame(&self, frame: &[f32], out: &mut [f32]) {
        for ((start, w), o) in self.filters.iter().zip(out.iter_mut()) {
            *o = crate::array::dot(&frame[*start..start + w.len()], w);
        }
    }

    /// The mel spectrogram `n_mels x frames` of a power spectrogram. Matches
    /// `librosa.feature.melspectrogram(S=S)` with this filterbank.
    pub fn apply(&self, spec: &PowerSpectrogram) -> Array2 {
        let n_mels = self.n_mels();
        let mut frame_major = vec![0.0f32; spec.n_frames * n_mels];
        // The dot products in vectors where the CPU has them.
        crate::wide::avx2(
            #[inline(always)]
            || {
                // With AVX-512, sixteen frames at once, interleaved bin by bin: one weight
                // meets every frame in one vector, and no band waits on one frame's chain of
                // additions.
                let mut blocks = 0;
                #[cfg(target_arch = "x86_64")]
                if crate::array::interleaved_dots_available() {
                    const F: usize = crate::array::INTERLEAVED_FRAMES;
                    blocks = spec.n_frames / F;
                    let mut block = vec![0.0f32; spec.n_bins * F];
                    for (b, out) in frame_major[..blocks * F * n_mels].chunks_exact_mut(F * n_mels).enumerate() {
                        crate::array::interleave_frames::<F>(&spec.power[b * F * spec.n_bins..(b + 1) * F * spec.n_bins], spec.n_bins, &mut block);
                        for (m, (start, w)) in self.filters.iter().enumerate() {
                            // SAFETY: `interleaved_dots_available()` found AVX-512F.
                            let d = unsafe { crate::array::dot_interleaved(w, &block, *start) };
                            for (f, v) in d.into_iter().enumerate() {
                                out[f * n_mels + m] = v;
                            }
                        }
                    }
                    blocks *= F;
                }
                for t in blocks..spec.n_frames {
                    self.apply_frame(spec.frame(t), &mut frame_major[t * n_mels..(t + 1) * n_mels]);
                }
            },
        );
        Array2::from_vec(spec.n_frames, n_mels, frame_major).transpose()
    }
}

pub(crate) fn p_norm(v: &[f64], p: f64) -> f64 {
    if p.is_infinite() {
        v.iter().fold(0.0f64, |m, x| m.max(x.abs()))
    } else {
        v.iter().map(|x| x.abs().powf(p)).sum::<f64>().powf(1.0 / p)
    }
}
