/*!
Audio input for genrecast: decode a file, mix it to mono, resample it, and cut it into segments.

# Overview
- [`AudioStream`] opens any supported file and yields interleaved `f32` blocks, so memory stays
  flat for hour-long files. The container is told from the bytes, not the extension.
- [`load`] / [`stream_mono`] give mono audio at a target rate, as `librosa.load` does: the mean
  of the channels, then a linear-phase resampler ([`MonoResampler`], rubato) whose output
  agrees with librosa's `soxr_hq` to better than 50 dB SNR.
- A file cut short (a broken download, a full disk) decodes as far as it goes, with a warning
  that says how much was lost; strict streams ([`set_strict_default`], [`LoadOptions::strict`])
  refuse it instead. Corrupt packets beyond a small fraction are refused either way.
- [`read_tags`] reads what the file's tags say (title, artist, album, genre, track, year).
- [`SpanReader`] reads chosen stretches of a long file as [`load`] would return them, bit for
  bit, seeking past the rest where the format allows.
- [`segments`] cuts a waveform into fixed windows ([`SegmentConfig`], [`Segment`]).

| format | container | codecs | decoder |
|---|---|---|---|
| WAV | RIFF/RF64 | PCM 8/16/24/32, float 32/64, mu-law, A-law, ADPCM | symphonia |
| Sun AU | `.snd` | PCM 8/16/24/32, float 32/64, mu-law, A-law | [`au`] (ours: symphonia has none) |
| MP3 | MPEG audio | layer III (symphonia's `mp3` feature; layers I/II are not enabled) | symphonia |
| FLAC | native | FLAC | symphonia |
| Ogg | Ogg | Vorbis | symphonia |
| M4A | ISO MP4 | AAC-LC, ALAC | symphonia |

# Example
```no_run
use genrecast_audio::{load, LoadOptions};
let opts = LoadOptions { sample_rate: Some(22_050), offset: 10.0, duration: Some(5.0), ..Default::default() };
let wave = load("song.flac".as_ref(), &opts)?;
println!("{} samples at {} Hz", wave.samples.len(), wave.sample_rate);
# Ok::<(), genrecast_audio::Error>(())
```
*/
#![deny(missing_docs)]

pub mod au;
mod decode;
mod error;
mod load;
mod resample;
mod segment;
mod span;
mod tags;

pub use decode::{panic_is_reported_per_file, set_strict_default, sniff_container, strict_default, AudioStream, StreamInfo, PREROLL_FRAMES};
pub use error::{Error, Result};
pub use load::{decode_check, load, mix_to_mono, stream_mono, LoadOptions, Waveform, DEFAULT_SAMPLE_RATE};
pub use resample::{halve_rate, resample, KaiserLowpass, MonoResampler, ResampleQuality};
pub use segment::{segments, Segment, SegmentConfig, TailPolicy};
pub use span::SpanReader;
pub use tags::{read_tags, FileTags};
