//! Reading chosen stretches of a file as mono samples at a target rate, seeking past the rest.
//!
//! A long recording judged from a few windows needs a few seconds of it; decoding two hours
//! to keep a minute is most of the work. [`SpanReader`] seeks the decoder to a little before
//! each stretch ([`AudioStream::seek_frame`]: exact for PCM, FLAC, AU, and for MP3 and Vorbis
//! after a run-up of [`PREROLL_FRAMES`](crate::PREROLL_FRAMES)), and starts a resampler at the
//! phase the whole file's resampler has there ([`MonoResampler::starting_at`]), so that the
//! samples it returns are those of [`load`](crate::load) at the same indices, bit for bit
//! (`tests/seeking.rs`). Formats whose seeks are not known to be exact (AAC and ALAC in MP4,
//! ADPCM, Opus) are read from the start, dropping what lies between the stretches.

use std::path::Path;

use crate::decode::{seeks_exactly, AudioStream, StreamInfo};
use crate::error::Result;
use crate::load::mix_to_mono;
use crate::resample::{MonoResampler, ResampleQuality};

/// Reads stretches `[start, end)` of a file's mono samples at a target rate (indices as in
/// [`load`](crate::load) at that rate), seeking where the format allows: memory and time
/// follow what is read, not the file's length.
///
/// Stretches are best asked for in order. One that starts less than a second after the last
/// one read is reached by decoding on; one that overlaps the last is served from what is kept
/// of it; any other is a seek.
///
/// # Example
/// ```no_run
/// use genrecast_audio::{ResampleQuality, SpanReader};
/// let mut reader = SpanReader::open("concert.flac".as_ref(), 16_000, ResampleQuality::High)?;
/// // Three seconds from the one-hour mark: about three seconds are decoded.
/// let y = reader.read(3600 * 16_000, 3603 * 16_000)?;
/// assert_eq!(y.len(), 3 * 16_000);
/// # Ok::<(), genrecast_audio::Error>(())
/// ```
pub struct SpanReader {
    stream: AudioStream,
    rate: u32,
    quality: ResampleQuality,
    channels: usize,
    seeks: bool,
    /// Where the samples come from now; `None` before the first read, and after
    /// [`total_samples`](Self::total_samples) decoded the end without resampling it.
    resampler: Option<MonoResampler>,
    /// Output samples from index `buf_start` on.
    buf: Vec<f32>,
    buf_start: u64,
    /// The stream has ended and the resampler is flushed: `buf` runs to the file's end.
    finished: bool,
    mono: Vec<f32>,
    decoded: u64,
    seek_count: u64,
    total: Option<u64>,
    /// Nothing has been decoded since the file was opened.
    untouched: bool,
}

impl SpanReader {
    /// Opens `path` to read its mono samples at `rate` Hz through a resampler of `quality`.
    /// The stream is strict as [`strict_default`](crate::strict_default) says.
    ///
    /// # Errors
    /// As [`AudioStream::open`].
    pub fn open(path: &Path, rate: u32, quality: ResampleQuality) -> Result<Self> {
        let stream = AudioStream::open(path)?;
        let info = stream.info();
        let seeks = seeks_exactly(info.container, &info.codec);
        let channels = usize::from(info.channels).max(1);
        Ok(Self { stream, rate, quality, channels, seeks, resampler: None, buf: Vec::new(), buf_start: 0, finished: false, mono: Vec::new(), decoded: 0, seek_count: 0, total: None, untouched: true })
    }

    /// Whether this file's format seeks to the very samples a decode from the start gives
    /// (PCM WAV, Sun AU, FLAC, MP3, Ogg Vorbis). Without it, stretches are still the whole
    /// file's, but reached by decoding from the start.
    pub fn seeks(&self) -> bool {
        self.seeks
    }

    /// What the header says, and what the stream noticed so far (after
    /// [`total_samples`](Self::total_samples): what it found at the end, as a whole-file
    /// decode reports it).
    pub fn info(&self) -> &StreamInfo {
        self.stream.info()
    }

    /// Frames decoded so far, at the native rate (run-ups and the end included).
    pub fn decoded_frames(&self) -> u64 {
        self.decoded
    }

    /// Seeks made so far.
    pub fn seek_count(&self) -> u64 {
        self.seek_count
    }

    /// Packets that failed to decode in what was read. A decode from the start skips such a
    /// packet and moves everything after it earlier; the stretches here stay where the
    /// container's timestamps put them, so with any they may differ.
    pub fn bad_packets(&self) -> u64 {
        self.stream.bad_packets()
    }

    /// Samples read so far that were NaN or infinite (read as 0, as [`load`](crate::load)
    /// reads them).
    pub fn nonfinite_samples(&self) -> u64 {
        self.stream.nonfinite_samples()
    }

    /// Samples `start..end` at the target rate: `load(path)[start..end]`, bit for bit, or fewer
    /// where the file ends first (none when it ends before `start`).
    ///
    /// # Errors
    /// Decoding errors naming the file, as [`load`](crate::load) reports them.
    pub fn read(&mut self, start: u64, end: u64) -> Result<Vec<f32>> {
        let buf_end = self.buf_start + self.buf.len() as u64;
        // Past the end, once it is known: a seek there would find nothing, and a format that
        // cannot tell would be decoded from the start to find it out.
        let past_end = self.total.is_some_and(|n| start >= n) || self.finished && start >= buf_end;
        if end <= start || past_end {
            return Ok(Vec::new());
        }
        let on_course = self.resampler.is_some() && start >= self.buf_start;
        if !(on_course && (start <= buf_end + u64::from(self.rate) || !self.seeks)) {
            self.start_at(start)?;
        }
        loop {
            // What lies before `start` is dropped as it comes, so that decoding on through a
            // gap holds no more than a block of it.
            let from = (start.saturating_sub(self.buf_start)).min(self.buf.len() as u64) as usize;
            self.buf.drain(..from);
            self.buf_start += from as u64;
            if self.buf_start + (self.buf.len() as u64) >= end || self.finished {
                break;
            }
            self.decode_block()?;
        }
        let n = ((end - start) as usize).min(self.buf.len());
        Ok(self.buf[..n].to_vec())
    }

    /// The file's length in samples at the target rate, as [`load`](crate::load) would return
    /// them: the stream's true end, found by decoding its last second (after a seek, where
    /// the format allows), not the header's word. Also fills [`info`](Self::info)'s warnings
    /// with what the end shows (a file cut short, or longer than its header says).
    ///
    /// # Errors
    /// As [`read`](Self::read).
    pub fn total_samples(&mut self) -> Result<u64> {
        if let Some(n) = self.total {
            return Ok(n);
        }
        if !self.finished {
            let native = self.stream.info().sample_rate;
            let reached = self.stream.frames_reached();
            // Seek only forwards: a stream read from the start keeps counting.
            let tail = self.stream.info().declared_frames.map(|d| d.saturating_sub(u64::from(native)));
            if let Some(tail) = tail.filter(|&t| self.seeks && t > reached + u64::from(native)) {
                self.stream.seek_frame(tail)?;
                self.seek_count += 1;
            }
            self.untouched = false;
            while let Some(block) = self.stream.next_block()? {
                self.decoded += (block.len() / self.channels) as u64;
            }
            // What was decoded was not resampled: the next read starts afresh.
            self.resampler = None;
            self.buf.clear();
            self.finished = false;
        }
        let frames = self.stream.frames_reached();
        let native = u64::from(self.stream.info().sample_rate.max(1));
        let n = (frames * u64::from(self.rate)).div_ceil(native);
        self.total = Some(n);
        Ok(n)
    }

    /// Restarts the resampler so that its first output is sample `start`, seeking the stream
    /// to the frames it needs (or, where the format does not seek exactly, decoding from the
    /// start).
    fn start_at(&mut self, start: u64) -> Result<()> {
        let native = self.stream.info().sample_rate;
        let resampler = if self.seeks {
            MonoResampler::starting_at(native, self.rate, self.quality, start)?
        } else {
            let mut r = MonoResampler::new(native, self.rate, self.quality)?;
            r.drop_outputs(start);
            r
        };
        let from = resampler.input_start();
        if self.seeks && !(self.untouched && from == 0) {
            self.stream.seek_frame(from)?;
            self.seek_count += 1;
        } else if !self.untouched {
            self.stream.rewind()?;
        }
        self.untouched = false;
        self.resampler = Some(resampler);
        self.buf.clear();
        self.buf_start = start;
        self.finished = false;
        Ok(())
    }

    /// Decodes one block and resamples it into `buf`; at the end of the stream, flushes the
    /// resampler.
    fn decode_block(&mut self) -> Result<()> {
        let Some(resampler) = &mut self.resampler else {
            self.finished = true;
            return Ok(());
        };
        let start = resampler.input_start();
        match self.stream.next_block()? {
            Some(block) => {
                self.decoded += (block.len() / self.channels) as u64;
                self.mono.clear();
                mix_to_mono(block, self.channels, &mut self.mono);
                resampler.push(&self.mono, &mut self.buf)?;
            }
            None => {
                // A stream that ends before the frame the resampler starts at holds none of
                // the stretch: flushing would make up samples from the zeros it pads with.
                if self.stream.frames_reached() > start {
                    resampler.finish(&mut self.buf)?;
                }
                self.finished = true;
            }
        }
        Ok(())
    }
}
