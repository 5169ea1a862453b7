//! A long file analysed as it decodes (in flat memory) against the same file decoded whole:
//! the same patches, the same numbers, bit for bit. Real GTZAN clips stand in for long
//! songs by setting the streaming threshold to 0 s.

use genrecast_audio::{load, LoadOptions};
use genrecast_features::{FeatureConfig, FeatureExtractor};
use genrecast_models::{summary_vector, summary_vector_file, Aggregation, Backbone, Classifier, Prediction, Tagger, DEFAULT_MODEL};
use genrecast_testutil::shared_dir;

fn same(streamed: &Prediction, whole: &Prediction, what: &str) {
    assert_eq!(streamed.probabilities, whole.probabilities, "{what}: probabilities");
    assert_eq!(streamed.embedding, whole.embedding, "{what}: embedding");
    assert_eq!(streamed.tags, whole.tags, "{what}: tags");
    assert_eq!(streamed.windows_total, whole.windows_total, "{what}: windows_total");
    assert_eq!(streamed.duration, whole.duration, "{what}: duration");
    assert_eq!(streamed.windows.len(), whole.windows.len(), "{what}: windows");
    for (a, b) in streamed.windows.iter().zip(&whole.windows) {
        assert_eq!((a.start, a.end, &a.probabilities), (b.start, b.end, &b.probabilities), "{what}: window");
    }
    assert_eq!(streamed.warnings, whole.warnings, "{what}: warnings");
}

#[test]
fn streamed_analysis_equals_the_whole_file() {
    let Some(shared) = shared_dir() else { return };
    let clips = ["data/gtzan/full_22k/jazz/jazz.00000.flac", "data/gtzan/full_22k/metal/metal.00001.flac", "data/gtzan/full_16k/disco/disco.00004.flac"];
    let mut streamed = Classifier::open(DEFAULT_MODEL).expect("model");
    streamed.set_stream_above(0.0);
    let mut whole = Classifier::open(DEFAULT_MODEL).expect("model");
    whole.set_stream_above(f64::INFINITY);
    let mut tag_streamed = Tagger::open(Backbone::MusicnnMsd).expect("tagger");
    tag_streamed.set_stream_above(0.0);
    let mut tag_whole = Tagger::open(Backbone::MusicnnMsd).expect("tagger");
    tag_whole.set_stream_above(f64::INFINITY);
    for clip in clips {
        let path = shared.join(clip);
        // Every patch, and 3 spread over the song (the window budget of a long one).
        for max in [None, Some(3)] {
            streamed.set_max_windows(max);
            whole.set_max_windows(max);
            tag_streamed.set_max_windows(max);
            tag_whole.set_max_windows(max);
            let a = streamed.classify_file(&path, Aggregation::Mean).expect("streamed");
            let b = whole.classify_file(&path, Aggregation::Mean).expect("whole");
            assert_eq!(b.windows.len(), max.unwrap_or(10), "{clip}: 30 s is 10 patches");
            same(&a, &b, &format!("{clip} classify {max:?}"));
            let a = tag_streamed.tag_file(&path, Aggregation::Mean).expect("streamed");
            let b = tag_whole.tag_file(&path, Aggregation::Mean).expect("whole");
            same(&a, &b, &format!("{clip} tag {max:?}"));
        }
    }
}

/// A long file judged from some of its patches reads them by seeking (the default) or by
/// decoding from start to end (`set_seek(false)`, the CLI's `--no-seek`): the same result,
/// and the whole-file decode's, on five real clips joined into one 150 s file (the default
/// budget of 32 patches out of 50) and on clips in FLAC, MP3 and Ogg Vorbis (3 of 10).
#[test]
fn seeking_gives_what_decoding_it_all_gives() {
    let Some(shared) = shared_dir() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let mut joined = Vec::new();
    for clip in ["jazz/jazz.00000", "metal/metal.00001", "blues/blues.00000", "reggae/reggae.00002", "jazz/jazz.00001"] {
        joined.extend(load(&shared.join(format!("data/gtzan/full_22k/{clip}.flac")), &LoadOptions { sample_rate: None, ..LoadOptions::default() }).expect("clip").samples);
    }
    let long = tmp.path().join("joined.wav");
    std::fs::write(&long, float_wav(&joined, 22_050)).expect("write");
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/muldjord-chaos-god-excerpt.ogg");
    let cases = [
        (long, genrecast_models::DEFAULT_MAX_WINDOWS),
        (shared.join("data/gtzan/full_22k/disco/disco.00004.flac"), 3),
        (shared.join("data/fma/fma_small/000/000002.mp3"), 3),
        (example, 3),
    ];
    let mut seeking = Classifier::open(DEFAULT_MODEL).expect("model");
    seeking.set_stream_above(0.0);
    seeking.set_seek(true);
    let mut decoding = Classifier::open(DEFAULT_MODEL).expect("model");
    decoding.set_stream_above(0.0);
    decoding.set_seek(false);
    let mut whole = Classifier::open(DEFAULT_MODEL).expect("model");
    whole.set_stream_above(f64::INFINITY);
    let mut tag_seeking = Tagger::open(Backbone::MusicnnMtt).expect("tagger");
    tag_seeking.set_stream_above(0.0);
    tag_seeking.set_seek(true);
    let mut tag_decoding = Tagger::open(Backbone::MusicnnMtt).expect("tagger");
    tag_decoding.set_stream_above(0.0);
    tag_decoding.set_seek(false);
    for (path, max) in &cases {
        for c in [&mut seeking, &mut decoding, &mut whole] {
            c.set_max_windows(Some(*max));
        }
        tag_seeking.set_max_windows(Some(*max));
        tag_decoding.set_max_windows(Some(*max));
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let a = seeking.classify_file(path, Aggregation::Mean).expect("seeking");
        let b = decoding.classify_file(path, Aggregation::Mean).expect("decoding");
        let c = whole.classify_file(path, Aggregation::Mean).expect("whole");
        assert_eq!(a.windows.len(), *max, "{name}: patches judged");
        assert!(a.windows_total > *max, "{name}: {} patches", a.windows_total);
        same(&a, &b, &format!("{name} classify, seeking vs decoding"));
        same(&a, &c, &format!("{name} classify, seeking vs whole file"));
        let a = tag_seeking.tag_file(path, Aggregation::Mean).expect("seeking");
        let b = tag_decoding.tag_file(path, Aggregation::Mean).expect("decoding");
        same(&a, &b, &format!("{name} tag, seeking vs decoding"));
    }
}

/// A file whose header declares more than it holds (cut in half): the first pass finds the
/// true length, the second chooses the patches from it, as the whole-file decode does; the
/// warning that says how much was lost comes through.
#[test]
fn a_file_cut_short_streams_to_the_same_result() {
    let Some(shared) = shared_dir() else { return };
    let bytes = std::fs::read(shared.join("data/gtzan/full_22k/reggae/reggae.00002.flac")).expect("clip");
    let tmp = tempfile::tempdir().expect("tmp");
    let cut = tmp.path().join("cut.flac");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let mut streamed = Classifier::open(DEFAULT_MODEL).expect("model");
    streamed.set_stream_above(0.0);
    let mut whole = Classifier::open(DEFAULT_MODEL).expect("model");
    whole.set_stream_above(f64::INFINITY);
    let (a, b) = (streamed.classify_file(&cut, Aggregation::Mean).expect("streamed"), whole.classify_file(&cut, Aggregation::Mean).expect("whole"));
    assert!(b.duration > 10.0 && b.duration < 20.0, "{}", b.duration);
    assert!(b.warnings.iter().any(|w| w.starts_with("truncated")), "{:?}", b.warnings);
    same(&a, &b, "cut in half");
}

/// A 32-bit float mono WAV of `samples` at `rate` (the header by hand: RIFF, fmt type 3).
fn float_wav(samples: &[f32], rate: u32) -> Vec<u8> {
    let data = (samples.len() * 4) as u32;
    let mut out = Vec::with_capacity(44 + data as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&3u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 4).to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&32u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data.to_le_bytes());
    samples.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
    out
}

/// The summary vector (90-d, what `index` stores) computed as a song decodes equals the one
/// of the whole decoded song, bit for bit: on a 30 s clip (one block) and on three clips of
/// different genres, levels and rates end to end (several blocks, a quiet stretch that the
/// MFCCs' 80 dB floor reaches, and one tuning for the whole song).
#[test]
fn streamed_summary_equals_the_whole_song() {
    let Some(shared) = shared_dir() else { return };
    let fx = FeatureExtractor::new(FeatureConfig::default()).expect("extractor");
    let at_22k = LoadOptions { sample_rate: Some(22_050), ..LoadOptions::default() };
    let tmp = tempfile::tempdir().expect("tmp");
    let mut long = Vec::new();
    for (clip, gain) in [("data/gtzan/full_22k/jazz/jazz.00000.flac", 1.0f32), ("data/gtzan/full_16k/disco/disco.00004.flac", 0.001), ("data/gtzan/full_22k/metal/metal.00001.flac", 0.5)] {
        let y = load(&shared.join(clip), &LoadOptions { sample_rate: Some(44_100), ..LoadOptions::default() }).expect("clip").samples;
        long.extend(y.iter().map(|v| v * gain));
    }
    let joined = tmp.path().join("joined.wav");
    std::fs::write(&joined, float_wav(&long, 44_100)).expect("write");
    for path in [shared.join("data/gtzan/full_22k/jazz/jazz.00000.flac"), joined] {
        let whole = summary_vector(&load(&path, &at_22k).expect("load").samples, &fx).expect("whole");
        let (streamed, warnings) = summary_vector_file(&path, &fx).expect("streamed");
        assert_eq!(whole.len(), 90);
        assert_eq!(streamed, whole, "{}", path.display());
        assert!(warnings.is_empty(), "{warnings:?}");
    }
}

/// Bad input gets the whole-file path's errors, naming the file.
#[test]
fn streamed_summary_refuses_what_the_whole_path_refuses() {
    let fx = FeatureExtractor::new(FeatureConfig::default()).expect("extractor");
    let tmp = tempfile::tempdir().expect("tmp");
    let empty = tmp.path().join("no-samples.wav");
    std::fs::write(&empty, float_wav(&[], 22_050)).expect("write");
    let huge = tmp.path().join("huge.wav");
    std::fs::write(&huge, float_wav(&vec![3.0e38; 50_000], 22_050)).expect("write");
    for (path, why) in [(&empty, "no audio"), (&huge, "not finite")] {
        let e = summary_vector_file(path, &fx).expect_err("refused").to_string();
        assert!(e.contains(&*path.display().to_string()) || e.contains("no-samples"), "{e}");
        assert!(e.contains(why), "{e}");
    }
}
