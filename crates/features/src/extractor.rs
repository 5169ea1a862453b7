//! One extractor for a whole feature set: plans and filterbanks built once, one STFT per file.

use std::collections::BTreeMap;

use crate::array::Array2;
use crate::chroma::{chroma_stft, estimate_tuning, tonnetz, ChromaConfig, TuningScan, TuningStep};
use crate::cqt::{chroma_cqt, ConstantQ, CqtConfig};
use crate::convert::{fft_frequencies, power_to_db, DbReference};
use crate::error::{invalid, Error, Result};
use crate::mel::{MelConfig, MelFilterbank, MelNorm};
use crate::mfcc::{dct_ortho, mfcc_from_db};
use crate::rhythm::{onset_strength, tempo};
use crate::spectral;
use crate::stft::{ExactScratch, Precision, PowerSpectrogram, StftPlan};

/// The features [`FeatureExtractor`] computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureKind {
    /// Mel power spectrogram, `n_mels x frames`.
    Mel,
    /// Mel spectrogram in dB relative to its maximum (`power_to_db(ref=np.max)`, top_db 80).
    MelDb,
    /// MFCCs, `n_mfcc x frames`.
    Mfcc,
    /// Chroma from the STFT with estimated tuning, `12 x frames`.
    Chroma,
    /// Chroma from a constant-Q transform (7 octaves of 36 bins from C1, tuning estimated),
    /// `12 x frames`, as `librosa.feature.chroma_cqt(y=y, sr=sr, hop_length=hop)`.
    ///
    /// Long context: its lowest octaves read windows of several seconds and its tuning is the
    /// whole song's, so it holds the whole file, even for a summary (see
    /// [`summary_stream`](crate::summary_stream)).
    ChromaCqt,
    /// Spectral centroid, `1 x frames`.
    Centroid,
    /// Spectral bandwidth (p = 2), `1 x frames`.
    Bandwidth,
    /// Spectral roll-off at 85 %, `1 x frames`.
    Rolloff,
    /// Spectral contrast, `7 x frames`.
    Contrast,
    /// Spectral flatness, `1 x frames`.
    Flatness,
    /// Zero-crossing rate, `1 x frames`.
    Zcr,
    /// RMS energy, `1 x frames`.
    Rms,
    /// Onset strength envelope, `1 x frames`. Streamed summaries hold it whole (4 bytes a
    /// frame).
    Onset,
    /// Global tempo in BPM, `1 x 1`: autocorrelates the whole onset envelope, which a
    /// streamed summary holds (4 bytes a frame), not the audio.
    Tempo,
    /// Tonal centroids of the CQT chroma, `6 x frames`, as `librosa.feature.tonnetz(y=y, sr=sr)`
    /// (see [`tonnetz`](crate::chroma::tonnetz), which takes any chroma). Holds the whole
    /// file, as [`FeatureKind::ChromaCqt`] does.
    Tonnetz,
}

impl FeatureKind {
    /// Every kind, in output order.
    pub const ALL: [FeatureKind; 15] = [
        Self::Mel, Self::MelDb, Self::Mfcc, Self::Chroma, Self::ChromaCqt, Self::Centroid, Self::Bandwidth, Self::Rolloff,
        Self::Contrast, Self::Flatness, Self::Zcr, Self::Rms, Self::Onset, Self::Tempo, Self::Tonnetz,
    ];

    /// The name used on the command line and in file names.
    pub fn name(self) -> &'static str {
        match self {
            Self::Mel => "mel",
            Self::MelDb => "mel_db",
            Self::Mfcc => "mfcc",
            Self::Chroma => "chroma",
            Self::ChromaCqt => "chroma_cqt",
            Self::Centroid => "centroid",
            Self::Bandwidth => "bandwidth",
            Self::Rolloff => "rolloff",
            Self::Contrast => "contrast",
            Self::Flatness => "flatness",
            Self::Zcr => "zcr",
            Self::Rms => "rms",
            Self::Onset => "onset",
            Self::Tempo => "tempo",
            Self::Tonnetz => "tonnetz",
        }
    }
}

impl std::str::FromStr for FeatureKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|k| k.name() == s.trim()).ok_or_else(|| Error::UnknownFeature(s.to_owned()))
    }
}

/// Parameters shared by the feature set, librosa's defaults throughout.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FeatureConfig {
    /// Sample rate of the input. Default: `22050` (librosa `sr`).
    pub sr: u32,
    /// FFT length. Default: `2048` (librosa `n_fft`).
    pub n_fft: usize,
    /// Hop length. Default: `512` (librosa `hop_length`).
    pub hop_length: usize,
    /// Mel bands. Default: `128` (librosa `n_mels`).
    pub n_mels: usize,
    /// Lowest frequency of the mel filterbank, in Hz. Default: `0.0` (librosa `fmin`).
    // Left out of the serialised form at its default, so that the feature-cache keys made
    // before it existed still match.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub fmin: f64,
    /// Highest frequency of the mel filterbank, in Hz, at most `sr / 2`; `None` is `sr / 2`.
    /// Default: `None` (librosa `fmax`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fmax: Option<f64>,
    /// MFCCs kept. Default: `20` (librosa `n_mfcc`).
    pub n_mfcc: usize,
    /// Chroma tuning (in bins of the chroma's own resolution: 12 per octave for the STFT
    /// chroma, 36 for the CQT one); `None` estimates it per file. Default: `None`.
    pub tuning: Option<f64>,
    /// The STFT's arithmetic. Default: [`Precision::default()`], `f32` unless the process
    /// chose otherwise ([`Precision::set_default`]).
    // Left out of the serialised form when f32, as `fmin` is at its default.
    #[serde(default, skip_serializing_if = "is_f32")]
    pub precision: Precision,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        Self { sr: 22_050, n_fft: 2048, hop_length: 512, n_mels: 128, fmin: 0.0, fmax: None, n_mfcc: 20, tuning: None, precision: Precision::default() }
    }
}

fn is_f32(p: &Precision) -> bool {
    *p == Precision::F32
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// Computed features by kind.
pub type FeatureSet = BTreeMap<FeatureKind, Array2>;

/// Computes any subset of [`FeatureKind`] from one STFT per signal. Build once per
/// configuration and share across threads: the FFT plan, mel filterbank and DCT are reused.
///
/// # Example
/// ```
/// use genrecast_features::{FeatureConfig, FeatureExtractor, FeatureKind};
/// let fx = FeatureExtractor::new(FeatureConfig::default())?;
/// let y: Vec<f32> = (0..22_050).map(|i| (i as f32 * 0.1).sin()).collect();
/// let set = fx.extract(&y, &[FeatureKind::Mfcc, FeatureKind::Centroid])?;
/// assert_eq!(set[&FeatureKind::Mfcc].shape(), [20, 44]);
/// # Ok::<(), genrecast_features::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct FeatureExtractor {
    cfg: FeatureConfig,
    stft: StftPlan,
    mel: MelFilterbank,
    dct: Array2,
    freq: Vec<f64>,
    /// `None` where the rate is too low for 7 octaves from C1 (below about 8.4 kHz).
    cqt: Option<ConstantQ>,
}

impl FeatureExtractor {
    /// Builds the plans for `cfg`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for inconsistent parameters (e.g. `n_mfcc > n_mels`,
    /// `fmax > sr / 2`, `fmin >= fmax`, `n_fft < 2`, `hop_length == 0`).
    ///
    /// # Example
    /// ```
    /// use genrecast_features::{FeatureConfig, FeatureExtractor};
    /// let cfg = FeatureConfig { sr: 16_000, fmax: Some(9_000.0), ..Default::default() };
    /// assert!(FeatureExtractor::new(cfg).is_err()); // above the Nyquist frequency
    /// ```
    pub fn new(cfg: FeatureConfig) -> Result<Self> {
        if cfg.sr == 0 {
            return Err(invalid("sr", cfg.sr, "> 0"));
        }
        if cfg.n_mels == 0 {
            return Err(invalid("n_mels", cfg.n_mels, "> 0"));
        }
        if cfg.n_mfcc == 0 || cfg.n_mfcc > cfg.n_mels {
            return Err(invalid("n_mfcc", cfg.n_mfcc, "in 1..=n_mels"));
        }
        let nyquist = f64::from(cfg.sr) / 2.0;
        if !(cfg.fmin >= 0.0 && cfg.fmin < nyquist) {
            return Err(invalid("fmin", cfg.fmin, ">= 0 and below sr / 2"));
        }
        if let Some(fmax) = cfg.fmax {
            // librosa only warns of empty filters above sr / 2; here it is a mistake worth refusing.
            if !(fmax > cfg.fmin && fmax <= nyquist) {
                return Err(invalid("fmax", fmax, "> fmin and <= sr / 2"));
            }
        }
        let stft = StftPlan::with_precision(cfg.n_fft, cfg.hop_length, cfg.precision)?;
        let mel = MelFilterbank::new(&MelConfig { sr: cfg.sr, n_fft: cfg.n_fft, n_mels: cfg.n_mels, fmin: cfg.fmin, fmax: cfg.fmax, htk: false, norm: MelNorm::Slaney })?;
        let dct = dct_ortho(cfg.n_mfcc, cfg.n_mels);
        let freq = fft_frequencies(f64::from(cfg.sr), cfg.n_fft);
        let cqt = ConstantQ::new(CqtConfig { tuning: cfg.tuning, ..CqtConfig::chroma(cfg.sr, cfg.hop_length) }).ok();
        Ok(Self { cfg, stft, mel, dct, freq, cqt })
    }

    /// The configuration.
    pub fn config(&self) -> &FeatureConfig {
        &self.cfg
    }

    /// Computes `kinds` from mono samples `y` at `config().sr`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `y` is empty.
    pub fn extract(&self, y: &[f32], kinds: &[FeatureKind]) -> Result<FeatureSet> {
        self.extract_with_spectrogram(y, kinds).map(|(set, _)| set)
    }

    /// As [`extract`](Self::extract), also handing back the power spectrogram the features
    /// came from (`n_fft` / `hop_length` of the config), for a caller that needs one more
    /// feature of it without a second STFT.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `y` is empty.
    ///
    /// # Example
    /// ```
    /// use genrecast_features::{FeatureConfig, FeatureExtractor, FeatureKind};
    /// let fx = FeatureExtractor::new(FeatureConfig::default())?;
    /// let y: Vec<f32> = (0..22_050).map(|i| (i as f32 * 0.1).sin()).collect();
    /// let (set, spec) = fx.extract_with_spectrogram(&y, &[FeatureKind::Centroid])?;
    /// assert_eq!((spec.n_bins, spec.n_frames), (1025, set[&FeatureKind::Centroid].cols));
    /// # Ok::<(), genrecast_features::Error>(())
    /// ```
    pub fn extract_with_spectrogram(&self, y: &[f32], kinds: &[FeatureKind]) -> Result<(FeatureSet, PowerSpectrogram)> {
        self.extract_impl(y, kinds, None)
    }

    /// As [`extract`](Self::extract) on a stretch `y` of a longer song, taking what the
    /// features read from the whole song (the chroma's tuning, the 80 dB floors of the MFCCs and
    /// the contrast) from
    /// `song`. Every frame whose samples lie inside `y` then equals that frame of the whole
    /// song's features, bit for bit ([`crate::stream::FrameBlocks`] cuts a song so).
    ///
    /// Only the frame-local kinds ([`SongContext::KINDS`]) can be so computed: onset strength
    /// and tempo, the dB mel (scaled to the song's maximum) and the CQT family need more of
    /// the song.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `y` is empty or a kind is not frame-local.
    ///
    /// # Example
    /// ```
    /// use genrecast_features::{FeatureConfig, FeatureExtractor, FeatureKind, SongContext};
    /// let fx = FeatureExtractor::new(FeatureConfig::default())?;
    /// let y: Vec<f32> = (0..22_050).map(|i| (i as f32 * 0.1).sin()).collect();
    /// let song = SongContext { tuning: 0.0, mel_db_max: 30.0, contrast_db_max: (20.0, 0.0) };
    /// let set = fx.extract_in_context(&y, &[FeatureKind::Chroma, FeatureKind::Mfcc], &song)?;
    /// assert_eq!(set[&FeatureKind::Chroma].shape(), [12, 44]);
    /// # Ok::<(), genrecast_features::Error>(())
    /// ```
    pub fn extract_in_context(&self, y: &[f32], kinds: &[FeatureKind], song: &SongContext) -> Result<FeatureSet> {
        if let Some(k) = kinds.iter().find(|k| !SongContext::KINDS.contains(k)) {
            return Err(invalid("kinds", k.name(), "frame-local kinds (mel, mfcc, chroma, centroid, bandwidth, rolloff, contrast, flatness, zcr, rms)"));
        }
        self.extract_impl(y, kinds, Some(song)).map(|(set, _)| set)
    }

    /// As [`extract_in_context`](Self::extract_in_context), also handing back the power
    /// spectrogram of `y` the features came from (as
    /// [`extract_with_spectrogram`](Self::extract_with_spectrogram) does for a whole song), for
    /// a streamed caller that needs one more frame feature of it (the timbral set's flux).
    ///
    /// # Errors
    /// As [`extract_in_context`](Self::extract_in_context).
    pub fn extract_in_context_with_spectrogram(&self, y: &[f32], kinds: &[FeatureKind], song: &SongContext) -> Result<(FeatureSet, PowerSpectrogram)> {
        if let Some(k) = kinds.iter().find(|k| !SongContext::KINDS.contains(k)) {
            return Err(invalid("kinds", k.name(), "frame-local kinds (mel, mfcc, chroma, centroid, bandwidth, rolloff, contrast, flatness, zcr, rms)"));
        }
        self.extract_impl(y, kinds, Some(song))
    }

    /// Adds frames `frames` of `y` (centred frames of this extractor's STFT, numbered from
    /// `y[0]`; a [`crate::stream::FrameBlock`] of the song, in song order) to `scan`, which
    /// gathers the [`SongContext`] of the song.
    pub fn scan_context(&self, scan: &mut SongScan, y: &[f32], frames: std::ops::Range<usize>) {
        let power = self.stft.power_span(y, 0, frames.start, frames.len());
        let power = &power;
        if scan.mel_db {
            let mut mel = self.mel.apply(power);
            power_to_db(&mut mel.data, DbReference::Value(1.0), 1e-10, None);
            scan.mel_db_max = mel.data.iter().copied().fold(scan.mel_db_max, f32::max);
        }
        if scan.contrast {
            // A rate too low for the bands fails `extract_in_context` itself, with the reason.
            if let Ok(plan) = self.contrast_bands() {
                let mut acc = plan.accumulator(power.n_frames);
                let mut mag = vec![0.0f32; power.n_bins];
                let mut exact = None;
                for t in 0..power.n_frames {
                    mag.iter_mut().zip(power.frame(t)).for_each(|(m, &p)| *m = p.sqrt());
                    self.contrast_frame(&plan, &mut acc, power, t, &mut mag, y, frames.start + t, &mut exact);
                }
                let (peak, valley) = acc.db_maxima();
                scan.contrast_db_max = (scan.contrast_db_max.0.max(peak), scan.contrast_db_max.1.max(valley));
            }
        }
        if let Some(tuning) = &mut scan.tuning {
            tuning.push(&power.power);
        }
    }

    /// Rows of `kind`'s array (dimensions per frame; 1 for the tempo).
    pub fn rows_of(&self, kind: FeatureKind) -> usize {
        match kind {
            FeatureKind::Mel | FeatureKind::MelDb => self.cfg.n_mels,
            FeatureKind::Mfcc => self.cfg.n_mfcc,
            FeatureKind::Chroma | FeatureKind::ChromaCqt => 12,
            FeatureKind::Contrast => 7,
            FeatureKind::Tonnetz => 6,
            _ => 1,
        }
    }

    /// A scan for the context that `kinds` need from the whole song.
    pub fn song_scan(&self, kinds: &[FeatureKind]) -> SongScan {
        let chroma = kinds.contains(&FeatureKind::Chroma) && self.cfg.tuning.is_none();
        SongScan {
            // The MFCCs' floor, mel_db's reference and the onset envelope's floor.
            mel_db: [FeatureKind::Mfcc, FeatureKind::MelDb, FeatureKind::Onset, FeatureKind::Tempo].iter().any(|k| kinds.contains(k)),
            mel_db_max: f32::NEG_INFINITY,
            contrast: kinds.contains(&FeatureKind::Contrast),
            contrast_db_max: (f32::NEG_INFINITY, f32::NEG_INFINITY),
            tuning: chroma.then(|| TuningScan::new(f64::from(self.cfg.sr), self.cfg.n_fft, 12)),
            fixed_tuning: self.cfg.tuning.unwrap_or(0.0),
        }
    }

    fn extract_impl(&self, y: &[f32], kinds: &[FeatureKind], song: Option<&SongContext>) -> Result<(FeatureSet, PowerSpectrogram)> {
        if y.is_empty() {
            return Err(invalid("y", "[]", "at least one sample"));
        }
        let want = |k: FeatureKind| kinds.contains(&k);
        let mut out = FeatureSet::new();
        let sr = f64::from(self.cfg.sr);
        let (n_fft, hop) = (self.cfg.n_fft, self.cfg.hop_length);
        let spec = self.stft.power(y);
        let nb = spec.n_bins;
        let needs_mel = [FeatureKind::Mel, FeatureKind::MelDb, FeatureKind::Mfcc, FeatureKind::Onset, FeatureKind::Tempo].iter().any(|&k| want(k));
        if needs_mel {
            let mel = self.mel.apply(&spec);
            // MFCC and onset strength share librosa's ref=1.0 dB mel; skip it when neither is asked.
            let needs_db1 = want(FeatureKind::Mfcc) || want(FeatureKind::Onset) || want(FeatureKind::Tempo);
            // The ref=1.0 dB before any floor, one logarithm per value for both dB mels.
            let raw_db1 = (needs_db1 || want(FeatureKind::MelDb)).then(|| {
                let mut db = mel.clone();
                power_to_db(&mut db.data, DbReference::Value(1.0), 1e-10, None);
                db
            });
            if let (true, Some(raw)) = (want(FeatureKind::MelDb), &raw_db1) {
                let db = crate::convert::db_max_ref_from_db1(&mel.data, &raw.data, 1e-10, Some(80.0));
                out.insert(FeatureKind::MelDb, Array2::from_vec(mel.rows, mel.cols, db));
            }
            let db1 = raw_db1.filter(|_| needs_db1).map(|mut db| {
                // The floor is 80 dB below the whole song's peak (not this stretch's), as
                // `power_to_db(top_db=80)` puts it below the stretch's own.
                let floor = song.map_or_else(|| crate::convert::max_of(&db.data), |song| song.mel_db_max) - 80.0;
                db.data.iter_mut().for_each(|v| *v = v.max(floor));
                db
            });
            if let (true, Some(db1)) = (want(FeatureKind::Mfcc), &db1) {
                out.insert(FeatureKind::Mfcc, mfcc_from_db(db1, &self.dct));
            }
            if let (true, Some(db1)) = (want(FeatureKind::Onset) || want(FeatureKind::Tempo), &db1) {
                let env = onset_strength(db1, n_fft, hop);
                if want(FeatureKind::Tempo) {
                    let bpm = tempo(&env, sr, hop, 120.0, 1.0, 8.0, 320.0);
                    out.insert(FeatureKind::Tempo, Array2::from_vec(1, 1, vec![bpm]));
                }
                if want(FeatureKind::Onset) {
                    out.insert(FeatureKind::Onset, row(env));
                }
            }
            if want(FeatureKind::Mel) {
                out.insert(FeatureKind::Mel, mel);
            }
        }
        if want(FeatureKind::Chroma) {
            let cfg = ChromaConfig { sr: self.cfg.sr, n_fft, tuning: song.map(|s| s.tuning).or(self.cfg.tuning), ..Default::default() };
            out.insert(FeatureKind::Chroma, chroma_stft(&spec.power, nb, &cfg));
        }
        if want(FeatureKind::ChromaCqt) || want(FeatureKind::Tonnetz) {
            let cqt = self.cqt.as_ref().ok_or_else(|| invalid("sr", self.cfg.sr, ">= 8400 Hz for chroma_cqt and tonnetz (7 octaves from C1)"))?;
            // librosa estimates the CQT's tuning from a 2048/512 magnitude STFT: reuse ours
            // when it is that one (the CQT was built with any tuning the config sets).
            let tuning = if self.cfg.tuning.is_none() && (n_fft, hop) == (2048, 512) { estimate_tuning(&spec.magnitude(), nb, sr, n_fft, 36) } else { cqt.tuning_of(y) };
            let chroma = chroma_cqt(&cqt.magnitude_tuned(y, tuning)?, 36, 12, cqt.config().fmin)?;
            if want(FeatureKind::Tonnetz) {
                out.insert(FeatureKind::Tonnetz, tonnetz(&chroma));
            }
            if want(FeatureKind::ChromaCqt) {
                out.insert(FeatureKind::ChromaCqt, chroma);
            }
        }
        let needs_mag = [FeatureKind::Centroid, FeatureKind::Bandwidth, FeatureKind::Rolloff, FeatureKind::Contrast, FeatureKind::Flatness].iter().any(|&k| want(k));
        if needs_mag {
            self.spectral_shape(&spec, y, kinds, song, &mut out)?;
        }
        if want(FeatureKind::Zcr) {
            out.insert(FeatureKind::Zcr, row(spectral::zero_crossing_rate(y, n_fft, hop)));
        }
        if want(FeatureKind::Rms) {
            out.insert(FeatureKind::Rms, row(spectral::rms(y, n_fft, hop)));
        }
        Ok((out, spec))
    }
}

impl FeatureExtractor {
    /// Centroid, bandwidth, roll-off, contrast and flatness in one pass over the frames:
    /// each frame's magnitude is taken once into a scratch buffer rather than as a whole
    /// magnitude spectrogram, and centroid and bandwidth share the frame's total.
    /// Spectral contrast's bands (librosa's defaults), told the round-off of an f32 STFT.
    fn contrast_bands(&self) -> Result<spectral::ContrastBands> {
        let gains = (self.stft.precision() == Precision::F32).then(|| self.stft.error_gains());
        spectral::ContrastBands::new(self.stft.n_fft() / 2 + 1, &self.freq, f64::from(self.cfg.sr), 200.0, 6, 0.02, gains)
    }

    /// Collects frame `t` of `spec` (magnitudes in `mag`, overwritten) into `acc`; a frame
    /// whose valleys come near the f32 round-off is collected again from the exact frame
    /// (`frame` of `y`, frames numbered from `y[0]`), so that the contrast keeps librosa's
    /// double-precision figures.
    #[allow(clippy::too_many_arguments)]
    fn contrast_frame(&self, plan: &spectral::ContrastBands, acc: &mut spectral::ContrastFrames, spec: &PowerSpectrogram, t: usize, mag: &mut [f32], y: &[f32], frame: usize, exact: &mut Option<ExactScratch>) {
        let noise = spec.noise_of(t);
        let near = acc.frame(plan, t, mag, noise, spectral::ALL_BANDS);
        if near != 0 && noise > 0.0 {
            let scratch = exact.get_or_insert_with(|| self.stft.exact_scratch());
            self.stft.exact_power_frame_with(y, 0, frame, mag, scratch);
            mag.iter_mut().for_each(|m| *m = m.sqrt());
            // Only the bands near the floor again: the others were already within bounds.
            acc.frame(plan, t, mag, 0.0, near);
        }
    }

    fn spectral_shape(&self, spec: &PowerSpectrogram, y: &[f32], kinds: &[FeatureKind], song: Option<&SongContext>, out: &mut FeatureSet) -> Result<()> {
        let want = |k: FeatureKind| kinds.contains(&k);
        let (nb, n) = (spec.n_bins, spec.n_frames);
        let freq = &self.freq;
        let column = |on: bool| on.then(|| Vec::with_capacity(n));
        let (mut centroid, mut bandwidth) = (column(want(FeatureKind::Centroid)), column(want(FeatureKind::Bandwidth)));
        let (mut rolloff, mut flatness) = (column(want(FeatureKind::Rolloff)), column(want(FeatureKind::Flatness)));
        let contrast_plan = if want(FeatureKind::Contrast) {
            Some(self.contrast_bands()?)
        } else {
            None
        };
        let mut contrast = contrast_plan.as_ref().map(|p| p.accumulator(n));
        let mut exact = None;
        // Frames go through in blocks of sixteen, as roll-off takes them interleaved: their
        // magnitudes one after the other in `rows`, then bin by bin in `rolloff_block`.
        const BLOCK: usize = spectral::ROLLOFF_LANES;
        let mut rows = vec![0.0f32; nb * BLOCK];
        let mut rolloff_block = if rolloff.is_some() { vec![0.0f32; nb * BLOCK] } else { Vec::new() };
        // Magnitudes, centroid, bandwidth and roll-off in vectors where the CPU has them.
        crate::wide::avx2(#[inline(always)] || {
            for first in (0..n).step_by(BLOCK) {
                let frames = BLOCK.min(n - first);
                // The next block's frames, asked for ahead: the spectrogram is read from
                // beyond the caches.
                #[cfg(target_arch = "x86_64")]
                if first + BLOCK < n {
                    let next = &spec.power[(first + BLOCK) * nb..(first + BLOCK + BLOCK.min(n - first - BLOCK)) * nb];
                    for line in next.chunks(16) {
                        // SAFETY: a prefetch reads nothing; the address lies within `next`.
                        unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T1 }>(line.as_ptr().cast()) };
                    }
                }
                for (f, m) in rows.chunks_exact_mut(nb).take(frames).enumerate() {
                    for (m, &p) in m.iter_mut().zip(spec.frame(first + f)) {
                        *m = p.sqrt();
                    }
                }
                if centroid.is_some() || bandwidth.is_some() {
                    // Four frames at once: their sums' chains of additions overlap.
                    const AT_ONCE: usize = 4;
                    let want_width = bandwidth.is_some();
                    let mut push = |shape: &spectral::FrameShape, width: f64| {
                        if let Some(c) = &mut centroid {
                            c.push(shape.centroid as f32);
                        }
                        if let Some(b) = &mut bandwidth {
                            b.push(width as f32);
                        }
                    };
                    let mut f = 0;
                    while f + AT_ONCE <= frames {
                        let x: [&[f32]; AT_ONCE] = std::array::from_fn(|i| &rows[(f + i) * nb..(f + i + 1) * nb]);
                        let shapes = spectral::FrameShape::of_frames(x, freq);
                        let widths = if want_width { spectral::FrameShape::bandwidth2_frames(shapes, x, freq) } else { [0.0; AT_ONCE] };
                        shapes.iter().zip(widths).for_each(|(s, w)| push(s, w));
                        f += AT_ONCE;
                    }
                    for x in rows.chunks_exact(nb).take(frames).skip(f) {
                        let shape = spectral::FrameShape::of(x, freq);
                        push(&shape, if want_width { shape.bandwidth(x, freq, 2.0) } else { 0.0 });
                    }
                }
                if let Some(r) = &mut rolloff {
                    // Rows past `frames` (at the song's end) hold older frames; only the
                    // first `frames` lanes are read out.
                    crate::array::interleave_frames::<BLOCK>(&rows, nb, &mut rolloff_block);
                    spectral::rolloff_lanes(&rolloff_block, frames, freq, 0.85, r);
                }
                for (f, mag) in rows.chunks_exact_mut(nb).take(frames).enumerate() {
                    if let Some(fl) = &mut flatness {
                        fl.push(spectral::flatness_of(mag, 1e-10, 2.0));
                    }
                    // Last: it may overwrite the row with the exact frame.
                    if let (Some(acc), Some(plan)) = (&mut contrast, &contrast_plan) {
                        self.contrast_frame(plan, acc, spec, first + f, mag, y, first + f, &mut exact);
                    }
                }
            }
        });
        for (kind, values) in [(FeatureKind::Centroid, centroid), (FeatureKind::Bandwidth, bandwidth), (FeatureKind::Rolloff, rolloff), (FeatureKind::Flatness, flatness)] {
            if let Some(v) = values {
                out.insert(kind, row(v));
            }
        }
        if let Some(acc) = contrast {
            out.insert(FeatureKind::Contrast, acc.finish_floored(song.map(|s| s.contrast_db_max)));
        }
        Ok(())
    }
}

fn row(v: Vec<f32>) -> Array2 {
    Array2::from_vec(1, v.len(), v)
}

/// What a song's frame-local features take from the whole song rather than from their
/// own frames, gathered by a [`SongScan`] (see [`FeatureExtractor::extract_in_context`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SongContext {
    /// The chroma's tuning, as [`estimate_tuning`] gives it for the whole song (or the
    /// configured one).
    pub tuning: f64,
    /// The loudest value of the song's mel spectrogram in dB (`power_to_db(ref=1.0)`): MFCCs
    /// are floored 80 dB below it, as librosa's `top_db=80` floors them.
    pub mel_db_max: f32,
    /// The highest band peak and band valley of the song's spectral contrast in dB, which
    /// floor the contrast's peaks and valleys as `mel_db_max` floors the MFCCs.
    pub contrast_db_max: (f32, f32),
}

impl SongContext {
    /// The kinds that [`FeatureExtractor::extract_in_context`] computes: each frame's value
    /// depends on its own samples and this context only.
    pub const KINDS: [FeatureKind; 10] = [
        FeatureKind::Mel,
        FeatureKind::Mfcc,
        FeatureKind::Chroma,
        FeatureKind::Centroid,
        FeatureKind::Bandwidth,
        FeatureKind::Rolloff,
        FeatureKind::Contrast,
        FeatureKind::Flatness,
        FeatureKind::Zcr,
        FeatureKind::Rms,
    ];
}

/// Gathers a [`SongContext`] from a song's spectrogram frames, block by block, in memory
/// that does not grow with the song ([`FeatureExtractor::song_scan`],
/// [`FeatureExtractor::scan_context`]).
#[derive(Clone, Debug)]
pub struct SongScan {
    mel_db: bool,
    mel_db_max: f32,
    contrast: bool,
    contrast_db_max: (f32, f32),
    tuning: Option<TuningScan>,
    fixed_tuning: f64,
}

impl SongScan {
    /// The context, or `None` when the tuning needs the frames once more: call
    /// [`begin_exact_pass`](Self::begin_exact_pass) and scan them again.
    pub fn finish(&self) -> Option<SongContext> {
        let tuning = match self.tuning.as_ref().map(TuningScan::finish) {
            None => self.fixed_tuning,
            Some(TuningStep::Done(t)) => t,
            Some(TuningStep::ScanAgain) => return None,
        };
        Some(SongContext { tuning, mel_db_max: self.mel_db_max, contrast_db_max: self.contrast_db_max })
    }

    /// Starts the second scan that [`finish`](Self::finish) asked for; only the tuning is
    /// gathered again.
    pub fn begin_exact_pass(&mut self) {
        self.mel_db = false;
        self.contrast = false;
        if let Some(t) = &mut self.tuning {
            t.begin_exact_pass();
        }
    }
}

/// The musicnn front end (Pons & Serra 2019): 16 kHz input, `n_fft` 512, hop 256, 96 Slaney
/// mels, then `log10(10000 x + 1)`. Matches
/// `np.log10(10000 * librosa.feature.melspectrogram(y=y16k, sr=16000, n_fft=512,
/// hop_length=256, n_mels=96) + 1)`.
#[derive(Clone, Debug)]
pub struct MusicnnFrontEnd {
    stft: StftPlan,
    mel: MelFilterbank,
}

impl MusicnnFrontEnd {
    /// Sample rate the front end expects.
    pub const SAMPLE_RATE: u32 = 16_000;

    /// Builds the plan and filterbank.
    ///
    /// # Errors
    /// Never in practice (fixed, valid parameters).
    pub fn new() -> Result<Self> {
        let stft = StftPlan::new(512, 256)?;
        let mel = MelFilterbank::new(&MelConfig { sr: Self::SAMPLE_RATE, n_fft: 512, n_mels: 96, ..Default::default() })?;
        Ok(Self { stft, mel })
    }

    /// `96 x frames` log-compressed mel spectrogram of 16 kHz mono samples.
    pub fn logmel(&self, y16k: &[f32]) -> Array2 {
        let mut mel = self.mel.apply(&self.stft.power(y16k));
        mel.data.iter_mut().for_each(|v| *v = (10_000.0 * *v + 1.0).log10());
        mel
    }

    /// The input musicnn's own pipeline feeds its network (`musicnn.extractor.batch_data`):
    /// as [`logmel`](Self::logmel), but the mel power is rounded to float16 before the log,
    /// as musicnn does (`astype(np.float16)`). Rounding saturates at float16's largest value
    /// where musicnn would produce infinity (mel power above 65,504, i.e. far beyond full
    /// scale), so that a loud file gives a finite input.
    pub fn network_input(&self, y16k: &[f32]) -> Array2 {
        self.network_input_span(y16k, 0, 0, crate::stft::n_frames(y16k.len(), 512, 256, true))
    }

    /// Frames `first_frame .. first_frame + n_frames` of [`network_input`](Self::network_input)
    /// of a song of which `y16k` holds the samples from index `y_start` on (every sample the
    /// frames read: `first_frame * 256 - 256 .. (first_frame + n_frames - 1) * 256 + 256`,
    /// within the song); bit for bit the whole song's values. See
    /// [`StftPlan::power_span`](crate::StftPlan::power_span).
    pub fn network_input_span(&self, y16k: &[f32], y_start: usize, first_frame: usize, n_frames: usize) -> Array2 {
        let mut mel = self.mel.apply(&self.stft.power_span(y16k, y_start, first_frame, n_frames));
        mel.data.iter_mut().for_each(|v| {
            // Loud but finite power saturates at f16's largest value; power that overflowed
            // f32 itself (samples of 1e30) stays infinite, so that callers refuse it as they
            // refuse any other non-finite feature.
            let rounded = if v.is_finite() { half::f16::from_f32(*v).to_f32().min(half::f16::MAX.to_f32()) } else { *v };
            *v = (10_000.0 * rounded + 1.0).log10();
        });
        mel
    }
}
