//! Opening a file as a stream of interleaved `f32` frames, whatever its container.
//!
//! The container is told from the bytes, never from the extension: a WAV file named `.mp3`
//! decodes as WAV, and the mismatch is reported as a warning in [`StreamInfo`].
//!
//! Sun AU goes through our own reader ([`crate::au`]), everything else through symphonia 0.6,
//! one packet per block, so memory stays flat whatever the file's length. Samples are
//! converted to `f32` by symphonia's rules (`i16 / 32768`, ...), which are soundfile's too:
//! the GTZAN AU and FLAC clips come out bit for bit as `librosa.load` reads them
//! (`tests/librosa_load.rs`); lossy codecs differ in the last bits. Gapless trimming follows the
//! container: the encoder delay at the start is trimmed by symphonia's decoder, the padding at
//! the end by us, once we know no packet follows, so that a container that lies about where
//! the audio ends cannot cut it.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions, CODEC_ID_NULL_AUDIO};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, SeekMode, SeekTo};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::units::{Duration, Time};

use crate::au::{AuReader, MAGIC as AU_MAGIC};
use crate::error::{Error, Result};

/// Frames per block handed out by [`AudioStream::next_block`] for formats without packets.
const BLOCK_FRAMES: usize = 8192;
/// A lossy stream this many frames shorter than its header declares counts as truncated.
/// Headers of lossy files count encoder delay and padding differently from a gapless decode (a
/// LAME mp3 of 60 min declares 6,912 frames more than it yields), so they get this slack; real
/// truncation (a broken download, a full disk) is far larger. Lossless streams (PCM, FLAC)
/// declare their length exactly and get none.
const LOSSY_TRUNCATION_SLACK_FRAMES: u64 = 10_000;

/// Frames of encoder padding a lossy container may ask to trim off its last packets. A
/// container that asks for more is wrong about where the audio ends: an Ogg file whose last
/// page claims 1 s while it holds 2 hours had all but its first second trimmed away.
const MAX_END_PADDING_FRAMES: u64 = 8192;

static STRICT_DEFAULT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Sets whether streams opened from now on (by [`AudioStream::open`] and the default
/// [`LoadOptions`](crate::LoadOptions)) are strict: they refuse a file that is cut short or
/// whose header disagrees with its length, instead of decoding what is there with a warning.
/// A binary sets this once from its `--strict` flag.
///
/// # Example
/// ```
/// genrecast_audio::set_strict_default(true);
/// assert!(genrecast_audio::strict_default());
/// genrecast_audio::set_strict_default(false);
/// ```
pub fn set_strict_default(strict: bool) {
    STRICT_DEFAULT.store(strict, std::sync::atomic::Ordering::Relaxed);
}

/// Whether streams are strict by default; see [`set_strict_default`]. `false` unless set.
pub fn strict_default() -> bool {
    STRICT_DEFAULT.load(std::sync::atomic::Ordering::Relaxed)
}

fn seconds(frames: u64, rate: u32) -> String {
    format!("{:.3} s", frames as f64 / f64::from(rate.max(1)))
}

/// An amount lost: in seconds, or in frames when under a millisecond.
fn amount(frames: u64, rate: u32) -> String {
    if frames * 1000 < u64::from(rate) {
        format!("{frames} frame{}", if frames == 1 { "" } else { "s" })
    } else {
        seconds(frames, rate)
    }
}

/// Declared lengths beyond this (six years at 48 kHz) are no lengths: an MP3 whose Xing
/// header counts 0 frames gave 2^64 - 1715 after its delay was subtracted (symphonia 0.5), an
/// Ogg granule of -1 the same. Such a header is read as declaring nothing.
const MAX_DECLARED_FRAMES: u64 = 1 << 43;

/// Whether a header's frame count is a length at all (see [`MAX_DECLARED_FRAMES`]). A lossy
/// stream that declares 0 frames declares nothing either: symphonia 0.6 saturates the same
/// Xing count of 0 at 0 instead of wrapping it, and an encoder that wrote 0 wrote no count.
fn is_declared_length(frames: u64, codec: &str) -> bool {
    frames < MAX_DECLARED_FRAMES && !(frames == 0 && is_lossy(codec))
}

fn is_lossy(codec: &str) -> bool {
    matches!(codec, "mp1" | "mp2" | "mp3" | "vorbis" | "aac" | "opus")
}
/// More bad packets than this fraction of all packets and a file counts as corrupt.
const MAX_BAD_PACKET_FRACTION: f64 = 0.01;

/// What a file's header says about its audio.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StreamInfo {
    /// Container as told from the bytes: `wav`, `au`, `mp3`, `flac`, `ogg`, `mp4`, `mkv`.
    pub container: &'static str,
    /// Codec short name (`pcm_s16le`, `mp3`, `vorbis`, ...).
    pub codec: String,
    /// Native sample rate in Hz.
    pub sample_rate: u32,
    /// Channels per frame.
    pub channels: u16,
    /// Frames the header declares, where it declares them.
    pub declared_frames: Option<u64>,
    /// Bits per sample of the source, where meaningful.
    pub bits_per_sample: Option<u32>,
    /// Things worth knowing that did not stop decoding.
    pub warnings: Vec<String>,
}

/// Names the container in the first bytes of a file, or describes what they are instead.
///
/// # Errors
/// `Err(description)` when the bytes are no audio container we know.
pub fn sniff_container(head: &[u8]) -> std::result::Result<&'static str, String> {
    let starts = |m: &[u8]| head.len() >= m.len() && &head[..m.len()] == m;
    if starts(&AU_MAGIC) {
        return Ok("au");
    }
    if starts(b"RIFF") && head.len() >= 12 && &head[8..12] == b"WAVE" || starts(b"RF64") {
        return Ok("wav");
    }
    if starts(b"fLaC") {
        return Ok("flac");
    }
    if starts(b"OggS") {
        return Ok("ogg");
    }
    if head.len() >= 8 && &head[4..8] == b"ftyp" {
        return Ok("mp4");
    }
    if starts(&[0x1a, 0x45, 0xdf, 0xa3]) {
        return Ok("mkv");
    }
    if starts(b"ID3") || head.len() >= 2 && head[0] == 0xff && head[1] & 0xe0 == 0xe0 {
        return Ok("mp3");
    }
    if starts(b"FORM") {
        return Err("AIFF, which is not supported; convert it to WAV or FLAC".into());
    }
    let what = if starts(b"\x89PNG") {
        "a PNG image"
    } else if starts(b"\xff\xd8\xff") {
        "a JPEG image"
    } else if starts(b"%PDF") {
        "a PDF document"
    } else if starts(b"PK\x03\x04") {
        "a ZIP archive"
    } else if !head.is_empty() && head.iter().all(|&b| b == b'\n' || b == b'\r' || b == b'\t' || (0x20..0x7f).contains(&b)) {
        "text"
    } else {
        "unrecognised bytes"
    };
    Err(format!("content looks like {what}"))
}

/// Extensions we expect for each container, to warn about mislabelled files.
fn expected_extensions(container: &str) -> &'static [&'static str] {
    match container {
        "au" => &["au", "snd"],
        "wav" => &["wav", "wave"],
        "flac" => &["flac"],
        "ogg" => &["ogg", "oga", "opus"],
        "mp4" => &["m4a", "mp4", "aac", "m4b"],
        "mkv" => &["mka", "mkv", "webm"],
        "mp3" => &["mp3"],
        _ => &[],
    }
}

/// Frames a lossy decoder is run before the frame a seek asks for, so that its state there
/// is the one a decode from the start has: 16,384 frames, several times what MP3's bit
/// reservoir (up to 511 bytes back), synthesis filter (512 samples) and IMDCT overlap (one
/// granule), or Vorbis' longest overlapping window (8,192 samples), reach.
pub const PREROLL_FRAMES: u64 = 16_384;

/// Frames to decode before a seek's target for `codec`: none where each packet decodes on
/// its own (PCM, FLAC), [`PREROLL_FRAMES`] for the rest.
fn preroll_frames(codec: &str) -> u64 {
    if codec.starts_with("pcm_") || codec == "flac" {
        0
    } else {
        PREROLL_FRAMES
    }
}

/// Whether a seek in a stream of `codec` lands on the very frames a decode from the start
/// gives: the codecs checked on real files (`tests/seeking.rs`). Others (AAC, ALAC, ADPCM,
/// Opus) seek too, but a reader that must match the whole-file decode bit for bit reads them
/// from the start.
pub(crate) fn seeks_exactly(container: &str, codec: &str) -> bool {
    container == "au" || codec.starts_with("pcm_") || matches!(codec, "flac" | "mp3" | "vorbis")
}

/// What [`AudioStream::seek_frame`] decoded ahead of the caller.
enum Ahead {
    Nothing,
    /// `AudioStream::block` holds the first block after the seek.
    Block,
    /// The stream ends right after the seek.
    End,
}

enum Backend {
    Au(AuReader),
    Symphonia(Box<SymphoniaStream>),
}

struct SymphoniaStream {
    format: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    /// The last packet's frames, interleaved and converted to `f32`.
    sample_buf: Vec<f32>,
    /// Frames still to drop at the start after falling back from a failed seek to decoding from
    /// the start (counted in decoded frames, which from the start are the file's own indices).
    skip_frames: u64,
    /// After a seek: frames before this index are dropped, placed by the packets' timestamps
    /// rather than counted, since the first packets after a reset decode to fewer frames than
    /// they span (a Vorbis decoder has no previous block to overlap, and gives none).
    discard_before: Option<u64>,
    /// After a seek: where the first frames handed out lie (the index asked for, or later if
    /// the seek landed past it).
    landed: Option<u64>,
    packets: u64,
    bad_packets: u64,
    /// Where the last packet read ends, in frames (its timestamp plus its duration).
    last_end: u64,
    /// Decoded frames of packets the container asked to trim at their end (encoder padding),
    /// held untrimmed until it is known whether more packets follow them.
    held: Vec<f32>,
    /// Frames the container asked to trim off `held`.
    held_trim: u64,
    /// Frames dropped by `skip_frames` to reach the frame asked for.
    skipped: u64,
    /// The container asked to trim real audio (more than [`MAX_END_PADDING_FRAMES`], or
    /// before packets that follow): its end trims are ignored from then on.
    trim_lied: bool,
}

/// An open audio file that yields interleaved `f32` frames block by block, so that memory
/// stays flat whatever the file's length.
///
/// # Example
/// ```no_run
/// let mut stream = genrecast_audio::AudioStream::open("song.flac".as_ref())?;
/// let mut frames = 0;
/// while let Some(block) = stream.next_block()? {
///     frames += block.len() / stream.info().channels as usize;
/// }
/// # Ok::<(), genrecast_audio::Error>(())
/// ```
pub struct AudioStream {
    path: PathBuf,
    info: StreamInfo,
    backend: Backend,
    block: Vec<f32>,
    /// Frames handed out since the start or the last seek.
    frames_out: u64,
    /// What a seek decoded ahead to see where it landed, not yet handed out.
    ahead: Ahead,
    nonfinite: u64,
    strict: bool,
    /// The frame the decoder restarted at after the last seek (0 without one).
    start_frame: u64,
    /// Why the file is known to end early before decoding it (an Ogg file without its
    /// end-of-stream page).
    cut_short: Option<&'static str>,
    ended: bool,
}

impl AudioStream {
    /// Opens `path`, tells its container from its bytes, and reads its header.
    ///
    /// The stream is strict if [`strict_default`] says so; [`AudioStream::set_strict`] changes it.
    /// A lax stream decodes what a truncated file holds and says how much was lost in
    /// [`StreamInfo::warnings`]; a strict one refuses it with [`Error::Truncated`].
    ///
    /// # Errors
    /// [`Error::Empty`], [`Error::UnknownFormat`], [`Error::Unsupported`], [`Error::Malformed`],
    /// I/O errors; all name the file.
    pub fn open(path: &Path) -> Result<Self> {
        guard(path, || Self::open_inner(path))
    }

    fn open_inner(path: &Path) -> Result<Self> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.is_dir() {
            return Err(Error::Io {
                path: path.to_owned(),
                source: std::io::Error::other("is a directory, not a file"),
            });
        }
        if !meta.is_file() {
            // A FIFO would block the reader until someone writes to it, a device would be
            // read forever: neither is a song (they were reported as "empty" before).
            use std::os::unix::fs::FileTypeExt;
            let t = meta.file_type();
            let what = if t.is_fifo() {
                "a named pipe (FIFO)"
            } else if t.is_char_device() {
                "a character device"
            } else if t.is_block_device() {
                "a block device"
            } else if t.is_socket() {
                "a socket"
            } else {
                "not a regular file"
            };
            return Err(Error::Io { path: path.to_owned(), source: std::io::Error::other(format!("is {what}, not an audio file")) });
        }
        if meta.len() == 0 {
            return Err(Error::Empty { path: path.to_owned() });
        }
        let mut head = [0u8; 16];
        let n = read_head(path, &mut head)?;
        let container = sniff_container(&head[..n])
            .map_err(|detail| Error::UnknownFormat { path: path.to_owned(), detail })?;
        let mut warnings = Vec::new();
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        if let Some(ext) = &ext {
            if !expected_extensions(container).contains(&ext.as_str()) {
                warnings.push(format!("extension '.{ext}' but the content is {container}; decoded as {container}"));
            }
        }
        let mut cut_short = None;
        let (info, backend) = if container == "au" {
            let reader = AuReader::open(path)?;
            let h = reader.header();
            let info = StreamInfo {
                container,
                codec: h.encoding.name().to_owned(),
                sample_rate: h.sample_rate,
                channels: h.channels,
                declared_frames: Some(h.declared_frames),
                bits_per_sample: Some(8 * h.encoding.bytes() as u32),
                warnings,
            };
            (info, Backend::Au(reader))
        } else {
            let (mut info, stream) = open_symphonia(path, container)?;
            info.warnings = warnings;
            if container == "ogg" && !ogg_ends_with_end_of_stream(path)? {
                cut_short = Some("the file ends without Ogg's end-of-stream page");
            }
            (info, Backend::Symphonia(Box::new(stream)))
        };
        Ok(Self { path: path.to_owned(), info, backend, block: Vec::new(), frames_out: 0, ahead: Ahead::Nothing, nonfinite: 0, strict: strict_default(), start_frame: 0, cut_short, ended: false })
    }

    /// Makes this stream strict (refuse a file cut short, or whose header disagrees with its
    /// length) or lax (decode what is there and warn).
    pub fn set_strict(&mut self, strict: bool) {
        self.strict = strict;
    }

    /// What the header says.
    pub fn info(&self) -> &StreamInfo {
        &self.info
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many samples so far were NaN or infinite (float files only); they are read as 0.
    pub fn nonfinite_samples(&self) -> u64 {
        self.nonfinite
    }

    /// Moves to `frame` (at the native rate) so that the next block starts exactly there, with
    /// the values a decode from the start gives at the same indices.
    ///
    /// PCM, FLAC and Sun AU decode each packet on its own, and start at the packet that holds
    /// `frame`. A lossy decoder carries state from packet to packet (MP3's bit reservoir,
    /// synthesis filter and overlap; Vorbis' overlapping windows), so the decode starts
    /// [`PREROLL_FRAMES`] earlier and drops them: by `frame` the state is what the decode from
    /// the start has there (`tests/seeking.rs` checks it on real MP3 and Vorbis). Where
    /// the first frames lie is told from the packets' timestamps. A seek that fails, or lands
    /// past `frame` even with a longer run-up, falls back to decoding from the start and
    /// dropping `frame` frames.
    ///
    /// # Errors
    /// I/O and decoder errors.
    pub fn seek_frame(&mut self, frame: u64) -> Result<()> {
        self.frames_out = 0;
        self.ended = false;
        self.ahead = Ahead::Nothing;
        let preroll = match &mut self.backend {
            Backend::Au(r) => {
                self.start_frame = frame.min(r.header().n_frames);
                return r.seek_frame(frame);
            }
            Backend::Symphonia(_) => preroll_frames(&self.info.codec),
        };
        // A demuxer that lands past `frame` (its first packet after the seek starts later) is
        // asked again from further back.
        for run_up in [preroll, 4 * preroll.max(4096)] {
            if !self.seek_symphonia(frame.saturating_sub(run_up), frame)? {
                break;
            }
            let path = self.path.clone();
            let channels = usize::from(self.info.channels);
            let Backend::Symphonia(s) = &mut self.backend else { break };
            let got = guard(&path, || s.next_block(&path, channels, &mut self.block))?;
            match (got, s.landed) {
                (true, Some(at)) if at == frame => {
                    self.ahead = Ahead::Block;
                    return Ok(());
                }
                (true, _) => continue,
                // Nothing after `frame`: the file may end there, or before it (a file cut short
                // can seek into where its audio should be); only a decode from the start tells.
                (false, _) if frame > 0 => break,
                (false, _) => {
                    self.ahead = Ahead::End;
                    return Ok(());
                }
            }
        }
        self.restart_and_skip(frame)
    }

    /// Seeks symphonia's reader to `from`, to hand out frames from `frame` on; false when the
    /// reader cannot seek there.
    fn seek_symphonia(&mut self, from: u64, frame: u64) -> Result<bool> {
        let path = self.path.clone();
        let rate = self.info.sample_rate;
        let Backend::Symphonia(s) = &mut self.backend else { return Ok(false) };
        let time = frame_time(from, rate);
        let seeked = guard(&path, || {
            s.format
                .seek(SeekMode::Accurate, SeekTo::Time { time, track_id: Some(s.track_id) })
                .map_err(|e| sym_error(&path, e))
        });
        if seeked.is_err() {
            // Not every stream can seek (e.g. mp3 without an index past the end).
            return Ok(false);
        }
        s.decoder.reset();
        s.skip_frames = 0;
        s.skipped = 0;
        s.discard_before = Some(frame);
        s.landed = None;
        // Packets held for their end trim belong to where the reader was.
        s.held.clear();
        s.held_trim = 0;
        self.start_frame = frame;
        Ok(true)
    }

    /// Opens the file again and decodes from the start, dropping the first `frame` frames.
    fn restart_and_skip(&mut self, frame: u64) -> Result<()> {
        let (_, mut fresh) = open_symphonia(&self.path, self.info.container)?;
        fresh.skip_frames = frame;
        self.backend = Backend::Symphonia(Box::new(fresh));
        self.start_frame = 0;
        self.ahead = Ahead::Nothing;
        Ok(())
    }

    /// Goes back to the start of the file, decoding it as a fresh stream does (for formats
    /// whose seeks are not known to be exact).
    pub(crate) fn rewind(&mut self) -> Result<()> {
        self.frames_out = 0;
        self.ended = false;
        self.ahead = Ahead::Nothing;
        match &mut self.backend {
            Backend::Au(r) => {
                self.start_frame = 0;
                r.seek_frame(0)
            }
            Backend::Symphonia(_) => self.restart_and_skip(0),
        }
    }

    /// Frames from the start of the file to the end of the last block handed out (after a
    /// seek, the frames before it count as read).
    pub(crate) fn frames_reached(&self) -> u64 {
        let skipped = match &self.backend {
            Backend::Symphonia(s) => s.skipped,
            Backend::Au(_) => 0,
        };
        self.start_frame + skipped + self.frames_out
    }

    /// Packets that failed to decode so far (skipped, as a decode from the start skips them).
    pub(crate) fn bad_packets(&self) -> u64 {
        match &self.backend {
            Backend::Symphonia(s) => s.bad_packets,
            Backend::Au(_) => 0,
        }
    }

    /// Decodes the next block of interleaved frames; `None` at the end of the stream.
    ///
    /// # Errors
    /// [`Error::Truncated`] when the stream ends early, [`Error::Malformed`] when too many
    /// packets are corrupt, I/O errors.
    pub fn next_block(&mut self) -> Result<Option<&[f32]>> {
        if self.ended {
            return Ok(None);
        }
        let path = self.path.clone();
        let channels = usize::from(self.info.channels);
        let block = &mut self.block;
        let got = match std::mem::replace(&mut self.ahead, Ahead::Nothing) {
            Ahead::Block => true,
            Ahead::End => false,
            Ahead::Nothing => match &mut self.backend {
                Backend::Au(r) => r.read_frames(BLOCK_FRAMES, block)? > 0,
                Backend::Symphonia(s) => guard(&path, || s.next_block(&path, channels, block))?,
            },
        };
        if !got {
            self.ended = true;
            self.check_length()?;
            return Ok(None);
        }
        self.frames_out += (self.block.len() / channels.max(1)) as u64;
        // A float file can hold NaN or infinity (a broken encoder, a bit flip); one such sample
        // would make every feature of its frames, and the song's prediction, NaN. Read as
        // silence and counted.
        for v in self.block.iter_mut().filter(|v| !v.is_finite()) {
            *v = 0.0;
            self.nonfinite += 1;
        }
        Ok(Some(&self.block))
    }

    /// At the end of the stream: compares where the stream ended with what the header
    /// declared. Corruption is always refused; a file cut short, or longer than its header
    /// says, is refused when strict and otherwise kept with a warning that says how much.
    fn check_length(&mut self) -> Result<()> {
        let path = &self.path;
        let rate = self.info.sample_rate;
        let lossy = is_lossy(&self.info.codec);
        let slack = if lossy { LOSSY_TRUNCATION_SLACK_FRAMES } else { 0 };
        // Where the stream ended: after a seek, the frames before it count as read.
        let (bad, packets, last_end, trim_lied) = match &self.backend {
            Backend::Symphonia(s) => (s.bad_packets, s.packets, s.last_end, s.trim_lied),
            Backend::Au(_) => (0, 0, 0, false),
        };
        let reached = self.frames_reached();
        if let Some(expected) = self.info.declared_frames {
            if reached + slack < expected {
                // Frames lost to packets that failed to decode are corruption (a bit flip),
                // not a file cut short: say which. A FLAC stream whose frames run to the
                // declared end but hold fewer samples lost them inside, to corruption the
                // demuxer skipped over. (Only FLAC: a PCM packet cut by the end of the file
                // keeps its nominal length, and a lossy stream's timestamps come from its
                // container, which may lie.)
                if bad > 0 || self.info.codec == "flac" && last_end + slack >= expected {
                    return Err(Error::malformed(path, format!("only {reached} of the {expected} frames the header declares could be decoded, and the stream runs to its end: frames inside it are corrupt ({bad} of {packets} packets failed outright)")));
                }
                if self.strict || reached == 0 {
                    return Err(Error::Truncated { path: path.clone(), expected, decoded: reached });
                }
                self.info.warnings.push(format!(
                    "truncated: the header declares {}, only {} could be decoded ({} lost)",
                    seconds(expected, rate),
                    seconds(reached, rate),
                    amount(expected - reached, rate)
                ));
            } else if if lossy { trim_lied } else { reached > expected } {
                // A lossy stream runs past its declared end by its encoder's padding, which
                // the container trims: only a trim that covered real audio is a lie.
                let what = format!("the header declares {} but the stream holds {}", seconds(expected, rate), seconds(reached, rate));
                if self.strict {
                    return Err(Error::malformed(path, what));
                }
                self.info.warnings.push(format!("{what}; all of it was decoded"));
            }
        }
        if let Some(why) = self.cut_short {
            if self.strict || reached == 0 {
                return Err(Error::CutShort { path: path.clone(), reason: format!("{why}, after {}", seconds(reached, rate)) });
            }
            self.info.warnings.push(format!("truncated: {why}; {} decoded, how much is lost cannot be told", seconds(reached, rate)));
        }
        Ok(())
    }
}

impl SymphoniaStream {
    fn new(format: Box<dyn FormatReader>, decoder: Box<dyn AudioDecoder>, track_id: u32) -> Self {
        Self {
            format,
            decoder,
            track_id,
            sample_buf: Vec::new(),
            skip_frames: 0,
            discard_before: None,
            landed: None,
            packets: 0,
            bad_packets: 0,
            last_end: 0,
            held: Vec::new(),
            held_trim: 0,
            skipped: 0,
            trim_lied: false,
        }
    }

    /// The channel count of the first packet that decodes, for containers that leave it to
    /// the codec (the stream is used up: open it again).
    fn first_decoded_channels(&mut self) -> Option<usize> {
        for _ in 0..64 {
            let packet = self.format.next_packet().ok()??;
            if packet.track_id != self.track_id {
                continue;
            }
            if let Ok(decoded) = self.decoder.decode(&packet) {
                return Some(decoded.spec().channels().count());
            }
        }
        None
    }

    /// Fills `block` with the next decoded packet; false at the end.
    fn next_block(&mut self, path: &Path, channels: usize, block: &mut Vec<f32>) -> Result<bool> {
        loop {
            let mut packet = match self.format.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => return self.finish(path, channels, block),
                // Demuxers that read into a cut-off end report it as an I/O error.
                Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return self.finish(path, channels, block),
                Err(SymError::ResetRequired) => return self.finish(path, channels, block),
                Err(e) => return Err(sym_error(path, e)),
            };
            if packet.track_id != self.track_id {
                continue;
            }
            self.packets += 1;
            // The end trim is applied here, not by the decoder, so that a container that lies
            // about where the audio ends cannot make us drop it: the packet is decoded whole
            // and held until we know whether it was really the last.
            let trim = if self.trim_lied { 0 } else { packet.trim_end.get() };
            packet.dur = packet.dur.saturating_add(packet.trim_end);
            packet.trim_end = Duration::new(0);
            // Timestamps of encoder-delay frames are negative: those end before frame 0.
            let end_ts = packet.pts.saturating_add(packet.dur).get();
            let end = end_ts.max(0) as u64;
            self.last_end = self.last_end.max(end);
            let decoded = match self.decoder.decode(&packet) {
                Ok(d) => d,
                Err(SymError::DecodeError(_)) => {
                    // One corrupt frame in a long file is a glitch, not a lost song: skip it and
                    // judge the file by the fraction of bad packets at the end.
                    self.bad_packets += 1;
                    continue;
                }
                Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return self.finish(path, channels, block),
                Err(e) => return Err(sym_error(path, e)),
            };
            if decoded.frames() == 0 {
                continue;
            }
            let decoded_channels = decoded.spec().channels().count();
            if decoded_channels != channels {
                return Err(Error::unsupported(path, format!("channel count changes mid-stream ({channels} -> {decoded_channels})")));
            }
            decoded.copy_to_vec_interleaved(&mut self.sample_buf);
            let samples = &self.sample_buf[..];
            let frames = (samples.len() / channels) as u64;
            let mut skip = self.skip_frames.min(frames) as usize;
            self.skip_frames -= skip as u64;
            self.skipped += skip as u64;
            if let (Some(target), true) = (self.discard_before, frames > 0) {
                // A decoder that gives fewer frames than the packet spans trims them at its
                // start (encoder delay, a first packet after a reset): the frames it gives end
                // where the packet ends.
                let first = end_ts.saturating_sub(frames as i64);
                let target_ts = i64::try_from(target).unwrap_or(i64::MAX);
                if end_ts <= target_ts {
                    skip = frames as usize;
                } else {
                    skip = (target_ts.saturating_sub(first)).clamp(0, frames as i64) as usize;
                    self.discard_before = None;
                    self.landed = Some(u64::try_from(first).unwrap_or(0).max(target));
                }
            }
            let samples = &samples[skip * channels..];
            if trim > 0 {
                self.held.extend_from_slice(samples);
                self.held_trim += trim;
                if self.held_trim <= MAX_END_PADDING_FRAMES {
                    continue;
                }
                // More "padding" than any encoder adds: the container is wrong about the end.
                self.trim_lied = true;
            }
            block.clear();
            if !self.held.is_empty() {
                // Trimmed packets followed by more audio were not the end either.
                self.trim_lied = true;
                block.append(&mut self.held);
                self.held_trim = 0;
            }
            if trim == 0 {
                block.extend_from_slice(samples);
            }
            if !block.is_empty() {
                return Ok(true);
            }
        }
    }

    /// At the end of the packets: judges corruption, then hands out the held last packets
    /// with their end trim applied (once).
    fn finish(&mut self, path: &Path, channels: usize, block: &mut Vec<f32>) -> Result<bool> {
        if self.bad_packets > 0 && self.bad_packets as f64 > MAX_BAD_PACKET_FRACTION * self.packets as f64 {
            return Err(Error::malformed(path, format!(
                "{} of {} packets are corrupt",
                self.bad_packets, self.packets
            )));
        }
        let held_frames = (self.held.len() / channels.max(1)) as u64;
        let keep = held_frames.saturating_sub(self.held_trim) as usize * channels;
        self.held.truncate(keep);
        self.held_trim = 0;
        block.clear();
        block.append(&mut self.held);
        Ok(!block.is_empty())
    }
}

/// Whether the last whole page of an Ogg file carries the end-of-stream flag. A file cut
/// short (a broken download) ends in a partial page or in pages without it, and the demuxer
/// reads such a file to its last whole page without a word. Bytes after a whole last page
/// (an ID3v1 tag, padding) are allowed, as every player allows them.
fn ogg_ends_with_end_of_stream(path: &Path) -> Result<bool> {
    use std::io::{Seek, SeekFrom};
    const MAX_PAGE: u64 = 27 + 255 + 255 * 255;
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    let len = f.metadata().map_err(|e| Error::io(path, e))?.len();
    // Two pages' worth: the last whole page may sit before a partial one.
    let from = len.saturating_sub(2 * MAX_PAGE);
    f.seek(SeekFrom::Start(from)).map_err(|e| Error::io(path, e))?;
    let mut tail = Vec::with_capacity((len - from) as usize);
    f.read_to_end(&mut tail).map_err(|e| Error::io(path, e))?;
    // The last capture pattern that starts a whole page with a valid checksum.
    let mut at = tail.len();
    while let Some(i) = tail[..at].windows(4).rposition(|w| w == b"OggS") {
        at = i;
        let page = &tail[i..];
        if page.len() < 27 {
            continue;
        }
        let n_segments = usize::from(page[26]);
        let Some(table) = page.get(27..27 + n_segments) else { continue };
        let page_len = 27 + n_segments + table.iter().map(|&b| usize::from(b)).sum::<usize>();
        if page_len <= page.len() && ogg_page_crc(&page[..page_len]) == u32::from_le_bytes([page[22], page[23], page[24], page[25]]) {
            return Ok(page[5] & 0x04 != 0);
        }
    }
    Ok(false)
}

/// Ogg's page checksum: CRC-32 with polynomial 0x04C11DB7, not reflected, over the page with
/// its checksum field read as zero.
fn ogg_page_crc(page: &[u8]) -> u32 {
    let mut crc = 0u32;
    for (i, &byte) in page.iter().enumerate() {
        let byte = if (22..26).contains(&i) { 0 } else { byte };
        crc ^= u32::from(byte) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 { (crc << 1) ^ 0x04C1_1DB7 } else { crc << 1 };
        }
    }
    crc
}

/// The time of `frame` at `rate` Hz, rounded up to the next nanosecond: symphonia turns a time
/// back into a timestamp by truncating, so rounding down would land one frame early, and the
/// frame asked for would be missed by one.
fn frame_time(frame: u64, rate: u32) -> Time {
    let rate = u64::from(rate.max(1));
    let nanos = ((frame % rate) * 1_000_000_000).div_ceil(rate);
    Time::try_new(i64::try_from(frame / rate).unwrap_or(i64::MAX), nanos as u32).unwrap_or(Time::from_nanos(i64::MAX))
}

fn read_head(path: &Path, head: &mut [u8]) -> Result<usize> {
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    Ok(n)
}

/// What a WAV's chunks declare in its first 64 kB: the `fmt ` chunk's sample rate, and the
/// `data` chunk's size.
fn wav_header(path: &Path) -> Result<(Option<u32>, Option<u32>)> {
    let mut head = vec![0u8; 64 << 10];
    let n = read_head(path, &mut head)?;
    let head = &head[..n];
    let (mut rate, mut data_size) = (None, None);
    let mut at = 12; // "RIFF", size, "WAVE"
    while at + 8 <= head.len() {
        let size = u32::from_le_bytes([head[at + 4], head[at + 5], head[at + 6], head[at + 7]]);
        match &head[at..at + 4] {
            b"fmt " => rate = head.get(at + 12..at + 16).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            b"data" => {
                data_size = Some(size);
                break;
            }
            _ => {}
        }
        at = at.saturating_add(8).saturating_add(size as usize + (size as usize & 1));
    }
    Ok((rate, data_size))
}

/// Opens `path` with symphonia.
fn open_symphonia(path: &Path, container: &'static str) -> Result<(StreamInfo, SymphoniaStream)> {
    open_symphonia_with(path, container, None)
}

/// Opens `path` with symphonia; `known_channels` when the container does not say (an M4A
/// from ffmpeg leaves it to the codec's own config, which only its decoder reads).
fn open_symphonia_with(path: &Path, container: &'static str, known_channels: Option<usize>) -> Result<(StreamInfo, SymphoniaStream)> {
    let (lo, hi) = (crate::au::MIN_SAMPLE_RATE, crate::au::MAX_SAMPLE_RATE);
    // A WAV written to a pipe cannot go back to fill in its sizes: 0xFFFFFFFF means "to the
    // end of the file", not 24,000 s.
    let mut length_unknown = false;
    if container == "wav" {
        let (rate, data_size) = wav_header(path)?;
        // Checked before the demuxer sees it: a 0 Hz WAV made symphonia panic ("TimeBase
        // cannot have 0 numerator"), reported as a decoder crash instead of its cause.
        if let Some(rate) = rate.filter(|r| !(lo..=hi).contains(r)) {
            return Err(Error::malformed(path, format!("stream header says sample rate {rate} Hz ({lo}..={hi} allowed)")));
        }
        length_unknown = data_size == Some(u32::MAX);
    }
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    // The hint is what we sniffed, not the extension, so a mislabelled file still decodes.
    hint.with_extension(match container {
        "mp4" => "m4a",
        "mkv" => "mka",
        c => c,
    });
    let header_error = |e: SymError| match e {
        SymError::Unsupported(_) => Error::UnknownFormat {
            path: path.to_owned(),
            detail: format!("looks like {container} but no demuxer accepts it"),
        },
        SymError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            Error::UnexpectedEnd { path: path.to_owned(), context: "while reading the container headers" }
        }
        e => sym_error(path, e),
    };
    // Gapless trimming (encoder delay and padding) is always on in symphonia 0.6: the demuxer
    // marks it on the packets and the decoder trims it, as `enable_gapless: true` did in 0.5.
    let format: Box<dyn FormatReader> = match symphonia::default::get_probe().probe(&hint, mss, FormatOptions::default(), MetadataOptions::default()) {
        Ok(format) => format,
        // symphonia 0.6's probe reads an end of file met while scoring a demuxer as "not this
        // format": an MP3 cut inside its first frame (0.5 said the stream ends unexpectedly)
        // would read as an unknown format. Our sniffer saw an MPEG frame header, so the MP3
        // demuxer itself is asked what is wrong.
        Err(SymError::Unsupported(_)) if container == "mp3" => {
            let file = File::open(path).map_err(|e| Error::io(path, e))?;
            let mss = MediaSourceStream::new(Box::new(file), Default::default());
            Box::new(symphonia::default::formats::MpaReader::try_new(mss, FormatOptions::default()).map_err(header_error)?)
        }
        Err(e) => return Err(header_error(e)),
    };
    let audio_params = |t: &symphonia::core::formats::Track| -> Option<AudioCodecParameters> {
        t.codec_params.as_ref()?.audio().filter(|p| p.codec != CODEC_ID_NULL_AUDIO).cloned()
    };
    let (track_id, params, num_frames) = format
        .tracks()
        .iter()
        .find_map(|t| Some((t.id, audio_params(t)?, t.num_frames)))
        .ok_or_else(|| Error::malformed(path, "no audio track"))?;
    let codec = symphonia::default::get_codecs()
        .get_audio_decoder(params.codec)
        .map(|d| d.codec.info.short_name.to_owned())
        .unwrap_or_else(|| format!("unknown codec {}", params.codec));
    let sample_rate = params
        .sample_rate
        .filter(|&r| r > 0)
        .ok_or_else(|| Error::malformed(path, "no sample rate in the stream header"))?;
    // A corrupt header can claim gigahertz or a few hertz; resampling from there would build
    // filters of gigabytes or run for minutes (both found by fuzzing: WAVs claiming 2.9 GHz
    // and 14 Hz).
    if !(lo..=hi).contains(&sample_rate) {
        return Err(Error::malformed(path, format!("stream header says sample rate {sample_rate} Hz ({lo}..={hi} allowed)")));
    }
    let decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .map_err(|e| match e {
            SymError::Unsupported(_) => Error::unsupported(path, format!("codec {codec} in {container}")),
            e => sym_error(path, e),
        })?;
    let channels = params.channels.map(|c| c.count()).or(known_channels).unwrap_or(0);
    if channels == 0 {
        let mut stream = SymphoniaStream::new(format, decoder, track_id);
        return match stream.first_decoded_channels() {
            Some(n) if n > 0 => open_symphonia_with(path, container, Some(n)),
            _ => Err(Error::malformed(path, "stream header says 0 channels")),
        };
    }
    let declared_frames = num_frames.filter(|&n| !length_unknown && is_declared_length(n, &codec));
    let info = StreamInfo {
        container,
        codec,
        sample_rate,
        channels: channels as u16,
        declared_frames,
        bits_per_sample: params.bits_per_sample,
        warnings: Vec::new(),
    };
    let stream = SymphoniaStream::new(format, decoder, track_id);
    Ok((info, stream))
}

fn sym_error(path: &Path, e: SymError) -> Error {
    match e {
        SymError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Error::UnexpectedEnd { path: path.to_owned(), context: "inside a packet" }
        }
        SymError::IoError(source) => Error::Io { path: path.to_owned(), source },
        SymError::DecodeError(m) => Error::malformed(path, m),
        SymError::Unsupported(m) => Error::unsupported(path, m),
        SymError::LimitError(m) => Error::malformed(path, format!("limit exceeded: {m}")),
        SymError::SeekError(k) => Error::malformed(path, format!("seek failed: {k:?}")),
        SymError::ResetRequired => Error::unsupported(path, "stream parameters change mid-stream"),
        // The enum is non-exhaustive since symphonia 0.6: whatever comes later still names the
        // file and says what symphonia said.
        e => Error::malformed(path, e.to_string()),
    }
}

/// Runs `f`, turning a panic inside a decoder into [`Error::DecoderPanic`] so that one
/// hostile file cannot take a whole batch down.
pub(crate) fn guard<T>(path: &Path, f: impl FnOnce() -> Result<T>) -> Result<T> {
    GUARDED.with(|d| d.set(d.get() + 1));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    GUARDED.with(|d| d.set(d.get() - 1));
    match outcome {
        Ok(r) => r,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(Error::DecoderPanic { path: path.to_owned(), message })
        }
    }
}

thread_local! {
    /// How deep this thread is in [`guard`]s.
    static GUARDED: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Whether a panic now unwinding on this thread comes from inside a decoder that genrecast
/// catches and reports as an error of its file ([`Error::DecoderPanic`], with the panic's
/// message). A binary's panic hook can stay quiet for those and print every other panic.
///
/// # Example
/// ```
/// assert!(!genrecast_audio::panic_is_reported_per_file());
/// ```
pub fn panic_is_reported_per_file() -> bool {
    GUARDED.with(|d| d.get() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_names_containers_and_describes_garbage() {
        assert_eq!(sniff_container(b"RIFF\0\0\0\0WAVEfmt "), Ok("wav"));
        assert_eq!(sniff_container(b"fLaC\0\0"), Ok("flac"));
        assert_eq!(sniff_container(b".snd\0\0\0\x18"), Ok("au"));
        assert_eq!(sniff_container(b"ID3\x04"), Ok("mp3"));
        assert_eq!(sniff_container(&[0xff, 0xfb, 0x90, 0x00]), Ok("mp3"));
        assert_eq!(sniff_container(b"\0\0\0\x20ftypM4A "), Ok("mp4"));
        assert!(sniff_container(b"hello world\n").expect_err("an error").contains("text"));
        assert!(sniff_container(b"\x89PNG\r\n\x1a\n").expect_err("an error").contains("PNG"));
    }
}
