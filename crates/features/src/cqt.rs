//! The constant-Q transform and chroma from it, as librosa 0.11 computes them (`librosa.cqt`
//! and `vqt` in `librosa/core/constantq.py`, `filters.wavelet`, `filters.cq_to_chroma`,
//! `feature.chroma_cqt`).
//!
//! librosa's recursive algorithm is followed step by step, because its output depends on it:
//! the top octave's filters are applied to an STFT (rectangular window) of the signal; then the
//! signal is halved in rate, and the hop with it, for each octave below, which reuses the same
//! filters at the lower rate. The filters are Hann-windowed complex exponentials, L1-normalised,
//! taken to the frequency domain and sparsified (the smallest entries holding 1 % of a row's L1
//! mass are dropped). The rate halving is [`genrecast_audio::halve_rate`], a soxr-HQ-like FIR.

use realfft::num_complex::Complex;
use realfft::RealFftPlanner;
use rustfft::FftPlanner;

use crate::array::Array2;
use crate::chroma::estimate_tuning;
use crate::error::{invalid, Result};
use crate::stft::StftPlan;

/// librosa's `WINDOW_BANDWIDTHS["hann"]`: the Hann window's bandwidth in FFT bins.
const HANN_BANDWIDTH: f64 = 1.500_183_105_468_75;

/// `librosa.note_to_hz("C1")`, the lowest CQT bin by default.
pub fn c1_hz() -> f64 {
    440.0 * 2f64.powf((24.0 - 69.0) / 12.0)
}

/// Parameters of the constant-Q transform.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CqtConfig {
    /// Sample rate of the input. Default: `22050`.
    pub sr: u32,
    /// Hop length at the input rate. Default: `512`. Each halving of the rate halves it, so
    /// it should be divisible by `2^(octaves - 1)`; librosa stops halving once it is odd.
    pub hop_length: usize,
    /// Frequency of the lowest bin before tuning. Default: C1 ([`c1_hz`]).
    pub fmin: f64,
    /// Number of bins. Default: `84` (7 octaves).
    pub n_bins: usize,
    /// Bins per octave. Default: `12`.
    pub bins_per_octave: usize,
    /// Tuning deviation in fractions of a bin; `None` estimates it from the signal as
    /// `librosa.estimate_tuning(y=y, sr=sr, bins_per_octave=bins_per_octave)`. Default: `Some(0.0)`.
    pub tuning: Option<f64>,
    /// Filter length scale. Default: `1.0`.
    pub filter_scale: f64,
    /// Share of each filter's L1 mass dropped to sparsify it. Default: `0.01`.
    pub sparsity: f64,
}

impl Default for CqtConfig {
    /// `librosa.cqt`'s defaults.
    fn default() -> Self {
        Self { sr: 22_050, hop_length: 512, fmin: c1_hz(), n_bins: 84, bins_per_octave: 12, tuning: Some(0.0), filter_scale: 1.0, sparsity: 0.01 }
    }
}

impl CqtConfig {
    /// The CQT that `librosa.feature.chroma_cqt(y=y, sr=sr, hop_length=hop_length)` builds:
    /// 7 octaves of 36 bins from C1, tuning estimated.
    pub fn chroma(sr: u32, hop_length: usize) -> Self {
        Self { sr, hop_length, n_bins: 7 * 36, bins_per_octave: 36, tuning: None, ..Self::default() }
    }
}

/// One octave's filters in the frequency domain: librosa's sparse `fft_basis`, each row kept as
/// the band of FFT bins from its first to its last non-zero entry (split into real and
/// imaginary parts, so that the products vectorise), with the dropped entries inside it zero.
/// The weights are `f32`, as librosa's complex64 basis is, and so are the frames' FFTs:
/// librosa casts its CQT's STFT to complex64 before the product, so single precision loses
/// nothing it keeps, and halves the cost of the transform's largest part.
struct OctaveBasis {
    n_fft: usize,
    rows: Vec<BandRow>,
}

/// One filter: weights for FFT bins `start..start + re.len()`.
struct BandRow {
    start: usize,
    re: Vec<f32>,
    im: Vec<f32>,
}

impl BandRow {
    fn from_sparse(row: &[Complex<f64>], keep: impl Fn(usize) -> bool) -> Self {
        let kept: Vec<usize> = (0..row.len()).filter(|&k| keep(k)).collect();
        let (first, last) = (kept.first().copied().unwrap_or(0), kept.last().copied().unwrap_or(0));
        let mut band = Self { start: first, re: vec![0.0; last + 1 - first], im: vec![0.0; last + 1 - first] };
        for k in kept {
            band.re[k - first] = row[k].re as f32;
            band.im[k - first] = row[k].im as f32;
        }
        band
    }

    /// `|sum_k w_k x_k|` over the band, for a spectrum split into `re` and `im`.
    fn magnitude(&self, re: &[f32], im: &[f32]) -> f32 {
        let (xr, xi) = (&re[self.start..self.start + self.re.len()], &im[self.start..self.start + self.re.len()]);
        let (mut zr, mut zi) = ([0.0f32; 8], [0.0f32; 8]);
        let chunks = self.re.chunks_exact(8).zip(self.im.chunks_exact(8)).zip(xr.chunks_exact(8).zip(xi.chunks_exact(8)));
        for ((wr, wi), (ar, ai)) in chunks {
            for l in 0..8 {
                zr[l] += wr[l] * ar[l] - wi[l] * ai[l];
                zi[l] += wr[l] * ai[l] + wi[l] * ar[l];
            }
        }
        let (mut r, mut i) = (zr.iter().sum::<f32>(), zi.iter().sum::<f32>());
        let tail = self.re.len() / 8 * 8;
        for k in tail..self.re.len() {
            r += self.re[k] * xr[k] - self.im[k] * xi[k];
            i += self.re[k] * xi[k] + self.im[k] * xr[k];
        }
        (r * r + i * i).sqrt()
    }
}

/// A constant-Q transform. Build it once per configuration; [`ConstantQ::magnitude`] is
/// thread-safe.
///
/// # Example
/// ```
/// use genrecast_features::{ConstantQ, CqtConfig};
/// let cqt = ConstantQ::new(CqtConfig::default())?;
/// // A 440 Hz tone lights the A4 bin: C1 + 45 semitones.
/// let y: Vec<f32> = (0..22_050).map(|i| (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 22_050.0).sin()).collect();
/// let c = cqt.magnitude(&y)?;
/// assert_eq!(c.shape(), [84, 44]);
/// let mid = 22;
/// let loudest = (0..84).max_by(|&a, &b| c.get(a, mid).total_cmp(&c.get(b, mid))).unwrap();
/// assert_eq!(loudest, 45);
/// # Ok::<(), genrecast_features::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ConstantQ {
    cfg: CqtConfig,
    /// librosa estimates tuning from a 2048-point, hop-512 magnitude STFT whatever the CQT hop.
    tuning_stft: StftPlan,
}

impl ConstantQ {
    /// Checks `cfg` and plans the tuning STFT.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] for zero sizes, a sparsity outside `[0, 1)`, or a top
    /// filter that would reach past Nyquist (as librosa refuses it) at any tuning allowed.
    pub fn new(cfg: CqtConfig) -> Result<Self> {
        if cfg.sr == 0 {
            return Err(invalid("sr", cfg.sr, "> 0"));
        }
        if cfg.n_bins == 0 || cfg.bins_per_octave == 0 || cfg.hop_length == 0 {
            return Err(invalid("n_bins, bins_per_octave, hop_length", format!("{}, {}, {}", cfg.n_bins, cfg.bins_per_octave, cfg.hop_length), "> 0"));
        }
        if !(cfg.fmin > 0.0 && cfg.fmin.is_finite()) {
            return Err(invalid("fmin", cfg.fmin, "a positive frequency"));
        }
        if !(cfg.filter_scale > 0.0 && cfg.filter_scale.is_finite()) {
            return Err(invalid("filter_scale", cfg.filter_scale, "> 0"));
        }
        if !(0.0..1.0).contains(&cfg.sparsity) {
            return Err(invalid("sparsity", cfg.sparsity, "in [0, 1)"));
        }
        if let Some(t) = cfg.tuning {
            if !(-0.5..=0.5).contains(&t) {
                return Err(invalid("tuning", t, "in [-0.5, 0.5] bins"));
            }
        }
        let worst_tuning = cfg.tuning.unwrap_or(0.5);
        let (_, _, cutoff) = Self::geometry(&cfg, worst_tuning);
        if cutoff > f64::from(cfg.sr) / 2.0 {
            return Err(invalid("n_bins", cfg.n_bins, "few enough that the top filter stays below Nyquist (librosa's ParameterError)"));
        }
        Ok(Self { tuning_stft: StftPlan::new(2048, 512)?, cfg })
    }

    /// The configuration.
    pub fn config(&self) -> &CqtConfig {
        &self.cfg
    }

    /// The tuning [`magnitude`](Self::magnitude) uses for `y`: the configured one, or as
    /// `librosa.estimate_tuning(y=y, sr=sr, bins_per_octave=bins_per_octave)`.
    pub fn tuning_of(&self, y: &[f32]) -> f64 {
        self.cfg.tuning.unwrap_or_else(|| {
            let spec = self.tuning_stft.power(y);
            estimate_tuning(&spec.magnitude(), spec.n_bins, f64::from(self.cfg.sr), 2048, self.cfg.bins_per_octave)
        })
    }

    /// `|CQT|`, `n_bins x frames`, at the configured (or estimated) tuning. Matches
    /// `np.abs(librosa.cqt(y, sr=sr, hop_length=hop_length, fmin=fmin, n_bins=n_bins,
    /// bins_per_octave=bins_per_octave, tuning=tuning))` (filter_scale 1, norm 1, sparsity
    /// 0.01, Hann window, scale=True, pad_mode="constant", res_type="soxr_hq").
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] if `y` is empty.
    pub fn magnitude(&self, y: &[f32]) -> Result<Array2> {
        let tuning = self.tuning_of(y);
        self.magnitude_tuned(y, tuning)
    }

    /// As [`magnitude`](Self::magnitude), at a tuning the caller has estimated (e.g. from an
    /// STFT it already has).
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] if `y` is empty or `tuning` is not finite.
    pub fn magnitude_tuned(&self, y: &[f32], tuning: f64) -> Result<Array2> {
        if y.is_empty() {
            return Err(invalid("y", "[]", "at least one sample"));
        }
        if !tuning.is_finite() {
            return Err(invalid("tuning", tuning, "finite"));
        }
        let cfg = &self.cfg;
        let (bpo, n_bins) = (cfg.bins_per_octave, cfg.n_bins);
        let n_octaves = n_bins.div_ceil(bpo);
        let n_filters = bpo.min(n_bins);
        let (freqs, alpha, cutoff) = Self::geometry(cfg, tuning);

        // Early downsampling: halve the input while the top filter stays well below Nyquist
        // and the hop keeps enough factors of two (librosa's __early_downsample).
        let mut sr = f64::from(cfg.sr);
        let mut hop = cfg.hop_length;
        let by_band = ((sr / 2.0 / cutoff).log2().ceil() as i64 - 2).max(0) as u32;
        let by_hop = (hop.trailing_zeros() + 1).saturating_sub(n_octaves as u32);
        let mut signal = y.to_vec();
        for _ in 0..by_band.min(by_hop) {
            signal = halve_scaled(&signal);
            hop /= 2;
            sr /= 2.0;
        }

        let mut responses: Vec<Array2> = Vec::with_capacity(n_octaves);
        let (mut my_sr, mut my_hop) = (sr, hop);
        let mut basis: Option<((f64, usize), OctaveBasis)> = None;
        let mut planner = RealFftPlanner::<f32>::new();
        for i in 0..n_octaves {
            let end = n_bins - n_filters * i;
            let start = end.saturating_sub(n_filters);
            // Halving the rate halves every frequency of the octave below, so the filters
            // are the same; they change only for a partial lowest octave or once the rate
            // stops halving (odd hop).
            let key = (my_sr / freqs[end - 1], end - start);
            if basis.as_ref().is_none_or(|(k, _)| *k != key) {
                basis = Some((key, octave_basis(&freqs[start..end], &alpha[start..end], my_sr, cfg.filter_scale, cfg.sparsity)));
            }
            let Some((_, b)) = &basis else { unreachable!("set above") };
            let gain = (sr / my_sr).sqrt();
            responses.push(response(&signal, b.n_fft, my_hop, &b.rows, gain, &mut planner));
            if my_hop % 2 == 0 {
                my_hop /= 2;
                my_sr /= 2.0;
                signal = halve_scaled(&signal);
            }
        }

        // Stack the octaves from the top down, trimmed to the shortest (librosa's __trim_stack),
        // and scale each bin by 1 / sqrt(filter length at the input rate).
        let frames = responses.iter().map(|r| r.cols).min().unwrap_or(0);
        let mut out = Array2::zeros(n_bins, frames);
        let mut end = n_bins;
        for r in &responses {
            for (j, row) in (0..r.rows).rev().zip((0..end).rev()) {
                let scale = 1.0 / filter_length(cfg.filter_scale, alpha[row], sr, freqs[row]).sqrt();
                for (o, &v) in out.row_mut(row).iter_mut().zip(&r.row(j)[..frames]) {
                    *o = (f64::from(v) * scale) as f32;
                }
            }
            end -= r.rows;
        }
        Ok(out)
    }

    /// Bin frequencies, relative bandwidths and the top filter's cutoff at `tuning`
    /// (`interval_frequencies`, `filters._relative_bandwidth`, `filters.wavelet_lengths`).
    fn geometry(cfg: &CqtConfig, tuning: f64) -> (Vec<f64>, Vec<f64>, f64) {
        let bpo = cfg.bins_per_octave;
        let fmin = cfg.fmin * 2f64.powf(tuning / bpo as f64);
        let freqs: Vec<f64> = (0..cfg.n_bins)
            .map(|k| 2f64.powi((k / bpo) as i32) * 2f64.powf((k % bpo) as f64 / bpo as f64) * fmin)
            .collect();
        let rel = |octaves_per_bin: f64| {
            let r = 2f64.powf(2.0 * octaves_per_bin);
            (r - 1.0) / (r + 1.0)
        };
        let alpha: Vec<f64> = if freqs.len() == 1 {
            vec![rel(1.0 / bpo as f64)]
        } else {
            let logf: Vec<f64> = freqs.iter().map(|f| f.log2()).collect();
            let n = logf.len();
            (0..n)
                .map(|i| {
                    // 1 / bpo_i, the local octave spacing: one-sided at the ends.
                    let spacing = match i {
                        0 => logf[1] - logf[0],
                        i if i == n - 1 => logf[n - 1] - logf[n - 2],
                        i => (logf[i + 1] - logf[i - 1]) / 2.0,
                    };
                    rel(spacing)
                })
                .collect()
        };
        let cutoff = freqs
            .iter()
            .zip(&alpha)
            .map(|(f, a)| f * (1.0 + 0.5 * HANN_BANDWIDTH / (cfg.filter_scale / a)))
            .fold(0.0f64, f64::max);
        (freqs, alpha, cutoff)
    }
}

/// Length in samples at `sr` of the filter for `freq` (`filters.wavelet_lengths` with gamma
/// 0): its Q, `filter_scale / alpha`, periods.
fn filter_length(filter_scale: f64, alpha: f64, sr: f64, freq: f64) -> f64 {
    filter_scale / alpha * sr / freq
}

/// librosa's resampling by 2 with `scale=True`: halve the rate, then multiply by sqrt(2).
fn halve_scaled(y: &[f32]) -> Vec<f32> {
    let mut out = genrecast_audio::halve_rate(y);
    out.iter_mut().for_each(|v| *v *= std::f32::consts::SQRT_2);
    out
}

/// One octave's filters: `librosa.filters.wavelet` (Hann-windowed complex exponentials,
/// L1-normalised, centred in a power-of-two frame), scaled by length / n_fft, taken to the
/// frequency domain and sparsified (`__vqt_filter_fft`). librosa keeps the filters in
/// complex64; they are rounded to `f32` here at the same two points.
fn octave_basis(freqs: &[f64], alpha: &[f64], sr: f64, filter_scale: f64, sparsity: f64) -> OctaveBasis {
    use std::f64::consts::PI;
    let lengths: Vec<f64> = freqs.iter().zip(alpha).map(|(&f, &a)| filter_length(filter_scale, a, sr, f)).collect();
    let max_len = lengths.iter().copied().fold(0.0f64, f64::max);
    let n_fft = 1usize << (max_len.log2().ceil().max(0.0) as u32);
    let fft = FftPlanner::<f64>::new().plan_fft_forward(n_fft);
    let round32 = |c: Complex<f64>| Complex::new(f64::from(c.re as f32), f64::from(c.im as f32));
    let rows = freqs
        .iter()
        .zip(&lengths)
        .map(|(&freq, &ilen)| {
            let (first, last) = ((-ilen / 2.0).floor(), (ilen / 2.0).floor());
            let len = (last - first) as usize;
            let sig: Vec<Complex<f64>> = (0..len)
                .map(|n| {
                    let phase = (first + n as f64) * 2.0 * PI * freq / sr;
                    let w = 0.5 - 0.5 * (2.0 * PI * n as f64 / len as f64).cos();
                    Complex::new(phase.cos(), phase.sin()) * w
                })
                .collect();
            let l1: f64 = sig.iter().map(|c| c.norm()).sum();
            let mut frame = vec![Complex::new(0.0, 0.0); n_fft];
            let lpad = (n_fft - len) / 2;
            for (f, s) in frame[lpad..].iter_mut().zip(&sig) {
                *f = round32(round32(s / l1) * (ilen / n_fft as f64));
            }
            fft.process(&mut frame);
            frame.truncate(n_fft / 2 + 1);
            sparsify(&frame, sparsity)
        })
        .collect();
    OctaveBasis { n_fft, rows }
}

/// `librosa.util.sparsify_rows` for one row, in `f32` as librosa computes it for complex64:
/// drop the smallest magnitudes while their cumulative share of the row's L1 norm stays
/// below `quantile`.
fn sparsify(row: &[Complex<f64>], quantile: f64) -> BandRow {
    let mags: Vec<f32> = row.iter().map(|c| c.norm_sqr().sqrt() as f32).collect();
    let norm = mags.iter().map(|&m| f64::from(m)).sum::<f64>() as f32;
    let mut sorted = mags.clone();
    sorted.sort_by(f32::total_cmp);
    let q = quantile as f32;
    let mut cumulative = 0.0f32;
    // np.argmin(cumulative < q): the first index where the cumulative share reaches q, or 0.
    let mut threshold = sorted.first().copied().unwrap_or(0.0);
    for &m in &sorted {
        cumulative += m / norm;
        if cumulative >= q {
            threshold = m;
            break;
        }
    }
    BandRow::from_sparse(row, |k| mags[k] >= threshold)
}

/// `|fft_basis . stft(y, window="ones")|` for one octave (librosa's __cqt_response), each row
/// times `gain`: frames centred with zero padding, `1 + len / hop` of them.
fn response(y: &[f32], n_fft: usize, hop: usize, rows: &[BandRow], gain: f64, planner: &mut RealFftPlanner<f32>) -> Array2 {
    let fft = planner.plan_fft_forward(n_fft);
    let pad = n_fft / 2;
    let n_frames = 1 + y.len() / hop;
    let mut out = Array2::zeros(rows.len(), n_frames);
    let mut input = fft.make_input_vec();
    let mut spectrum = fft.make_output_vec();
    let mut scratch = fft.make_scratch_vec();
    let (mut re, mut im) = (vec![0.0f32; spectrum.len()], vec![0.0f32; spectrum.len()]);
    for t in 0..n_frames {
        let start = (t * hop) as isize - pad as isize;
        match usize::try_from(start).ok().and_then(|s| y.get(s..s + n_fft)) {
            // Interior frames: no bounds test per sample.
            Some(frame) => input.copy_from_slice(frame),
            None => {
                for (i, v) in input.iter_mut().enumerate() {
                    let j = start + i as isize;
                    *v = if j >= 0 && (j as usize) < y.len() { y[j as usize] } else { 0.0 };
                }
            }
        }
        // The lengths come from the plan itself, so this cannot fail.
        let _ = fft.process_with_scratch(&mut input, &mut spectrum, &mut scratch);
        for ((r, i), c) in re.iter_mut().zip(im.iter_mut()).zip(&spectrum) {
            (*r, *i) = (c.re, c.im);
        }
        for (b, row) in rows.iter().enumerate() {
            out.data[b * n_frames + t] = (f64::from(row.magnitude(&re, &im)) * gain) as f32;
        }
    }
    out
}

/// The matrix that folds `n_input` CQT bins (`bins_per_octave` per octave from `fmin`) onto
/// `n_chroma` pitch classes starting at C: `n_chroma x n_input`. Matches
/// `librosa.filters.cq_to_chroma(n_input, bins_per_octave=bins_per_octave, n_chroma=n_chroma,
/// fmin=fmin, base_c=True)`.
///
/// # Errors
/// [`crate::Error::InvalidParameter`] unless `bins_per_octave` is a multiple of `n_chroma`.
///
/// # Example
/// ```
/// let m = genrecast_features::cq_to_chroma(36, 36, 12, genrecast_features::c1_hz())?;
/// // Pitch class C gathers the bin on C and its two neighbours (one below wraps to B's octave).
/// assert_eq!((m.get(0, 0), m.get(0, 1), m.get(0, 35), m.get(0, 2)), (1.0, 1.0, 1.0, 0.0));
/// # Ok::<(), genrecast_features::Error>(())
/// ```
pub fn cq_to_chroma(n_input: usize, bins_per_octave: usize, n_chroma: usize, fmin: f64) -> Result<Array2> {
    if n_chroma == 0 || bins_per_octave == 0 || !bins_per_octave.is_multiple_of(n_chroma) {
        return Err(invalid("bins_per_octave", bins_per_octave, "a positive multiple of n_chroma"));
    }
    let merge = bins_per_octave / n_chroma;
    let midi = 12.0 * (fmin.log2() - 440f64.log2()) + 69.0;
    let roll = ((midi.rem_euclid(12.0)) * (n_chroma as f64 / 12.0)).round() as usize % n_chroma;
    let mut out = Array2::zeros(n_chroma, n_input);
    for j in 0..n_input {
        // np.repeat(eye) rolled left by merge // 2, tiled over octaves, rows rolled by `roll`.
        let class = ((j + merge / 2) % bins_per_octave) / merge;
        out.data[((class + roll) % n_chroma) * n_input + j] = 1.0;
    }
    Ok(out)
}

/// Chroma from a CQT magnitude, each frame scaled to max 1: `n_chroma x frames`. Matches
/// `librosa.feature.chroma_cqt(C=cqt, bins_per_octave=bins_per_octave, n_chroma=n_chroma,
/// fmin=fmin)` (threshold 0, norm inf); with [`CqtConfig::chroma`] it is `chroma_cqt(y=y)`.
///
/// # Errors
/// As [`cq_to_chroma`].
///
/// # Example
/// ```
/// use genrecast_features::{chroma_cqt, c1_hz, ConstantQ, CqtConfig};
/// let cqt = ConstantQ::new(CqtConfig::chroma(22_050, 512))?;
/// let y: Vec<f32> = (0..22_050).map(|i| (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 22_050.0).sin()).collect();
/// let chroma = chroma_cqt(&cqt.magnitude(&y)?, 36, 12, c1_hz())?;
/// assert_eq!(chroma.get(9, 22), 1.0); // A
/// # Ok::<(), genrecast_features::Error>(())
/// ```
pub fn chroma_cqt(cqt: &Array2, bins_per_octave: usize, n_chroma: usize, fmin: f64) -> Result<Array2> {
    let map = cq_to_chroma(cqt.rows, bins_per_octave, n_chroma, fmin)?;
    let frames = cqt.cols;
    let mut out = Array2::zeros(n_chroma, frames);
    for bin in 0..cqt.rows {
        let Some(class) = (0..n_chroma).find(|&c| map.get(c, bin) != 0.0) else { continue };
        for (o, &v) in out.row_mut(class).iter_mut().zip(cqt.row(bin)) {
            *o += v;
        }
    }
    for t in 0..frames {
        let max = (0..n_chroma).map(|c| out.get(c, t).abs()).fold(0.0f32, f32::max);
        if max >= f32::MIN_POSITIVE {
            (0..n_chroma).for_each(|c| out.data[c * frames + t] /= max);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The folding matrix for 24 bins per octave, worked out by hand from librosa's recipe
    /// (`np.repeat(np.eye(12), 2, axis=1)` rolled left by one): row c holds bins 2c - 1 and 2c,
    /// so C holds bins 23 and 0.
    #[test]
    fn cq_to_chroma_matches_librosa_layout() {
        let m = cq_to_chroma(24, 24, 12, c1_hz()).expect("valid test input");
        for c in 0..12 {
            let ones: Vec<usize> = (0..24).filter(|&j| m.get(c, j) == 1.0).collect();
            let want = if c == 0 { vec![0, 23] } else { vec![2 * c - 1, 2 * c] };
            assert_eq!(ones, want, "row {c}");
        }
        // fmin on A rolls the rows so that row 0 is still C (A is 9 semitones above C).
        let a = cq_to_chroma(12, 12, 12, 55.0).expect("valid test input");
        assert_eq!(a.get(9, 0), 1.0);
    }

    /// Sparsifying keeps the largest entries and drops at most `quantile` of the L1 mass.
    #[test]
    fn sparsify_drops_only_the_small_tail() {
        let row: Vec<Complex<f64>> = [10.0, 0.001, 5.0, 0.002, 0.5, 0.0].iter().map(|&v| Complex::new(v, 0.0)).collect();
        let band = sparsify(&row, 0.01);
        assert_eq!((band.start, band.re.as_slice()), (0, &[10.0f32, 0.0, 5.0, 0.0, 0.5][..]));
        assert_eq!(sparsify(&row, 0.0).re, vec![10.0, 0.001, 5.0, 0.002, 0.5, 0.0]);
    }
}
