//! The summary statistics of a file's features ([`crate::summarize_array`]: mean, std, skew,
//! kurtosis, median, min, max of every dimension) computed as the file decodes, in memory
//! that does not grow with its length: what `genrecast features --summary --no-frames` needs
//! for a two-hour recording.
//!
//! - Every frame equals the whole-file frame bit for bit (see [`crate::stream`]); min, max
//!   and the **median are exact**: the median is found by a radix selection over the f32 bit
//!   patterns in two passes (the high 16 bits, then the low 16 bits within the chosen bucket),
//!   256 KB of counts per dimension.
//! - Mean, std, skew and kurtosis come from running central moments in f64 (Welford's method,
//!   extended to the third and fourth moments as Terriberry gives it). They differ from the
//!   two-pass whole-array figures only by f64 rounding: at most 1e-9 relative for mean and
//!   std, 1e-6 absolute for skew and kurtosis, which the tests check.
//! - The onset envelope (4 bytes per frame: 1.2 MB for two hours at hop 512) is held whole,
//!   because the tempo estimate autocorrelates all of it; its summary is then the whole-array
//!   one.
//!
//! The file is decoded three or four times: once or twice to gather the song's context
//! ([`crate::SongScan`]), once for the features and the moments, once for the medians.

use std::path::Path;

use genrecast_audio::{stream_mono, LoadOptions};

use crate::extractor::{FeatureExtractor, FeatureKind, MusicnnFrontEnd, SongContext};
use crate::stream::{FrameBlock, FrameBlocks};
use crate::{power_to_db, DbReference, Error, Result};

/// Whether [`summarize_file`] computes `kind`: the frame-local kinds of
/// [`SongContext::KINDS`], the mel spectrogram in dB, and the onset envelope and the tempo.
pub fn streams_kind(kind: FeatureKind) -> bool {
    SongContext::KINDS.contains(&kind) || matches!(kind, FeatureKind::MelDb | FeatureKind::Onset | FeatureKind::Tempo)
}

/// Frames per block: about 47 s at 22,050 Hz and hop 512.
const BLOCK_FRAMES: usize = 2048;

/// Buckets of one radix pass: 16 bits of the key.
const BUCKETS: usize = 1 << 16;

/// An f32 as a u32 whose order is `f32::total_cmp`'s (the order the whole-array median sorts in).
fn key(x: f32) -> u32 {
    let b = x.to_bits();
    if b & 0x8000_0000 != 0 {
        !b
    } else {
        b | 0x8000_0000
    }
}

fn from_key(k: u32) -> f32 {
    f32::from_bits(if k & 0x8000_0000 != 0 { k & 0x7FFF_FFFF } else { !k })
}

/// Running central moments of one dimension, with its extremes.
#[derive(Clone, Copy, Debug)]
struct Moments {
    n: u64,
    mean: f64,
    m2: f64,
    m3: f64,
    m4: f64,
    min: f32,
    max: f32,
}

impl Moments {
    const EMPTY: Self = Self { n: 0, mean: 0.0, m2: 0.0, m3: 0.0, m4: 0.0, min: f32::INFINITY, max: f32::NEG_INFINITY };

    fn push(&mut self, x: f32) {
        let n1 = self.n as f64;
        self.n += 1;
        let n = self.n as f64;
        let delta = f64::from(x) - self.mean;
        let delta_n = delta / n;
        let delta_n2 = delta_n * delta_n;
        let term1 = delta * delta_n * n1;
        self.mean += delta_n;
        self.m4 += term1 * delta_n2 * (n * n - 3.0 * n + 3.0) + 6.0 * delta_n2 * self.m2 - 4.0 * delta_n * self.m3;
        self.m3 += term1 * delta_n * (n - 2.0) - 3.0 * delta_n * self.m2;
        self.m2 += term1;
        self.min = self.min.min(x);
        self.max = self.max.max(x);
    }
}

/// Where one dimension's median ranks lie after the first pass: the high 16 bits of each
/// rank's key, and the rank within that bucket.
#[derive(Clone, Copy, Debug)]
struct Target {
    bucket: u32,
    rank_in_bucket: u64,
}

/// The summary statistics of `rows` dimensions over frames pushed twice: once to
/// [`push_first`](Self::push_first), once, in any order, to [`push_second`](Self::push_second).
/// [`finish`](Self::finish) gives what [`crate::summarize`] gives for each dimension.
///
/// # Example
/// ```
/// use genrecast_features::summary_stream::SummaryAccumulator;
/// let frames: Vec<[f32; 2]> = (0..101).map(|i| [(i as f32 * 0.37).sin(), i as f32]).collect();
/// let mut acc = SummaryAccumulator::new(2);
/// frames.iter().for_each(|f| acc.push_first(f));
/// acc.begin_second_pass();
/// frames.iter().for_each(|f| acc.push_second(f));
/// let got = acc.finish();
/// let row0: Vec<f32> = frames.iter().map(|f| f[0]).collect();
/// let want = genrecast_features::summarize(&row0);
/// assert_eq!((got[0][4], got[0][5], got[0][6]), (want[4], want[5], want[6])); // median, min, max
/// assert!((got[0][0] - want[0]).abs() < 1e-12 && (got[0][3] - want[3]).abs() < 1e-9);
/// # Ok::<(), genrecast_features::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct SummaryAccumulator {
    rows: usize,
    moments: Vec<Moments>,
    /// First pass: counts of the high 16 bits of each dimension's keys.
    high: Vec<u32>,
    /// Second pass: per dimension, the one or two buckets of its median ranks (the lower and
    /// the upper middle), each with counts of the low 16 bits of the keys in it.
    targets: Vec<[Target; 2]>,
    low: Vec<Vec<u32>>,
}

impl SummaryAccumulator {
    /// An accumulator of `rows` values per frame.
    pub fn new(rows: usize) -> Self {
        Self { rows, moments: vec![Moments::EMPTY; rows], high: vec![0; rows * BUCKETS], targets: Vec::new(), low: Vec::new() }
    }

    /// Adds a frame in the first pass (the first `rows` values of `frame`).
    pub fn push_first(&mut self, frame: &[f32]) {
        for (r, &x) in frame.iter().take(self.rows).enumerate() {
            self.moments[r].push(x);
            self.high[r * BUCKETS + (key(x) >> 16) as usize] += 1;
        }
    }

    /// Ends the first pass: finds the bucket of each dimension's median ranks.
    pub fn begin_second_pass(&mut self) {
        self.targets = (0..self.rows)
            .map(|r| {
                let n = self.moments[r].n;
                let counts = &self.high[r * BUCKETS..(r + 1) * BUCKETS];
                let find = |rank: u64| {
                    let mut below = 0u64;
                    for (b, &c) in counts.iter().enumerate() {
                        if below + u64::from(c) > rank {
                            return Target { bucket: b as u32, rank_in_bucket: rank - below };
                        }
                        below += u64::from(c);
                    }
                    Target { bucket: 0, rank_in_bucket: 0 }
                };
                [find(n.saturating_sub(1) / 2), find(n / 2)]
            })
            .collect();
        self.high = Vec::new();
        self.low = self.targets.iter().map(|t| vec![0u32; if t[0].bucket == t[1].bucket { BUCKETS } else { 2 * BUCKETS }]).collect();
    }

    /// Adds a frame in the second pass.
    pub fn push_second(&mut self, frame: &[f32]) {
        for (r, &x) in frame.iter().take(self.rows).enumerate() {
            let k = key(x);
            let (hi, lo) = (k >> 16, (k & 0xFFFF) as usize);
            let [a, b] = self.targets[r];
            if hi == a.bucket {
                self.low[r][lo] += 1;
            } else if hi == b.bucket {
                self.low[r][BUCKETS + lo] += 1;
            }
        }
    }

    /// Per dimension: mean, population std, skew, excess kurtosis, median, min, max, as
    /// [`crate::summarize`] (a constant dimension has skew and kurtosis 0).
    pub fn finish(&self) -> Vec<[f64; 7]> {
        (0..self.rows)
            .map(|r| {
                let m = &self.moments[r];
                if m.n == 0 {
                    return [0.0; 7];
                }
                let n = m.n as f64;
                let (m2, m3, m4) = (m.m2 / n, m.m3 / n, m.m4 / n);
                let (skew, kurt) = if m2 <= 1e-24 * m.mean.abs().max(1.0).powi(2) { (0.0, 0.0) } else { (m3 / m2.powf(1.5), m4 / (m2 * m2) - 3.0) };
                let [a, b] = self.targets[r];
                let select = |t: Target, counts: &[u32]| {
                    let mut below = 0u64;
                    for (lo, &c) in counts.iter().enumerate() {
                        if below + u64::from(c) > t.rank_in_bucket {
                            return f64::from(from_key((t.bucket << 16) | lo as u32));
                        }
                        below += u64::from(c);
                    }
                    f64::NAN
                };
                let low = &self.low[r];
                let lower = select(a, &low[..BUCKETS]);
                let upper = if a.bucket == b.bucket { select(b, &low[..BUCKETS]) } else { select(b, &low[BUCKETS..]) };
                let median = if m.n % 2 == 1 { upper } else { (lower + upper) / 2.0 };
                [m.mean, m2.sqrt(), skew, kurt, median, f64::from(m.min), f64::from(m.max)]
            })
            .collect()
    }
}

/// One kind's summary from [`summarize_file`]: as [`crate::summarize_array`] lays it out
/// (statistic-major) for a kind over time, or the value itself for the tempo.
#[derive(Clone, Debug, PartialEq)]
pub struct KindSummary {
    /// The feature.
    pub kind: FeatureKind,
    /// Its dimensions (rows over time; 1 for the tempo).
    pub rows: usize,
    /// The values.
    pub values: Vec<f64>,
}

/// One pass over a file: decodes it with `opts` at the extractor's rate, cuts it into blocks
/// of `block_frames` frames ([`FrameBlocks`]) and hands each to `take`, in song order.
/// Returns the samples decoded and the decoder's warnings.
///
/// # Errors
/// [`Error::Stream`] naming the file: it does not decode, or `take` failed (its error ends
/// the pass).
pub fn pass_over_file(path: &Path, opts: &LoadOptions, fx: &FeatureExtractor, block_frames: usize, take: &mut dyn FnMut(FrameBlock) -> Result<()>) -> Result<(usize, Vec<String>)> {
    let fail = |why: &dyn std::fmt::Display| Error::Stream(format!("{}: {why}", path.display()));
    let opts = LoadOptions { sample_rate: Some(fx.config().sr), ..opts.clone() };
    let mut blocks = FrameBlocks::new(fx.config().n_fft, fx.config().hop_length, block_frames);
    // The first error of `take` ends the analysis; the decoder is not told (its error type is
    // the decoder's), it only stops being fed.
    let mut failed: Option<Error> = None;
    let info = stream_mono(path, &opts, |b| {
        if failed.is_none() {
            failed = blocks.push(b, &mut *take).err();
        }
        Ok(())
    })
    // The decoder's errors name the file already.
    .map_err(|e| Error::Stream(e.to_string()))?;
    if let Some(e) = failed {
        return Err(fail(&e));
    }
    let seen = blocks.samples_seen();
    blocks.finish(&mut *take).map_err(|e| fail(&e))?;
    Ok((seen, info.warnings))
}

/// What `kinds` take from the whole file ([`crate::SongScan`]), gathered in one pass, or
/// two when the chroma's tuning needs exact magnitudes. Returns it with the file's length in
/// samples (at the extractor's rate) and the decoder's warnings.
///
/// # Errors
/// As [`pass_over_file`]; also when the file holds no audio or changes between passes.
pub fn scan_file(path: &Path, opts: &LoadOptions, fx: &FeatureExtractor, kinds: &[FeatureKind], block_frames: usize) -> Result<(SongContext, usize, Vec<String>)> {
    let fail = |why: &dyn std::fmt::Display| Error::Stream(format!("{}: {why}", path.display()));
    let mut scan = fx.song_scan(kinds);
    let gather = |scan: &mut crate::SongScan| {
        pass_over_file(path, opts, fx, block_frames, &mut |b| {
            fx.scan_context(scan, b.samples, b.frames);
            Ok(())
        })
    };
    let (length, warnings) = gather(&mut scan)?;
    if length == 0 {
        return Err(fail(&"no audio"));
    }
    let song = match scan.finish() {
        Some(song) => song,
        None => {
            scan.begin_exact_pass();
            if gather(&mut scan)?.0 != length {
                return Err(fail(&"it changed while it was read"));
            }
            scan.finish().ok_or_else(|| fail(&"the tuning scan did not settle"))?
        }
    };
    Ok((song, length, warnings))
}

/// The summaries of `kinds` (each passing [`streams_kind`]) over a file decoded at
/// `fx.config().sr` with `opts` (offset, duration, strictness), computed as it decodes; equal
/// to [`crate::summarize_array`] of the whole file's features, with the bounds of the module
/// doc. Returns them in `kinds` order, with the decoder's warnings.
///
/// # Errors
/// [`Error::InvalidParameter`] for a kind [`streams_kind`] refuses; [`Error::Stream`]
/// naming the file when it does not decode, holds no audio, gives features that are not
/// finite, or changes while it is read.
pub fn summarize_file(path: &Path, opts: &LoadOptions, fx: &FeatureExtractor, kinds: &[FeatureKind]) -> Result<(Vec<KindSummary>, Vec<String>)> {
    summarize_file_in_blocks(path, opts, fx, kinds, BLOCK_FRAMES)
}

/// [`summarize_file`] with blocks of `block_frames` frames (small blocks test the seams).
#[doc(hidden)]
pub fn summarize_file_in_blocks(path: &Path, opts: &LoadOptions, fx: &FeatureExtractor, kinds: &[FeatureKind], block_frames: usize) -> Result<(Vec<KindSummary>, Vec<String>)> {
    let pass = FramePass::prepare(path, opts, fx, kinds, block_frames)?;
    let rows: usize = pass.layout.iter().map(|l| l.1).sum();
    let mut acc = SummaryAccumulator::new(rows);
    let mut env_diffs = Vec::new();
    pass.run(&mut |frame| {
        acc.push_first(frame);
        Ok(())
    }, Some(&mut env_diffs))?;
    acc.begin_second_pass();
    pass.run(&mut |frame| {
        acc.push_second(frame);
        Ok(())
    }, None)?;
    let stats = acc.finish();
    let env = pass.wants_rhythm.then(|| pass.envelope(&env_diffs));
    let hop = fx.config().hop_length;
    let mut out = Vec::with_capacity(kinds.len());
    let mut at = 0;
    for &kind in kinds {
        match kind {
            FeatureKind::Onset => out.push(KindSummary { kind, rows: 1, values: crate::summarize(env.as_deref().unwrap_or_default()).to_vec() }),
            FeatureKind::Tempo => {
                let bpm = crate::rhythm::tempo(env.as_deref().unwrap_or_default(), f64::from(fx.config().sr), hop, 120.0, 1.0, 8.0, 320.0);
                out.push(KindSummary { kind, rows: 1, values: vec![f64::from(bpm)] });
            }
            _ => {
                let r = pass.layout.iter().find(|l| l.0 == kind).map_or(0, |l| l.1);
                let per_row = &stats[at..at + r];
                at += r;
                let values = (0..7).flat_map(|s| per_row.iter().map(move |row| row[s])).collect();
                out.push(KindSummary { kind, rows: r, values });
            }
        }
    }
    Ok((out, pass.warnings))
}

/// The summary of the musicnn front end's log-mel spectrogram ([`MusicnnFrontEnd::logmel`],
/// 96 rows) of a file decoded at 16 kHz with `opts` (offset, duration, strictness), computed
/// as it decodes in memory that does not grow with the file: [`crate::summarize_array`] of
/// the whole file's `logmel`, laid out as it lays it out (statistic-major).
///
/// Every frame is the whole file's, bit for bit (the front end is frame-local: each frame
/// reads only its own 512 samples, which [`FrameBlocks`] hands over whole), so the median,
/// min and max are exact and the moments within the bounds of the module doc. The file is
/// decoded twice (moments, then medians). Returns the values with the decoder's warnings.
///
/// # Errors
/// [`Error::Stream`] naming the file when it does not decode, holds no audio, gives values
/// that are not finite, or changes between the passes.
pub fn summarize_musicnn_file(path: &Path, opts: &LoadOptions, front: &MusicnnFrontEnd) -> Result<(Vec<f64>, Vec<String>)> {
    summarize_musicnn_file_in_blocks(path, opts, front, BLOCK_FRAMES)
}

/// [`summarize_musicnn_file`] with blocks of `block_frames` frames (small blocks test the seams).
#[doc(hidden)]
pub fn summarize_musicnn_file_in_blocks(path: &Path, opts: &LoadOptions, front: &MusicnnFrontEnd, block_frames: usize) -> Result<(Vec<f64>, Vec<String>)> {
    const ROWS: usize = 96;
    let fail = |why: &dyn std::fmt::Display| Error::Stream(format!("{}: {why}", path.display()));
    let opts = LoadOptions { sample_rate: Some(MusicnnFrontEnd::SAMPLE_RATE), ..opts.clone() };
    let pass = |push: &mut dyn FnMut(&[f32])| -> Result<(usize, Vec<String>)> {
        let mut blocks = FrameBlocks::new(512, 256, block_frames);
        let mut frame = vec![0.0f32; ROWS];
        let mut take = |b: FrameBlock| -> Result<()> {
            // The block's samples as a song of their own: the frames `b.frames` read only
            // samples inside them, or lie at an end of the song, so they are the song's.
            let mel = front.logmel(b.samples);
            for j in b.frames.clone() {
                for (r, v) in frame.iter_mut().enumerate() {
                    *v = mel.data[r * mel.cols + j];
                }
                // As the whole-file path: a spectrogram that overflowed is refused.
                if !frame.iter().all(|v| v.is_finite()) {
                    return Err(Error::Stream("feature musicnn_logmel is not finite (corrupt samples?)".into()));
                }
                push(&frame);
            }
            Ok(())
        };
        // The first error of `take` ends the analysis; the decoder only stops being fed.
        let mut failed: Option<Error> = None;
        let info = stream_mono(path, &opts, |b| {
            if failed.is_none() {
                failed = blocks.push(b, &mut take).err();
            }
            Ok(())
        })
        .map_err(|e| Error::Stream(e.to_string()))?;
        if let Some(e) = failed {
            return Err(fail(&e));
        }
        let seen = blocks.samples_seen();
        blocks.finish(&mut take).map_err(|e| fail(&e))?;
        Ok((seen, info.warnings))
    };
    let mut acc = SummaryAccumulator::new(ROWS);
    let (length, warnings) = pass(&mut |f| acc.push_first(f))?;
    if length == 0 {
        return Err(fail(&"no audio"));
    }
    acc.begin_second_pass();
    if pass(&mut |f| acc.push_second(f))?.0 != length {
        return Err(fail(&"it changed while it was read"));
    }
    let stats = acc.finish();
    Ok(((0..7).flat_map(|s| stats.iter().map(move |row| row[s])).collect(), warnings))
}

/// One frame handed out by [`stream_frames`].
#[derive(Clone, Copy, Debug)]
pub struct FrameAt<'a> {
    /// Its index in the song (0-based).
    pub index: usize,
    /// The song's frame count (the whole-file arrays' columns), known from the first pass.
    pub total: usize,
    /// The values of every kind over time, one after the other in the order asked.
    pub values: &'a [f32],
}

/// What [`stream_frames`] gives besides the frames it hands out.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamedFrames {
    /// Frames handed out (the whole-file arrays' column count).
    pub frames: usize,
    /// Samples decoded at the extractor's rate.
    pub samples: usize,
    /// Whether every sample was zero (digital silence).
    pub silent: bool,
    /// The onset strength envelope (one value per frame), when `onset` or `tempo` was asked.
    pub onset: Option<Vec<f32>>,
    /// The tempo in BPM, when asked.
    pub tempo: Option<f32>,
    /// The decoder's warnings (a file cut short, ...).
    pub warnings: Vec<String>,
}

/// Computes `kinds` (each passing [`streams_kind`]) over a file as it decodes and hands each
/// frame to `emit`: the values of every kind over time, one after the other in `kinds` order
/// (`onset` and `tempo` left out: they come back in [`StreamedFrames`]). Each frame equals
/// the whole-file arrays' column bit for bit; memory does not grow with the file except for
/// the onset envelope (4 bytes a frame). The file is decoded two or three times.
///
/// # Errors
/// As [`summarize_file`]; `emit`'s error ends the pass.
pub fn stream_frames(path: &Path, opts: &LoadOptions, fx: &FeatureExtractor, kinds: &[FeatureKind], emit: &mut dyn FnMut(FrameAt<'_>) -> Result<()>) -> Result<StreamedFrames> {
    stream_frames_in_blocks(path, opts, fx, kinds, BLOCK_FRAMES, emit)
}

/// [`stream_frames`] with blocks of `block_frames` frames (small blocks test the seams).
#[doc(hidden)]
pub fn stream_frames_in_blocks(path: &Path, opts: &LoadOptions, fx: &FeatureExtractor, kinds: &[FeatureKind], block_frames: usize, emit: &mut dyn FnMut(FrameAt<'_>) -> Result<()>) -> Result<StreamedFrames> {
    let pass = FramePass::prepare(path, opts, fx, kinds, block_frames)?;
    let mut env_diffs = Vec::new();
    let mut frames = 0usize;
    let total = crate::n_frames(pass.length, fx.config().n_fft, fx.config().hop_length, true);
    let silent = pass.run(&mut |values| {
        frames += 1;
        emit(FrameAt { index: frames - 1, total, values })
    }, pass.wants_rhythm.then_some(&mut env_diffs))?;
    let onset = pass.wants_rhythm.then(|| pass.envelope(&env_diffs));
    let tempo = kinds.contains(&FeatureKind::Tempo).then(|| {
        let cfg = fx.config();
        crate::rhythm::tempo(onset.as_deref().unwrap_or_default(), f64::from(cfg.sr), cfg.hop_length, 120.0, 1.0, 8.0, 320.0)
    });
    Ok(StreamedFrames { frames, samples: pass.length, silent, onset: onset.filter(|_| kinds.contains(&FeatureKind::Onset)), tempo, warnings: pass.warnings })
}

/// A file ready to be passed over frame by frame: its song context, and what each pass
/// computes per block.
struct FramePass<'a> {
    path: &'a Path,
    opts: &'a LoadOptions,
    fx: &'a FeatureExtractor,
    block_frames: usize,
    /// The frame-local kinds computed per block, with the mel power behind mel_db and the
    /// onset envelope.
    block_kinds: Vec<FeatureKind>,
    /// The kinds over time handed out per frame (all but the onset envelope and the tempo),
    /// with their rows, in the order asked.
    layout: Vec<(FeatureKind, usize)>,
    needs_mel: bool,
    wants_rhythm: bool,
    song: SongContext,
    length: usize,
    warnings: Vec<String>,
}

impl<'a> FramePass<'a> {
    fn prepare(path: &'a Path, opts: &'a LoadOptions, fx: &'a FeatureExtractor, kinds: &[FeatureKind], block_frames: usize) -> Result<Self> {
        if let Some(k) = kinds.iter().find(|k| !streams_kind(**k)) {
            return Err(crate::error::invalid("kinds", k.name(), "kinds computed as the file decodes (mel, mel_db, mfcc, chroma, centroid, bandwidth, rolloff, contrast, flatness, zcr, rms, onset, tempo)"));
        }
        let wants_rhythm = kinds.contains(&FeatureKind::Onset) || kinds.contains(&FeatureKind::Tempo);
        let needs_mel = wants_rhythm || kinds.contains(&FeatureKind::MelDb) || kinds.contains(&FeatureKind::Mel);
        let mut block_kinds: Vec<FeatureKind> = kinds.iter().copied().filter(|k| SongContext::KINDS.contains(k)).collect();
        if needs_mel && !block_kinds.contains(&FeatureKind::Mel) {
            block_kinds.push(FeatureKind::Mel);
        }
        let layout = kinds.iter().filter(|k| !matches!(k, FeatureKind::Onset | FeatureKind::Tempo)).map(|&k| (k, fx.rows_of(k))).collect();
        let (song, length, warnings) = scan_file(path, opts, fx, kinds, block_frames)?;
        Ok(Self { path, opts, fx, block_frames, block_kinds, layout, needs_mel, wants_rhythm, song, length, warnings })
    }

    /// One pass: every frame to `emit`, and, with `env_diffs`, the onset envelope's
    /// differences gathered. Returns whether every sample was zero.
    fn run(&self, emit: &mut dyn FnMut(&[f32]) -> Result<()>, mut env_diffs: Option<&mut Vec<f32>>) -> Result<bool> {
        let (fx, song) = (self.fx, &self.song);
        let rows: usize = self.layout.iter().map(|l| l.1).sum();
        let mut frame = Vec::with_capacity(rows);
        let mut previous_db: Option<Vec<f32>> = None;
        let floor_db1 = song.mel_db_max - 80.0;
        let mut silent = true;
        let mut take = |block: FrameBlock| -> Result<()> {
            silent &= block.samples.iter().all(|&v| v == 0.0);
            let set = fx.extract_in_context(block.samples, &self.block_kinds, song)?;
            // The mel spectrogram in dB, ref 1.0: mel_db is it less the song's peak, floored at
            // -80 (`power_to_db(ref=np.max, top_db=80)`); the onset envelope reads it floored
            // 80 dB below the peak, as the whole-file path does.
            let db1 = self.needs_mel.then(|| {
                let mut db = set[&FeatureKind::Mel].clone();
                power_to_db(&mut db.data, DbReference::Value(1.0), 1e-10, None);
                db
            });
            for j in block.frames.clone() {
                frame.clear();
                for (kind, _) in &self.layout {
                    match (kind, &db1) {
                        // `power_to_db(ref=max)`: the peak's own value is 0, so the floor is -80.
                        (FeatureKind::MelDb, Some(db)) => frame.extend((0..db.rows).map(|r| (db.data[r * db.cols + j] - song.mel_db_max).max(0.0 - 80.0))),
                        (k, _) => {
                            let a = &set[k];
                            frame.extend((0..a.rows).map(|r| a.data[r * a.cols + j]));
                        }
                    }
                }
                if !frame.iter().all(|v| v.is_finite()) {
                    return Err(Error::Stream("features are not finite".into()));
                }
                emit(&frame)?;
                if let (Some(diffs), Some(db)) = (env_diffs.as_deref_mut(), &db1) {
                    let column: Vec<f32> = (0..db.rows).map(|r| db.data[r * db.cols + j].max(floor_db1)).collect();
                    if let Some(prev) = &previous_db {
                        // As `rhythm::onset_strength`: rows summed in f64 in order, then averaged.
                        let d: f64 = column.iter().zip(prev).map(|(&now, &before)| f64::from((now - before).max(0.0))).sum();
                        diffs.push((d / db.rows as f64) as f32);
                    }
                    previous_db = Some(column);
                }
            }
            Ok(())
        };
        let (seen, _) = pass_over_file(self.path, self.opts, fx, self.block_frames, &mut take)?;
        if seen != self.length {
            return Err(Error::Stream(format!("{}: it changed while it was read", self.path.display())));
        }
        Ok(silent)
    }

    /// The onset envelope from its differences, padded as the whole-file envelope.
    fn envelope(&self, env_diffs: &[f32]) -> Vec<f32> {
        let (n_fft, hop) = (self.fx.config().n_fft, self.fx.config().hop_length);
        let frames = crate::n_frames(self.length, n_fft, hop, true);
        let pad = 1 + n_fft / (2 * hop);
        let mut env = vec![0.0f32; frames];
        for (i, d) in env_diffs.iter().enumerate() {
            if let Some(e) = env.get_mut(i + pad) {
                *e = *d;
            }
        }
        env
    }
}
