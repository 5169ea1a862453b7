//! Short-time Fourier transform with a plan built once and reused across files.

use std::sync::Arc;

use realfft::num_complex::Complex;

use crate::array::Array2;
use crate::error::{invalid, Result};
use crate::rfft::Forward;

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

/// The arithmetic of [`StftPlan`] (and so of [`crate::FeatureExtractor`]).
///
/// librosa itself multiplies its float32 frames by a float64 window and so transforms in
/// double precision ([`Precision::F64`]). [`Precision::F32`] transforms in single
/// precision and stays within the parity bounds: see [`StftPlan::with_precision`] for how
/// the near-empty bins that spectral contrast measures are kept exact. It is not faster
/// overall (issue #24, `docs/results/bench-features.md`): the f32 FFT saves about a
/// quarter of the f64 one, the pre-emphasis spends most of that again, and a song resampled
/// from 44.1 kHz has nearly every frame recomputed in f64 for its contrast.
///
/// # Example
/// ```
/// use genrecast_features::Precision;
/// assert_eq!(Precision::default(), Precision::F32);
/// assert_eq!("f64".parse::<Precision>()?, Precision::F64);
/// # Ok::<(), genrecast_features::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// Single-precision FFT of a pre-emphasised frame, undone per bin; frames whose
    /// contrast valleys come near its round-off are recomputed in `f64`. The default,
    /// unless [`Precision::set_default`] said otherwise.
    F32,
    /// Double-precision windowing and FFT, as librosa computes (the only path before issue #24).
    F64,
}

/// The process-wide default: 0 f32, 1 f64.
static DEFAULT_PRECISION: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

impl Default for Precision {
    /// `f32`, unless [`Precision::set_default`] said otherwise (the command line's
    /// `--precision f64`), so that every extractor a process builds computes alike.
    fn default() -> Self {
        match DEFAULT_PRECISION.load(std::sync::atomic::Ordering::Relaxed) {
            0 => Self::F32,
            _ => Self::F64,
        }
    }
}

impl Precision {
    /// Makes `precision` the default of every [`crate::FeatureConfig`] built later in this
    /// process.
    pub fn set_default(precision: Precision) {
        DEFAULT_PRECISION.store(u8::from(precision == Self::F64), std::sync::atomic::Ordering::Relaxed);
    }

    /// Its name on the command line (`f32`, `f64`).
    pub fn name(self) -> &'static str {
        match self {
            Self::F32 => "f32",
            Self::F64 => "f64",
        }
    }
}

impl std::str::FromStr for Precision {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "f32" => Ok(Self::F32),
            "f64" => Ok(Self::F64),
            other => Err(invalid("precision", other, "f32 or f64")),
        }
    }
}

/// The pre-emphasis of the f32 path: `d[n] = x[n] - A x[n-1]` (circular), so that
/// `D_k = X_k (1 - A e^{-2 pi i k / N})`. An FFT's round-off is spread evenly over the bins
/// at about `eps * ||input||`; music's energy sits low, so the filter shrinks that norm
/// (about tenfold) where it barely touches the high bins, and the quiet top octave, whose
/// smallest bins spectral contrast averages, comes out that much cleaner. 0.97 against
/// 0.9 or 1 changed little on the reference clips; nearer 1 amplifies the DC bins' error.
const PRE_EMPHASIS: f64 = 0.97;

/// Frames whose norms the f32 STFT sums together.
const NORM_FRAMES: usize = 4;

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
    /// Per frame, the scale of the f32 FFT's round-off in a bin's magnitude, before the
    /// per-bin gain of [`StftPlan::error_gains`]; empty for [`Precision::F64`].
    pub noise: Vec<f32>,
}

impl PowerSpectrogram {
    /// Frame `t` (all bins).
    pub fn frame(&self, t: usize) -> &[f32] {
        &self.power[t * self.n_bins..(t + 1) * self.n_bins]
    }

    /// The round-off scale of frame `t` (see [`PowerSpectrogram::noise`]); 0 when exact.
    pub fn noise_of(&self, t: usize) -> f32 {
        self.noise.get(t).copied().unwrap_or(0.0)
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
    precision: Precision,
    // f64 as librosa computes: it multiplies by a float64 window, so numpy promotes the
    // frames and scipy transforms in double precision before the cast to complex64.
    fft: Arc<Forward<f64>>,
    fft32: Arc<Forward<f32>>,
    /// `1 / |1 - A e^{-i w_k}|^2`: undoes the pre-emphasis in power.
    deemphasis: Vec<f32>,
    /// `1 / |1 - A e^{-i w_k}|`: how the pre-emphasis scales the round-off of bin `k`.
    error_gains: Vec<f32>,
}

impl std::fmt::Debug for StftPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StftPlan").field("n_fft", &self.n_fft).field("hop", &self.hop).field("precision", &self.precision).finish()
    }
}

impl StftPlan {
    /// Plans an STFT of `n_fft` points every `hop_length` samples in double precision, as
    /// librosa computes.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] if either is zero.
    pub fn new(n_fft: usize, hop_length: usize) -> Result<Self> {
        Self::with_precision(n_fft, hop_length, Precision::F64)
    }

    /// Plans an STFT of `n_fft` points every `hop_length` samples in `precision`.
    ///
    /// In [`Precision::F32`] each windowed frame is pre-emphasised (in f64) before its
    /// single-precision FFT, and the filter's gain divided out of each bin's power; the
    /// frame's round-off scale is kept in [`PowerSpectrogram::noise`], so that a feature
    /// that reads bins near it (spectral contrast's valleys) can ask for that one frame
    /// exactly ([`StftPlan::exact_power_frame`]).
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] if either is zero.
    ///
    /// # Example
    /// ```
    /// use genrecast_features::{Precision, StftPlan};
    /// let y: Vec<f32> = (0..22_050).map(|i| (i as f32 * 0.05).sin()).collect();
    /// let single = StftPlan::with_precision(2048, 512, Precision::F32)?.power(&y);
    /// let double = StftPlan::with_precision(2048, 512, Precision::F64)?.power(&y);
    /// let (a, b) = (single.frame(20)[16], double.frame(20)[16]);
    /// assert!((a - b).abs() <= 1e-5 * b);
    /// # Ok::<(), genrecast_features::Error>(())
    /// ```
    pub fn with_precision(n_fft: usize, hop_length: usize, precision: Precision) -> Result<Self> {
        if n_fft < 2 {
            return Err(invalid("n_fft", n_fft, ">= 2"));
        }
        if hop_length == 0 {
            return Err(invalid("hop_length", hop_length, "> 0"));
        }
        let fft = Arc::new(Forward::new(n_fft));
        let fft32 = Arc::new(Forward::new(n_fft));
        let gain = |k: usize| {
            let w = 2.0 * std::f64::consts::PI * k as f64 / n_fft as f64;
            let (re, im) = (1.0 - PRE_EMPHASIS * w.cos(), PRE_EMPHASIS * w.sin());
            re * re + im * im
        };
        let n_bins = n_fft / 2 + 1;
        let deemphasis = (0..n_bins).map(|k| (1.0 / gain(k)) as f32).collect();
        let error_gains = (0..n_bins).map(|k| (1.0 / gain(k).sqrt()) as f32).collect();
        Ok(Self { n_fft, hop: hop_length, window: hann_f64(n_fft), precision, fft, fft32, deemphasis, error_gains })
    }

    /// FFT length.
    pub fn n_fft(&self) -> usize {
        self.n_fft
    }

    /// Hop length.
    pub fn hop_length(&self) -> usize {
        self.hop
    }

    /// The arithmetic of [`power`](Self::power).
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Per bin, how much of a frame's round-off scale ([`PowerSpectrogram::noise`]) lands in
    /// the bin's magnitude (the pre-emphasis lifts it at low frequencies and lowers it at
    /// high ones).
    pub fn error_gains(&self) -> &[f32] {
        &self.error_gains
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
        let n_bins = self.n_fft / 2 + 1;
        let mut windowed = vec![0.0f64; self.n_fft];
        match self.precision {
            Precision::F64 => {
                let mut power = vec![0.0f32; n_frames * n_bins];
                let mut bufs = Buffers64::new(&self.fft);
                crate::wide::avx2(
                    #[inline(always)]
                    || {
                        for (t, out) in power.chunks_exact_mut(n_bins).enumerate() {
                            self.window_frame(y, y_start, first_frame + t, &mut windowed);
                            self.power64(&mut windowed, out, &mut bufs);
                        }
                    },
                );
                PowerSpectrogram { power, n_bins, n_frames, noise: Vec::new() }
            }
            Precision::F32 => {
                let mut noise = Vec::with_capacity(n_frames);
                // Filled frame by frame, without clearing it first.
                let mut power = Vec::with_capacity(n_frames * n_bins);
                let mut inputs: [Vec<f32>; NORM_FRAMES] = std::array::from_fn(|_| vec![0.0f32; self.n_fft]);
                let mut output = self.fft32.make_output();
                let mut scratch = self.fft32.make_scratch();
                // Windowing, pre-emphasis and power in vectors where the CPU has them.
                crate::wide::avx2(#[inline(always)] || self.power_frames_f32(y, y_start, first_frame, n_frames, &mut power, &mut windowed, &mut noise, &mut inputs, &mut output, &mut scratch));
                PowerSpectrogram { power, n_bins, n_frames, noise }
            }
        }
    }

    /// The f32 frames of [`power_span`](Self::power_span) into `power`, and their noise.
    /// Four frames at a time, so that their norms' eight-lane sums (each a chain of
    /// dependent additions) overlap; every frame keeps its one-at-a-time bits.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn power_frames_f32(&self, y: &[f32], y_start: usize, first_frame: usize, n_frames: usize, power: &mut Vec<f32>, windowed: &mut [f64], noise: &mut Vec<f32>, inputs: &mut [Vec<f32>; NORM_FRAMES], output: &mut [Complex<f32>], scratch: &mut [Complex<f32>]) {
        let mut t = 0;
        while t < n_frames {
            let frames = NORM_FRAMES.min(n_frames - t);
            for (f, input) in inputs.iter_mut().enumerate().take(frames) {
                self.pre_emphasised_frame(y, y_start, first_frame + t + f, windowed, input);
            }
            // ||d||, in eight f32 lanes so that it vectorises; only its scale matters. All
            // NORM_FRAMES buffers are summed (a fixed count keeps the sums in registers);
            // only the first `frames` are used.
            let chunks = self.n_fft / 8;
            let mut lanes = [[0.0f32; 8]; NORM_FRAMES];
            for c in 0..chunks {
                for (l, input) in lanes.iter_mut().zip(inputs.iter()) {
                    let x = &input[c * 8..c * 8 + 8];
                    for i in 0..8 {
                        l[i] += x[i] * x[i];
                    }
                }
            }
            for (l, input) in lanes.iter().zip(inputs.iter()).take(frames) {
                let tail: f32 = input[chunks * 8..].iter().map(|v| v * v).sum();
                noise.push(f32::EPSILON * (l.iter().sum::<f32>() + tail).sqrt());
            }
            for input in inputs.iter_mut().take(frames) {
                self.fft32.process(input, output, scratch);
                power.extend(output.iter().zip(&self.deemphasis).map(|(c, &g)| (c.re * c.re + c.im * c.im) * g));
            }
            t += frames;
        }
    }

    /// Frame `frame`, windowed and pre-emphasised, into `input`: d[n] = xw[n] - A xw[n-1]
    /// (circular) in f64, so that the difference of two large neighbours is exact before
    /// its one rounding to f32.
    #[inline(always)]
    fn pre_emphasised_frame(&self, y: &[f32], y_start: usize, frame: usize, windowed: &mut [f64], input: &mut [f32]) {
        let n_fft = self.n_fft;
        let start = (frame * self.hop) as isize - (n_fft / 2) as isize - y_start as isize;
        match usize::try_from(start).ok().and_then(|s| y.get(s..s + n_fft)) {
            // Interior frames: the window's products computed where they are used (the same
            // products as `window_frame`'s), without a pass through an f64 buffer.
            Some(x) => {
                let w = &self.window[..n_fft];
                #[cfg(target_arch = "x86_64")]
                if n_fft.is_multiple_of(8) && crate::wide::avx512_detected() {
                    // SAFETY: the CPU has AVX-512F; `x`, `w` and `input` hold n_fft values.
                    unsafe { pre_emphasis_avx512(x, w, &mut input[..n_fft]) };
                    return;
                }
                input[0] = (f64::from(x[0]) * w[0] - PRE_EMPHASIS * (f64::from(x[n_fft - 1]) * w[n_fft - 1])) as f32;
                for ((((d, &xv), &wv), &xp), &wp) in input[1..n_fft].iter_mut().zip(&x[1..]).zip(&w[1..]).zip(&x[..n_fft - 1]).zip(&w[..n_fft - 1]) {
                    *d = (f64::from(xv) * wv - PRE_EMPHASIS * (f64::from(xp) * wp)) as f32;
                }
            }
            None => {
                self.window_frame(y, y_start, frame, windowed);
                let last = windowed[n_fft - 1];
                input[0] = (windowed[0] - PRE_EMPHASIS * last) as f32;
                for ((d, &v), &prev) in input[1..].iter_mut().zip(&windowed[1..]).zip(&windowed[..n_fft - 1]) {
                    *d = (v - PRE_EMPHASIS * prev) as f32;
                }
            }
        }
    }

    /// Frame `frame` of the song as [`power_span`](Self::power_span) reads it, in double
    /// precision whatever the plan's: for a feature that found the f32 frame too near its
    /// round-off. `out` takes `n_fft / 2 + 1` values.
    pub fn exact_power_frame(&self, y: &[f32], y_start: usize, frame: usize, out: &mut [f32]) {
        self.exact_power_frame_with(y, y_start, frame, out, &mut self.exact_scratch());
    }

    /// Buffers for [`exact_power_frame_with`](Self::exact_power_frame_with), reused across
    /// the frames of a song (a resampled song asks for nearly every frame: the resampler's
    /// stop band empties the bins below Nyquist).
    pub(crate) fn exact_scratch(&self) -> ExactScratch {
        ExactScratch { windowed: vec![0.0; self.n_fft], bufs: Buffers64::new(&self.fft) }
    }

    /// As [`exact_power_frame`](Self::exact_power_frame), with reused buffers.
    pub(crate) fn exact_power_frame_with(&self, y: &[f32], y_start: usize, frame: usize, out: &mut [f32], scratch: &mut ExactScratch) {
        crate::wide::avx2(
            #[inline(always)]
            || {
                self.window_frame(y, y_start, frame, &mut scratch.windowed);
                self.power64(&mut scratch.windowed, out, &mut scratch.bufs);
            },
        );
    }

    /// The windowed samples of the song's frame `frame`, in f64.
    #[inline(always)]
    fn window_frame(&self, y: &[f32], y_start: usize, frame: usize, out: &mut [f64]) {
        let n_fft = self.n_fft;
        // Frame t covers padded samples [t*hop, t*hop + n_fft), i.e. y[t*hop - pad ..].
        let start = (frame * self.hop) as isize - (n_fft / 2) as isize - y_start as isize;
        match usize::try_from(start).ok().and_then(|s| y.get(s..s + n_fft)) {
            // Interior frames (all but a few at each end): no bounds test per sample.
            Some(samples) => {
                for ((v, &x), &w) in out.iter_mut().zip(samples).zip(&self.window) {
                    *v = f64::from(x) * w;
                }
            }
            None => {
                for (i, v) in out.iter_mut().enumerate() {
                    let j = start + i as isize;
                    *v = if j >= 0 && (j as usize) < y.len() { f64::from(y[j as usize]) * self.window[i] } else { 0.0 };
                }
            }
        }
    }

    #[inline(always)]
    fn power64(&self, windowed: &mut [f64], out: &mut [f32], bufs: &mut Buffers64) {
        self.fft.process(windowed, &mut bufs.output, &mut bufs.scratch);
        for (p, c) in out.iter_mut().zip(&bufs.output) {
            *p = (c.re * c.re + c.im * c.im) as f32;
        }
    }
}

/// The interior frames' window and pre-emphasis of [`StftPlan::power_span`] in AVX-512:
/// each product `x[n] w[n]` computed once and its neighbour `x[n-1] w[n-1]` taken from the
/// register by a lane rotation (the portable loop computes each product twice); the same
/// operations otherwise, so the same bits.
///
/// # Safety
/// The CPU must have AVX-512F; `x` and `w` must hold at least `out.len()` values, a
/// nonzero multiple of 8.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn pre_emphasis_avx512(x: &[f32], w: &[f64], out: &mut [f32]) {
    use std::arch::x86_64::*;
    let n = out.len();
    debug_assert!(n > 0 && n.is_multiple_of(8) && x.len() >= n && w.len() >= n);
    let a = _mm512_set1_pd(PRE_EMPHASIS);
    // d[0] takes the last sample as its neighbour (circular), from lane 7.
    let mut before = _mm512_set1_pd(f64::from(x[n - 1]) * w[n - 1]);
    for i in (0..n).step_by(8) {
        // SAFETY: i + 8 <= n, within `x`, `w` and `out`.
        unsafe {
            let cur = _mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x.as_ptr().add(i))), _mm512_loadu_pd(w.as_ptr().add(i)));
            // [before[7], cur[0], ..., cur[6]]: each lane's predecessor.
            let prev = _mm512_castsi512_pd(_mm512_alignr_epi64::<7>(_mm512_castpd_si512(cur), _mm512_castpd_si512(before)));
            let d = _mm512_sub_pd(cur, _mm512_mul_pd(a, prev));
            _mm256_storeu_ps(out.as_mut_ptr().add(i), _mm512_cvtpd_ps(d));
            before = cur;
        }
    }
}

/// Buffers of [`StftPlan::exact_power_frame_with`].
pub(crate) struct ExactScratch {
    windowed: Vec<f64>,
    bufs: Buffers64,
}

/// Output and scratch of the f64 FFT.
struct Buffers64 {
    output: Vec<Complex<f64>>,
    scratch: Vec<Complex<f64>>,
}

impl Buffers64 {
    fn new(fft: &Forward<f64>) -> Self {
        Self { output: fft.make_output(), scratch: fft.make_scratch() }
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

    /// The f32 path against the f64 one on a signal whose high part is 100 dB down: every
    /// bin within tens of times its frame's round-off estimate at worst (below once at the
    /// median; the contrast's guard asks for a hundred times), and the exact frame bit for
    /// bit the f64 plan's.
    #[test]
    fn f32_power_within_its_noise_estimate() {
        let y: Vec<f32> = (0..30_000).map(|i| ((i as f32 * 0.031).sin() + 1e-5 * (i as f32 * 2.9).sin()) * 0.5).collect();
        let single = StftPlan::with_precision(2048, 512, Precision::F32).expect("valid test input");
        let double = StftPlan::with_precision(2048, 512, Precision::F64).expect("valid test input");
        let (s, d) = (single.power(&y), double.power(&y));
        assert!(d.noise.is_empty() && s.noise.len() == s.n_frames);
        let mut worst = 0.0f32;
        for t in 0..s.n_frames {
            for (k, (&a, &b)) in s.frame(t).iter().zip(d.frame(t)).enumerate() {
                let err = (a.sqrt() - b.sqrt()).abs() / (s.noise_of(t) * single.error_gains()[k]).max(f32::MIN_POSITIVE);
                worst = worst.max(err);
            }
        }
        assert!(worst < 50.0, "error up to {worst} times the estimate");
        let mut exact = vec![0.0f32; 1025];
        single.exact_power_frame(&y, 0, 7, &mut exact);
        assert_eq!(exact, d.frame(7));
    }

    #[test]
    fn frame_count_matches_librosa() {
        assert_eq!(n_frames(661_794, 2048, 512, true), 1293);
        assert_eq!(n_frames(100, 2048, 512, false), 0);
    }
}
