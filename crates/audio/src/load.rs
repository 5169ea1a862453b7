//! Loading a file as mono `f32` at a chosen rate, as `librosa.load` does.

use std::path::Path;

use crate::decode::{AudioStream, StreamInfo};
use crate::error::{Error, Result};
use crate::resample::{MonoResampler, ResampleQuality};

/// librosa's default target rate.
pub const DEFAULT_SAMPLE_RATE: u32 = 22_050;

/// How to load a file.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadOptions {
    /// Target rate in Hz; `None` keeps the native rate.
    ///
    /// Default: `Some(22050)` (librosa `sr`).
    pub sample_rate: Option<u32>,
    /// Start reading this many seconds into the file.
    ///
    /// Default: `0.0` (librosa `offset`).
    pub offset: f64,
    /// Read at most this many seconds.
    ///
    /// Default: `None`, to the end (librosa `duration`).
    pub duration: Option<f64>,
    /// Resampler.
    ///
    /// Default: [`ResampleQuality::High`].
    pub quality: ResampleQuality,
    /// Refuse a file that is cut short or whose header disagrees with its length, instead of
    /// decoding what is there and saying how much was lost in [`Waveform::warnings`]
    /// (librosa and ffmpeg decode what is there and say nothing).
    ///
    /// Default: [`strict_default`](crate::strict_default), `false` unless a binary set it.
    pub strict: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self { sample_rate: Some(DEFAULT_SAMPLE_RATE), offset: 0.0, duration: None, quality: ResampleQuality::High, strict: crate::strict_default() }
    }
}

/// Mono audio at a known rate.
#[derive(Clone, Debug)]
pub struct Waveform {
    /// Samples, nominally in `[-1, 1]`.
    pub samples: Vec<f32>,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// What the decoder noticed without refusing the file (NaN or infinite samples read as
    /// silence, a container that disagrees with its extension, ...), one sentence each.
    pub warnings: Vec<String>,
}

impl Waveform {
    /// Duration in seconds.
    pub fn duration(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.sample_rate)
    }
}

/// Mixes interleaved frames to mono by the mean of the channels (librosa `to_mono`).
///
/// # Example
/// ```
/// let mut mono = Vec::new();
/// genrecast_audio::mix_to_mono(&[1.0, 0.0, 0.5, 0.5], 2, &mut mono);
/// assert_eq!(mono, vec![0.5, 0.5]);
/// ```
pub fn mix_to_mono(interleaved: &[f32], channels: usize, out: &mut Vec<f32>) {
    if channels == 1 {
        out.extend_from_slice(interleaved);
        return;
    }
    let scale = 1.0 / channels as f32;
    out.extend(interleaved.chunks_exact(channels).map(|f| f.iter().sum::<f32>() * scale));
}

/// Decodes `path` block by block, mixes to mono, resamples, and hands each block of output to
/// `sink`. Memory stays flat whatever the file's length. Returns the stream's header info.
///
/// Samples outside `[offset, offset + duration)` (counted at the native rate, as librosa
/// does) are never handed out, and with an offset the decoder seeks instead of decoding
/// from the start.
///
/// # Errors
/// Decoding errors naming the file; [`Error::InvalidParameter`] for a negative offset or
/// duration.
pub fn stream_mono(path: &Path, opts: &LoadOptions, sink: impl FnMut(&[f32]) -> Result<()>) -> Result<StreamInfo> {
    stream_mono_sized(path, opts, |_| {}, sink)
}

/// As [`stream_mono`], telling `expect` first how many output samples the header promises.
fn stream_mono_sized(path: &Path, opts: &LoadOptions, expect: impl FnOnce(u64), mut sink: impl FnMut(&[f32]) -> Result<()>) -> Result<StreamInfo> {
    if !(opts.offset >= 0.0 && opts.offset.is_finite()) {
        return Err(Error::InvalidParameter { name: "offset", value: opts.offset.to_string(), expected: ">= 0 seconds" });
    }
    if let Some(d) = opts.duration {
        if !(d >= 0.0 && d.is_finite()) {
            return Err(Error::InvalidParameter { name: "duration", value: d.to_string(), expected: ">= 0 seconds" });
        }
    }
    let mut stream = AudioStream::open(path)?;
    stream.set_strict(opts.strict);
    let info = stream.info().clone();
    let native = info.sample_rate;
    let channels = usize::from(info.channels);
    let start = (opts.offset * f64::from(native)).round() as u64;
    let mut left = opts.duration.map(|d| (d * f64::from(native)).round() as u64).unwrap_or(u64::MAX);
    if start > 0 {
        stream.seek_frame(start)?;
    }
    let target = opts.sample_rate.unwrap_or(native);
    let mut resampler = MonoResampler::new(native, target, opts.quality)?;
    if let Some(declared) = info.declared_frames {
        let frames = declared.saturating_sub(start).min(left);
        expect(frames.saturating_mul(u64::from(target)) / u64::from(native.max(1)));
    }
    let mut mono = Vec::new();
    let mut out = Vec::new();
    let mut any = false;
    while left > 0 {
        let Some(block) = stream.next_block()? else { break };
        let frames = (block.len() / channels) as u64;
        let take = frames.min(left) as usize;
        left -= take as u64;
        mono.clear();
        mix_to_mono(&block[..take * channels], channels, &mut mono);
        out.clear();
        resampler.push(&mono, &mut out)?;
        any |= take > 0;
        if !out.is_empty() {
            sink(&out)?;
        }
    }
    out.clear();
    resampler.finish(&mut out)?;
    if !out.is_empty() {
        sink(&out)?;
    }
    if !any && opts.offset == 0.0 && opts.duration != Some(0.0) {
        return Err(Error::NoAudio { path: path.to_owned() });
    }
    // The stream's warnings now include what it found at the end (a file cut short).
    let mut info = stream.info().clone();
    if stream.nonfinite_samples() > 0 {
        info.warnings.push(format!("{} samples are NaN or infinite; they are read as 0", stream.nonfinite_samples()));
    }
    Ok(info)
}

/// Loads `path` as mono `f32` at `opts.sample_rate` (`librosa.load(path, sr=..., mono=True,
/// offset=..., duration=...)`).
///
/// # Example
/// ```no_run
/// use genrecast_audio::{load, LoadOptions};
/// let wave = load("song.mp3".as_ref(), &LoadOptions::default())?;
/// assert_eq!(wave.sample_rate, 22_050);
/// # Ok::<(), genrecast_audio::Error>(())
/// ```
///
/// # Errors
/// As [`stream_mono`].
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Waveform> {
    let samples = std::cell::RefCell::new(Vec::new());
    // Reserving what the header declares saves re-growing (and re-faulting) the buffer;
    // capped so that a lying header costs at most ten minutes' worth of address space.
    let reserve = |n: u64| samples.borrow_mut().reserve(n.min(600 * u64::from(opts.sample_rate.unwrap_or(48_000))) as usize + 1);
    let info = stream_mono_sized(path, opts, reserve, |b| {
        samples.borrow_mut().extend_from_slice(b);
        Ok(())
    })?;
    let samples = samples.into_inner();
    Ok(Waveform { samples, sample_rate: opts.sample_rate.unwrap_or(info.sample_rate), warnings: info.warnings })
}

/// Decodes the whole file without keeping it, to check that it decodes and count its frames.
///
/// # Errors
/// Decoding errors naming the file.
pub fn decode_check(path: &Path) -> Result<(StreamInfo, u64)> {
    let mut stream = AudioStream::open(path)?;
    let channels = usize::from(stream.info().channels);
    let mut frames = 0u64;
    while let Some(block) = stream.next_block()? {
        frames += (block.len() / channels) as u64;
    }
    if frames == 0 {
        return Err(Error::NoAudio { path: path.to_owned() });
    }
    let mut info = stream.info().clone();
    if stream.nonfinite_samples() > 0 {
        info.warnings.push(format!("{} samples are NaN or infinite; they are read as 0", stream.nonfinite_samples()));
    }
    Ok((info, frames))
}
