//! The rp_extract family: rhythm patterns (RP), rhythm histograms (RH), statistical spectrum
//! descriptors (SSD), temporal SSD and RH (TSSD, TRH) and the modulation variance descriptor
//! (MVD), as `rp_extract.py` (github.com/tuwien-musicir/rp_extract, commit f5e6fe6, the
//! Python port by Schindler and Lidy of Lidy's Matlab code) computes them with its defaults.
//!
//! Written here because no Rust crate computes them. Each step follows the algorithm as
//! `../shared/reference/rp_extract/README.md` writes it out, with that code's constants:
//!
//! 1. The signal is cut into non-overlapping segments of 2^17 samples at 22,050 Hz (2^16 at
//!    11,025, 2^18 at 44,100: about 6 s); from recordings of 45 s or more the first and last
//!    segment are skipped (lead-in and fade-out).
//! 2. Per segment, a power spectrogram (symmetric Hann, 511 frames), summed into the 24
//!    Bark bands below 15.5 kHz, spread by Schroeder's masking function, converted to dB,
//!    to phon (equal-loudness curves) and to sone: the sonogram, 24 bands x 511 frames.
//! 3. SSD: seven statistics of each band over time. RP: the modulation amplitude of each
//!    band's loudness at 0.17-10 Hz (60 bins), weighted by fluctuation strength. RH: the RP
//!    summed over bands, before weighting. MVD: seven statistics of each modulation bin over
//!    the bands.
//! 4. Per recording: the median RP and RH, the mean SSD and MVD over segments; TSSD and TRH
//!    are the seven statistics of the segments' SSD and RH.
//!
//! References: A. Rauber, E. Pampalk, D. Merkl, ISMIR 2002; T. Lidy, A. Rauber, ISMIR 2005;
//! T. Lidy et al., Signal Processing 90(4), 2010.

use std::sync::Arc;

use genrecast_eval::median;
use realfft::{RealFftPlanner, RealToComplex};

use crate::{Error, Result};

/// Bark bands.
pub const N_BANDS: usize = 24;
/// Spectrogram frames per segment.
pub const FRAMES: usize = 511;
/// Modulation-frequency bins kept (0.17 to 10.1 Hz).
pub const MOD_BINS: usize = 60;
/// Statistics of SSD, MVD, TSSD and TRH, in this order.
pub const STATISTICS: [&str; 7] = ["mean", "var", "skew", "kurtosis", "median", "min", "max"];

/// Upper edges of the 24 Bark bands in Hz (the first starts at 0).
const BARK_EDGES: [f64; N_BANDS] = [
    100.0, 200.0, 300.0, 400.0, 510.0, 630.0, 770.0, 920.0, 1080.0, 1270.0, 1480.0, 1720.0, 2000.0, 2320.0, 2700.0, 3150.0, 3700.0,
    4400.0, 5300.0, 6400.0, 7700.0, 9500.0, 12000.0, 15500.0,
];

/// Frequencies of the equal-loudness table, Hz.
const LOUDNESS_FREQS: [f64; 22] = [
    31.62, 50.0, 70.7, 100.0, 141.4, 200.0, 316.2, 500.0, 707.1, 1000.0, 1414.0, 1682.0, 2000.0, 2515.0, 3162.0, 3976.0, 5000.0, 7071.0,
    10000.0, 11890.0, 14140.0, 15500.0,
];

/// Equal-loudness curves (dB SPL at [`LOUDNESS_FREQS`]) for the phon levels of [`PHONS`].
const LOUDNESS_CURVES: [[f64; 22]; 6] = [
    [55.0, 40.0, 32.0, 24.0, 19.0, 14.0, 10.0, 6.0, 4.0, 3.0, 2.0, 2.0, 0.0, -2.0, -5.0, -4.0, 0.0, 5.0, 10.0, 14.0, 25.0, 35.0],
    [66.0, 52.0, 43.0, 37.0, 32.0, 27.0, 23.0, 21.0, 20.0, 20.0, 20.0, 20.0, 19.0, 16.0, 13.0, 13.0, 18.0, 22.0, 25.0, 30.0, 40.0, 50.0],
    [76.0, 64.0, 57.0, 51.0, 47.0, 43.0, 41.0, 41.0, 40.0, 40.0, 40.0, 39.5, 38.0, 35.0, 33.0, 33.0, 35.0, 41.0, 46.0, 50.0, 60.0, 70.0],
    [89.0, 79.0, 74.0, 70.0, 66.0, 63.0, 61.0, 60.0, 60.0, 60.0, 60.0, 59.0, 56.0, 53.0, 52.0, 53.0, 56.0, 61.0, 65.0, 70.0, 80.0, 90.0],
    [103.0, 96.0, 92.0, 88.0, 85.0, 83.0, 81.0, 80.0, 80.0, 80.0, 80.0, 79.0, 76.0, 72.0, 70.0, 70.0, 75.0, 79.0, 83.0, 87.0, 95.0, 105.0],
    [118.0, 110.0, 107.0, 105.0, 103.0, 102.0, 101.0, 100.0, 100.0, 100.0, 100.0, 99.0, 97.0, 94.0, 90.0, 90.0, 95.0, 100.0, 103.0, 105.0, 108.0, 115.0],
];

/// Phon level of each equal-loudness curve.
const PHONS: [f64; 6] = [3.0, 20.0, 40.0, 60.0, 80.0, 100.0];

/// rp_extract's "hearing threshold" scaling of the [-1, 1) signal: 0.0875 * 2^15.
const THRESHOLD_SCALE: f64 = 0.0875 * 32768.0;

/// Recordings at least this long skip their first and last segment.
const SKIP_FROM_SECONDS: f64 = 45.0;

/// Segment choice. Defaults are rp_extract's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RpConfig {
    /// Segments skipped at each end of a recording of 45 s or more. Default: `1`.
    pub skip_leadin_fadeout: usize,
    /// Take every `step_width`-th segment. Default: `1`.
    pub step_width: usize,
}

impl Default for RpConfig {
    fn default() -> Self {
        Self { skip_leadin_fadeout: 1, step_width: 1 }
    }
}

/// The descriptors of one segment (vectors flattened column-major, as rp_extract's).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SegmentDescriptors {
    /// First sample (0-based) and one past the last.
    pub span: (usize, usize),
    /// Rhythm pattern, `24 bands x 60 modulation bins`, index `band + 24 * bin`.
    pub rp: Vec<f64>,
    /// Rhythm histogram, 60 modulation bins.
    pub rh: Vec<f64>,
    /// Statistical spectrum descriptor, `24 bands x 7 statistics`, index `band + 24 * stat`.
    pub ssd: Vec<f64>,
    /// Modulation variance descriptor, `60 bins x 7 statistics`, index `bin + 60 * stat`.
    pub mvd: Vec<f64>,
}

impl SegmentDescriptors {
    /// The descriptor named `rp`, `rh`, `ssd` or `mvd` (TSSD and TRH exist per recording
    /// only).
    pub fn get(&self, name: &str) -> Option<&[f64]> {
        match name {
            "rp" => Some(&self.rp),
            "rh" => Some(&self.rh),
            "ssd" => Some(&self.ssd),
            "mvd" => Some(&self.mvd),
            _ => None,
        }
    }
}

/// The descriptors of a recording.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RpDescriptors {
    /// Median rhythm pattern over segments (1440 values).
    pub rp: Vec<f64>,
    /// Median rhythm histogram over segments (60).
    pub rh: Vec<f64>,
    /// Mean SSD over segments (168).
    pub ssd: Vec<f64>,
    /// Temporal SSD: the 7 statistics of each SSD dimension over segments, index
    /// `dim + 168 * stat` (1176).
    pub tssd: Vec<f64>,
    /// Temporal RH: the 7 statistics of each RH bin over segments, index `bin + 60 * stat`
    /// (420).
    pub trh: Vec<f64>,
    /// Mean MVD over segments (420).
    pub mvd: Vec<f64>,
    /// Per-segment descriptors.
    pub segments: Vec<SegmentDescriptors>,
}

/// The descriptor names, as `genrecast features --set` takes them.
pub const DESCRIPTORS: [&str; 6] = ["rp", "rh", "ssd", "tssd", "trh", "mvd"];

impl RpDescriptors {
    /// Descriptor `name` (one of [`DESCRIPTORS`]) as a row-major matrix `(rows, cols, data)`:
    /// RP `24 bands x 60 bins`, RH `60 x 1`, SSD `24 bands x 7 statistics`, TSSD `168 x 7`,
    /// TRH and MVD `60 bins x 7`.
    ///
    /// # Example
    /// ```
    /// # use genrecast_descriptors::rp::RpExtractor;
    /// let d = RpExtractor::new(11_025)?.extract(&vec![0.1; 70_000])?;
    /// let (rows, cols, data) = d.matrix("ssd").unwrap();
    /// assert_eq!((rows, cols), (24, 7));
    /// assert_eq!(data[1], d.ssd[24]); // band 0's variance (rp_extract's index band + 24 * stat)
    /// # Ok::<(), genrecast_descriptors::Error>(())
    /// ```
    pub fn matrix(&self, name: &str) -> Option<(usize, usize, Vec<f64>)> {
        let (v, rows) = match name {
            "rp" => (&self.rp, N_BANDS),
            "rh" => (&self.rh, MOD_BINS),
            "ssd" => (&self.ssd, N_BANDS),
            "tssd" => (&self.tssd, N_BANDS * 7),
            "trh" => (&self.trh, MOD_BINS),
            "mvd" => (&self.mvd, MOD_BINS),
            _ => return None,
        };
        let cols = v.len() / rows;
        // rp_extract stores column-major (index row + rows * col).
        let data = (0..rows).flat_map(|r| (0..cols).map(move |c| v[r + rows * c])).collect();
        Some((rows, cols, data))
    }
}

/// Column names of descriptor `name` flattened as rp_extract flattens it (column-major):
/// `rp/BB/MM` (band, modulation bin), `rh/MM`, `ssd/STAT/BB`, `tssd/STAT/DDD`,
/// `trh/STAT/MM`, `mvd/STAT/MM`, numbered from 01.
///
/// # Example
/// ```
/// let names = genrecast_descriptors::rp::column_names("ssd");
/// assert_eq!((names.len(), names[0].as_str(), names[24].as_str()), (168, "ssd/mean/01", "ssd/var/01"));
/// ```
pub fn column_names(name: &str) -> Vec<String> {
    match name {
        "rp" => (1..=MOD_BINS).flat_map(|m| (1..=N_BANDS).map(move |b| format!("rp/{b:02}/{m:02}"))).collect(),
        "rh" => (1..=MOD_BINS).map(|m| format!("rh/{m:02}")).collect(),
        "ssd" => STATISTICS.iter().flat_map(|s| (1..=N_BANDS).map(move |b| format!("ssd/{s}/{b:02}"))).collect(),
        "tssd" => STATISTICS.iter().flat_map(|s| (1..=N_BANDS * 7).map(move |d| format!("tssd/{s}/{d:03}"))).collect(),
        "trh" | "mvd" => STATISTICS.iter().flat_map(|s| (1..=MOD_BINS).map(move |m| format!("{name}/{s}/{m:02}"))).collect(),
        _ => Vec::new(),
    }
}

/// Computes the rp_extract family at one sample rate; build once, use for many recordings.
///
/// # Example
/// ```
/// use genrecast_descriptors::rp::RpExtractor;
/// let fx = RpExtractor::new(11_025)?;
/// assert_eq!(fx.segment_length(), 65_536);
/// assert!(RpExtractor::new(16_000).is_err()); // rp_extract defines 11,025, 22,050 and 44,100 Hz
/// # Ok::<(), genrecast_descriptors::Error>(())
/// ```
#[derive(Clone)]
pub struct RpExtractor {
    sr: u32,
    cfg: RpConfig,
    segment: usize,
    hop: usize,
    window: Vec<f64>,
    window_power: f64,
    fft: Arc<dyn RealToComplex<f64>>,
    modulation_fft: Arc<dyn RealToComplex<f64>>,
    /// Spectrum bins `[lo, hi)` of each Bark band.
    bands: [(usize, usize); N_BANDS],
    spread: [[f64; N_BANDS]; N_BANDS],
    loudness: [[f64; N_BANDS]; 6],
}

impl std::fmt::Debug for RpExtractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpExtractor").field("sr", &self.sr).field("cfg", &self.cfg).finish()
    }
}

impl RpExtractor {
    /// rp_extract's defaults at `sr` Hz (11,025, 22,050 or 44,100).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for another rate.
    pub fn new(sr: u32) -> Result<Self> {
        Self::with_config(sr, RpConfig::default())
    }

    /// As [`new`](Self::new) with another segment choice.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for another rate or a zero step.
    pub fn with_config(sr: u32, cfg: RpConfig) -> Result<Self> {
        let (segment, n_fft) = match sr {
            11_025 => (1 << 16, 256),
            22_050 => (1 << 17, 512),
            44_100 => (1 << 18, 1024),
            _ => return Err(Error::InvalidParameter { name: "sample rate", value: sr.to_string(), expected: "11025, 22050 or 44100 Hz (resample first)" }),
        };
        if cfg.step_width == 0 {
            return Err(Error::InvalidParameter { name: "step_width", value: "0".into(), expected: ">= 1" });
        }
        // numpy.hanning: the symmetric window, zero at both ends.
        let window: Vec<f64> = (0..n_fft).map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / (n_fft - 1) as f64).cos()).collect();
        let window_power = window.iter().map(|w| w * w).sum();
        let mut planner = RealFftPlanner::<f64>::new();
        let fft = planner.plan_fft_forward(n_fft);
        let modulation_fft = planner.plan_fft_forward(FRAMES.next_power_of_two());
        // Bin i lies at linspace(0, sr/2, n_fft/2 + 1)[i]; band b takes [edge[b-1], edge[b]).
        let freq = |i: usize| i as f64 * (f64::from(sr) / 2.0) / (n_fft / 2) as f64;
        let mut bands = [(0, 0); N_BANDS];
        let mut lo = 0;
        for (b, &edge) in BARK_EDGES.iter().enumerate() {
            let mut hi = lo;
            while hi <= n_fft / 2 && freq(hi) < edge {
                hi += 1;
            }
            bands[b] = (lo, hi);
            lo = hi;
        }
        Ok(Self { sr, cfg, segment, hop: n_fft / 2, window, window_power, fft, modulation_fft, bands, spread: spreading_matrix(), loudness: equal_loudness_at_bark_edges() })
    }

    /// Samples per segment.
    pub fn segment_length(&self) -> usize {
        self.segment
    }

    /// The segments rp_extract takes from `n` samples, as `[start, end)`. A recording
    /// shorter than one segment gives one segment, zero-padded by [`extract`](Self::extract)
    /// (rp_extract itself returns nothing for it).
    pub fn segment_spans(&self, n: usize) -> Vec<(usize, usize)> {
        let l = self.segment as i64;
        let long = n as f64 / f64::from(self.sr) >= SKIP_FROM_SECONDS;
        let (skip, step) = if long { (self.cfg.skip_leadin_fadeout as i64, self.cfg.step_width as i64) } else { (0, 1) };
        let whole = (n as i64 - 2 * skip * l).div_euclid(l);
        let count = (whole - 1).div_euclid(step) + 1;
        if count <= 0 {
            return vec![(0, self.segment)];
        }
        (0..count).map(|k| (((skip + k * step) * l) as usize, ((skip + k * step + 1) * l) as usize)).collect()
    }

    /// The sonogram of one segment (`segment_length()` samples of mono audio in [-1, 1)):
    /// loudness in sone, band-major (`24 x 511`, index `band * 511 + frame`).
    pub fn sonogram(&self, segment: &[f32]) -> Vec<f64> {
        let n_fft = self.window.len();
        let mut input = self.fft.make_input_vec();
        let mut spectrum = self.fft.make_output_vec();
        let mut out = vec![0.0; N_BANDS * FRAMES];
        let mut bark = [0.0f64; N_BANDS];
        for t in 0..FRAMES {
            let start = t * self.hop;
            for (i, (v, w)) in input.iter_mut().zip(&self.window).enumerate() {
                *v = segment.get(start + i).map_or(0.0, |&x| f64::from(x) * THRESHOLD_SCALE) * w;
            }
            let _ = self.fft.process(&mut input, &mut spectrum);
            // |X|^2 / sum(w^2), doubled except at DC (one-sided), over 2 pi.
            let power = |i: usize| {
                let p = spectrum[i].norm_sqr() / self.window_power;
                (if i == 0 { p } else { 2.0 * p }) / (2.0 * std::f64::consts::PI)
            };
            for (b, &(lo, hi)) in self.bands.iter().enumerate() {
                bark[b] = (lo..hi.min(n_fft / 2 + 1)).map(power).sum();
            }
            for (b, row) in self.spread.iter().enumerate() {
                let masked: f64 = row.iter().zip(&bark).map(|(s, v)| s * v).sum();
                let db = 10.0 * masked.max(1.0).log10();
                out[b * FRAMES + t] = sone(self.phon(b, db));
            }
        }
        out
    }

    /// Loudness level in phon of `db` in band `band` (rp_extract's piecewise-linear reading
    /// of the equal-loudness curves; above the 80-phon curve it extrapolates along 80-100).
    fn phon(&self, band: usize, db: f64) -> f64 {
        let c = |r: usize| self.loudness[r][band];
        if db <= c(0) {
            return PHONS[0];
        }
        let r = (0..5).rev().find(|&r| db > c(r)).unwrap_or(0);
        PHONS[r] + (db - c(r)) / (c(r + 1) - c(r)) * (PHONS[r + 1] - PHONS[r])
    }

    /// The descriptors of one segment's sonogram.
    fn segment_descriptors(&self, sonogram: &[f64], span: (usize, usize)) -> SegmentDescriptors {
        let mut ssd = vec![0.0; N_BANDS * 7];
        for b in 0..N_BANDS {
            let stats = seven_statistics(&sonogram[b * FRAMES..(b + 1) * FRAMES]);
            for (s, v) in stats.into_iter().enumerate() {
                ssd[b + N_BANDS * s] = v;
            }
        }
        // Modulation amplitudes |FFT_512(band)| / 256 at bins 1..=60, band-major.
        let mut amplitude = vec![0.0; N_BANDS * MOD_BINS];
        let mut input = self.modulation_fft.make_input_vec();
        let mut spectrum = self.modulation_fft.make_output_vec();
        for b in 0..N_BANDS {
            input.iter_mut().for_each(|v| *v = 0.0);
            input[..FRAMES].copy_from_slice(&sonogram[b * FRAMES..(b + 1) * FRAMES]);
            let _ = self.modulation_fft.process(&mut input, &mut spectrum);
            for k in 0..MOD_BINS {
                amplitude[b * MOD_BINS + k] = spectrum[k + 1].norm() / 256.0;
            }
        }
        let column = |k: usize| (0..N_BANDS).map(|b| amplitude[b * MOD_BINS + k]).collect::<Vec<_>>();
        let mut mvd = vec![0.0; MOD_BINS * 7];
        let mut rh = vec![0.0; MOD_BINS];
        let mut rp = vec![0.0; N_BANDS * MOD_BINS];
        for k in 0..MOD_BINS {
            let col = column(k);
            for (s, v) in seven_statistics(&col).into_iter().enumerate() {
                mvd[k + MOD_BINS * s] = v;
            }
            rh[k] = col.iter().sum();
            // Fluctuation strength peaks at 4 Hz.
            let f = (k + 1) as f64 * f64::from(self.sr) / self.segment as f64;
            let weight = 1.0 / (f / 4.0 + 4.0 / f);
            for (b, &a) in col.iter().enumerate() {
                rp[b + N_BANDS * k] = a * weight;
            }
        }
        SegmentDescriptors { span, rp, rh, ssd, mvd }
    }

    /// All descriptors of mono samples at this extractor's rate, in [-1, 1) (as decoded).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for empty input.
    pub fn extract(&self, samples: &[f32]) -> Result<RpDescriptors> {
        if samples.is_empty() {
            return Err(Error::InvalidParameter { name: "samples", value: "[]".into(), expected: "at least one sample" });
        }
        let mut padded = Vec::new();
        let segments: Vec<SegmentDescriptors> = self
            .segment_spans(samples.len())
            .into_iter()
            .map(|(start, end)| {
                let seg = if end <= samples.len() {
                    &samples[start..end]
                } else {
                    padded.clear();
                    padded.extend_from_slice(&samples[start.min(samples.len())..]);
                    padded.resize(end - start, 0.0);
                    &padded[..]
                };
                self.segment_descriptors(&self.sonogram(seg), (start, end))
            })
            .collect();
        Ok(aggregate(segments))
    }

    /// [`extract`](Self::extract) of a file decoded with `opts` at this extractor's rate,
    /// computed as it decodes: equal to `extract` of the whole decode, bit for bit, since every
    /// segment's descriptors read only its own samples. A first pass counts the samples (the
    /// segments chosen depend on the length, as rp_extract chooses them); the second holds
    /// only the samples of the next segment (about 6 s) and the descriptors of those done
    /// (about 26 KB a segment). Returns them with the decoder's warnings.
    ///
    /// # Errors
    /// [`Error::Stream`] naming the file when it does not decode, holds no audio, or changes
    /// between the passes.
    pub fn extract_file(&self, path: &std::path::Path, opts: &genrecast_audio::LoadOptions) -> Result<(RpDescriptors, Vec<String>)> {
        let opts = genrecast_audio::LoadOptions { sample_rate: Some(self.sr), ..opts.clone() };
        let fail = |why: &dyn std::fmt::Display| Error::Stream(format!("{}: {why}", path.display()));
        let mut n = 0usize;
        // The decoder's errors name the file already.
        genrecast_audio::stream_mono(path, &opts, |b| {
            n += b.len();
            Ok(())
        })
        .map_err(|e| Error::Stream(e.to_string()))?;
        if n == 0 {
            return Err(fail(&"no audio"));
        }
        let spans = self.segment_spans(n);
        let mut segments = Vec::with_capacity(spans.len());
        // The samples from `buf_start` on: from the next segment's first, once it began.
        let (mut buf, mut buf_start, mut seen) = (Vec::<f32>::new(), 0usize, 0usize);
        let info = genrecast_audio::stream_mono(path, &opts, |b| {
            buf.extend_from_slice(b);
            seen += b.len();
            while let Some(&(start, end)) = spans.get(segments.len()) {
                if end > seen {
                    break;
                }
                let seg = &buf[start - buf_start..end - buf_start];
                segments.push(self.segment_descriptors(&self.sonogram(seg), (start, end)));
            }
            let keep_from = spans.get(segments.len()).map_or(usize::MAX, |s| s.0);
            let drop = keep_from.saturating_sub(buf_start).min(buf.len());
            buf.drain(..drop);
            buf_start += drop;
            Ok(())
        })
        .map_err(|e| Error::Stream(e.to_string()))?;
        if seen != n {
            return Err(fail(&"it changed while it was read"));
        }
        // Segments that run past the end: zero-padded, as `extract` pads them.
        for &(start, end) in &spans[segments.len()..] {
            let mut seg = buf[start.saturating_sub(buf_start).min(buf.len())..].to_vec();
            seg.resize(end - start, 0.0);
            segments.push(self.segment_descriptors(&self.sonogram(&seg), (start, end)));
        }
        Ok((aggregate(segments), info.warnings))
    }
}

/// The recording's descriptors from its segments' (rp_extract's medians, means and seven
/// statistics over segments).
fn aggregate(segments: Vec<SegmentDescriptors>) -> RpDescriptors {
    let per_dim = |get: &dyn Fn(&SegmentDescriptors) -> &[f64], how: fn(&[f64]) -> f64| -> Vec<f64> {
        let d = segments.first().map_or(0, |s| get(s).len());
        (0..d).map(|i| how(&segments.iter().map(|s| get(s)[i]).collect::<Vec<_>>())).collect()
    };
    let temporal = |get: &dyn Fn(&SegmentDescriptors) -> &[f64]| -> Vec<f64> {
        let d = segments.first().map_or(0, |s| get(s).len());
        let mut out = vec![0.0; d * 7];
        for i in 0..d {
            let values: Vec<f64> = segments.iter().map(|s| get(s)[i]).collect();
            for (s, v) in seven_statistics(&values).into_iter().enumerate() {
                out[i + d * s] = v;
            }
        }
        out
    };
    RpDescriptors {
        rp: per_dim(&|s| &s.rp, median),
        rh: per_dim(&|s| &s.rh, median),
        ssd: per_dim(&|s| &s.ssd, mean),
        tssd: temporal(&|s| &s.ssd),
        trh: temporal(&|s| &s.rh),
        mvd: per_dim(&|s| &s.mvd, mean),
        segments,
    }
}

/// Loudness in sone of a level in phon (Zwicker: doubling every 10 phon above 40).
fn sone(phon: f64) -> f64 {
    if phon >= 40.0 {
        2f64.powf((phon - 40.0) / 10.0)
    } else {
        (phon / 40.0).powf(2.642)
    }
}

/// Schroeder's spreading function between Bark bands, `[output band][input band]`:
/// `10^((15.81 + 7.5 (d + 0.474) - 17.5 sqrt(1 + (d + 0.474)^2)) / 10)` with `d = i - j`.
pub fn spreading_matrix() -> [[f64; N_BANDS]; N_BANDS] {
    let mut s = [[0.0; N_BANDS]; N_BANDS];
    for (i, row) in s.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            let d = i as f64 - j as f64 + 0.474;
            *v = 10f64.powf((15.81 + 7.5 * d - 17.5 * (1.0 + d * d).sqrt()) / 10.0);
        }
    }
    s
}

/// The six equal-loudness curves read at the Bark upper edges, `[curve][band]`: the table
/// value where an edge is a table frequency, else inverse-distance weighting of the two
/// table points around it.
pub fn equal_loudness_at_bark_edges() -> [[f64; N_BANDS]; 6] {
    let mut out = [[0.0; N_BANDS]; 6];
    for (b, &e) in BARK_EDGES.iter().enumerate() {
        let exact = LOUDNESS_FREQS.iter().position(|&f| f == e);
        let above = LOUDNESS_FREQS.iter().position(|&f| f > e).unwrap_or(LOUDNESS_FREQS.len() - 1);
        let below = above.saturating_sub(1);
        for (r, curve) in LOUDNESS_CURVES.iter().enumerate() {
            out[r][b] = match exact {
                Some(i) => curve[i],
                None => {
                    let (dl, dh) = ((LOUDNESS_FREQS[below] - e).abs(), (LOUDNESS_FREQS[above] - e).abs());
                    (curve[below] / dl + curve[above] / dh) / (1.0 / dl + 1.0 / dh)
                }
            };
        }
    }
    out
}

/// The mean with a compensated (Neumaier) sum. A row of identical values (a band at the
/// sone floor) must come out with zero variance, as numpy's pairwise sum gives it; a plain
/// running sum is off by a few ulps, and the resulting spread of 1e-19 made skewness and
/// kurtosis 1 where rp_extract has 0.
fn mean(v: &[f64]) -> f64 {
    let (mut sum, mut carry) = (0.0f64, 0.0f64);
    for &x in v {
        let t = sum + x;
        carry += if sum.abs() >= x.abs() { (sum - t) + x } else { (x - t) + sum };
        sum = t;
    }
    (sum + carry) / v.len().max(1) as f64
}

/// Mean, population variance, skewness (`m3 / m2^1.5`), Pearson kurtosis (`m4 / m2^2`, not
/// excess), median, min and max, as rp_extract takes them with numpy and scipy: skewness and
/// kurtosis are 0 where scipy gives NaN, i.e. for `m2 <= (eps * mean)^2`.
fn seven_statistics(v: &[f64]) -> [f64; 7] {
    let m = mean(v);
    let moment = |k: i32| v.iter().map(|x| (x - m).powi(k)).sum::<f64>() / v.len().max(1) as f64;
    let (m2, m3, m4) = (moment(2), moment(3), moment(4));
    let degenerate = m2 <= (f64::EPSILON * m).powi(2);
    let (skew, kurtosis) = if degenerate { (0.0, 0.0) } else { (m3 / m2.powf(1.5), m4 / (m2 * m2)) };
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let stats = [m, m2, skew, kurtosis, median(v), min, max];
    stats.map(|x| if x.is_finite() { x } else { 0.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// At 22,050 Hz, band 23 (12-15.5 kHz) lies above Nyquist and is empty; the Nyquist bin
    /// falls in band 22; every bin below 15.5 kHz is in exactly one band.
    #[test]
    fn bark_bands_cover_the_spectrum_once() {
        let fx = RpExtractor::new(22_050).expect("extractor");
        assert_eq!(fx.bands[0].0, 0);
        assert!(fx.bands.windows(2).all(|w| w[0].1 == w[1].0));
        assert_eq!(fx.bands[23].0, fx.bands[23].1);
        assert_eq!(fx.bands[22].1, 257);
    }

    /// The README's worked case: a 30 s clip at 22,050 Hz gives 5 segments from 0.
    #[test]
    fn thirty_seconds_give_five_segments() {
        let fx = RpExtractor::new(22_050).expect("extractor");
        let spans = fx.segment_spans(661_794);
        assert_eq!(spans.len(), 5);
        assert_eq!((spans[0], spans[4]), ((0, 131_072), (524_288, 655_360)));
        // 60 s: the first and last segment are skipped.
        let long = fx.segment_spans(60 * 22_050);
        assert_eq!((long[0].0, long.len()), (131_072, 8));
    }

    #[test]
    fn statistics_of_a_constant_are_defined() {
        assert_eq!(seven_statistics(&[2.0, 2.0, 2.0]), [2.0, 0.0, 0.0, 0.0, 2.0, 2.0, 2.0]);
        let s = seven_statistics(&[1.0, 2.0, 3.0, 10.0]);
        assert!((s[0] - 4.0).abs() < 1e-12 && (s[1] - 12.5).abs() < 1e-12 && (s[4] - 2.5).abs() < 1e-12);
    }
}
