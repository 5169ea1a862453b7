//! A streaming reader for Sun/NeXT AU files (`.au`, `.snd`), the format GTZAN ships.
//!
//! Written here because symphonia has no AU demuxer. It follows the layout in Sun's
//! `audio_filehdr.h`: six big-endian `u32` (magic `.snd`, data offset, data size, encoding,
//! sample rate, channels), an annotation up to the data offset, then interleaved big-endian
//! samples. Integer PCM is scaled as libsndfile does (`x / 2^(bits-1)`), so that our samples
//! equal what `librosa.load` reads through soundfile.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The AU magic number, `.snd`.
pub const MAGIC: [u8; 4] = *b".snd";
const HEADER_LEN: u32 = 24;
const UNKNOWN_SIZE: u32 = u32::MAX;
/// Bounds on sample rate and channels: beyond these a header is corrupt, not exotic (and
/// resampling from 14 Hz or 2.9 GHz, both found by fuzzing, would take minutes or gigabytes).
pub(crate) const MIN_SAMPLE_RATE: u32 = 1_000;
pub(crate) const MAX_SAMPLE_RATE: u32 = 1_536_000;
const MAX_CHANNELS: u32 = 64;

/// How AU samples are encoded (the header's `encoding` field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuEncoding {
    /// 1: 8-bit G.711 mu-law.
    MuLaw,
    /// 2: 8-bit signed linear PCM.
    Pcm8,
    /// 3: 16-bit linear PCM.
    Pcm16,
    /// 4: 24-bit linear PCM.
    Pcm24,
    /// 5: 32-bit linear PCM.
    Pcm32,
    /// 6: 32-bit IEEE float.
    Float32,
    /// 7: 64-bit IEEE float.
    Float64,
    /// 27: 8-bit G.711 A-law.
    ALaw,
}

impl AuEncoding {
    fn from_code(code: u32) -> Option<Self> {
        Some(match code {
            1 => Self::MuLaw,
            2 => Self::Pcm8,
            3 => Self::Pcm16,
            4 => Self::Pcm24,
            5 => Self::Pcm32,
            6 => Self::Float32,
            7 => Self::Float64,
            27 => Self::ALaw,
            _ => return None,
        })
    }
    /// Bytes per sample.
    pub fn bytes(self) -> usize {
        match self {
            Self::MuLaw | Self::ALaw | Self::Pcm8 => 1,
            Self::Pcm16 => 2,
            Self::Pcm24 => 3,
            Self::Pcm32 | Self::Float32 => 4,
            Self::Float64 => 8,
        }
    }
    /// A short codec name, in symphonia's style.
    pub fn name(self) -> &'static str {
        match self {
            Self::MuLaw => "pcm_mulaw",
            Self::ALaw => "pcm_alaw",
            Self::Pcm8 => "pcm_s8",
            Self::Pcm16 => "pcm_s16be",
            Self::Pcm24 => "pcm_s24be",
            Self::Pcm32 => "pcm_s32be",
            Self::Float32 => "pcm_f32be",
            Self::Float64 => "pcm_f64be",
        }
    }
    fn decode(self, b: &[u8]) -> f32 {
        match self {
            Self::MuLaw => mulaw_to_linear(b[0]) as f32 / 32768.0,
            Self::ALaw => alaw_to_linear(b[0]) as f32 / 32768.0,
            Self::Pcm8 => b[0] as i8 as f32 / 128.0,
            Self::Pcm16 => i16::from_be_bytes([b[0], b[1]]) as f32 / 32768.0,
            Self::Pcm24 => {
                (i32::from_be_bytes([b[0], b[1], b[2], 0]) >> 8) as f32 / 8_388_608.0
            }
            Self::Pcm32 => i32::from_be_bytes([b[0], b[1], b[2], b[3]]) as f32 / 2_147_483_648.0,
            Self::Float32 => f32::from_be_bytes([b[0], b[1], b[2], b[3]]),
            Self::Float64 => {
                f64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32
            }
        }
    }
}

/// G.711 mu-law to 16-bit linear (ITU-T G.711, as in Sun's `g711.c`).
fn mulaw_to_linear(u: u8) -> i16 {
    let u = !u;
    let t = ((((u & 0x0f) as i32) << 3) + 0x84) << ((u & 0x70) >> 4);
    (if u & 0x80 != 0 { 0x84 - t } else { t - 0x84 }) as i16
}

/// G.711 A-law to 16-bit linear (ITU-T G.711, as in Sun's `g711.c`).
fn alaw_to_linear(a: u8) -> i16 {
    let a = a ^ 0x55;
    let mut t = ((a & 0x0f) as i32) << 4;
    let seg = (a & 0x70) >> 4;
    match seg {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= seg - 1;
        }
    }
    (if a & 0x80 != 0 { t } else { -t }) as i16
}

/// The parsed header of an AU file.
#[derive(Clone, Debug)]
pub struct AuHeader {
    /// Byte offset of the first sample.
    pub data_offset: u64,
    /// Number of whole frames in the data section.
    pub n_frames: u64,
    /// Frames the header's data size declares; more than `n_frames` when the file is cut
    /// short (or the size is absurd).
    pub declared_frames: u64,
    /// Sample encoding.
    pub encoding: AuEncoding,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Channels per frame.
    pub channels: u16,
}

impl AuHeader {
    /// Parses and validates the 24-byte header of a file of `file_len` bytes.
    ///
    /// # Errors
    /// [`Error::Malformed`] for a bad magic, an impossible offset, rate or channel count;
    /// [`Error::Unsupported`] for encodings other than the eight above.
    pub fn parse(path: &Path, h: &[u8; 24], file_len: u64) -> Result<Self> {
        let word = |i: usize| u32::from_be_bytes([h[4 * i], h[4 * i + 1], h[4 * i + 2], h[4 * i + 3]]);
        if h[..4] != MAGIC {
            return Err(Error::malformed(path, "AU magic '.snd' missing"));
        }
        let (offset, size, code, rate, channels) = (word(1), word(2), word(3), word(4), word(5));
        if offset < HEADER_LEN || u64::from(offset) > file_len {
            return Err(Error::malformed(
                path,
                format!("AU data offset {offset} outside the file (24..={file_len} bytes)"),
            ));
        }
        let encoding = AuEncoding::from_code(code)
            .ok_or_else(|| Error::unsupported(path, format!("AU encoding {code} (only PCM 8/16/24/32, float, double, mu-law and A-law are)")))?;
        if channels == 0 || channels > MAX_CHANNELS {
            return Err(Error::malformed(path, format!("AU header says {channels} channels (1..={MAX_CHANNELS} allowed)")));
        }
        if !(MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&rate) {
            return Err(Error::malformed(path, format!("AU header says sample rate {rate} Hz ({MIN_SAMPLE_RATE}..={MAX_SAMPLE_RATE} allowed)")));
        }
        let frame_bytes = encoding.bytes() as u64 * u64::from(channels);
        let available = file_len - u64::from(offset);
        // A data size past the end of the file (a cut download) reads what is there; the
        // stream compares it with `declared_frames` at the end and says how much was lost.
        let declared_frames = if size == UNKNOWN_SIZE { available / frame_bytes } else { u64::from(size) / frame_bytes };
        let n_frames = declared_frames.min(available / frame_bytes);
        Ok(Self { data_offset: u64::from(offset), n_frames, declared_frames, encoding, sample_rate: rate, channels: channels as u16 })
    }
}

/// Streams interleaved `f32` frames out of an AU file.
pub struct AuReader {
    path: PathBuf,
    reader: BufReader<File>,
    header: AuHeader,
    position: u64,
    raw: Vec<u8>,
}

impl AuReader {
    /// Opens `path` and reads its header.
    ///
    /// # Errors
    /// I/O errors and the header errors of [`AuHeader::parse`].
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        let mut reader = BufReader::with_capacity(1 << 16, file);
        let mut h = [0u8; 24];
        reader.read_exact(&mut h).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => Error::malformed(path, "AU header shorter than 24 bytes"),
            _ => Error::io(path, e),
        })?;
        let header = AuHeader::parse(path, &h, file_len)?;
        reader.seek(SeekFrom::Start(header.data_offset)).map_err(|e| Error::io(path, e))?;
        Ok(Self { path: path.to_owned(), reader, header, position: 0, raw: Vec::new() })
    }

    /// The parsed header.
    pub fn header(&self) -> &AuHeader {
        &self.header
    }

    /// Positions the reader at `frame` (clamped to the end).
    ///
    /// # Errors
    /// I/O errors.
    pub fn seek_frame(&mut self, frame: u64) -> Result<()> {
        let frame = frame.min(self.header.n_frames);
        let frame_bytes = (self.header.encoding.bytes() * usize::from(self.header.channels)) as u64;
        self.reader
            .seek(SeekFrom::Start(self.header.data_offset + frame * frame_bytes))
            .map_err(|e| Error::io(&self.path, e))?;
        self.position = frame;
        Ok(())
    }

    /// Reads up to `max_frames` frames into `out` (cleared first, interleaved).
    /// Returns the number of frames read, 0 at the end.
    ///
    /// # Errors
    /// I/O errors; [`Error::Truncated`] if the file shrank under us.
    pub fn read_frames(&mut self, max_frames: usize, out: &mut Vec<f32>) -> Result<usize> {
        out.clear();
        let left = self.header.n_frames - self.position;
        let n = (max_frames as u64).min(left) as usize;
        if n == 0 {
            return Ok(0);
        }
        let bps = self.header.encoding.bytes();
        let frame_bytes = bps * usize::from(self.header.channels);
        self.raw.resize(n * frame_bytes, 0);
        self.reader.read_exact(&mut self.raw).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => Error::Truncated {
                path: self.path.clone(),
                expected: self.header.n_frames,
                decoded: self.position,
            },
            _ => Error::io(&self.path, e),
        })?;
        let enc = self.header.encoding;
        out.extend(self.raw.chunks_exact(bps).map(|b| enc.decode(b)));
        self.position += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mulaw_matches_g711_table_ends() {
        // G.711: 0x00 -> -32124, 0x80 -> 32124, 0xff -> 0, 0x7f -> 0.
        assert_eq!(mulaw_to_linear(0x00), -32124);
        assert_eq!(mulaw_to_linear(0x80), 32124);
        assert_eq!(mulaw_to_linear(0xff), 0);
        assert_eq!(mulaw_to_linear(0x7f), 0);
    }

    #[test]
    fn alaw_matches_g711_table_ends() {
        // G.711: 0xd5 -> 8, 0x55 -> -8, 0xaa -> 32256, 0x2a -> -32256.
        assert_eq!(alaw_to_linear(0xd5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        assert_eq!(alaw_to_linear(0xaa), 32256);
        assert_eq!(alaw_to_linear(0x2a), -32256);
    }

    #[test]
    fn pcm24_sign_extends() {
        assert_eq!(AuEncoding::Pcm24.decode(&[0x80, 0, 0]), -1.0);
        assert_eq!(AuEncoding::Pcm24.decode(&[0x40, 0, 0]), 0.5);
    }

    fn header(words: [u32; 6]) -> [u8; 24] {
        let mut h = [0u8; 24];
        for (i, w) in words.iter().enumerate() {
            h[4 * i..4 * i + 4].copy_from_slice(&w.to_be_bytes());
        }
        h
    }

    #[test]
    fn header_rejects_impossible_values_and_keeps_a_cut_files_declared_size() {
        let p = Path::new("x.au");
        let magic = u32::from_be_bytes(MAGIC);
        assert!(matches!(AuHeader::parse(p, &header([magic, 24, 100, 3, 22050, 0]), 124), Err(Error::Malformed { .. })));
        // A data size past the end reads what is there and keeps the declared size to compare.
        let cut = AuHeader::parse(p, &header([magic, 24, 1 << 30, 3, 22050, 1]), 124).expect("a cut file still parses");
        assert_eq!((cut.n_frames, cut.declared_frames), (50, (1 << 30) / 2));
        assert!(matches!(AuHeader::parse(p, &header([magic, 1 << 30, 100, 3, 22050, 1]), 124), Err(Error::Malformed { .. })));
        assert!(matches!(AuHeader::parse(p, &header([magic, 24, 100, 23, 22050, 1]), 124), Err(Error::Unsupported { .. })));
        let ok = AuHeader::parse(p, &header([magic, 24, UNKNOWN_SIZE, 3, 22050, 2]), 24 + 4 * 10 + 3).expect("valid test input");
        assert_eq!(ok.n_frames, 10);
    }
}
