//! Chroma from the STFT, with librosa's tuning estimation (`librosa/feature/spectral.py`,
//! `librosa/filters.py`, `librosa/core/pitch.py`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::array::Array2;
use crate::convert::fft_frequencies;
use crate::mel::p_norm;

/// Parameters of the chroma filterbank.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChromaConfig {
    /// Sample rate. Default: `22050`.
    pub sr: u32,
    /// FFT length. Default: `2048`.
    pub n_fft: usize,
    /// Bins per octave. Default: `12` (librosa `n_chroma`).
    pub n_chroma: usize,
    /// Tuning deviation from A440 in fractions of a bin; `None` estimates it from the
    /// spectrogram. Default: `None` (librosa `tuning`).
    pub tuning: Option<f64>,
    /// Centre octave of the Gaussian weighting. Default: `5.0` (librosa `ctroct`).
    pub ctroct: f64,
    /// Width of the octave weighting in octaves; `None` disables it. Default: `Some(2.0)`.
    pub octwidth: Option<f64>,
}

impl Default for ChromaConfig {
    fn default() -> Self {
        Self { sr: 22_050, n_fft: 2048, n_chroma: 12, tuning: None, ctroct: 5.0, octwidth: Some(2.0) }
    }
}

/// Octaves relative to C0 (A440 / 16 with `tuning`). Matches `librosa.hz_to_octs`.
pub fn hz_to_octs(f: f64, tuning: f64, bins_per_octave: usize) -> f64 {
    let a440 = 440.0 * 2f64.powf(tuning / bins_per_octave as f64);
    (f / (a440 / 16.0)).log2()
}

/// The chroma filterbank, `n_chroma x (1 + n_fft / 2)`, starting at C. Matches
/// `librosa.filters.chroma(sr=sr, n_fft=n_fft, tuning=tuning, n_chroma=12, ctroct=5.0,
/// octwidth=2, norm=2, base_c=True)`.
pub fn chroma_filterbank(cfg: &ChromaConfig, tuning: f64) -> Array2 {
    let (n_fft, nc) = (cfg.n_fft, cfg.n_chroma);
    let ncf = nc as f64;
    // librosa builds all n_fft columns and keeps the first 1 + n_fft / 2; each column
    // depends only on its own bin and the next one's (its width), so only those are built.
    let n_bins = n_fft / 2 + 1;
    let used = (n_bins + 1).min(n_fft);
    let mut frqbins = Vec::with_capacity(used);
    for i in 1..used {
        let f = i as f64 * f64::from(cfg.sr) / n_fft as f64;
        frqbins.push(ncf * hz_to_octs(f, tuning, nc));
    }
    frqbins.insert(0, frqbins[0] - 1.5 * ncf);
    let mut binwidth: Vec<f64> = frqbins.windows(2).map(|w| (w[1] - w[0]).max(1.0)).collect();
    // The last of librosa's n_fft columns has width 1.
    binwidth.resize(n_bins, 1.0);
    let half = (ncf / 2.0).round();
    let mut wts = vec![vec![0.0f64; n_bins]; nc];
    for (c, row) in wts.iter_mut().enumerate() {
        for (j, w) in row.iter_mut().enumerate() {
            let d = (frqbins[j] - c as f64 + half + 10.0 * ncf).rem_euclid(ncf) - half;
            *w = (-0.5 * (2.0 * d / binwidth[j]).powi(2)).exp();
        }
    }
    // Normalise each column (over chroma) to unit L2 norm.
    let mut col = Vec::with_capacity(nc);
    for j in 0..n_bins {
        col.clear();
        col.extend(wts.iter().map(|r| r[j]));
        let n = p_norm(&col, 2.0);
        if n > f64::from(f32::MIN_POSITIVE) {
            wts.iter_mut().for_each(|r| r[j] /= n);
        }
    }
    if let Some(octwidth) = cfg.octwidth {
        for (j, &fb) in frqbins.iter().take(n_bins).enumerate() {
            let g = (-0.5 * ((fb / ncf - cfg.ctroct) / octwidth).powi(2)).exp();
            wts.iter_mut().for_each(|r| r[j] *= g);
        }
    }
    // base_c: roll so that row 0 is C rather than A.
    let shift = 3 * (nc / 12);
    let mut out = Array2::zeros(nc, n_bins);
    for c in 0..nc {
        let src = &wts[(c + shift) % nc];
        for (o, &v) in out.row_mut(c).iter_mut().zip(src) {
            *o = v as f32;
        }
    }
    out
}

/// Peak frequencies and magnitudes by parabolic interpolation of local maxima above
/// `threshold * max` in `[fmin, fmax)`, frame by frame; calls `found(freq, mag)` for each.
/// Matches `librosa.piptrack(S=S, sr=sr, n_fft=n_fft, fmin=150, fmax=4000, threshold=0.1)`.
fn piptrack(spec: &[f32], n_bins: usize, sr: f64, n_fft: usize, band: std::ops::Range<f64>, threshold: f32, mut found: impl FnMut(f32, f32)) {
    let freqs = fft_frequencies(sr, n_fft);
    let fmax = band.end.min(sr / 2.0);
    let fmin = band.start.max(0.0);
    let mut masked = vec![0.0f32; n_bins];
    // Frequencies rise with the bin, so the band is one range of bins.
    let in_band = freqs.iter().position(|&f| fmin <= f).unwrap_or(n_bins)..freqs.iter().position(|&f| f >= fmax).unwrap_or(n_bins);
    // Only the band and its two neighbours are read from the masked frame.
    let read = in_band.start.saturating_sub(1)..(in_band.end + 1).min(n_bins);
    // util.localmax with edge padding: x[k] > x[k-1] and x[k] >= x[k+1].
    let is_peak = |masked: &[f32], k: usize| {
        let left = if k == 0 { masked[0] } else { masked[k - 1] };
        let right = if k + 1 == n_bins { masked[k] } else { masked[k + 1] };
        masked[k] > left && masked[k] >= right
    };
    let mut peaks = vec![false; in_band.len()];
    for s in spec.chunks_exact(n_bins) {
        // The frame's maximum, the mask and the local maxima in vectors where the CPU has them.
        crate::wide::avx2(
            #[inline(always)]
            || {
                let ref_value = threshold * max_of(s);
                if read.start < read.end {
                    for (m, &v) in masked[read.clone()].iter_mut().zip(&s[read.clone()]) {
                        *m = if v > ref_value { v } else { 0.0 };
                    }
                }
                let (lo, hi) = (in_band.start, in_band.end);
                if lo >= 1 && hi < n_bins {
                    let (left, mid, right) = (&masked[lo - 1..hi - 1], &masked[lo..hi], &masked[lo + 1..hi + 1]);
                    for (((p, &l), &m), &r) in peaks.iter_mut().zip(left).zip(mid).zip(right) {
                        *p = (m > l) & (m >= r);
                    }
                } else {
                    for (p, k) in peaks.iter_mut().zip(in_band.clone()) {
                        *p = is_peak(&masked, k);
                    }
                }
            },
        );
        for (k, _) in in_band.clone().zip(&peaks).filter(|(_, &p)| p) {
            let (shift, avg) = if k == 0 || k + 1 == n_bins {
                (0.0f32, if k == 0 { s[1] - s[0] } else { s[k] - s[k - 1] })
            } else {
                let a = s[k + 1] + s[k - 1] - 2.0 * s[k];
                let b = (s[k + 1] - s[k - 1]) / 2.0;
                (if b.abs() >= a.abs() { 0.0 } else { -b / a }, b)
            };
            let pitch = (k as f32 + shift) * (sr as f32) / n_fft as f32;
            found(pitch, s[k] + 0.5 * avg * shift);
        }
    }
}

/// The largest of `values` (`-inf` if none), as `fold(-inf, f32::max)` gives it: in
/// four times sixteen lanes (four independent chains of vector maxima), since a maximum
/// does not depend on the order (NaN is skipped either way).
#[inline(always)]
fn max_of(values: &[f32]) -> f32 {
    let mut lanes = [[f32::NEG_INFINITY; 16]; 4];
    let chunks = values.chunks_exact(64);
    let tail = chunks.remainder().iter().copied().fold(f32::NEG_INFINITY, f32::max);
    for c in chunks {
        let (c0, rest) = c.split_at(16);
        let (c1, rest) = rest.split_at(16);
        let (c2, c3) = rest.split_at(16);
        let [l0, l1, l2, l3] = &mut lanes;
        l0.iter_mut().zip(c0).for_each(|(l, &v)| *l = l.max(v));
        l1.iter_mut().zip(c1).for_each(|(l, &v)| *l = l.max(v));
        l2.iter_mut().zip(c2).for_each(|(l, &v)| *l = l.max(v));
        l3.iter_mut().zip(c3).for_each(|(l, &v)| *l = l.max(v));
    }
    lanes.iter().flatten().copied().fold(tail, f32::max)
}

/// Tuning deviation (in fractions of a chroma bin, resolution 0.01) of a power
/// spectrogram given frame-major. Matches `librosa.estimate_tuning(S=S, sr=sr, n_fft=n_fft,
/// bins_per_octave=12)`: pitches from `piptrack` above the median magnitude, then the mode of
/// their deviations from the equal-tempered grid.
pub fn estimate_tuning(power: &[f32], n_bins: usize, sr: f64, n_fft: usize, bins_per_octave: usize) -> f64 {
    let mut pitches = Vec::new();
    piptrack(power, n_bins, sr, n_fft, 150.0..4000.0, 0.1, |p, m| {
        if p > 0.0 {
            pitches.push((p, m));
        }
    });
    if pitches.is_empty() {
        return 0.0;
    }
    let mut mags: Vec<f32> = pitches.iter().map(|&(_, m)| m).collect();
    let threshold = median_f32(&mut mags);
    let freqs: Vec<f32> = pitches.iter().filter(|&&(_, m)| m >= threshold).map(|&(p, _)| p).collect();
    pitch_tuning(&freqs, 0.01, bins_per_octave)
}

/// `np.median` on `f32` (mean of the two middle values for an even count), by selection
/// rather than a sort (the sort was 7 % of feature extraction).
fn median_f32(v: &mut [f32]) -> f32 {
    let n = v.len();
    let (lower, &mut upper, _) = v.select_nth_unstable_by(n / 2, f32::total_cmp);
    if n % 2 == 1 {
        upper
    } else {
        let below = lower.iter().copied().fold(f32::NEG_INFINITY, |m, x| if x.total_cmp(&m).is_gt() { x } else { m });
        (below + upper) / 2.0
    }
}

/// The most common deviation of `frequencies` from the equal-tempered grid. Matches
/// `librosa.pitch_tuning(frequencies, resolution=0.01, bins_per_octave=12)`, computed in
/// `f32` as numpy does for `f32` input, and binned as `np.histogram` bins.
pub fn pitch_tuning(frequencies: &[f32], resolution: f64, bins_per_octave: usize) -> f64 {
    let bins = DeviationBins::new(resolution, bins_per_octave);
    let mut counts = vec![0usize; bins.len()];
    let mut any = false;
    for &f in frequencies.iter().filter(|&&f| f > 0.0) {
        any = true;
        if let Some(i) = bins.of(f) {
            counts[i] += 1;
        }
    }
    if !any {
        return 0.0;
    }
    bins.mode(&counts)
}

/// The histogram of [`pitch_tuning`]: deviations from the equal-tempered grid, binned as
/// `np.histogram(residual, np.linspace(-0.5, 0.5, ceil(1 / resolution) + 1))` bins them.
#[derive(Clone, Debug)]
struct DeviationBins {
    edges: Vec<f64>,
    bins_per_octave: usize,
}

impl DeviationBins {
    fn new(resolution: f64, bins_per_octave: usize) -> Self {
        let n_bins = (1.0 / resolution).ceil() as usize;
        Self { edges: crate::convert::linspace(-0.5, 0.5, n_bins + 1), bins_per_octave }
    }

    fn len(&self) -> usize {
        self.edges.len() - 1
    }

    /// The bin of frequency `f` (> 0), computed in `f32` as numpy does for `f32` input.
    fn of(&self, f: f32) -> Option<usize> {
        let octs = (f / (440.0f32 / 16.0)).log2();
        let r = (self.bins_per_octave as f32 * octs).rem_euclid(1.0);
        let r = if r >= 0.5 { r - 1.0 } else { r };
        let (edges, n_bins) = (&self.edges, self.len());
        let norm = n_bins as f64 / (edges[n_bins] - edges[0]);
        let x = f64::from(r);
        if !(edges[0]..=edges[n_bins]).contains(&x) {
            return None;
        }
        let mut i = ((x - edges[0]) * norm) as usize;
        if i == n_bins {
            i -= 1;
        }
        if x < edges[i] {
            i -= 1;
        } else if i + 1 < n_bins && x >= edges[i + 1] {
            i += 1;
        }
        Some(i)
    }

    /// The left edge of the fullest bin (the first of equals, as `np.argmax`).
    fn mode<C: Copy + Ord>(&self, counts: &[C]) -> f64 {
        let best = counts.iter().enumerate().fold(0, |b, (i, &c)| if c > counts[b] { i } else { b });
        self.edges[best]
    }
}

/// [`estimate_tuning`] of a song fed frame block by frame block, in memory that does not
/// grow with the song: the same value, exactly, as the whole spectrogram gives.
///
/// `estimate_tuning` keeps the pitches whose magnitude reaches the median of all the song's
/// pitch magnitudes, then takes the mode of their deviations. Rather than every magnitude,
/// the scan keeps a deviation histogram per bucket of magnitudes (the top 16 bits of the
/// `f32`, so a bucket spans 0.8 %). At the end, the buckets above the median's are counted
/// whole and those below are dropped; only the pitches of the median's own bucket are in
/// doubt. When even the most lopsided split of that bucket cannot change the mode,
/// [`finish`](Self::finish) has the answer; otherwise it asks for a second scan of the same
/// frames that keeps that bucket's pitches exactly ([`begin_exact_pass`](Self::begin_exact_pass)).
///
/// # Example
/// ```
/// use genrecast_features::chroma::{TuningScan, TuningStep};
/// use genrecast_features::{estimate_tuning, StftPlan};
/// let y: Vec<f32> = (0..44_100).map(|i| (i as f32 * 0.0631).sin() + 0.5 * (i as f32 * 0.1).sin()).collect();
/// let spec = StftPlan::new(2048, 512)?.power(&y);
/// let mut scan = TuningScan::new(22_050.0, 2048, 12);
/// for frame in 0..spec.n_frames {
///     scan.push(spec.frame(frame));
/// }
/// let tuning = match scan.finish() {
///     TuningStep::Done(t) => t,
///     TuningStep::ScanAgain => {
///         scan.begin_exact_pass();
///         (0..spec.n_frames).for_each(|f| scan.push(spec.frame(f)));
///         match scan.finish() { TuningStep::Done(t) => t, TuningStep::ScanAgain => unreachable!() }
///     }
/// };
/// assert_eq!(tuning, estimate_tuning(&spec.power, spec.n_bins, 22_050.0, 2048, 12));
/// # Ok::<(), genrecast_features::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct TuningScan {
    sr: f64,
    n_fft: usize,
    bins: DeviationBins,
    /// Per magnitude bucket: how many pitches, and their deviation histogram.
    buckets: std::collections::BTreeMap<u16, (u64, Vec<u32>)>,
    /// During the exact pass: the buckets in doubt and their pitches.
    exact: Option<(std::ops::RangeInclusive<u16>, Vec<Pitch>)>,
}

/// A pitch of the exact pass: its magnitude, and its deviation bin if it has one.
type Pitch = (f32, Option<usize>);

/// What [`TuningScan::finish`] found.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TuningStep {
    /// The tuning, as [`estimate_tuning`] gives it for the whole song.
    Done(f64),
    /// The median's bucket decides it: push the same frames again after
    /// [`TuningScan::begin_exact_pass`].
    ScanAgain,
}

/// Magnitude buckets in `f32::total_cmp` order.
fn bucket(m: f32) -> u16 {
    let bits = m.to_bits();
    let key = if bits >> 31 == 1 { !bits } else { bits | 0x8000_0000 };
    (key >> 16) as u16
}

impl TuningScan {
    /// A scan of a song at `sr` with an `n_fft` STFT, deviations in bins of
    /// `bins_per_octave` (12: the chroma's).
    pub fn new(sr: f64, n_fft: usize, bins_per_octave: usize) -> Self {
        Self { sr, n_fft, bins: DeviationBins::new(0.01, bins_per_octave), buckets: std::collections::BTreeMap::new(), exact: None }
    }

    /// Adds power spectrogram frames (frame-major, `n_fft / 2 + 1` bins each), in song order.
    pub fn push(&mut self, power: &[f32]) {
        let n_bins = self.n_fft / 2 + 1;
        let Self { sr, n_fft, bins, buckets, exact } = self;
        piptrack(power, n_bins, *sr, *n_fft, 150.0..4000.0, 0.1, |p, m| {
            if p <= 0.0 {
                return;
            }
            let bin = bins.of(p);
            match exact {
                Some((doubt, pitches)) => {
                    if doubt.contains(&bucket(m)) {
                        pitches.push((m, bin));
                    }
                }
                None => {
                    let entry = buckets.entry(bucket(m)).or_insert_with(|| (0, vec![0; bins.len()]));
                    entry.0 += 1;
                    if let Some(i) = bin {
                        entry.1[i] += 1;
                    }
                }
            }
        });
    }

    /// The buckets of the median's two middle ranks (one for an odd count).
    fn median_buckets(&self) -> Option<(u64, std::ops::RangeInclusive<u16>, u64)> {
        let n: u64 = self.buckets.values().map(|b| b.0).sum();
        if n == 0 {
            return None;
        }
        let (low_rank, high_rank) = ((n - 1) / 2, n / 2);
        let (mut below, mut low, mut high, mut below_low) = (0u64, None, None, 0u64);
        for (&key, &(count, _)) in &self.buckets {
            if low.is_none() && low_rank < below + count {
                low = Some(key);
                below_low = below;
            }
            if high_rank < below + count {
                high = Some(key);
                break;
            }
            below += count;
        }
        Some((n, low?..=high?, below_low))
    }

    /// The tuning if the histograms decide it, else [`TuningStep::ScanAgain`] (once).
    pub fn finish(&self) -> TuningStep {
        let Some((n, doubt, below)) = self.median_buckets() else {
            return TuningStep::Done(0.0);
        };
        let mut sure = vec![0u64; self.bins.len()];
        for (_, (_, hist)) in self.buckets.range(doubt.end().saturating_add(1)..).filter(|(k, _)| *k > doubt.end()) {
            sure.iter_mut().zip(hist).for_each(|(s, &h)| *s += u64::from(h));
        }
        if let Some((_, pitches)) = &self.exact {
            // The median, exactly as `estimate_tuning` computes it.
            let mut mags: Vec<f32> = pitches.iter().map(|&(m, _)| m).collect();
            mags.sort_unstable_by(f32::total_cmp);
            let rank = |r: u64| mags.get((r - below) as usize).copied().unwrap_or(f32::NAN);
            let threshold = if n % 2 == 1 { rank(n / 2) } else { (rank(n / 2 - 1) + rank(n / 2)) / 2.0 };
            for &(m, bin) in pitches {
                if let (true, Some(i)) = (m >= threshold, bin) {
                    sure[i] += 1;
                }
            }
            return TuningStep::Done(self.bins.mode(&sure));
        }
        let mut maybe = sure.clone();
        for (_, (_, hist)) in self.buckets.range(doubt.clone()) {
            maybe.iter_mut().zip(hist).for_each(|(s, &h)| *s += u64::from(h));
        }
        // Decided when the surest count of one bin beats every other bin's best case (ties
        // go to the lower bin, as np.argmax).
        let a = sure.iter().enumerate().fold(0, |b, (i, &c)| if c > sure[b] { i } else { b });
        let decided = maybe.iter().enumerate().all(|(j, &best)| j == a || if j < a { sure[a] > best } else { sure[a] >= best });
        if decided {
            TuningStep::Done(self.bins.mode(&sure))
        } else {
            TuningStep::ScanAgain
        }
    }

    /// Starts the second scan that [`TuningStep::ScanAgain`] asks for.
    pub fn begin_exact_pass(&mut self) {
        if let Some((_, doubt, _)) = self.median_buckets() {
            self.exact = Some((doubt, Vec::new()));
        }
    }
}

/// Chromagram `n_chroma x frames` from a frame-major power spectrogram: the chroma filterbank
/// applied to each frame, then each frame scaled to max 1. Matches
/// `librosa.feature.chroma_stft(S=|stft|**2, sr=sr, norm=np.inf, tuning=tuning)`.
pub fn chroma_stft(power: &[f32], n_bins: usize, cfg: &ChromaConfig) -> Array2 {
    let tuning = cfg.tuning.unwrap_or_else(|| estimate_tuning(power, n_bins, f64::from(cfg.sr), cfg.n_fft, cfg.n_chroma));
    let fb = banded_filterbank(cfg, tuning);
    let nc = cfg.n_chroma;
    let n_frames = power.len() / n_bins;
    let mut out = Array2::zeros(nc, n_frames);
    let mut col = vec![0.0f32; nc];
    let mut store = |t: usize, col: &[f32]| {
        let max = col.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let scale = if max < f32::MIN_POSITIVE { 1.0 } else { 1.0 / max };
        for (c, v) in col.iter().enumerate() {
            out.data[c * n_frames + t] = v * scale;
        }
    };
    // The filterbank's dot products in vectors where the CPU has them: with AVX-512, on
    // blocks of frames interleaved bin by bin.
    crate::wide::avx2(#[inline(always)] || {
        let mut done = 0;
        #[cfg(target_arch = "x86_64")]
        if crate::array::interleaved_dots_available() {
            const L: usize = crate::array::INTERLEAVED_FRAMES;
            let mut block = vec![0.0f32; n_bins * L];
            let mut cols = vec![[0.0f32; L]; nc];
            for (b, rows) in power.chunks_exact(n_bins * L).enumerate() {
                crate::array::interleave_frames::<L>(rows, n_bins, &mut block);
                // SAFETY: `interleaved_dots_available()` found AVX-512F.
                unsafe { fb.apply_interleaved(&block, &mut cols) };
                for f in 0..L {
                    col.iter_mut().zip(&cols).for_each(|(c, v)| *c = v[f]);
                    store(b * L + f, &col);
                }
            }
            done = n_frames - n_frames % L;
        }
        for (t, s) in power[done * n_bins..].chunks_exact(n_bins).enumerate() {
            fb.apply_frame(s, &mut col);
            store(done + t, &col);
        }
    });
    out
}

/// The banded filterbank of `cfg` at `tuning`, built once per process: building it (an
/// `exp` per weight) cost about a tenth of the chroma, and an estimated tuning takes one
/// of about a hundred values (steps of 0.01 of a bin), so songs share them.
fn banded_filterbank(cfg: &ChromaConfig, tuning: f64) -> Arc<BandedChroma> {
    type Key = (u32, usize, usize, u64, u64, Option<u64>);
    static CACHE: OnceLock<Mutex<HashMap<Key, Arc<BandedChroma>>>> = OnceLock::new();
    // At most this many weights kept (16 MB; about 25 kB a filterbank at the defaults): a
    // caller passing its own tuning per song, or a huge n_fft, cannot grow it without bound.
    const KEPT_WEIGHTS: usize = 1 << 22;
    let key = (cfg.sr, cfg.n_fft, cfg.n_chroma, tuning.to_bits(), cfg.ctroct.to_bits(), cfg.octwidth.map(f64::to_bits));
    let cache = CACHE.get_or_init(Default::default);
    if let Some(fb) = cache.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
        return Arc::clone(fb);
    }
    let fb = Arc::new(BandedChroma::new(&chroma_filterbank(cfg, tuning)));
    let mut kept = cache.lock().unwrap_or_else(PoisonError::into_inner);
    if kept.values().map(|b| b.weights()).sum::<usize>() + fb.weights() > KEPT_WEIGHTS {
        kept.clear();
    }
    kept.insert(key, Arc::clone(&fb));
    fb
}

/// Weights below this fraction of their bin's largest are dropped from [`BandedChroma`].
/// Each bin's weights are a Gaussian over the chroma circle, narrow (a semitone or two)
/// above the lowest octaves, so that nearly half of the dense `12 x 1025` are below 1e-8 of
/// their bin's peak. Dropping them moves a chroma value by at most `12 x 1e-8` of its
/// frame's largest, below f32 round-off.
const CHROMA_DROP: f32 = 1e-8;

/// The chroma filterbank without its negligible weights: per chroma, the runs of
/// consecutive bins whose weight counts (one run per octave, at most a few more).
#[derive(Clone, Debug)]
struct BandedChroma {
    rows: Vec<Vec<(usize, Vec<f32>)>>,
}

impl BandedChroma {
    fn new(dense: &Array2) -> Self {
        let peak: Vec<f32> = (0..dense.cols).map(|j| (0..dense.rows).map(|c| dense.get(c, j).abs()).fold(0.0, f32::max)).collect();
        let rows = (0..dense.rows)
            .map(|c| {
                let row = dense.row(c);
                let mut runs: Vec<(usize, Vec<f32>)> = Vec::new();
                for (j, &w) in row.iter().enumerate() {
                    if w == 0.0 || w.abs() < CHROMA_DROP * peak[j] {
                        continue;
                    }
                    match runs.last_mut() {
                        Some((start, ws)) if *start + ws.len() == j => ws.push(w),
                        _ => runs.push((j, vec![w])),
                    }
                }
                runs
            })
            .collect();
        Self { rows }
    }

    #[inline(always)]
    fn apply_frame(&self, frame: &[f32], out: &mut [f32]) {
        for (runs, o) in self.rows.iter().zip(out.iter_mut()) {
            *o = runs.iter().map(|(start, w)| crate::array::dot(w, &frame[*start..start + w.len()])).sum();
        }
    }

    /// [`apply_frame`](Self::apply_frame) on [`crate::array::INTERLEAVED_FRAMES`] frames
    /// interleaved bin by bin (as [`crate::array::interleave_frames`] lays them out), the
    /// same bits: `out[chroma][frame]`.
    ///
    /// # Safety
    /// The CPU must have AVX-512F (see [`crate::array::dot_interleaved`]).
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn apply_interleaved(&self, block: &[f32], out: &mut [[f32; crate::array::INTERLEAVED_FRAMES]]) {
        for (runs, o) in self.rows.iter().zip(out.iter_mut()) {
            // As `Iterator::sum` adds: from -0.0, run by run.
            *o = [-0.0; crate::array::INTERLEAVED_FRAMES];
            for (start, w) in runs {
                // SAFETY: the caller vouches for AVX-512F.
                let d = unsafe { crate::array::dot_interleaved(w, block, *start) };
                o.iter_mut().zip(d).for_each(|(s, v)| *s += v);
            }
        }
    }

    /// How many weights it keeps.
    fn weights(&self) -> usize {
        self.rows.iter().flatten().map(|(_, w)| w.len()).sum()
    }
}

/// Tonal centroid features (Harte et al. 2006) of a chromagram: `6 x frames`, the chroma
/// (each frame L1-normalised) projected on the circles of fifths, minor thirds and major
/// thirds. Matches `librosa.feature.tonnetz(chroma=chroma)`. Note that librosa's
/// `tonnetz(y=y)` computes its chroma with `chroma_cqt`; genrecast's
/// [`FeatureKind::Tonnetz`](crate::FeatureKind::Tonnetz) uses [`chroma_stft`].
///
/// # Example
/// ```
/// use genrecast_features::{chroma::tonnetz, Array2};
/// // A pure C: all energy in chroma bin 0.
/// let mut c = Array2::from_vec(12, 1, vec![0.0; 12]);
/// c.data[0] = 1.0;
/// let t = tonnetz(&c);
/// assert_eq!(t.shape(), [6, 1]);
/// // Pitch class 0 on the circle of fifths: (sin 0, cos 0) = (0, 1); librosa writes the sine
/// // as cos(pi * (0 - 0.5)).
/// assert!(t.data[0].abs() < 1e-6 && (t.data[1] - 1.0).abs() < 1e-6);
/// ```
pub fn tonnetz(chroma: &Array2) -> Array2 {
    const SCALE: [f64; 6] = [7.0 / 6.0, 7.0 / 6.0, 1.5, 1.5, 2.0 / 3.0, 2.0 / 3.0];
    const RADIUS: [f64; 6] = [1.0, 1.0, 1.0, 1.0, 0.5, 0.5];
    let (n, frames) = (chroma.rows, chroma.cols);
    // phi[p][i] = R_p cos(pi (scale_p * 12 i / n - 0.5 [p even])): even rows are sines.
    let phi: Vec<Vec<f64>> = (0..6)
        .map(|p| {
            (0..n)
                .map(|i| {
                    let v = SCALE[p] * (12.0 * i as f64 / n as f64) - if p % 2 == 0 { 0.5 } else { 0.0 };
                    RADIUS[p] * (std::f64::consts::PI * v).cos()
                })
                .collect()
        })
        .collect();
    let mut out = Array2::from_vec(6, frames, vec![0.0; 6 * frames]);
    for t in 0..frames {
        let col: Vec<f64> = (0..n).map(|i| f64::from(chroma.get(i, t))).collect();
        let l1: f64 = col.iter().map(|v| v.abs()).sum();
        // librosa.util.normalize leaves columns below the tiny threshold unscaled.
        let norm = if l1 < f64::from(f32::MIN_POSITIVE) { 1.0 } else { l1 };
        for (p, weights) in phi.iter().enumerate() {
            let v: f64 = weights.iter().zip(&col).map(|(a, b)| a * b).sum::<f64>() / norm;
            out.data[p * frames + t] = v as f32;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The laned maximum against the plain fold, with NaN and odd lengths.
    #[test]
    fn max_of_is_the_fold() {
        for n in [0, 1, 15, 16, 17, 1025] {
            for nan_at in [None, Some(0), Some(n / 2)] {
                let mut v: Vec<f32> = (0..n).map(|i| ((i * 7919) % 1013) as f32 * 0.37 - 50.0).collect();
                if let Some(i) = nan_at.filter(|&i| i < n) {
                    v[i] = f32::NAN;
                }
                let want = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                assert_eq!(max_of(&v).to_bits(), want.to_bits(), "n={n}");
                assert_eq!(crate::wide::avx2(|| max_of(&v)).to_bits(), want.to_bits(), "n={n} widened");
            }
        }
    }

    /// An A440 sine is tuned (deviation 0) and lights the A bin (index 9 from C).
    #[test]
    fn chroma_of_a440_peaks_at_a() {
        let sr = 22_050;
        let y: Vec<f32> = (0..sr).map(|i| (2.0 * std::f64::consts::PI * 440.0 * i as f64 / sr as f64).sin() as f32).collect();
        let spec = crate::StftPlan::new(2048, 512).expect("valid test input").power(&y);
        let tuning = estimate_tuning(&spec.power, spec.n_bins, sr as f64, 2048, 12);
        assert!(tuning.abs() <= 0.05, "tuning {tuning}");
        let chroma = chroma_stft(&spec.power, spec.n_bins, &ChromaConfig::default());
        let mid = chroma.cols / 2;
        let best = (0..12).max_by(|&a, &b| chroma.get(a, mid).total_cmp(&chroma.get(b, mid))).expect("valid test input");
        assert_eq!(best, 9);
    }

    /// The banded filterbank against the dense product, on a spectrum with every bin lit:
    /// within f32 round-off of each frame's largest chroma, with about half the weights.
    #[test]
    fn banded_chroma_matches_dense() {
        for tuning in [0.0, -0.37, 0.21] {
            let dense = chroma_filterbank(&ChromaConfig::default(), tuning);
            let banded = BandedChroma::new(&dense);
            assert!(banded.weights() < dense.data.len() * 6 / 10, "{} of {} weights kept", banded.weights(), dense.data.len());
            let frame: Vec<f32> = (0..dense.cols).map(|j| 1.0 + ((j * 7919) % 101) as f32 / (1.0 + j as f32)).collect();
            let mut got = vec![0.0f32; 12];
            banded.apply_frame(&frame, &mut got);
            let want: Vec<f64> = (0..12).map(|c| dense.row(c).iter().zip(&frame).map(|(&w, &s)| f64::from(w) * f64::from(s)).sum()).collect();
            let max = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (c, (&g, &w)) in got.iter().zip(&want).enumerate() {
                assert!((f64::from(g) - w).abs() <= 1e-6 * max, "tuning {tuning} chroma {c}: {g} vs {w}");
            }
        }
    }

    /// Interleaved frames give each frame's one-at-a-time bits.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn banded_chroma_interleaved_equals_one_at_a_time() {
        const FRAMES_AT_ONCE: usize = crate::array::INTERLEAVED_FRAMES;
        // The CPU's own answer: GENRECAST_NO_AVX512 must not skip this test.
        if !std::arch::is_x86_feature_detected!("avx512f") {
            eprintln!("no AVX-512F on this CPU: the interleaved path cannot run");
            return;
        }
        let banded = BandedChroma::new(&chroma_filterbank(&ChromaConfig::default(), -0.12));
        let rows: Vec<f32> = (0..FRAMES_AT_ONCE * 1025).map(|i| ((i * 31 + i / 1025 * 977) % 1009) as f32 * 1e-3 / (1.0 + (i % 17) as f32)).collect();
        let mut block = vec![0.0f32; rows.len()];
        crate::array::interleave_frames::<FRAMES_AT_ONCE>(&rows, 1025, &mut block);
        let mut at_once = vec![[0.0f32; FRAMES_AT_ONCE]; 12];
        // SAFETY: the CPU has AVX-512F.
        unsafe { banded.apply_interleaved(&block, &mut at_once) };
        for (f, frame) in rows.chunks_exact(1025).enumerate() {
            let mut one = vec![0.0f32; 12];
            banded.apply_frame(frame, &mut one);
            for c in 0..12 {
                assert_eq!(at_once[c][f].to_bits(), one[c].to_bits(), "frame {f} chroma {c}");
            }
        }
    }
}
