//! A long recording through a musicnn backbone as it decodes, holding only the patches in
//! work: memory stays flat whatever the song's length (a 2-hour file held 460 MB of 16 kHz
//! samples and 170 MB of mel spectrogram in the whole-file path).
//!
//! The result is the whole-file path's, bit for bit: the patches are chosen from the length
//! the header declares, and each patch's mel frames are computed from exactly the samples
//! they read ([`MusicnnFrontEnd::network_input_span`]). A stream whose length turns out to
//! differ from its header keeps its result when the difference changes neither the patches
//! chosen nor the samples they read (an Ogg file a second longer than its last page says);
//! otherwise (a file cut short) it is decoded a second time with the length now known.
//!
//! When the window budget picks only some of the patches, the file is not decoded from start
//! to end: [`SpanReader`] seeks to each chosen patch's samples and decodes only those (plus a
//! run-up), and the file's last second tells its true length. The samples are those of the
//! decode from the start, bit for bit, so the result is too (`tests/streamed.rs`); formats
//! that do not seek exactly, and anything unusual met on the way (a packet that fails to
//! decode, NaN samples, patches of digital silence), go the sequential way instead.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use burn::tensor::Device;
use genrecast_audio::{stream_mono, AudioStream, LoadOptions, ResampleQuality, SpanReader};
use genrecast_features::stream::{FrameBlock, RunningStats};
use genrecast_features::summary_stream;
use genrecast_features::{Array2, FeatureExtractor, MusicnnFrontEnd};

use crate::classifier::{patch_windows, spectrogram_overflow, spread, WindowPrediction};
use crate::inputs::{InputPreset, InputSpec};
use crate::musicnn::{Musicnn, PATCH_FRAMES};
use crate::{Error, Result};

/// Files whose header declares more than this are analysed as they decode. Shorter ones
/// (and files that declare no length and weigh less than [`STREAM_UNKNOWN_ABOVE_BYTES`]) are
/// decoded whole, which costs at most tens of MB.
pub const STREAM_ABOVE_SECONDS: f64 = 120.0;

/// A file that declares no length (an MP3 without a Xing header) and is larger than this is
/// streamed in two passes: one to count its samples, one to analyse them.
pub const STREAM_UNKNOWN_ABOVE_BYTES: u64 = 20 << 20;

static SEEK_DEFAULT: AtomicBool = AtomicBool::new(true);

/// Sets whether classifiers and taggers opened from now on read the chosen patches of a long
/// file by seeking to them (the default) or by decoding it from start to end (the same
/// result, slower; a binary's `--no-seek`).
///
/// # Example
/// ```
/// genrecast_models::set_seek_default(false);
/// assert!(!genrecast_models::seek_default());
/// genrecast_models::set_seek_default(true);
/// ```
pub fn set_seek_default(seek: bool) {
    SEEK_DEFAULT.store(seek, Ordering::Relaxed);
}

/// Whether long files are read by seeking to their chosen patches; see
/// [`set_seek_default`]. `true` unless set.
pub fn seek_default() -> bool {
    SEEK_DEFAULT.load(Ordering::Relaxed)
}

/// Patches per call of the network: enough for the int8 front end's parallel batch.
const BATCH: usize = 8;
const HOP: usize = 256;

/// What the backbone made of a song: penultimate features and tag probabilities per chosen
/// patch, the song's patch count, its duration in seconds, and warnings (decoder's first).
pub(crate) struct BackboneAnalysis {
    pub penultimate: Vec<Vec<f32>>,
    pub windows: Vec<WindowPrediction>,
    pub total: usize,
    pub duration: f64,
    pub warnings: Vec<String>,
}

/// Analyses `path` as it decodes when it is long (see [`STREAM_ABOVE_SECONDS`]); `Ok(None)`
/// when it is better decoded whole. `stream_above` overrides the threshold (tests set 0);
/// `seek` reads only the chosen patches where it can (see the module doc).
pub(crate) fn analyse_file(nets: &[Musicnn], front: &MusicnnFrontEnd, path: &Path, device: &Device, max: Option<usize>, stream_above: f64, seek: bool) -> Result<Option<BackboneAnalysis>> {
    let rate = u64::from(MusicnnFrontEnd::SAMPLE_RATE);
    let Some(length) = long_file(path, stream_above)? else { return Ok(None) };
    // The resampler gives ceil(frames * rate / native) samples, as librosa.resample does.
    let declared = |frames: u64, native: u32| (frames * rate).div_ceil(u64::from(native));
    if seek {
        // Every patch chosen: decoding on is the same work as seeking to each.
        let some_patches = match (&length, max) {
            (_, None) => false,
            (Length::Declared { frames, native }, Some(m)) => patches_in(declared(*frames, *native) as usize) > m,
            (Length::Unknown, Some(_)) => true,
        };
        if some_patches {
            if let Some(a) = analyse_spans(nets, front, path, device, max)? {
                return Ok(Some(a));
            }
        }
    }
    let expected = match length {
        Length::Declared { frames, native } => declared(frames, native),
        Length::Unknown => count_samples(path)?,
    };
    match analyse_pass(nets, front, path, device, max, expected as usize)? {
        Pass::Done(a) => Ok(Some(a)),
        Pass::Short => Ok(None),
        // The header was wrong about the length: choose the patches again from the true one.
        Pass::LengthWas(n) => match analyse_pass(nets, front, path, device, max, n)? {
            Pass::Done(a) => Ok(Some(a)),
            Pass::Short => Ok(None),
            Pass::LengthWas(m) => Err(Error::Data(format!("{}: decoded to {n} samples, then to {m}: the file changed while it was read", path.display()))),
        },
    }
}

/// What is known of a long file's length before it is decoded.
enum Length {
    /// Its header declares `frames` at `native` Hz.
    Declared { frames: u64, native: u32 },
    /// It declares none, and is too large to decode whole (see [`STREAM_UNKNOWN_ABOVE_BYTES`]).
    Unknown,
}

/// `Some` when `path` is long enough to be analysed as it decodes: it declares more than
/// `stream_above` seconds, or declares nothing and weighs more than
/// [`STREAM_UNKNOWN_ABOVE_BYTES`] (any file when `stream_above` is 0).
fn long_file(path: &Path, stream_above: f64) -> Result<Option<Length>> {
    let stream = AudioStream::open(path).map_err(|e| Error::Data(e.to_string()))?;
    let native = stream.info().sample_rate;
    Ok(match stream.info().declared_frames {
        Some(frames) if frames as f64 / f64::from(native) > stream_above => Some(Length::Declared { frames, native }),
        Some(_) => None,
        None => {
            let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            (bytes > STREAM_UNKNOWN_ABOVE_BYTES || stream_above <= 0.0).then_some(Length::Unknown)
        }
    })
}

/// Whether `path` is long enough that [`crate::Classifier::classify_file`] and
/// [`summary_vector_file`] analyse it as it decodes (more than [`STREAM_ABOVE_SECONDS`];
/// callers choose between the whole-file and the streamed paths with it).
///
/// # Errors
/// [`Error::Data`] when the file cannot be opened as audio.
pub fn streams(path: &Path) -> Result<bool> {
    Ok(long_file(path, STREAM_ABOVE_SECONDS)?.is_some())
}

/// What a model reading features (log-mel, MFCC, chroma, the 90-d summary) takes from a long
/// song: the chosen windows' inputs and spans in seconds, the song's window count, its
/// duration and warnings (the decoder's first).
pub(crate) struct FeatureWindows {
    pub inputs: Vec<Vec<f32>>,
    pub spans: Vec<(f64, f64)>,
    pub total: usize,
    pub duration: f64,
    pub warnings: Vec<String>,
}

/// The windows of a long file (see [`STREAM_ABOVE_SECONDS`]) for a model on `spec`'s
/// features, computed as it decodes ([`summary_stream::stream_frames`]) and kept only for the
/// windows chosen (`max` spread evenly, as the whole-file path chooses them): each input is
/// the whole-file path's, bit for bit. `Ok(None)`: a short file, or features that read the
/// whole file; decode it whole.
pub(crate) fn feature_windows_file(fx: &FeatureExtractor, spec: &InputSpec, path: &Path, max: Option<usize>, stream_above: f64) -> Result<Option<FeatureWindows>> {
    let kinds = spec.kinds();
    if kinds.is_empty() || !kinds.iter().all(|&k| summary_stream::streams_kind(k)) || long_file(path, stream_above)?.is_none() {
        return Ok(None);
    }
    let opts = LoadOptions { sample_rate: Some(spec.sample_rate), ..LoadOptions::default() };
    let (crop_frames, rows) = (spec.crop_frames.max(1), spec.frame_rows());
    // Chosen once the first frame says how many the song has.
    let (mut chosen, mut total, mut frames): (Vec<usize>, usize, Vec<Vec<f32>>) = (Vec::new(), 0, Vec::new());
    let streamed = summary_stream::stream_frames(path, &opts, fx, &kinds, &mut |f| {
        if f.index == 0 {
            let starts = crate::inputs::window_starts(f.total, crop_frames);
            total = starts.len();
            chosen = spread(starts.len(), max).into_iter().map(|i| starts[i]).collect();
            frames = vec![Vec::new(); chosen.len()];
        }
        for (buf, &start) in frames.iter_mut().zip(&chosen) {
            if (start..start + crop_frames).contains(&f.index) {
                buf.extend_from_slice(f.values);
            }
        }
        Ok(())
    })
    .map_err(|e| Error::Data(e.to_string()))?;
    let duration = streamed.samples as f64 / f64::from(spec.sample_rate);
    let col = spec.column_seconds();
    let mut inputs = Vec::with_capacity(chosen.len());
    for buf in &frames {
        // Frame-major to the [rows, frames] layout of the whole-file input matrix.
        let n = buf.len() / rows.max(1);
        let data = (0..rows).flat_map(|r| (0..n).map(move |t| buf[t * rows + r])).collect();
        inputs.push(crate::inputs::crop(&Array2 { rows, cols: n, data }, spec, 0));
    }
    let spans = chosen.iter().map(|&s| (s as f64 * col, ((s + crop_frames) as f64 * col).min(duration))).collect();
    let mut warnings = streamed.warnings;
    if streamed.silent {
        warnings.push(crate::classifier::SILENCE_WARNING.to_owned());
    }
    Ok(Some(FeatureWindows { inputs, spans, total, duration, warnings }))
}

/// Frames per block of the streamed summary: about 47 s at 22,050 Hz, 8 MB of spectrogram.
const SUMMARY_BLOCK_FRAMES: usize = 2048;

/// [`summary_vector`](crate::summary_vector) of a file, computed as it decodes at
/// `fx.config().sr`, in memory that does not grow with the song: equal, bit for bit, to
/// the summary of the whole decoded song (`cargo test -p genrecast-models --test streamed`).
/// Returns the vector and the decoder's warnings.
///
/// The file is read two or three times. The first pass gathers what the features take from
/// the whole song (the chroma's tuning, the 80 dB floors of the MFCCs and the contrast:
/// [`genrecast_features::SongScan`]);
/// a second does so again only when the tuning's median needs exact magnitudes; the last
/// computes the features block by block ([`FrameBlocks`](genrecast_features::stream::FrameBlocks)) into running statistics
/// ([`RunningStats`]).
///
/// # Errors
/// [`Error::Data`] naming the file: it does not decode, holds no audio, its features are
/// not finite, or it changed while it was read.
///
/// # Example
/// ```no_run
/// use genrecast_features::{FeatureConfig, FeatureExtractor};
/// let fx = FeatureExtractor::new(FeatureConfig::default())?;
/// let (summary, _warnings) = genrecast_models::summary_vector_file("mix.flac".as_ref(), &fx)?;
/// assert_eq!(summary.len(), 90);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn summary_vector_file(path: &Path, fx: &FeatureExtractor) -> Result<(Vec<f32>, Vec<String>)> {
    let spec = InputSpec::new(InputPreset::Summary, 1.0);
    let kinds = spec.kinds();
    let opts = LoadOptions { sample_rate: Some(fx.config().sr), ..LoadOptions::default() };
    let data = |e: genrecast_features::Error| Error::Data(e.to_string());
    let (song, length, warnings) = summary_stream::scan_file(path, &opts, fx, &kinds, SUMMARY_BLOCK_FRAMES).map_err(data)?;
    let mut stats = RunningStats::new(spec.frame_rows());
    let mut frame = Vec::with_capacity(spec.frame_rows());
    let mut take = |block: FrameBlock| -> genrecast_features::Result<()> {
        let set = fx.extract_in_context(block.samples, &kinds, &song)?;
        for j in block.frames {
            frame.clear();
            for kind in &kinds {
                let a = &set[kind];
                frame.extend((0..a.rows).map(|r| a.data[r * a.cols + j]));
            }
            if !frame.iter().all(|v| v.is_finite()) {
                // One rule with the whole-file path (`input_matrix`).
                return Err(genrecast_features::Error::Stream("features are not finite".into()));
            }
            stats.push(&frame);
        }
        Ok(())
    };
    let (seen, _) = summary_stream::pass_over_file(path, &opts, fx, SUMMARY_BLOCK_FRAMES, &mut take).map_err(data)?;
    if seen != length {
        return Err(Error::Data(format!("{}: it changed while it was read", path.display())));
    }
    let mut summary = stats.mean();
    summary.extend(stats.std());
    Ok((summary, warnings))
}

enum Pass {
    Done(BackboneAnalysis),
    /// Shorter than two patches: the whole-file path wraps it around.
    Short,
    /// The stream held this many samples, not the number expected.
    LengthWas(usize),
}

fn options() -> LoadOptions {
    LoadOptions { sample_rate: Some(MusicnnFrontEnd::SAMPLE_RATE), ..LoadOptions::default() }
}

fn count_samples(path: &Path) -> Result<u64> {
    let mut n = 0u64;
    stream_mono(path, &options(), |block| {
        n += block.len() as u64;
        Ok(())
    })
    .map_err(|e| Error::Data(e.to_string()))?;
    Ok(n)
}

/// The samples patch `p`'s frames read, `[start, end)`, within a song of `n` samples.
fn patch_span(p: usize, n: usize) -> (usize, usize) {
    let (start, end) = patch_reach(p);
    (start, end.min(n))
}

/// The samples patch `p`'s frames read in a song long enough to hold them all.
fn patch_reach(p: usize) -> (usize, usize) {
    let first = p * PATCH_FRAMES;
    ((first * HOP).saturating_sub(HOP), (first + PATCH_FRAMES - 1) * HOP + HOP)
}

/// Patches in a song of `n` samples at 16 kHz.
fn patches_in(n: usize) -> usize {
    genrecast_features::n_frames(n, 512, HOP, true) / PATCH_FRAMES
}

/// The chosen patches of `path` read through a [`SpanReader`], seeking to each: `Ok(None)`
/// where the sequential pass must decide instead (a format that does not seek exactly, a song
/// shorter than two patches, a read that fails or meets a corrupt packet, NaN samples,
/// chosen patches of digital silence, a spectrogram that overflows), so that the answer and
/// its warnings are always the sequential pass's.
///
/// The length comes first, from the file's end: the sequential pass chooses the patches from
/// the header's length and keeps its result when the true length chooses the same patches
/// over the same samples, and otherwise chooses again from the true length; choosing from the
/// true length at once gives the same patches and samples in both cases.
fn analyse_spans(nets: &[Musicnn], front: &MusicnnFrontEnd, path: &Path, device: &Device, max: Option<usize>) -> Result<Option<BackboneAnalysis>> {
    let Ok(mut reader) = SpanReader::open(path, MusicnnFrontEnd::SAMPLE_RATE, ResampleQuality::High) else { return Ok(None) };
    if !reader.seeks() {
        return Ok(None);
    }
    let Ok(n) = reader.total_samples() else { return Ok(None) };
    let n = n as usize;
    if genrecast_features::n_frames(n, 512, HOP, true) < 2 * PATCH_FRAMES {
        return Ok(None);
    }
    let total = patches_in(n);
    let which = spread(total, max);
    let (mut batch, mut penultimate, mut taggram) = (Vec::new(), Vec::new(), Vec::new());
    let mut all_zero = true;
    for &p in &which {
        let (start, end) = patch_span(p, n);
        let Ok(y) = reader.read(start as u64, end as u64) else { return Ok(None) };
        if y.len() != end - start {
            return Ok(None);
        }
        all_zero &= y.iter().all(|&v| v == 0.0);
        let input = front.network_input_span(&y, start, p * PATCH_FRAMES, PATCH_FRAMES);
        if !input.data.iter().all(|v| v.is_finite()) {
            return Ok(None);
        }
        batch.push(input);
        if batch.len() == BATCH {
            run_batch(nets, device, &mut batch, &mut penultimate, &mut taggram);
        }
    }
    if all_zero || reader.bad_packets() > 0 || reader.nonfinite_samples() > 0 {
        return Ok(None);
    }
    run_batch(nets, device, &mut batch, &mut penultimate, &mut taggram);
    let duration = n as f64 / f64::from(MusicnnFrontEnd::SAMPLE_RATE);
    let windows = patch_windows(taggram, &which, duration);
    Ok(Some(BackboneAnalysis { penultimate, windows, total, duration, warnings: reader.info().warnings.clone() }))
}

fn analyse_pass(nets: &[Musicnn], front: &MusicnnFrontEnd, path: &Path, device: &Device, max: Option<usize>, n: usize) -> Result<Pass> {
    let frames = genrecast_features::n_frames(n, 512, HOP, true);
    if frames < 2 * PATCH_FRAMES {
        return Ok(Pass::Short);
    }
    let total = frames / PATCH_FRAMES;
    let which = spread(total, max);
    let mut state = State { n, which: &which, next: 0, buf: Vec::new(), buf_start: 0, seen: 0, all_zero: true, refused: None, batch: Vec::new(), penultimate: Vec::new(), taggram: Vec::new() };
    let info = stream_mono(path, &options(), |block| {
        state.push(block, nets, front, device);
        Ok(())
    })
    .map_err(|e| Error::Data(e.to_string()))?;
    let actual = state.seen;
    if actual != n {
        // The same patches over the same samples, none near either end: the result stands.
        let same_patches = genrecast_features::n_frames(actual, 512, HOP, true) / PATCH_FRAMES == total;
        let within = which.iter().all(|&p| patch_reach(p).1 <= n.min(actual));
        if !(same_patches && within && state.next == which.len()) {
            return Ok(Pass::LengthWas(actual));
        }
    }
    if let Some(why) = state.refused {
        return Err(Error::Data(format!("{}: {why}", path.display())));
    }
    state.run_batch(nets, device);
    let duration = actual as f64 / f64::from(MusicnnFrontEnd::SAMPLE_RATE);
    let windows = patch_windows(state.taggram, &which, duration);
    let mut warnings = info.warnings;
    if state.all_zero {
        warnings.push(crate::classifier::SILENCE_WARNING.to_owned());
    }
    Ok(Pass::Done(BackboneAnalysis { penultimate: state.penultimate, windows, total, duration, warnings }))
}

/// The stream's state: the samples from the next chosen patch's first on, and the patches
/// waiting for the network.
struct State<'a> {
    n: usize,
    which: &'a [usize],
    next: usize,
    buf: Vec<f32>,
    /// The song's index of `buf[0]`.
    buf_start: usize,
    seen: usize,
    all_zero: bool,
    /// Why the song cannot be judged; once set, the rest is only counted.
    refused: Option<String>,
    batch: Vec<Array2>,
    penultimate: Vec<Vec<f32>>,
    taggram: Vec<Vec<f32>>,
}

impl State<'_> {
    fn push(&mut self, block: &[f32], nets: &[Musicnn], front: &MusicnnFrontEnd, device: &Device) {
        self.all_zero &= block.iter().all(|&v| v == 0.0);
        self.seen += block.len();
        if self.refused.is_some() {
            // Refused: only count.
            return;
        }
        self.buf.extend_from_slice(block);
        while let Some(&p) = self.which.get(self.next) {
            if self.seen < patch_span(p, self.n).1 {
                break;
            }
            let input = front.network_input_span(&self.buf, self.buf_start, p * PATCH_FRAMES, PATCH_FRAMES);
            // One rule with the whole-file path and `features`: a spectrogram that overflows
            // is refused, not judged.
            if !input.data.iter().all(|v| v.is_finite()) {
                self.refused = Some(spectrogram_overflow(&self.buf));
                self.buf.clear();
                return;
            }
            self.batch.push(input);
            self.next += 1;
            if self.batch.len() == BATCH {
                self.run_batch(nets, device);
            }
        }
        // Keep only what the next chosen patch reads (nothing once all are done).
        let keep_from = self.which.get(self.next).map_or(usize::MAX, |&p| patch_span(p, self.n).0);
        let drop = keep_from.saturating_sub(self.buf_start).min(self.buf.len());
        self.buf.drain(..drop);
        self.buf_start += drop;
    }

    fn run_batch(&mut self, nets: &[Musicnn], device: &Device) {
        run_batch(nets, device, &mut self.batch, &mut self.penultimate, &mut self.taggram);
    }
}

/// The waiting patches through the network, side by side in one input; their penultimate
/// features and tag probabilities are appended.
fn run_batch(nets: &[Musicnn], device: &Device, batch: &mut Vec<Array2>, penultimate: &mut Vec<Vec<f32>>, taggram: &mut Vec<Vec<f32>>) {
    if batch.is_empty() {
        return;
    }
    let (k, rows) = (batch.len(), batch[0].rows);
    let cols = k * PATCH_FRAMES;
    let mut data = vec![0f32; rows * cols];
    for (j, m) in batch.iter().enumerate() {
        for r in 0..rows {
            data[r * cols + j * PATCH_FRAMES..][..PATCH_FRAMES].copy_from_slice(&m.data[r * PATCH_FRAMES..][..PATCH_FRAMES]);
        }
    }
    let out = crate::musicnn::analyse_stack(nets, &Array2::from_vec(rows, cols, data), device, &(0..k).collect::<Vec<_>>());
    penultimate.extend(out.features);
    taggram.extend(out.taggram);
    batch.clear();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::musicnn::Backbone;
    use crate::ComputeDevice;

    /// The patches read by seeking (the path is taken: `analyse_spans` answers) give what
    /// decoding from start to end gives, number for number, on real clips in three formats
    /// and on five clips joined into one file.
    #[test]
    fn seeking_to_the_chosen_patches_equals_decoding_it_all() {
        let Some(shared) = genrecast_testutil::shared_dir() else { return };
        let device = ComputeDevice::Cpu.burn_device().expect("cpu");
        let net = Musicnn::pretrained(Backbone::MusicnnMsd, &device).expect("musicnn");
        let front = MusicnnFrontEnd::new().expect("front end");
        let data = shared.join("data");
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/muldjord-chaos-god-excerpt.ogg");
        for path in [data.join("gtzan/full_22k/jazz/jazz.00000.flac"), data.join("fma/fma_small/000/000002.mp3"), example] {
            for max in [Some(1), Some(3), Some(9)] {
                let seek = analyse_spans(std::slice::from_ref(&net), &front, &path, &device, max).expect("spans").expect("the span path is taken");
                let seq = analyse_file(std::slice::from_ref(&net), &front, &path, &device, max, 0.0, false).expect("sequential").expect("streamed");
                let what = format!("{} {max:?}", path.display());
                assert_eq!(seek.penultimate, seq.penultimate, "{what}: penultimate");
                assert_eq!(seek.total, seq.total, "{what}: total");
                assert_eq!(seek.duration, seq.duration, "{what}: duration");
                assert_eq!(seek.warnings, seq.warnings, "{what}: warnings");
                let spans = |a: &BackboneAnalysis| a.windows.iter().map(|w| (w.start, w.end, w.probabilities.clone())).collect::<Vec<_>>();
                assert_eq!(spans(&seek), spans(&seq), "{what}: windows");
            }
        }
    }
}
