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
    frames(mag, n_bins).map(|f| FrameShape::of(f, freq).centroid as f32).collect()
}

/// A frame's magnitude total and centroid, computed once and shared by centroid and
/// bandwidth (the extractor asks for both on every frame).
#[derive(Clone, Copy, Debug)]
pub(crate) struct FrameShape {
    total: f64,
    pub(crate) centroid: f64,
}

impl FrameShape {
    /// The frame's L1 total and centroid. The f64 sums run in eight interleaved lanes (then
    /// added pairwise): one chain of 1,025 dependent additions, twice, was most of the
    /// fused per-frame pass. The order is fixed, so every frame's value is deterministic.
    #[inline(always)]
    pub(crate) fn of(f: &[f32], freq: &[f64]) -> Self {
        let [shape] = Self::of_frames([f], freq);
        shape
    }

    /// [`of`](Self::of) for `F` frames of equal length at once, each frame's value bit for
    /// bit its own: one frame's lanes are chains of dependent additions, `F` frames' overlap.
    #[inline(always)]
    pub(crate) fn of_frames<const F: usize>(frames: [&[f32]; F], freq: &[f64]) -> [Self; F] {
        let n = frames.iter().map(|f| f.len()).min().unwrap_or(0).min(freq.len());
        let (x, freq) = (frames.map(|f| &f[..n]), &freq[..n]);
        let (mut total, mut weighted) = ([[0.0f64; LANES]; F], [[0.0f64; LANES]; F]);
        #[cfg(target_arch = "x86_64")]
        let done = F == 4 && avx512::detected() && {
            // SAFETY: the CPU has AVX-512F; every frame holds `n` values, `freq` too.
            unsafe { avx512::shape_lanes4(&x, freq, n, &mut total, &mut weighted) };
            true
        };
        #[cfg(not(target_arch = "x86_64"))]
        let done = false;
        if !done {
            for c in 0..n / LANES {
                let fr = &freq[c * LANES..(c + 1) * LANES];
                for ((t, w), xf) in total.iter_mut().zip(weighted.iter_mut()).zip(&x) {
                    let v = &xf[c * LANES..(c + 1) * LANES];
                    for l in 0..LANES {
                        let v = f64::from(v[l]);
                        t[l] += v.abs();
                        w[l] += v * fr[l];
                    }
                }
            }
        }
        std::array::from_fn(|i| {
            let (mut total, mut weighted) = (lane_sum(&total[i]), lane_sum(&weighted[i]));
            for (&v, &fr) in x[i][n - n % LANES..].iter().zip(&freq[n - n % LANES..]) {
                let v = f64::from(v);
                total += v.abs();
                weighted += v * fr;
            }
            let centroid = if total < TINY_F32 { 0.0 } else { weighted / total };
            Self { total, centroid }
        })
    }

    /// Bandwidth of order `p` around the centroid, frames L1-normalised (for `p = 2`, in
    /// lanes as [`of`](Self::of)).
    #[inline(always)]
    pub(crate) fn bandwidth(&self, f: &[f32], freq: &[f64], p: f64) -> f64 {
        if p == 2.0 {
            let [b] = Self::bandwidth2_frames([*self], [f], freq);
            return b;
        }
        let c = self.centroid;
        let s = f.iter().zip(freq).map(|(&v, &fr)| f64::from(v) * (fr - c).abs().powf(p)).sum::<f64>() * self.scale();
        s.powf(1.0 / p)
    }

    /// [`bandwidth`](Self::bandwidth) of order 2 for `F` frames (of equal length) at once,
    /// each frame's value bit for bit its own.
    #[inline(always)]
    pub(crate) fn bandwidth2_frames<const F: usize>(shapes: [Self; F], frames: [&[f32]; F], freq: &[f64]) -> [f64; F] {
        let n = frames.iter().map(|f| f.len()).min().unwrap_or(0).min(freq.len());
        let (x, freq) = (frames.map(|f| &f[..n]), &freq[..n]);
        let mut acc = [[0.0f64; LANES]; F];
        #[cfg(target_arch = "x86_64")]
        let done = F == 4 && avx512::detected() && {
            let centroids: [f64; 4] = std::array::from_fn(|i| shapes[i].centroid);
            // SAFETY: the CPU has AVX-512F; every frame holds `n` values, `freq` too.
            unsafe { avx512::bandwidth2_lanes4(&x, freq, n, &centroids, &mut acc) };
            true
        };
        #[cfg(not(target_arch = "x86_64"))]
        let done = false;
        if !done {
            for c in 0..n / LANES {
                let fr = &freq[c * LANES..(c + 1) * LANES];
                for ((a, xf), shape) in acc.iter_mut().zip(&x).zip(&shapes) {
                    let v = &xf[c * LANES..(c + 1) * LANES];
                    for l in 0..LANES {
                        let d = fr[l] - shape.centroid;
                        a[l] += f64::from(v[l]) * d * d;
                    }
                }
            }
        }
        std::array::from_fn(|i| {
            let c = shapes[i].centroid;
            let tail: f64 = x[i][n - n % LANES..].iter().zip(&freq[n - n % LANES..]).map(|(&v, &fr)| f64::from(v) * (fr - c) * (fr - c)).sum();
            ((lane_sum(&acc[i]) + tail) * shapes[i].scale()).powf(0.5)
        })
    }

    /// The L1 normalisation's factor.
    #[inline(always)]
    fn scale(&self) -> f64 {
        if self.total < TINY_F32 {
            1.0
        } else {
            1.0 / self.total
        }
    }
}

/// Lanes of [`FrameShape`]'s sums.
const LANES: usize = 8;

/// The lanes of an interleaved sum, added pairwise.
#[inline(always)]
fn lane_sum(a: &[f64; LANES]) -> f64 {
    ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]))
}

/// Spectral bandwidth of order `p` around the centroid, with L1-normalised frames.
/// Matches `librosa.feature.spectral_bandwidth(S=|stft|, p=2, norm=True)`.
pub fn spectral_bandwidth(mag: &[f32], n_bins: usize, freq: &[f64], p: f64) -> Vec<f32> {
    frames(mag, n_bins).map(|f| FrameShape::of(f, freq).bandwidth(f, freq, p) as f32).collect()
}

/// The frequency below which `roll_percent` of each frame's magnitude lies. Matches
/// `librosa.feature.spectral_rolloff(S=|stft|, roll_percent=0.85)`.
///
/// # Errors
/// If `roll_percent` is not in (0, 1).
pub fn spectral_rolloff(mag: &[f32], n_bins: usize, freq: &[f64], roll_percent: f64) -> Result<Vec<f32>> {
    check_roll_percent(roll_percent)?;
    Ok(frames(mag, n_bins).map(|f| rolloff_of(f, freq, roll_percent)).collect())
}

pub(crate) fn check_roll_percent(roll_percent: f64) -> Result<()> {
    if roll_percent > 0.0 && roll_percent < 1.0 {
        Ok(())
    } else {
        Err(invalid("roll_percent", roll_percent, "in (0, 1)"))
    }
}

/// Roll-off of one frame. librosa accumulates in the input's dtype (float32); the same
/// order of f32 additions here lands the threshold crossing on the same bin.
pub(crate) fn rolloff_of(f: &[f32], freq: &[f64], roll_percent: f64) -> f32 {
    let total = f.iter().fold(0.0f32, |acc, &v| acc + v);
    let threshold = (roll_percent as f32) * total;
    let mut acc = 0.0f32;
    let k = f
        .iter()
        .position(|&v| {
            acc += v;
            acc >= threshold
        })
        .unwrap_or(f.len() - 1);
    freq[k] as f32
}

/// Frames that [`rolloff_lanes`] takes at once: sixteen, one 512-bit vector (with eight,
/// the two chains of additions per frame still waited on the adder).
pub(crate) const ROLLOFF_LANES: usize = 16;

/// [`rolloff_of`] of up to [`ROLLOFF_LANES`] frames at once, from their magnitudes
/// interleaved bin by bin (`block[k * ROLLOFF_LANES + l]` is bin `k` of frame `l`; `lanes`
/// frames are real). Each frame's f32 sums are added in the order of [`rolloff_of`], so
/// the results are the same bits; but a frame's 1,025 dependent additions were a chain that
/// nothing else could overlap (a tenth of feature extraction), while here sixteen chains
/// advance together in one vector.
#[inline(always)]
pub(crate) fn rolloff_lanes(block: &[f32], lanes: usize, freq: &[f64], roll_percent: f64, out: &mut Vec<f32>) {
    const L: usize = ROLLOFF_LANES;
    let n_bins = block.len() / L;
    let mut total = [0.0f32; L];
    for b in block.chunks_exact(L) {
        total.iter_mut().zip(b).for_each(|(t, &v)| *t += v);
    }
    let threshold = total.map(|t| (roll_percent as f32) * t);
    let mut acc = [0.0f32; L];
    let mut found = [n_bins.saturating_sub(1); L];
    // Lanes past `lanes` count as found from the start.
    let all = (1u32 << L) - 1;
    let mut done = all & !((1u32 << lanes) - 1);
    for (k, b) in block.chunks_exact(L).enumerate() {
        acc.iter_mut().zip(b).for_each(|(a, &v)| *a += v);
        let reached = acc.iter().zip(&threshold).enumerate().fold(0u32, |m, (l, (a, t))| m | (u32::from(a >= t) << l));
        let new = reached & !done;
        if new != 0 {
            for (l, f) in found.iter_mut().enumerate() {
                if new >> l & 1 == 1 {
                    *f = k;
                }
            }
            done |= new;
            if done == all {
                break;
            }
        }
    }
    out.extend(found[..lanes].iter().map(|&k| freq[k] as f32));
}

/// Spectral flatness: geometric over arithmetic mean of `max(amin, |X|^power)`. Matches
/// `librosa.feature.spectral_flatness(S=|stft|, amin=1e-10, power=2.0)`.
pub fn spectral_flatness(mag: &[f32], n_bins: usize, amin: f64, power: f64) -> Vec<f32> {
    frames(mag, n_bins).map(|f| flatness_of(f, amin, power)).collect()
}

/// Flatness of one frame. The geometric mean needs the sum of logs; one `ln` per bin was
/// most of the cost, so the product is kept as mantissa and binary exponent instead,
/// renormalised whenever it leaves [1e-200, 1e200] (whatever `amin` and the gain), and one
/// `ln` is taken at the end: the same sum to about 1e-13.
pub(crate) fn flatness_of(f: &[f32], amin: f64, power: f64) -> f32 {
    let (mut mantissa, mut exponent, mut sum) = (1.0f64, 0i64, 0.0f64);
    for &v in f {
        let s = if power == 2.0 { f64::from(v) * f64::from(v) } else { f64::from(v).powf(power) }.max(amin);
        mantissa *= s;
        sum += s;
        if !(1e-200..=1e200).contains(&mantissa) {
            let (m, e) = split_exponent(mantissa);
            mantissa = m;
            exponent += e;
        }
    }
    let n = f.len() as f64;
    let log_sum = mantissa.ln() + exponent as f64 * std::f64::consts::LN_2;
    ((log_sum / n).exp() / (sum / n)) as f32
}

/// `x = m * 2^e` with `m` in [1, 2), for positive normal `x` (`frexp`); anything else is
/// returned unchanged with `e = 0`, so that NaN and infinity propagate.
fn split_exponent(x: f64) -> (f64, i64) {
    if !(x.is_normal() && x > 0.0) {
        return (x, 0);
    }
    let bits = x.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    (f64::from_bits((bits & !(0x7ff << 52)) | (1023 << 52)), e)
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
/// For `n_bands` outside 1..=30, `quantile` outside (0, 1), `fmin <= 0`, or bands past
/// Nyquist.
pub fn spectral_contrast(mag: &[f32], n_bins: usize, freq: &[f64], sr: f64, fmin: f64, n_bands: usize, quantile: f64) -> Result<Array2> {
    let plan = ContrastBands::new(n_bins, freq, sr, fmin, n_bands, quantile, None)?;
    let n_frames = mag.len() / n_bins;
    let mut acc = plan.accumulator(n_frames);
    for (t, f) in frames(mag, n_bins).enumerate() {
        acc.frame(&plan, t, f, 0.0, ALL_BANDS);
    }
    Ok(acc.finish())
}

/// Every band of [`ContrastFrames::frame`] (contrast has at most 31).
pub(crate) const ALL_BANDS: u32 = u32::MAX;

/// How far above a frame's f32 round-off (in magnitude, at the band's worst bin) a band's
/// valley must lie for the frame to be kept. A valley `r` times the round-off is off by
/// about `1 / r` relative, `4.3 / r` dB: at 100, on the reference clips, contrast stays
/// within 4e-5 of librosa's, and a music frame seldom comes so near the floor (0 to 4 % of
/// the frames of three clips; nearly every frame of a quiet, low-passed classical one).
const NEAR_FLOOR: f32 = 100.0;

/// The bin ranges and quantile sizes of [`spectral_contrast`]'s bands, validated once.
#[derive(Clone, Debug)]
pub(crate) struct ContrastBands {
    /// `[lo, hi)` sorted per frame, and the count `q` averaged at each end.
    bands: Vec<(usize, usize, usize)>,
    /// Per band, `NEAR_FLOOR` times the largest round-off gain of its bins: a valley below
    /// this times the frame's noise is too near the f32 floor.
    floor_gains: Vec<f32>,
}

impl ContrastBands {
    /// `error_gains`: per bin, the round-off gain of the f32 STFT the magnitudes come from
    /// ([`crate::StftPlan::error_gains`]); `None` for exact magnitudes.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(n_bins: usize, freq: &[f64], sr: f64, fmin: f64, n_bands: usize, quantile: f64, error_gains: Option<&[f32]>) -> Result<Self> {

        if n_bands == 0 || n_bands > 30 {
            return Err(invalid("n_bands", n_bands, "in 1..=30"));
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
        let floor_gains = bands
            .iter()
            .map(|&(lo, hi, _)| error_gains.map_or(0.0, |g| NEAR_FLOOR * g[lo..hi].iter().copied().fold(0.0, f32::max)))
            .collect();
        Ok(Self { bands, floor_gains })
    }

    pub(crate) fn accumulator(&self, n_frames: usize) -> ContrastFrames {
        let n = self.bands.len() * n_frames;
        ContrastFrames { n_frames, n_rows: self.bands.len(), peak: vec![0.0; n], valley: vec![0.0; n], scratch: ExtremeScratch::default(), avx512: avx512_detected() }
    }
}

/// Peaks and valleys of [`ContrastBands`] collected frame by frame.
pub(crate) struct ContrastFrames {
    n_frames: usize,
    n_rows: usize,
    peak: Vec<f32>,
    valley: Vec<f32>,
    scratch: ExtremeScratch,
    /// Whether to run [`avx512::extreme_means`].
    avx512: bool,
}

/// Whether [`avx512`] runs here.
fn avx512_detected() -> bool {
    #[cfg(target_arch = "x86_64")]
    return avx512::detected();
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// `f32::total_cmp` order as unsigned integers, so that minima and maxima vectorise.
fn order_key(v: f32) -> u32 {
    let bits = v.to_bits();
    if bits >> 31 == 1 {
        !bits
    } else {
        bits | 0x8000_0000
    }
}

/// The inverse of [`order_key`].
fn from_order_key(k: u32) -> f32 {
    f32::from_bits(if k >> 31 == 1 { k & 0x7fff_ffff } else { !k })
}

/// Scratch of [`extreme_means`]: the band's order keys, its runs' minima and maxima, the
/// smallest of those, and the candidates of one end.
#[derive(Default)]
struct ExtremeScratch {
    keys: Vec<u32>,
    run_min: Vec<u32>,
    run_max: Vec<u32>,
    smallest: Vec<u32>,
    candidates: Vec<u32>,
}

/// The `q`-th smallest of `values` (`1 <= q <= ` their count), keeping the `q` smallest
/// sorted in `best`: a few dozen values, of which few displace one already kept.
fn qth_smallest(values: impl Iterator<Item = u32>, q: usize, best: &mut Vec<u32>) -> u32 {
    best.clear();
    for v in values {
        if best.len() == q {
            if v >= best[q - 1] {
                continue;
            }
            best.pop();
        }
        let at = best.partition_point(|&b| b <= v);
        best.insert(at, v);
    }
    best[q - 1]
}

/// Means of the `q` smallest and the `q` largest of `values` (`q <= values.len()`, in
/// `total_cmp` order), each added in ascending order as after a sort.
///
/// The band is cut into runs of up to 8 bins (at least `4 q` runs). Each run's minimum is
/// one of the values, so at least `q` values lie at or below the `q`-th smallest run
/// minimum: the `q` smallest are in the runs whose minimum does, and only their values at
/// or below it are sorted (the largest likewise). Selecting in a copy of the band was 11 %
/// of feature extraction; a single bound over a few long runs was no good, since spectra
/// fall across a band and one run holds most of its quiet bins.
fn extreme_means(values: &[f32], q: usize, scratch: &mut ExtremeScratch) -> (f32, f32) {
    let len = values.len();
    if len == 0 {
        return (0.0, 0.0);
    }
    let q = q.clamp(1, len);
    let ExtremeScratch { keys, run_min, run_max, smallest, candidates } = scratch;
    keys.clear();
    keys.extend(values.iter().map(|&v| order_key(v)));
    if q == 1 {
        let (lo, hi) = keys.iter().fold((u32::MAX, 0), |(lo, hi), &k| (lo.min(k), hi.max(k)));
        return (from_order_key(lo), from_order_key(hi));
    }
    let run = (len / (4 * q)).clamp(1, 8);
    run_min.clear();
    run_max.clear();
    for c in keys.chunks(run) {
        let (lo, hi) = c.iter().fold((u32::MAX, 0), |(lo, hi), &k| (lo.min(k), hi.max(k)));
        run_min.push(lo);
        run_max.push(hi);
    }
    let low_bound = qth_smallest(run_min.iter().copied(), q, smallest);
    candidates.clear();
    for (c, &m) in keys.chunks(run).zip(run_min.iter()) {
        if m <= low_bound {
            candidates.extend(c.iter().filter(|&&k| k <= low_bound));
        }
    }
    candidates.sort_unstable();
    let low = key_mean(&candidates[..q]);
    // The q-th largest maximum, as the q-th smallest complement.
    let high_bound = !qth_smallest(run_max.iter().map(|&k| !k), q, smallest);
    candidates.clear();
    for (c, &m) in keys.chunks(run).zip(run_max.iter()) {
        if m >= high_bound {
            candidates.extend(c.iter().filter(|&&k| k >= high_bound));
        }
    }
    candidates.sort_unstable();
    (low, key_mean(&candidates[candidates.len() - q..]))
}

/// The mean of the values of order keys `ks`, added in their order in f64.
fn key_mean(ks: &[u32]) -> f32 {
    (ks.iter().map(|&k| f64::from(from_order_key(k))).sum::<f64>() / ks.len() as f64) as f32
}

/// [`extreme_means`] with AVX-512 where the CPU has it (and `q <= 16`), else portable.
fn extreme_means_fast(values: &[f32], q: usize, scratch: &mut ExtremeScratch, avx512: bool) -> (f32, f32) {
    #[cfg(target_arch = "x86_64")]
    if avx512 && !values.is_empty() && q.clamp(1, values.len()) <= 16 {
        let q = q.clamp(1, values.len());
        // SAFETY: `avx512` comes from `avx512::detected()`.
        return unsafe { avx512::extreme_means(values, q, &mut scratch.candidates, &mut scratch.smallest) };
    }
    let _ = avx512;
    extreme_means(values, q, scratch)
}

/// AVX-512 for the band extremes of spectral contrast, chosen at run time.
///
/// The release binary is built for baseline x86-64 (SSE2), which has no unsigned 32-bit
/// minimum or maximum and no compress, and no crate we use offers a vectorised selection:
/// the scalar extremes were a fifth of feature extraction. This kernel, `std::arch`
/// AVX-512F behind `is_x86_feature_detected!`, returns bit for bit what the portable
/// [`extreme_means`] returns (the same `q` values, summed in the same order); the portable
/// path serves other CPUs, `q > 16`, and `GENRECAST_NO_AVX512=1`.
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512 {
    use super::{from_order_key, key_mean};
    use std::arch::x86_64::*;

    /// Whether the CPU has AVX-512F and `GENRECAST_NO_AVX512` does not ask for the portable code (read once).
    pub(crate) fn detected() -> bool {
        static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *ON.get_or_init(|| !crate::portable_kernels_asked() && std::arch::is_x86_feature_detected!("avx512f"))
    }

    /// The eight-lane f64 sums of [`super::FrameShape::of_frames`] for four frames (the same
    /// operations in the same order as its portable loop: a widening, `abs`, one product,
    /// two additions; no fused multiply-add), in 512-bit registers: the portable loop over
    /// four frames' arrays stayed scalar, its sums in memory.
    ///
    /// # Safety
    /// The CPU must have AVX-512F; each of `x` and `freq` must hold at least `n` values.
    #[target_feature(enable = "avx512f")]
    pub(crate) unsafe fn shape_lanes4<const F: usize>(x: &[&[f32]; F], freq: &[f64], n: usize, total: &mut [[f64; 8]; F], weighted: &mut [[f64; 8]; F]) {
        debug_assert!(F == 4 && x.iter().all(|f| f.len() >= n) && freq.len() >= n);
        let p: [*const f32; 4] = std::array::from_fn(|i| x[i].as_ptr());
        let (mut t0, mut t1, mut t2, mut t3) = (_mm512_setzero_pd(), _mm512_setzero_pd(), _mm512_setzero_pd(), _mm512_setzero_pd());
        let (mut w0, mut w1, mut w2, mut w3) = (_mm512_setzero_pd(), _mm512_setzero_pd(), _mm512_setzero_pd(), _mm512_setzero_pd());
        for c in 0..n / 8 {
            // SAFETY: c * 8 + 8 <= n, within every frame and `freq`.
            unsafe {
                let fr = _mm512_loadu_pd(freq.as_ptr().add(c * 8));
                let v0 = _mm512_cvtps_pd(_mm256_loadu_ps(p[0].add(c * 8)));
                let v1 = _mm512_cvtps_pd(_mm256_loadu_ps(p[1].add(c * 8)));
                let v2 = _mm512_cvtps_pd(_mm256_loadu_ps(p[2].add(c * 8)));
                let v3 = _mm512_cvtps_pd(_mm256_loadu_ps(p[3].add(c * 8)));
                t0 = _mm512_add_pd(t0, _mm512_abs_pd(v0));
                t1 = _mm512_add_pd(t1, _mm512_abs_pd(v1));
                t2 = _mm512_add_pd(t2, _mm512_abs_pd(v2));
                t3 = _mm512_add_pd(t3, _mm512_abs_pd(v3));
                w0 = _mm512_add_pd(w0, _mm512_mul_pd(v0, fr));
                w1 = _mm512_add_pd(w1, _mm512_mul_pd(v1, fr));
                w2 = _mm512_add_pd(w2, _mm512_mul_pd(v2, fr));
                w3 = _mm512_add_pd(w3, _mm512_mul_pd(v3, fr));
            }
        }
        for (i, (t, w)) in [(t0, w0), (t1, w1), (t2, w2), (t3, w3)].into_iter().enumerate() {
            // SAFETY: each destination holds eight f64.
            unsafe {
                _mm512_storeu_pd(total[i].as_mut_ptr(), t);
                _mm512_storeu_pd(weighted[i].as_mut_ptr(), w);
            }
        }
    }

    /// The eight-lane f64 sums of [`super::FrameShape::bandwidth2_frames`] for four frames
    /// around their `centroids` (`v * d * d`, `d = freq - centroid`, as its portable loop).
    ///
    /// # Safety
    /// As [`shape_lanes4`].
    #[target_feature(enable = "avx512f")]
    pub(crate) unsafe fn bandwidth2_lanes4<const F: usize>(x: &[&[f32]; F], freq: &[f64], n: usize, centroids: &[f64; 4], acc: &mut [[f64; 8]; F]) {
        debug_assert!(F == 4 && x.iter().all(|f| f.len() >= n) && freq.len() >= n);
        let p: [*const f32; 4] = std::array::from_fn(|i| x[i].as_ptr());
        let c: [__m512d; 4] = std::array::from_fn(|i| _mm512_set1_pd(centroids[i]));
        let (mut a0, mut a1, mut a2, mut a3) = (_mm512_setzero_pd(), _mm512_setzero_pd(), _mm512_setzero_pd(), _mm512_setzero_pd());
        for k in 0..n / 8 {
            // SAFETY: k * 8 + 8 <= n, within every frame and `freq`.
            unsafe {
                let fr = _mm512_loadu_pd(freq.as_ptr().add(k * 8));
                let term = |i: usize| {
                    let v = _mm512_cvtps_pd(_mm256_loadu_ps(p[i].add(k * 8)));
                    let d = _mm512_sub_pd(fr, c[i]);
                    _mm512_mul_pd(_mm512_mul_pd(v, d), d)
                };
                a0 = _mm512_add_pd(a0, term(0));
                a1 = _mm512_add_pd(a1, term(1));
                a2 = _mm512_add_pd(a2, term(2));
                a3 = _mm512_add_pd(a3, term(3));
            }
        }
        for (i, a) in [a0, a1, a2, a3].into_iter().enumerate() {
            // SAFETY: each destination holds eight f64.
            unsafe { _mm512_storeu_pd(acc[i].as_mut_ptr(), a) };
        }
    }

    /// [`super::order_key`] of 16 floats' bits.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn order_keys(bits: __m512i) -> __m512i {
        let sign = _mm512_srai_epi32::<31>(bits);
        _mm512_xor_si512(bits, _mm512_or_si512(sign, _mm512_set1_epi32(i32::MIN)))
    }

    /// The `q`-th smallest (`1 <= q <= 16`) of the 16 unsigned lanes of `m`: the smallest
    /// lane with at least `q` lanes at or below it.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn qth_smallest_lane(m: __m512i, q: usize) -> u32 {
        let one = _mm512_set1_epi32(1);
        let mut counts = _mm512_setzero_si512();
        for i in 0..16 {
            let b = _mm512_permutexvar_epi32(_mm512_set1_epi32(i), m);
            counts = _mm512_mask_add_epi32(counts, _mm512_cmple_epu32_mask(b, m), counts, one);
        }
        let enough = _mm512_cmpge_epu32_mask(counts, _mm512_set1_epi32(q as i32));
        _mm512_mask_reduce_min_epu32(enough, m)
    }

    /// [`super::extreme_means`] for `1 <= q <= min(16, values.len())`.
    ///
    /// Lane `j` of a 16-wide pass takes bins `j, j + 16, ...`, so each lane spans the whole
    /// band (a falling spectrum does not crowd its quiet bins into one lane). The `q`-th
    /// smallest lane minimum bounds the `q`-th smallest value from above (`q` distinct bins
    /// lie at or below it): one more pass compresses the keys at or below it, a handful,
    /// which are sorted. The largest likewise, in the same passes.
    ///
    /// # Safety
    /// The CPU must have AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(crate) unsafe fn extreme_means(values: &[f32], q: usize, lows: &mut Vec<u32>, highs: &mut Vec<u32>) -> (f32, f32) {
        let n = values.len();
        debug_assert!((1..=16).contains(&q) && q <= n);
        let p = values.as_ptr();
        let tail: __mmask16 = if n.is_multiple_of(16) { 0 } else { (1u16 << (n % 16)) - 1 };
        let full = n - n % 16;
        // SAFETY (all loads): full lanes lie below `full <= n`; the tail's masked-off lanes
        // are not read.
        let load = |i: usize, live: __mmask16| order_keys(unsafe { _mm512_maskz_loadu_epi32(live, p.add(i).cast()) });
        let (mut mn, mut mx) = (_mm512_set1_epi32(-1), _mm512_setzero_si512());
        for i in (0..full).step_by(16) {
            let k = load(i, 0xffff);
            mn = _mm512_min_epu32(mn, k);
            mx = _mm512_max_epu32(mx, k);
        }
        if tail != 0 {
            let k = load(full, tail);
            mn = _mm512_mask_min_epu32(mn, tail, mn, k);
            mx = _mm512_mask_max_epu32(mx, tail, mx, k);
        }
        if q == 1 {
            return (from_order_key(_mm512_reduce_min_epu32(mn)), from_order_key(_mm512_reduce_max_epu32(mx)));
        }
        let low = _mm512_set1_epi32(qth_smallest_lane(mn, q) as i32);
        // The q-th largest maximum, as the q-th smallest complement.
        let high = _mm512_set1_epi32(!qth_smallest_lane(_mm512_xor_si512(mx, _mm512_set1_epi32(-1)), q) as i32);
        lows.clear();
        highs.clear();
        // Each store writes 16 lanes, of which only the first (the candidates) count.
        lows.reserve(n + 16);
        highs.reserve(n + 16);
        let (pl, ph) = (lows.as_mut_ptr(), highs.as_mut_ptr());
        let (mut nl, mut nh) = (0usize, 0usize);
        let mut i = 0;
        while i < n {
            let live = if i < full { 0xffff } else { tail };
            let k = load(i, live);
            let ml = _mm512_mask_cmple_epu32_mask(live, k, low);
            let mh = _mm512_mask_cmpge_epu32_mask(live, k, high);
            // Compress in a register, then store all 16 lanes: AMD's compress to memory is
            // microcoded and slow. SAFETY: nl, nh <= i < n, within the capacity reserved.
            unsafe {
                _mm512_storeu_si512(pl.add(nl).cast(), _mm512_maskz_compress_epi32(ml, k));
                _mm512_storeu_si512(ph.add(nh).cast(), _mm512_maskz_compress_epi32(mh, k));
            }
            nl += ml.count_ones() as usize;
            nh += mh.count_ones() as usize;
            i += 16;
        }
        // SAFETY: the first nl (nh) elements were written above.
        unsafe {
            lows.set_len(nl);
            highs.set_len(nh);
        }
        // At least q candidates on each side, by the bounds' construction; were it ever not
        // so, the padding would be averaged in silently.
        assert!(q <= nl && q <= nh);
        let mut sorted = [0u32; 32];
        let low = if nl <= 32 {
            // SAFETY: the CPU has AVX-512F (this function's contract).
            unsafe { sort_keys(lows, u32::MAX, &mut sorted) };
            // The padding (the largest key) sorts after the nl >= q candidates.
            key_mean(&sorted[..q])
        } else {
            lows.sort_unstable();
            key_mean(&lows[..q])
        };
        let high = if nh <= 32 {
            // SAFETY: as above.
            let w = unsafe { sort_keys(highs, 0, &mut sorted) };
            // The padding (the smallest key) sorts before the nh >= q candidates.
            key_mean(&sorted[w - q..w])
        } else {
            highs.sort_unstable();
            key_mean(&highs[nh - q..])
        };
        (low, high)
    }

    /// Lane `i` of `v` moved to lane `i ^ J` (`J` one of 1, 2, 4, 8), by shuffles with
    /// immediates: no index vector to load.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn swap_lanes<const J: u32>(v: __m512i) -> __m512i {
        match J {
            1 => _mm512_shuffle_epi32::<0xb1>(v),
            2 => _mm512_shuffle_epi32::<0x4e>(v),
            4 => _mm512_shuffle_i32x4::<0xb1>(v, v),
            _ => _mm512_shuffle_i32x4::<0x4e>(v, v),
        }
    }

    /// One compare-exchange layer of a sorting network on unsigned lanes: lane `i` against
    /// lane `i ^ J`, keeping the maximum in the lanes of `take_max`, the minimum elsewhere.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn exchange<const J: u32>(v: __m512i, take_max: __mmask16) -> __m512i {
        let p = swap_lanes::<J>(v);
        _mm512_mask_max_epu32(_mm512_min_epu32(v, p), take_max, v, p)
    }

    /// The `take_max` masks of the ten layers of the 16-lane bitonic sort, `(block, distance)`
    /// = (2, 1), (4, 2), (4, 1), (8, 4), ..., (16, 1), ascending or descending: computed once,
    /// at compile time, so that the layers' masks are immediates.
    const fn bitonic_masks(descending: bool) -> [__mmask16; 10] {
        let layers = [(2, 1), (4, 2), (4, 1), (8, 4), (8, 2), (8, 1), (16, 8), (16, 4), (16, 2), (16, 1)];
        let mut masks = [0; 10];
        let mut l = 0;
        while l < 10 {
            let (block, distance) = layers[l];
            let mut i = 0;
            while i < 16 {
                // The upper lane of a pair takes the maximum in an ascending block (those of
                // even index among blocks of this size, all of them at 16).
                if ((i & distance != 0) != (i & block != 0)) != descending {
                    masks[l] |= 1 << i;
                }
                i += 1;
            }
            l += 1;
        }
        masks
    }

    /// [`bitonic_masks`] ascending.
    const ASCENDING: [__mmask16; 10] = bitonic_masks(false);
    /// [`bitonic_masks`] descending.
    const DESCENDING: [__mmask16; 10] = bitonic_masks(true);

    /// The last four layers (a bitonic merge of 16 lanes) with masks `m`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn merge16(v: __m512i, m: &[__mmask16; 10]) -> __m512i {
        let v = exchange::<8>(v, m[6]);
        let v = exchange::<4>(v, m[7]);
        let v = exchange::<2>(v, m[8]);
        exchange::<1>(v, m[9])
    }

    /// The 16 unsigned lanes of `v` sorted by a bitonic network with masks `m`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn sort16(v: __m512i, m: &[__mmask16; 10]) -> __m512i {
        let v = exchange::<1>(v, m[0]);
        let v = exchange::<2>(v, m[1]);
        let v = exchange::<1>(v, m[2]);
        let v = exchange::<4>(v, m[3]);
        let v = exchange::<2>(v, m[4]);
        let v = exchange::<1>(v, m[5]);
        merge16(v, m)
    }

    /// `keys` (at most 32) sorted ascending into the first 16 (`keys.len() <= 16`) or 32
    /// lanes of `out`, the lanes past them filled with `pad` and sorted with them; returns
    /// that lane count. A bitonic network in one or two registers: `sort_unstable` on the
    /// handful of candidates of [`extreme_means`] was half of its time.
    ///
    /// # Safety
    /// The CPU must have AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(crate) unsafe fn sort_keys(keys: &[u32], pad: u32, out: &mut [u32; 32]) -> usize {
        let n = keys.len();
        assert!(n <= 32);
        let p = keys.as_ptr().cast::<i32>();
        let fill = _mm512_set1_epi32(pad as i32);
        let live = |count: usize| ((1u32 << count.min(16)) - 1) as __mmask16;
        // SAFETY: only the first `n` lanes, all within `keys`, are read.
        let a = unsafe { _mm512_mask_loadu_epi32(fill, live(n), p) };
        if n <= 16 {
            // SAFETY: `out` holds 32 lanes.
            unsafe { _mm512_storeu_si512(out.as_mut_ptr().cast(), sort16(a, &ASCENDING)) };
            return 16;
        }
        // SAFETY: lanes 16..n, within `keys`.
        let b = unsafe { _mm512_mask_loadu_epi32(fill, live(n - 16), p.add(16)) };
        // One ascending and one descending half make a bitonic 32: its first merge layer
        // is lane against lane, then each half is merged alone.
        let (a, b) = (sort16(a, &ASCENDING), sort16(b, &DESCENDING));
        let (lo, hi) = (_mm512_min_epu32(a, b), _mm512_max_epu32(a, b));
        // SAFETY: `out` holds 32 lanes.
        unsafe {
            _mm512_storeu_si512(out.as_mut_ptr().cast(), merge16(lo, &ASCENDING));
            _mm512_storeu_si512(out.as_mut_ptr().add(16).cast(), merge16(hi, &ASCENDING));
        }
        32
    }
}

impl ContrastFrames {
    /// Collects frame `t`, of magnitudes `f` with f32 round-off scale `noise` (0 when
    /// exact), in the bands of mask `bands` (bit `k` for band `k`). Returns the mask of the
    /// bands whose valley came too near that round-off (0 when none): the caller then
    /// collects those bands again from exact magnitudes.
    pub(crate) fn frame(&mut self, plan: &ContrastBands, t: usize, f: &[f32], noise: f32, bands: u32) -> u32 {
        let mut near = 0u32;
        for (k, &(lo, hi, q)) in plan.bands.iter().enumerate() {
            if bands >> k & 1 == 0 {
                continue;
            }
            let (valley, peak) = extreme_means_fast(&f[lo..hi], q, &mut self.scratch, self.avx512);
            // A NaN valley asks for the exact frame too.
            if valley.is_nan() || valley < noise * plan.floor_gains[k] {
                near |= 1 << k;
            }
            self.valley[k * self.n_frames + t] = valley;
            self.peak[k * self.n_frames + t] = peak;
        }
        near
    }

    pub(crate) fn finish(self) -> Array2 {
        self.finish_floored(None)
    }

    /// The highest peak and valley in dB (`power_to_db(ref=1.0)`) of the frames collected:
    /// librosa floors each 80 dB below the whole song's.
    pub(crate) fn db_maxima(&self) -> (f32, f32) {
        let max_db = |v: &[f32]| {
            let mut db = v.to_vec();
            power_to_db(&mut db, DbReference::Value(1.0), 1e-10, None);
            db.into_iter().fold(f32::NEG_INFINITY, f32::max)
        };
        (max_db(&self.peak), max_db(&self.valley))
    }

    /// The contrast, with peaks and valleys floored 80 dB below `song_maxima` (those of
    /// [`db_maxima`](Self::db_maxima) over the whole song) rather than below this stretch's.
    pub(crate) fn finish_floored(mut self, song_maxima: Option<(f32, f32)>) -> Array2 {
        match song_maxima {
            None => {
                power_to_db(&mut self.peak, DbReference::Value(1.0), 1e-10, Some(80.0));
                power_to_db(&mut self.valley, DbReference::Value(1.0), 1e-10, Some(80.0));
            }
            Some((peak_max, valley_max)) => {
                for (v, max) in [(&mut self.peak, peak_max), (&mut self.valley, valley_max)] {
                    power_to_db(v, DbReference::Value(1.0), 1e-10, None);
                    v.iter_mut().for_each(|x| *x = x.max(max - 80.0));
                }
            }
        }
        let data = self.peak.iter().zip(&self.valley).map(|(p, v)| p - v).collect();
        Array2::from_vec(self.n_rows, self.n_frames, data)
    }
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
    // librosa zeroes |x| <= threshold, then counts sign-bit changes. The edge padding
    // repeats the end samples, so it adds no crossings: a frame counts the crossings of
    // the pairs (y[i], y[i + 1]) it covers. Frames overlap four times over, so pairs are
    // counted once per block of `hop` pairs (prefix sums) and frames take differences,
    // scanning only the partial blocks at their ends (none when frames align with blocks,
    // as with librosa's defaults).
    let negative = |v: f32| v.abs() > 1e-10 && v.is_sign_negative();
    let n_pairs = y.len() - 1;
    let crossing = |i: usize| u32::from(negative(y[i]) != negative(y[i + 1]));
    let scan = |from: usize, to: usize| (from..to).map(crossing).sum::<u32>();
    let mut blocks = Vec::with_capacity(n_pairs / hop_length + 2);
    blocks.push(0u32);
    // Integer counts, in vectors where the CPU has them.
    crate::wide::avx2(
        #[inline(always)]
        || {
            let mut total = 0u32;
            for start in (0..n_pairs).step_by(hop_length) {
                let end = (start + hop_length).min(n_pairs);
                total += y[start..end].iter().zip(&y[start + 1..=end]).map(|(&a, &b)| u32::from(negative(a) != negative(b))).sum::<u32>();
                blocks.push(total);
            }
        },
    );
    // Crossings among pairs [0, p).
    let before = |p: usize| blocks[p / hop_length] + scan(p / hop_length * hop_length, p);
    let half = frame_length / 2;
    let padded_len = y.len() + 2 * half;
    (0..n_frames(y.len(), frame_length, hop_length, true))
        .map(|t| {
            let start = (t * hop_length).min(padded_len);
            let end = (start + frame_length).min(padded_len);
            if end <= start {
                return 0.0;
            }
            // Padded pairs [start, end - 1) are y pairs [start - half, end - 1 - half), clipped.
            let clip = |p: usize| p.saturating_sub(half).min(n_pairs);
            (before(clip(end - 1)) - before(clip(start))) as f32 / (end - start) as f32
        })
        .collect()
}

/// Root-mean-square energy per frame of the zero-padded signal. Matches
/// `librosa.feature.rms(y=y, frame_length=2048, hop_length=512, center=True)`.
pub fn rms(y: &[f32], frame_length: usize, hop_length: usize) -> Vec<f32> {
    if y.is_empty() {
        return vec![];
    }
    // Whole frames of whole hops with a padding of whole zero blocks: the block sums come
    // straight from `y`; anything else reads the padded copy.
    let whole_blocks = frame_length.is_multiple_of(hop_length) && (frame_length / 2).is_multiple_of(hop_length);
    let padded = if whole_blocks { Vec::new() } else { centred(y, frame_length, false) };
    let square = |v: &f32| f64::from(*v) * f64::from(*v);
    let n = n_frames(y.len(), frame_length, hop_length, true);
    let padded_len = y.len() + 2 * (frame_length / 2);
    let mean_root = |s: f64, len: usize| (s / len.max(1) as f64).sqrt() as f32;
    if !frame_length.is_multiple_of(hop_length) {
        return (0..n)
            .map(|t| {
                let f = frame(&padded, t, frame_length, hop_length);
                mean_root(f.iter().map(square).sum(), f.len())
            })
            .collect();
    }
    // Frames start on hop boundaries and span whole hops: sum each hop once, then add
    // `frame_length / hop` block sums per frame (no running-sum cancellation, so a silent
    // frame stays exactly 0).
    let blocks = if whole_blocks {
        // The padding is whole blocks of zeros, whose sums are +0.0 as the padded chunks'.
        let zeros = frame_length / 2 / hop_length;
        let mut blocks = vec![0.0f64; zeros];
        hop_sums(y, hop_length, &mut blocks);
        blocks.resize(blocks.len() + zeros, 0.0);
        blocks
    } else {
        padded.chunks(hop_length).map(|b| b.iter().map(square).sum()).collect()
    };
    let per_frame = frame_length / hop_length;
    (0..n)
        .map(|t| {
            let start = (t * hop_length).min(padded_len);
            let len = (start + frame_length).min(padded_len) - start;
            let last = (t + per_frame).min(blocks.len());
            mean_root(blocks[t.min(last)..last].iter().sum(), len)
        })
        .collect()
}

/// Each `hop`-sample block's sum of squares in f64, in sample order (the last block may be
/// shorter), appended to `out`. Eight blocks at once: one block's sum is a chain of dependent
/// additions, eight blocks' chains overlap; each sum keeps its one-block bits.
fn hop_sums(y: &[f32], hop: usize, out: &mut Vec<f64>) {
    const BLOCKS: usize = 8;
    let square = |v: f32| f64::from(v) * f64::from(v);
    let mut groups = y.chunks_exact(hop * BLOCKS);
    for g in groups.by_ref() {
        let rows: [&[f32]; BLOCKS] = std::array::from_fn(|j| &g[j * hop..(j + 1) * hop]);
        let mut acc = [0.0f64; BLOCKS];
        for i in 0..hop {
            for (a, r) in acc.iter_mut().zip(&rows) {
                *a += square(r[i]);
            }
        }
        out.extend(acc);
    }
    out.extend(groups.remainder().chunks(hop).map(|b| b.iter().fold(0.0f64, |s, &v| s + square(v))));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::fft_frequencies;

    /// Centroid and bandwidth of four frames at once (the AVX-512 kernels where the CPU has
    /// them) have each frame's one-frame bits (the portable loop), signed zeros, NaN and
    /// infinities included, on lengths around the eight lanes.
    #[test]
    fn frame_shapes_four_at_once_equal_one_at_a_time() {
        let special = [0.0f32, -0.0, f32::INFINITY, f32::NAN, 1e-30, 3.5];
        for n in [1usize, 7, 8, 13, 16, 1025] {
            let freq: Vec<f64> = (0..n).map(|k| k as f64 * 10.766).collect();
            let frames: Vec<Vec<f32>> = (0..4)
                .map(|f| (0..n).map(|k| if f == 3 && k % 97 == 5 { special[k % special.len()] } else { ((k * 31 + f * 7) % 101) as f32 * 0.01 }).collect())
                .collect();
            let x: [&[f32]; 4] = std::array::from_fn(|f| &frames[f][..]);
            let shapes = FrameShape::of_frames(x, &freq);
            let widths = FrameShape::bandwidth2_frames(shapes, x, &freq);
            for f in 0..4 {
                let one = FrameShape::of(x[f], &freq);
                let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
                assert!(same(shapes[f].centroid, one.centroid) && same(shapes[f].total, one.total), "n {n} frame {f}");
                assert!(same(widths[f], one.bandwidth(x[f], &freq, 2.0)), "n {n} frame {f}");
            }
        }
    }

    /// RMS as it was computed before block sums were taken eight at a time (every hop's sum
    /// from the padded copy, one after another), or frame by frame where frames are not
    /// whole hops.
    fn rms_one_block_at_a_time(y: &[f32], frame_length: usize, hop: usize) -> Vec<f32> {
        let padded = centred(y, frame_length, false);
        let square = |v: &f32| f64::from(*v) * f64::from(*v);
        let mean_root = |s: f64, len: usize| (s / len.max(1) as f64).sqrt() as f32;
        let n = n_frames(y.len(), frame_length, hop, true);
        if !frame_length.is_multiple_of(hop) {
            return (0..n).map(|t| frame(&padded, t, frame_length, hop)).map(|f| mean_root(f.iter().map(square).sum(), f.len())).collect();
        }
        let blocks: Vec<f64> = padded.chunks(hop).map(|b| b.iter().map(square).sum()).collect();
        (0..n)
            .map(|t| {
                let start = (t * hop).min(padded.len());
                let len = (start + frame_length).min(padded.len()) - start;
                let last = (t + frame_length / hop).min(blocks.len());
                mean_root(blocks[t.min(last)..last].iter().sum(), len)
            })
            .collect()
    }

    /// RMS from block sums taken eight at a time has the bits of the one-block-at-a-time
    /// sums, for frame lengths and hops whose padding is and is not whole blocks (odd frame
    /// lengths included), on lengths around the blocks, silence included; and matches the
    /// frames summed directly in f64 (librosa's `np.mean(np.abs(x)**2)`).
    #[test]
    fn rms_of_hop_sums_matches_direct_frames() {
        for (frame_length, hop) in [(2048, 512), (2049, 512), (1001, 250), (1000, 250), (1024, 512), (2048, 1024), (5, 2), (1, 2), (4, 4), (4, 1)] {
            for len in [1usize, 511, 512, 513, 4095, 4096, 4097, 9000] {
                let y: Vec<f32> = (0..len).map(|i| if i % 1000 < 300 { 0.0 } else { ((i * 13) as f32).sin() * 0.5 }).collect();
                let got = rms(&y, frame_length, hop);
                let want = rms_one_block_at_a_time(&y, frame_length, hop);
                assert_eq!(got.len(), want.len(), "{frame_length}/{hop} len {len}");
                for (t, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert_eq!(g.to_bits(), w.to_bits(), "{frame_length}/{hop} len {len} frame {t}: {g} against {w}");
                }
                let padded = centred(&y, frame_length, false);
                for (t, g) in got.iter().enumerate() {
                    let f = frame(&padded, t, frame_length, hop);
                    let direct = (f.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / f.len().max(1) as f64).sqrt();
                    assert!((f64::from(*g) - direct).abs() <= 1e-6 * direct.max(1e-30), "{frame_length}/{hop} len {len} frame {t}: {g} against {direct}");
                }
            }
        }
    }

    /// The AVX2 transpose against the plain loop, on lengths around a block.
    #[test]
    fn interleave_frames_is_the_plain_interleave() {
        for n_bins in [1, 7, 8, 9, 64, 1025] {
            let rows: Vec<f32> = (0..n_bins * ROLLOFF_LANES).map(|i| i as f32 * 0.5 - 3.0).collect();
            let mut block = vec![0.0f32; rows.len()];
            crate::array::interleave_frames::<ROLLOFF_LANES>(&rows, n_bins, &mut block);
            for k in 0..n_bins {
                for l in 0..ROLLOFF_LANES {
                    assert_eq!(block[k * ROLLOFF_LANES + l], rows[l * n_bins + k], "n_bins={n_bins} k={k} l={l}");
                }
            }
        }
    }

    /// librosa's `S_ideal` test: one non-zero bin, so the centroid is that bin's frequency
    /// and the bandwidth is zero.
    #[test]
    fn spectral_centroid_single_bin_is_bin_frequency() {
        let freq = fft_frequencies(22_050.0, 2048);
        let mut frame = vec![0.0f32; 1025];
        frame[100] = 3.0;
        assert!((spectral_centroid(&frame, 1025, &freq)[0] as f64 - freq[100]).abs() < 1e-3);
        assert!(spectral_bandwidth(&frame, 1025, &freq, 2.0)[0].abs() < 1e-3);
        assert_eq!(spectral_rolloff(&frame, 1025, &freq, 0.85).expect("valid test input")[0] as f64, freq[100] as f32 as f64);
    }

    #[test]
    fn spectral_flatness_white_is_one_and_tone_is_small() {
        let white = vec![1.0f32; 64];
        assert!((spectral_flatness(&white, 64, 1e-10, 2.0)[0] - 1.0).abs() < 1e-6);
        let mut tone = vec![0.0f32; 64];
        tone[3] = 1.0;
        assert!(spectral_flatness(&tone, 64, 1e-10, 2.0)[0] < 1e-6);
    }

    /// The mantissa-and-exponent product against the plain sum of logs, over gains from
    /// silence (all values at `amin`) to far beyond full scale.
    #[test]
    fn flatness_product_matches_sum_of_logs_at_any_gain() {
        for gain in [0.0f32, 1e-6, 1.0, 1e6, 1e18] {
            let f: Vec<f32> = (0..1025).map(|i| gain * (1.0 + ((i * 7919) % 97) as f32)).collect();
            let (mut log_sum, mut sum) = (0.0f64, 0.0f64);
            for &v in &f {
                let s = (f64::from(v) * f64::from(v)).max(1e-10);
                log_sum += s.ln();
                sum += s;
            }
            let want = ((log_sum / 1025.0).exp() / (sum / 1025.0)) as f32;
            let got = flatness_of(&f, 1e-10, 2.0);
            assert!(got.is_finite() && (got - want).abs() <= 1e-6 * want.max(1e-6), "gain {gain}: {got} vs {want}");
        }
    }

    /// Hop-block sums leave digital silence after a loud passage at exactly zero, and agree
    /// with the direct frame sums elsewhere.
    #[test]
    fn rms_block_sums_match_direct_sums() {
        let mut y: Vec<f32> = (0..20_000).map(|i| ((i * 31) % 200) as f32 / 100.0 - 1.0).collect();
        y.extend(std::iter::repeat_n(0.0, 20_000));
        let blocks = rms(&y, 2048, 512);
        let padded = centred(&y, 2048, false);
        for (t, &got) in blocks.iter().enumerate() {
            let f = frame(&padded, t, 2048, 512);
            let want = (f.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / f.len() as f64).sqrt() as f32;
            assert!((got - want).abs() <= 1e-6 * want.max(1e-6), "frame {t}: {got} vs {want}");
        }
        assert_eq!(*blocks.last().expect("valid test input"), 0.0);
    }

    /// Prefix-sum crossing counts against counting each frame's sign changes directly.
    #[test]
    fn zcr_prefix_sums_match_direct_counts() {
        let y: Vec<f32> = (0..9_000).map(|i| (((i * 7919) % 13) as f32 - 6.0) * if i % 1000 < 300 { 1e-11 } else { 1.0 }).collect();
        let negative = |v: f32| v.abs() > 1e-10 && v.is_sign_negative();
        for (len, frame_length, hop) in [(9_000, 2048, 512), (9_000, 1000, 300), (1, 2048, 512), (700, 2048, 512)] {
            let y = &y[..len];
            let z = zero_crossing_rate(y, frame_length, hop);
            let padded = centred(y, frame_length, true);
            for (t, &got) in z.iter().enumerate() {
                let f = frame(&padded, t, frame_length, hop);
                let want = f.windows(2).filter(|w| negative(w[0]) != negative(w[1])).count() as f32 / f.len() as f32;
                assert_eq!(got, want, "{len} samples, frame {t} of {frame_length}/{hop}");
            }
        }
    }

    /// Interleaved frames give [`rolloff_of`]'s values bit for bit, for a full block
    /// and a short one, with a silent frame and a NaN among them.
    #[test]
    fn rolloff_lanes_match_one_frame_at_a_time() {
        let freq = fft_frequencies(22_050.0, 2048);
        let n_bins = 1025;
        let frames: Vec<Vec<f32>> = (0..ROLLOFF_LANES)
            .map(|l| match l {
                2 => vec![0.0; n_bins],
                5 => (0..n_bins).map(|k| if k == 40 { f32::NAN } else { 1.0 }).collect(),
                _ => (0..n_bins).map(|k| ((k * 7919 + l * 104_729) % 1000) as f32 * 1e-3 / (1.0 + k as f32 * 0.01 * l as f32)).collect(),
            })
            .collect();
        for lanes in [ROLLOFF_LANES, 3] {
            let mut block = vec![0.0f32; n_bins * ROLLOFF_LANES];
            for (l, f) in frames.iter().take(lanes).enumerate() {
                for (k, &v) in f.iter().enumerate() {
                    block[k * ROLLOFF_LANES + l] = v;
                }
            }
            let mut got = Vec::new();
            rolloff_lanes(&block, lanes, &freq, 0.85, &mut got);
            let want: Vec<f32> = frames.iter().take(lanes).map(|f| rolloff_of(f, &freq, 0.85)).collect();
            assert_eq!(got, want, "{lanes} lanes");
        }
    }

    /// The one-pass extremes against sorting, for every `q` up to the whole band, with ties.
    #[test]
    fn extreme_means_match_sorting() {
        let mut scratch = ExtremeScratch::default();
        for len in [1usize, 2, 7, 40, 431] {
            let mut v: Vec<f32> = (0..len).map(|i| ((i * 7919) % 11) as f32 - 5.0 + ((i * 104_729) % 1000) as f32 * 1e-3).collect();
            if len > 2 {
                // Signed zeros, which total_cmp orders, and a falling spectrum's shape.
                v[1] = -0.0;
                v[2] = 0.0;
            }
            let mut sorted = v.clone();
            sorted.sort_by(f32::total_cmp);
            for q in 1..=len {
                let mean = |s: &[f32]| (s.iter().map(|&x| f64::from(x)).sum::<f64>() / q as f64) as f32;
                let (low, high) = extreme_means(&v, q, &mut scratch);
                assert_eq!((low, high), (mean(&sorted[..q]), mean(&sorted[len - q..])), "len {len} q {q}");
            }
        }
    }

    /// The AVX-512 extremes against the portable ones, bit for bit, where the CPU has it.
    #[test]
    fn avx512_extremes_match_portable() {
        if !avx512_detected() {
            return;
        }
        let mut a = ExtremeScratch::default();
        let mut b = ExtremeScratch::default();
        let mut seed = 12345u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as u32
        };
        for len in [1usize, 2, 15, 16, 17, 31, 32, 33, 75, 150, 300, 431, 1000] {
            for trial in 0..20 {
                let v: Vec<f32> = (0..len)
                    .map(|i| match trial % 4 {
                        // A falling spectrum with noise.
                        0 => (next() % 1000) as f32 * (-(i as f32) / 50.0).exp(),
                        // Many ties.
                        1 => (next() % 3) as f32,
                        // Signed zeros, NaN and infinities among the values.
                        2 => [0.0, -0.0, f32::NAN, f32::INFINITY, 1.0, -1.0][next() as usize % 6],
                        _ => f32::from_bits(next()),
                    })
                    .collect();
                for q in 1..=len.min(16) {
                    let want = extreme_means(&v, q, &mut a);
                    let got = extreme_means_fast(&v, q, &mut b, true);
                    // Bit for bit, but for NaN payloads (which Rust leaves unspecified).
                    let bits = |x: f32| if x.is_nan() { u32::MAX } else { x.to_bits() };
                    assert_eq!((bits(want.0), bits(want.1)), (bits(got.0), bits(got.1)), "len {len} trial {trial} q {q}");
                }
            }
        }
    }

    /// The AVX-512 sorting network against `sort_unstable` on every length up to 32, with
    /// duplicates, 0 and `u32::MAX` among the keys, padded either way.
    #[test]
    fn avx512_sort_keys_match_sort_unstable() {
        #[cfg(target_arch = "x86_64")]
        {
            if !std::arch::is_x86_feature_detected!("avx512f") {
                return;
            }
            let mut state = 0x9e37_79b9_7f4a_7c15u64;
            let mut next = move || {
                // xorshift64
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state
            };
            let mut out = [0u32; 32];
            for n in 0..=32usize {
                for trial in 0..400 {
                    let keys: Vec<u32> = (0..n)
                        .map(|_| {
                            let r = next();
                            match trial % 4 {
                                0 => r as u32,
                                // Many duplicates.
                                1 => (r % 4) as u32,
                                // The extremes, which are also the padding.
                                2 => [0, u32::MAX, 1, u32::MAX - 1, 0x8000_0000][(r % 5) as usize],
                                _ => (r as u32) >> (r >> 59),
                            }
                        })
                        .collect();
                    let mut want = keys.clone();
                    want.sort_unstable();
                    for pad in [u32::MAX, 0] {
                        out.fill(0x1234_5678);
                        // SAFETY: the CPU has AVX-512F (checked above).
                        let w = unsafe { avx512::sort_keys(&keys, pad, &mut out) };
                        assert_eq!(w, if n <= 16 { 16 } else { 32 }, "n {n}");
                        let mut all = want.clone();
                        all.resize(w, pad);
                        all.sort_unstable();
                        assert_eq!(&out[..w], &all[..], "n {n} trial {trial} pad {pad}");
                        let got = if pad == 0 { &out[w - n..w] } else { &out[..n] };
                        assert_eq!(got, &want[..], "n {n} trial {trial} pad {pad}");
                    }
                }
            }
        }
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
