//! Stretches read through [`SpanReader`], which seeks, against the same indices of the whole
//! file decoded from the start by `load` (#28): bit for bit, on real recordings in every
//! format that seeks (FLAC at 22.05 and 44.1 kHz, 16-bit PCM WAV, Sun AU, MP3, Ogg Vorbis).

use std::path::{Path, PathBuf};

use genrecast_audio::{load, AudioStream, LoadOptions, ResampleQuality, SpanReader};

/// The example recording shipped with the repository: 30 s of Ogg Vorbis at 44.1 kHz, stereo.
fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/muldjord-chaos-god-excerpt.ogg")
}

/// A 16-bit PCM WAV of `path`'s frames as decoded (a 16-bit source converts back exactly).
fn pcm16_wav(path: &Path, out: &Path) {
    let mut stream = AudioStream::open(path).expect("open");
    let (rate, channels) = (stream.info().sample_rate, stream.info().channels);
    let mut pcm = Vec::new();
    while let Some(block) = stream.next_block().expect("decode") {
        pcm.extend(block.iter().flat_map(|v| ((v * 32_768.0).round().clamp(-32_768.0, 32_767.0) as i16).to_le_bytes()));
    }
    let block_align = 2 * u32::from(channels);
    let mut wav = Vec::with_capacity(44 + pcm.len());
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + pcm.len() as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&channels.to_le_bytes());
    wav.extend_from_slice(&rate.to_le_bytes());
    wav.extend_from_slice(&(rate * block_align).to_le_bytes());
    wav.extend_from_slice(&(block_align as u16).to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(pcm.len() as u32).to_le_bytes());
    wav.extend_from_slice(&pcm);
    std::fs::write(out, wav).expect("write wav");
}

/// Reads stretches of `path` in the order a window budget asks for them (and a few more: a
/// stretch that overlaps the last, one just after it, one back towards the start, one past
/// the end) and compares each with the whole file's samples at the same indices.
fn check(path: &Path, rate: u32, quality: ResampleQuality) {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let whole = load(path, &LoadOptions { sample_rate: Some(rate), quality, ..LoadOptions::default() }).expect("load");
    let n = whole.samples.len() as u64;
    let s = |seconds: f64| (seconds * f64::from(rate)) as u64;
    let spans = [
        (0, 800),
        (1_000, 2_000),
        (s(3.0) + 17, s(6.0)),
        (s(5.5), s(7.0)),
        (s(7.2), s(8.0)),
        (s(12.345), s(15.0)),
        (s(4.0), s(4.5)),
        (n - s(1.25), n + 500),
        (n + 10, n + 20),
    ];
    let mut reader = SpanReader::open(path, rate, quality).expect("open");
    assert!(reader.seeks(), "{name}: a format that seeks");
    for (start, end) in spans {
        let got = reader.read(start, end).expect("read");
        let want = &whole.samples[start.min(n) as usize..end.min(n) as usize];
        assert_eq!(got.len(), want.len(), "{name} {rate} Hz {quality:?} [{start}, {end}): length");
        let first = got.iter().zip(want).position(|(a, b)| a.to_bits() != b.to_bits());
        assert_eq!(first, None, "{name} {rate} Hz {quality:?} [{start}, {end}): first sample that differs");
    }
    assert_eq!(reader.total_samples().expect("length"), n, "{name}: length");
    assert_eq!(reader.info().warnings, whole.warnings, "{name}: warnings");
    assert!(reader.seek_count() >= 3, "{name}: {} seeks", reader.seek_count());
    let native = load(path, &LoadOptions { sample_rate: None, ..LoadOptions::default() }).expect("native").samples.len() as u64;
    println!("{name} -> {rate} Hz {quality:?}: identical; {} seeks, {} of {native} frames decoded", reader.seek_count(), reader.decoded_frames());
    assert!(reader.decoded_frames() < native * 3 / 4, "{name}: decoded {} of {native} frames", reader.decoded_frames());
}

#[test]
fn stretches_equal_the_whole_file_in_every_format_that_seeks() {
    check(&example(), 16_000, ResampleQuality::High);
    check(&example(), 22_050, ResampleQuality::Fast);
    let Some(shared) = genrecast_testutil::shared_dir() else { return };
    let data = shared.join("data");
    let tmp = tempfile::tempdir().expect("tmp");
    let stereo = data.join("gtzan/first15s_44k_stereo/classical/classical.00001.flac");
    let wav = tmp.path().join("classical.00001.wav");
    pcm16_wav(&stereo, &wav);
    let files = [
        data.join("gtzan/full_22k/jazz/jazz.00000.flac"),
        data.join("gtzan/full_16k/disco/disco.00004.flac"),
        stereo,
        wav,
        data.join("gtzan/au_original/blues/blues.00000.au"),
        data.join("fma/fma_small/000/000002.mp3"),
        data.join("fma/fma_small/000/000005.mp3"),
    ];
    for path in &files {
        check(path, 16_000, ResampleQuality::High);
    }
    check(&files[0], 22_050, ResampleQuality::High);
    check(&files[5], 22_050, ResampleQuality::Fast);
}

/// Spread evenly over a song several clips long, as a window budget spreads its patches:
/// each patch seeks, and the decoder runs through a small part of the file.
#[test]
fn a_spread_of_patches_over_joined_clips_equals_the_whole_file() {
    let Some(shared) = genrecast_testutil::shared_dir() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    // Five FLAC clips end to end, as one 16-bit WAV: 150 s at 22,050 Hz.
    let mut joined = Vec::new();
    for clip in ["jazz/jazz.00000", "metal/metal.00001", "blues/blues.00000", "reggae/reggae.00002", "jazz/jazz.00001"] {
        let y = load(&shared.join(format!("data/gtzan/full_22k/{clip}.flac")), &LoadOptions { sample_rate: None, ..LoadOptions::default() }).expect("clip");
        joined.extend(y.samples);
    }
    let flac_like = tmp.path().join("joined.wav");
    write_mono16(&joined, 22_050, &flac_like);
    let whole = load(&flac_like, &LoadOptions { sample_rate: Some(16_000), ..LoadOptions::default() }).expect("load").samples;
    let patch = 187 * 256 + 256;
    let mut reader = SpanReader::open(&flac_like, 16_000, ResampleQuality::High).expect("open");
    for k in 0..8 {
        let start = (2 * k + 1) * (whole.len() - patch) / 16;
        let got = reader.read(start as u64, (start + patch) as u64).expect("read");
        assert!(got[..] == whole[start..start + patch], "patch at {start}");
    }
    assert_eq!(reader.total_samples().expect("length"), whole.len() as u64);
    assert!(reader.decoded_frames() < joined.len() as u64 / 4, "decoded {} of {}", reader.decoded_frames(), joined.len());
}

/// A mono 16-bit PCM WAV of `samples` (16-bit values already: exact).
fn write_mono16(samples: &[f32], rate: u32, out: &Path) {
    let pcm: Vec<u8> = samples.iter().flat_map(|v| ((v * 32_768.0).round() as i16).to_le_bytes()).collect();
    let mut wav = Vec::with_capacity(44 + pcm.len());
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + pcm.len() as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&rate.to_le_bytes());
    wav.extend_from_slice(&(rate * 2).to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(pcm.len() as u32).to_le_bytes());
    wav.extend_from_slice(&pcm);
    std::fs::write(out, wav).expect("write wav");
}

/// A file cut short (a broken download): a stretch past where its audio stops comes back
/// short, and the length and the warning are the whole-file decode's.
#[test]
fn a_file_cut_short_reads_what_it_holds() {
    let Some(shared) = genrecast_testutil::shared_dir() else { return };
    let bytes = std::fs::read(shared.join("data/gtzan/full_22k/reggae/reggae.00002.flac")).expect("clip");
    let tmp = tempfile::tempdir().expect("tmp");
    let cut = tmp.path().join("cut.flac");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let whole = load(&cut, &LoadOptions { sample_rate: Some(16_000), ..LoadOptions::default() }).expect("load");
    let n = whole.samples.len();
    let mut reader = SpanReader::open(&cut, 16_000, ResampleQuality::High).expect("open");
    let got = reader.read(16_000, 48_000).expect("read");
    assert!(got[..] == whole.samples[16_000..48_000]);
    let got = reader.read(n as u64 - 1_000, 25 * 16_000).expect("read past the end");
    assert!(got[..] == whole.samples[n - 1_000..]);
    assert_eq!(reader.total_samples().expect("length"), n as u64);
    assert_eq!(reader.info().warnings, whole.warnings);
    assert!(whole.warnings.iter().any(|w| w.starts_with("truncated")), "{:?}", whole.warnings);
}
