//! Reading real files: our AU reader against FLAC of the same clips, offset/duration reads
//! against slices of whole-file reads, and channel mixdown.

use genrecast_audio::{load, AudioStream, LoadOptions};
use genrecast_testutil::shared_dir;

fn native() -> LoadOptions {
    LoadOptions { sample_rate: None, ..Default::default() }
}

/// GTZAN's original `.au` files and the provider's lossless FLAC of the same clips hold the
/// same 16-bit samples: two independent decoders (ours, symphonia's FLAC) must agree exactly.
#[test]
fn au_reader_equals_flac_of_the_same_clip() {
    let Some(shared) = shared_dir() else { return };
    let au_root = shared.join("data/gtzan/au_original");
    let mut compared = 0;
    for genre in std::fs::read_dir(&au_root).expect("au_original").flatten() {
        for au in std::fs::read_dir(genre.path()).expect("genre dir").flatten() {
            let au = au.path();
            let stem = au.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
            let flac = shared.join("data/gtzan/full_22k").join(genre.file_name()).join(format!("{stem}.flac"));
            if !flac.is_file() {
                continue;
            }
            let a = load(&au, &native()).unwrap_or_else(|e| panic!("{e}"));
            let f = load(&flac, &native()).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(a.sample_rate, 22_050);
            assert_eq!(a.samples, f.samples, "{stem}: AU and FLAC differ");
            compared += 1;
        }
    }
    assert!(compared >= 2, "only {compared} AU/FLAC pairs found");
}

/// An offset/duration read returns exactly that span of the whole file (FLAC: sample-exact
/// seek), without decoding from the start.
#[test]
fn offset_and_duration_read_the_same_span() {
    let Some(shared) = shared_dir() else { return };
    let path = shared.join("data/gtzan/full_22k/rock/rock.00000.flac");
    let whole = load(&path, &native()).expect("whole");
    let part = load(&path, &LoadOptions { offset: 10.0, duration: Some(5.0), ..native() }).expect("part");
    assert_eq!(part.samples.len(), 5 * 22_050);
    assert_eq!(part.samples[..], whole.samples[10 * 22_050..15 * 22_050]);
    // An mp3 seeks a run-up before the span (the decoder's state comes from the frames
    // before): the span is the whole file's, bit for bit.
    let mp3 = shared.join("data/fma/fma_small/000/000002.mp3");
    let whole = load(&mp3, &native()).expect("whole mp3");
    let part = load(&mp3, &LoadOptions { offset: 12.5, duration: Some(3.0), ..native() }).expect("part mp3");
    let start = (12.5 * 44_100.0) as usize;
    assert_eq!(part.samples.len(), 3 * 44_100);
    assert!(part.samples[..] == whole.samples[start..start + part.samples.len()], "mp3 offset read differs");
}

/// The 44.1 kHz stereo files are L = R (their README): the mixdown equals either channel.
#[test]
fn mixdown_is_mean_of_channels() {
    let Some(shared) = shared_dir() else { return };
    let path = shared.join("data/gtzan/first15s_44k_stereo/classical/classical.00000.flac");
    let mut stream = AudioStream::open(&path).expect("open");
    assert_eq!(stream.info().channels, 2);
    let mut left = Vec::new();
    while let Some(block) = stream.next_block().expect("decode") {
        left.extend(block.chunks_exact(2).map(|f| 0.5 * (f[0] + f[1])));
    }
    let mono = load(&path, &native()).expect("load");
    assert_eq!(mono.samples, left);
}

/// Decoding at the native rate and resampling afterwards gives exactly what decoding at the
/// target rate gives (the index decodes a file once and resamples it twice).
#[test]
fn resample_after_decoding_equals_decoding_at_the_rate() {
    let Some(shared) = genrecast_testutil::shared_dir() else { return };
    let path = shared.join("data/gtzan/first15s_44k_stereo/classical/classical.00000.flac");
    let native = genrecast_audio::load(&path, &genrecast_audio::LoadOptions { sample_rate: None, ..Default::default() }).expect("load");
    for rate in [16_000u32, 22_050] {
        let direct = genrecast_audio::load(&path, &genrecast_audio::LoadOptions { sample_rate: Some(rate), ..Default::default() }).expect("load");
        let after = genrecast_audio::resample(&native.samples, native.sample_rate, rate, genrecast_audio::ResampleQuality::High).expect("resample");
        assert_eq!(after, direct.samples, "{rate} Hz");
    }
}

fn hostile(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/tests/hostile").join(name)
}

fn strict() -> LoadOptions {
    LoadOptions { strict: true, ..native() }
}

/// An Ogg file whose last page claims 1 s (its granule position rewritten, CRC fixed) holds
/// the same 10 s as the file it was made from: all of it is decoded, with a warning, instead
/// of the 1 s the page claims; strict reading refuses it.
#[test]
fn ogg_last_page_that_lies_does_not_cut_the_song() {
    let good = load(&hostile("good_10s.ogg"), &native()).expect("good");
    assert_eq!(good.samples.len(), 10 * 22_050, "the source is 10 s at 22,050 Hz");
    assert!(good.warnings.is_empty(), "{:?}", good.warnings);
    let lying = load(&hostile("lying_last_page.ogg"), &native()).expect("decodes");
    assert_eq!(&lying.samples[..good.samples.len()], &good.samples[..], "the same packets decode to the same samples");
    // Only the encoder's padding at the very end, which the lying page hid, comes on top.
    assert!(lying.samples.len() - good.samples.len() < 8192, "{} extra", lying.samples.len() - good.samples.len());
    assert!(lying.warnings.iter().any(|w| w.contains("declares 1.000 s but the stream holds 10.0")), "{:?}", lying.warnings);
    let err = load(&hostile("lying_last_page.ogg"), &strict()).expect_err("strict refuses").to_string();
    assert!(err.contains("lying_last_page.ogg") && err.contains("stream holds"), "{err}");
}

/// A file cut short decodes as far as it goes, sample for sample the start of the whole file,
/// and says how much was lost; strict reading refuses it. Before, an Ogg file cut at 60 % of
/// its bytes passed without a word, and FLAC, WAV and AU files were refused outright.
#[test]
fn files_cut_short_decode_what_is_there_and_say_so() {
    let good = load(&hostile("good_10s.ogg"), &native()).expect("good");
    let cut = load(&hostile("truncated_60pct.ogg"), &native()).expect("decodes");
    assert!(cut.samples.len() > 22_050 * 3 && cut.samples.len() < good.samples.len(), "{} samples", cut.samples.len());
    assert_eq!(&cut.samples[..], &good.samples[..cut.samples.len()], "a prefix of the whole file");
    assert!(cut.warnings.iter().any(|w| w.starts_with("truncated") && w.contains("end-of-stream")), "{:?}", cut.warnings);
    let err = load(&hostile("truncated_60pct.ogg"), &strict()).expect_err("strict refuses").to_string();
    assert!(err.contains("truncated_60pct.ogg: truncated"), "{err}");

    // 5,000 bytes of a 16-bit mono WAV of 0.5 s at 22,050 Hz: a 44-byte header, then
    // (5000 - 44) / 2 = 2,478 whole frames of the 11,025 declared.
    let wav = load(&hostile("truncated_data.wav"), &native()).expect("decodes");
    assert_eq!(wav.samples.len(), 2478);
    assert!(wav.warnings.iter().any(|w| w.contains("declares 0.500 s, only 0.112 s could be decoded (0.388 s lost)")), "{:?}", wav.warnings);
    // The AU reader (ours) and the FLAC and MP3 decoders (symphonia) follow the same rule.
    for name in ["truncated_body.au", "truncated_half.flac", "truncated_xing.mp3"] {
        let w = load(&hostile(name), &native()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!w.samples.is_empty() && w.warnings.iter().any(|w| w.starts_with("truncated") && w.contains("lost")), "{name}: {:?}", w.warnings);
        let err = load(&hostile(name), &strict()).expect_err("strict refuses").to_string();
        assert!(err.contains(&format!("{name}: truncated")), "{err}");
    }
    // Nothing decodable is an error either way.
    assert!(load(&hostile("header_only.flac"), &native()).is_err());
    // 60 bytes of an MP3: cut inside its first frame, which is a cut, not an unknown format
    // (symphonia 0.6's probe alone calls it one).
    let err = load(&hostile("header_only.mp3"), &native()).expect_err("nothing to decode").to_string();
    assert!(err.contains("header_only.mp3: truncated"), "{err}");
}

/// What a red-team pass found wrong with the first version of the rule above: each case is a
/// whole file (or a file cut by one byte) that must read as its bytes say.
#[test]
fn whole_files_are_not_called_cut_and_cuts_are_not_called_corrupt() {
    let tmp = tempfile::tempdir().expect("tmp");
    let write = |name: &str, bytes: &[u8]| {
        let p = tmp.path().join(name);
        std::fs::write(&p, bytes).expect("write");
        p
    };
    let ogg = std::fs::read(hostile("good_10s.ogg")).expect("ogg");
    let good = load(&hostile("good_10s.ogg"), &native()).expect("good");
    // A whole Ogg file followed by an ID3v1 tag, or by padding: no page lost.
    for (name, tail) in [("id3v1.ogg", [b"TAG".as_slice(), &[b' '; 125]].concat()), ("padded.ogg", vec![0u8; 4096])] {
        let p = write(name, &[ogg.as_slice(), &tail].concat());
        let w = load(&p, &strict()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(w.warnings.is_empty() && w.samples == good.samples, "{name}: {:?}", w.warnings);
    }
    // A WAV written to a pipe says 0xFFFFFFFF for its sizes: read to the end, no warning.
    let mut wav = std::fs::read(hostile("good_pcm16_mono.wav")).expect("wav");
    assert_eq!(&wav[36..40], b"data", "a plain 44-byte header");
    let frames = (wav.len() - 44) / 2;
    wav[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    wav[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
    let w = load(&write("piped.wav", &wav), &strict()).expect("a piped WAV");
    assert!(w.warnings.is_empty() && w.samples.len() == frames, "{} of {frames}: {:?}", w.samples.len(), w.warnings);
    // One byte short: one frame lost, a cut and not corruption (it was "frames inside it are
    // corrupt", because the last PCM packet keeps its nominal length).
    let wav = std::fs::read(hostile("good_pcm16_mono.wav")).expect("wav");
    let w = load(&write("short.wav", &wav[..wav.len() - 1]), &native()).expect("decodes");
    assert_eq!(w.samples.len(), frames - 1);
    assert!(w.warnings.iter().any(|m| m.contains("(1 frame lost)")), "{:?}", w.warnings);
    // An offset read of a file cut short is judged the same as a whole read.
    let part = LoadOptions { offset: 1.0, ..native() };
    let w = load(&hostile("truncated_60pct.ogg"), &part).expect("decodes");
    assert!(w.warnings.iter().any(|m| m.contains("end-of-stream")), "{:?}", w.warnings);
    assert!(load(&hostile("truncated_half.flac"), &LoadOptions { offset: 0.5, strict: true, ..native() }).is_err());
    // An MP3 whose Xing header counts 0 frames declares nothing (it declared 2^64 - 1715
    // frames once the encoder delay was subtracted, and warned of 418 billion s lost).
    let mut mp3 = std::fs::read(hostile("truncated_xing.mp3")).expect("mp3");
    let xing = mp3.windows(4).position(|w| w == b"Xing" || w == b"Info").expect("a Xing header");
    assert!(mp3[xing + 7] & 1 == 1, "the frame count is present");
    mp3[xing + 8..xing + 12].copy_from_slice(&0u32.to_be_bytes());
    let w = load(&write("xing0.mp3", &mp3), &strict()).expect("no length, no judgement");
    assert!(w.warnings.is_empty() && w.samples.len() > 22_050 * 4, "{:?}", w.warnings);
}

/// M4A from ffmpeg leaves the channel count to the codec's own config: both AAC-LC and ALAC
/// decode (they were refused as "0 channels").
#[test]
fn m4a_from_ffmpeg_decodes() {
    let alac = load(&hostile("good_alac.m4a"), &native()).expect("alac");
    assert_eq!(alac.samples.len(), 2 * 22_050, "ALAC is lossless: exactly the 2 s encoded");
    let aac = load(&hostile("good_aac.m4a"), &native()).expect("aac");
    // AAC's priming and padding frames are not trimmed (symphonia reads no edit list, in 0.5
    // as in 0.6): with 0.6 all 45 packets decode, 46,080 frames, 1,980 more than the 2 s.
    assert!(aac.samples.len() >= 2 * 22_050 && aac.samples.len() <= 2 * 22_050 + 2048 + 1024, "{}", aac.samples.len());
}
