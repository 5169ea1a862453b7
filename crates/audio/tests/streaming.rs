//! Streaming decode + resample fed in uneven blocks against the whole file at once (#28): the
//! resampler keeps its state across blocks, and its stages run on fixed blocks counted from
//! the start of the stream, so how the input is cut must not change a single bit.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use genrecast_audio::{load, mix_to_mono, resample, AudioStream, LoadOptions, MonoResampler, ResampleQuality};

/// Block sizes that line up with nothing: single samples, primes, one above rubato's chunk
/// (4,096 input frames at 44.1 kHz -> 22.05 kHz) and far above it.
const PIECES: [usize; 8] = [1, 7, 1000, 4096, 4099, 13, 65_537, 2];

/// The example recording shipped with the repository: 30 s of Ogg Vorbis at 44.1 kHz, stereo.
fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/muldjord-chaos-god-excerpt.ogg")
}

/// Decodes `path` block by block and mixes to mono, then feeds the mono samples to a
/// [`MonoResampler`] in pieces of the sizes in [`PIECES`], in turn, across the decoder's
/// block boundaries. Holds at most one decoder block and one piece at a time.
fn stream_in_uneven_pieces(path: &Path, to: u32, quality: ResampleQuality) -> Vec<f32> {
    let mut stream = AudioStream::open(path).expect("open");
    let (from, channels) = (stream.info().sample_rate, usize::from(stream.info().channels));
    let mut resampler = MonoResampler::new(from, to, quality).expect("resampler");
    let mut queue = VecDeque::new();
    let mut mono = Vec::new();
    let mut out = Vec::new();
    let mut sizes = PIECES.iter().cycle();
    let mut want = *sizes.next().expect("non-empty");
    let mut ended = false;
    while !ended || !queue.is_empty() {
        if !ended && queue.len() < want {
            match stream.next_block().expect("decode") {
                Some(block) => {
                    mono.clear();
                    mix_to_mono(block, channels, &mut mono);
                    queue.extend(mono.iter().copied());
                }
                None => ended = true,
            }
            continue;
        }
        let piece: Vec<f32> = queue.drain(..want.min(queue.len())).collect();
        resampler.push(&piece, &mut out).expect("push");
        want = *sizes.next().expect("cycle");
    }
    resampler.finish(&mut out).expect("finish");
    out
}

#[test]
fn uneven_blocks_resample_to_exactly_the_whole_file_result() {
    let mut files = vec![example()];
    if let Some(shared) = genrecast_testutil::shared_dir() {
        files.push(shared.join("data/fma/fma_small/000/000002.mp3"));
    }
    for path in files {
        let native = load(&path, &LoadOptions { sample_rate: None, ..Default::default() }).expect("load");
        for (to, quality) in [(22_050, ResampleQuality::High), (16_000, ResampleQuality::High), (22_050, ResampleQuality::Fast)] {
            // The whole file decoded, then resampled in one call.
            let whole = resample(&native.samples, native.sample_rate, to, quality).expect("resample");
            let pieces = stream_in_uneven_pieces(&path, to, quality);
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            assert_eq!(pieces.len(), whole.len(), "{name} {to} Hz {quality:?}: length");
            let first = pieces.iter().zip(&whole).position(|(a, b)| a.to_bits() != b.to_bits());
            assert_eq!(first, None, "{name} {to} Hz {quality:?}: first sample that differs");
            // What `load` and `stream_mono` do: the decoder's own blocks, resampled as they come.
            let loaded = load(&path, &LoadOptions { sample_rate: Some(to), quality, ..Default::default() }).expect("load");
            assert!(loaded.samples == whole, "{name} {to} Hz {quality:?}: load differs from the whole-file result");
            println!("{name} {} Hz -> {to} Hz {quality:?}: {} samples, identical", native.sample_rate, whole.len());
        }
    }
}

/// Pieces far smaller than rubato's chunk, one sample at a time included, leave nothing behind
/// and produce nothing early: the length rule holds whatever the cut.
#[test]
fn single_samples_give_the_same_length_and_values() {
    let x: Vec<f32> = (0..30_011).map(|i| ((i * 7919) % 211) as f32 / 105.0 - 1.0).collect();
    let whole = resample(&x, 48_000, 22_050, ResampleQuality::High).expect("resample");
    let mut r = MonoResampler::new(48_000, 22_050, ResampleQuality::High).expect("resampler");
    let mut out = Vec::new();
    for s in &x {
        r.push(std::slice::from_ref(s), &mut out).expect("push");
    }
    r.finish(&mut out).expect("finish");
    assert_eq!(out.len() as u64, (x.len() as u64 * 22_050).div_ceil(48_000));
    assert!(out == whole, "one sample at a time differs from one call");
}
