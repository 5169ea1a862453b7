//! A song fed block by block ([`FrameBlocks`], a first pass gathering the [`SongContext`])
//! gives the whole song's frames bit for bit, and so librosa's: checked on librosa's own
//! decodes of real music (`shared/reference/librosa/*/y_22050.npy`) in uneven chunks and
//! small blocks, so that every clip crosses many block edges.

use std::collections::BTreeMap;

use genrecast_features::chroma::{TuningScan, TuningStep};
use genrecast_features::stream::{FrameBlock, FrameBlocks, RunningStats};
use genrecast_features::{estimate_tuning, Array2, FeatureConfig, FeatureExtractor, FeatureKind, SongContext, StftPlan};
use genrecast_testutil::{librosa_references, read_npy, shared_dir};

/// Feeds `y` in chunks of `chunk` samples through blocks of `block_frames` frames.
fn blocks(y: &[f32], chunk: usize, block_frames: usize, mut take: impl FnMut(FrameBlock)) -> usize {
    let mut cut = FrameBlocks::new(2048, 512, block_frames);
    for c in y.chunks(chunk) {
        let Ok(()) = cut.push(c, |b| {
            take(b);
            Ok::<(), std::convert::Infallible>(())
        });
    }
    let Ok(frames) = cut.finish(|b| {
        take(b);
        Ok::<(), std::convert::Infallible>(())
    });
    frames
}

fn song_context(fx: &FeatureExtractor, y: &[f32], kinds: &[FeatureKind], chunk: usize) -> (SongContext, bool) {
    let mut scan = fx.song_scan(kinds);
    blocks(y, chunk, 97, |b| fx.scan_context(&mut scan, b.samples, b.frames));
    match scan.finish() {
        Some(song) => (song, false),
        None => {
            scan.begin_exact_pass();
            blocks(y, chunk, 97, |b| fx.scan_context(&mut scan, b.samples, b.frames));
            (scan.finish().expect("the exact pass settles the tuning"), true)
        }
    }
}

#[test]
fn streamed_frames_equal_the_whole_song() {
    let Some(shared) = shared_dir() else { return };
    let fx = FeatureExtractor::new(FeatureConfig::default()).expect("extractor");
    let kinds = SongContext::KINDS;
    let refs = librosa_references(&shared);
    assert!(refs.len() >= 4, "the librosa references are missing");
    for (dir, _) in refs {
        let clip = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let (_, y) = read_npy(&dir.join("y_22050.npy"));
        // As it is, and with its second half 90 dB down: there the 80 dB floors of the
        // whole song (not of the quiet block) decide the MFCCs and the contrast.
        let half = y.len() / 2;
        let quieter: Vec<f32> = y.iter().enumerate().map(|(i, &v)| if i < half { v } else { v * 3.16e-5 }).collect();
        for (y, version) in [(&y, "as is"), (&quieter, "second half 90 dB down")] {
        let whole = fx.extract(y, &kinds).expect("whole");
        for (chunk, block_frames) in [(7_919, 97), (100_003, 1), (y.len(), 5_000)] {
            let (song, exact) = song_context(&fx, y, &kinds, chunk);
            let mut streamed: BTreeMap<FeatureKind, Vec<Vec<f32>>> = BTreeMap::new();
            let frames = blocks(y, chunk, block_frames, |b| {
                let set = fx.extract_in_context(b.samples, &kinds, &song).expect("block");
                for (kind, a) in set {
                    let rows = streamed.entry(kind).or_insert_with(|| vec![Vec::new(); a.rows]);
                    for (r, row) in rows.iter_mut().enumerate() {
                        row.extend_from_slice(&a.row(r)[b.frames.clone()]);
                    }
                }
            });
            for kind in kinds {
                let want: &Array2 = &whole[&kind];
                assert_eq!(frames, want.cols, "{clip}: frame count");
                let got: Vec<f32> = streamed[&kind].concat();
                assert!(got == want.data, "{clip} {version} {} (chunks {chunk}, blocks {block_frames}, exact tuning pass {exact}): streamed frames differ from the whole song's", kind.name());
            }
        }
        }
        // And so librosa's own arrays, within the parity tests' bounds.
        let whole = fx.extract(&y, &kinds).expect("whole");
        for (file, kind, tol) in [("chroma_stft", FeatureKind::Chroma, 1e-4), ("mfcc20", FeatureKind::Mfcc, 1e-3)] {
            let (_, want) = read_npy(&dir.join(format!("{file}.npy")));
            let err = whole[&kind].relative_error(&want);
            assert!(err <= tol, "{clip} {file}: {err:.2e}");
        }
    }
}

/// The tuning scan gives `estimate_tuning`'s value from its histograms and, forced to, from
/// its exact second pass; `estimate_tuning` itself is held to librosa by the parity tests.
#[test]
fn tuning_scan_equals_estimate_tuning() {
    let Some(shared) = shared_dir() else { return };
    let plan = StftPlan::new(2048, 512).expect("plan");
    let mut decided = 0;
    for (dir, _) in librosa_references(&shared) {
        let (_, y) = read_npy(&dir.join("y_22050.npy"));
        // Quiet, loud and cut versions move the median and the mode.
        for (gain, len) in [(1.0f32, y.len()), (0.01, y.len()), (1.0, y.len() / 7)] {
            let y: Vec<f32> = y[..len].iter().map(|v| v * gain).collect();
            let spec = plan.power(&y);
            let want = estimate_tuning(&spec.power, spec.n_bins, 22_050.0, 2048, 12);
            let mut scan = TuningScan::new(22_050.0, 2048, 12);
            for block in spec.power.chunks(spec.n_bins * 50) {
                scan.push(block);
            }
            if let TuningStep::Done(t) = scan.finish() {
                assert_eq!(t, want, "{}: histogram tuning", dir.display());
                decided += 1;
            }
            scan.begin_exact_pass();
            for block in spec.power.chunks(spec.n_bins * 31) {
                scan.push(block);
            }
            assert_eq!(scan.finish(), TuningStep::Done(want), "{}: exact tuning", dir.display());
        }
    }
    println!("{decided} of 12 tunings decided by the histograms alone");
}

/// Welford's mean and std against numpy's `np.mean(x, axis=1)` and `np.std(x, axis=1)` done
/// by hand in f64 on librosa's MFCCs.
#[test]
fn running_stats_match_the_two_pass_formula() {
    let Some(shared) = shared_dir() else { return };
    let (dir, _) = librosa_references(&shared).into_iter().next().expect("references");
    let (shape, m) = read_npy(&dir.join("mfcc20.npy"));
    let (rows, cols) = (shape[0] as usize, shape[1] as usize);
    let mut stats = RunningStats::new(rows);
    for t in 0..cols {
        let frame: Vec<f32> = (0..rows).map(|r| m[r * cols + t]).collect();
        stats.push(&frame);
    }
    for r in 0..rows {
        let row = &m[r * cols..(r + 1) * cols];
        let mean = row.iter().map(|&v| f64::from(v)).sum::<f64>() / cols as f64;
        let std = (row.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / cols as f64).sqrt();
        assert!((f64::from(stats.mean()[r]) - mean).abs() <= 1e-6 * mean.abs().max(1.0), "mean row {r}");
        assert!((f64::from(stats.std()[r]) - std).abs() <= 1e-6 * std.max(1.0), "std row {r}");
    }
}

/// `summarize_file` equals `summarize_array` of the whole file's features: on a GTZAN clip
/// and the example song, with blocks of 100 frames so that many seams are crossed. Medians,
/// minima and maxima are equal bit for bit, and so are the onset envelope's summary and the
/// tempo (the envelope is held whole); mean and std agree to 1e-9 relative, skew and
/// kurtosis to 1e-6 (running moments against the two-pass formula).
#[test]
fn streamed_summaries_equal_the_whole_files() {
    use genrecast_features::summary_stream::summarize_file_in_blocks;
    let Some(shared) = shared_dir() else { return };
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let files = [shared.join("data/gtzan/full_22k/jazz/jazz.00000.flac"), repo.join("examples/muldjord-chaos-god-excerpt.ogg")];
    let fx = FeatureExtractor::new(FeatureConfig::default()).expect("extractor");
    let kinds: Vec<FeatureKind> = ["mel_db", "mfcc", "chroma", "centroid", "bandwidth", "rolloff", "contrast", "flatness", "zcr", "rms", "onset", "tempo", "mel"].iter().map(|k| k.parse().expect("kind")).collect();
    for file in &files {
        let opts = genrecast_audio::LoadOptions { sample_rate: Some(22_050), ..Default::default() };
        let y = genrecast_audio::load(file, &opts).expect("decode").samples;
        let whole = fx.extract(&y, &kinds).expect("features");
        let (streamed, _) = summarize_file_in_blocks(file, &opts, &fx, &kinds, 100).expect("streamed");
        assert_eq!(streamed.iter().map(|s| s.kind).collect::<Vec<_>>(), kinds);
        for s in &streamed {
            let a = &whole[&s.kind];
            if s.kind == FeatureKind::Tempo {
                assert_eq!(s.values, [f64::from(a.data[0])], "tempo of {}", file.display());
                continue;
            }
            let want = genrecast_features::summarize_array(a);
            assert_eq!((s.rows, s.values.len()), (a.rows, want.len()), "{:?}", s.kind);
            for (i, (got, want)) in s.values.iter().zip(&want).enumerate() {
                let stat = genrecast_features::STATISTICS[i / a.rows];
                let ok = match stat {
                    "median" | "min" | "max" => got == want,
                    "mean" | "std" => (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                    _ if s.kind == FeatureKind::Onset => got == want,
                    _ => (got - want).abs() <= 1e-6,
                };
                assert!(ok, "{} {:?} {stat} row {}: streamed {got}, whole {want}", file.display(), s.kind, i % a.rows);
            }
        }
    }
}

/// `summarize_musicnn_file` equals `summarize_array` of the whole file's musicnn front end
/// (`MusicnnFrontEnd::logmel` of the file decoded whole at 16 kHz): on a GTZAN clip and the
/// example song, with blocks of 100 frames (and of 1, every frame its own block) so that many
/// seams are crossed. Medians, minima and maxima are equal bit for bit (each frame is the
/// whole file's); mean and std agree to 1e-9 relative, skew and kurtosis to 1e-6.
#[test]
fn streamed_musicnn_summaries_equal_the_whole_files() {
    use genrecast_features::summary_stream::summarize_musicnn_file_in_blocks;
    use genrecast_features::MusicnnFrontEnd;
    let Some(shared) = shared_dir() else { return };
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let files = [shared.join("data/gtzan/full_22k/metal/metal.00000.flac"), repo.join("examples/muldjord-chaos-god-excerpt.ogg")];
    let front = MusicnnFrontEnd::new().expect("front end");
    for file in &files {
        let opts = genrecast_audio::LoadOptions { sample_rate: Some(MusicnnFrontEnd::SAMPLE_RATE), ..Default::default() };
        let y = genrecast_audio::load(file, &opts).expect("decode").samples;
        let a = front.logmel(&y);
        let want = genrecast_features::summarize_array(&a);
        for block_frames in [100, 1] {
            let (got, _) = summarize_musicnn_file_in_blocks(file, &genrecast_audio::LoadOptions::default(), &front, block_frames).expect("streamed");
            assert_eq!(got.len(), want.len());
            for (i, (got, want)) in got.iter().zip(&want).enumerate() {
                let stat = genrecast_features::STATISTICS[i / a.rows];
                let ok = match stat {
                    "median" | "min" | "max" => got == want,
                    "mean" | "std" => (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                    _ => (got - want).abs() <= 1e-6,
                };
                assert!(ok, "{} blocks of {block_frames}: {stat} row {}: streamed {got}, whole {want}", file.display(), i % a.rows);
            }
        }
    }
}

/// Frames handed out as the file decodes are the whole-file arrays' columns, bit for bit, for
/// every frame-local kind and mel_db, in the order asked; the onset envelope and the tempo
/// come back equal too. Small blocks put many seams in the song.
#[test]
fn streamed_frames_of_a_file_equal_the_whole_arrays() {
    use genrecast_features::summary_stream::stream_frames_in_blocks;
    let Some(shared) = shared_dir() else { return };
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let files = [shared.join("data/gtzan/full_22k/jazz/jazz.00000.flac"), repo.join("examples/muldjord-chaos-god-excerpt.ogg")];
    let fx = FeatureExtractor::new(FeatureConfig::default()).expect("extractor");
    let kinds: Vec<FeatureKind> = ["chroma", "mel_db", "mfcc", "contrast", "rms", "onset", "tempo"].iter().map(|k| k.parse().expect("kind")).collect();
    for file in &files {
        let opts = genrecast_audio::LoadOptions { sample_rate: Some(22_050), ..Default::default() };
        let y = genrecast_audio::load(file, &opts).expect("decode").samples;
        let whole = fx.extract(&y, &kinds).expect("features");
        let mut got: Vec<Vec<f32>> = Vec::new();
        let streamed = stream_frames_in_blocks(file, &opts, &fx, &kinds, 77, &mut |frame| {
            assert_eq!((frame.index, frame.total), (got.len(), whole[&FeatureKind::Chroma].cols));
            got.push(frame.values.to_vec());
            Ok(())
        })
        .expect("streamed");
        let cols = whole[&FeatureKind::Chroma].cols;
        assert_eq!((streamed.frames, got.len(), streamed.samples, streamed.silent), (cols, cols, y.len(), false), "{}", file.display());
        for (t, frame) in got.iter().enumerate() {
            let mut want = Vec::new();
            for k in kinds.iter().filter(|k| !matches!(k, FeatureKind::Onset | FeatureKind::Tempo)) {
                let a = &whole[k];
                want.extend((0..a.rows).map(|r| a.get(r, t)));
            }
            assert_eq!(frame, &want, "{} frame {t}", file.display());
        }
        assert_eq!(streamed.onset.as_deref(), Some(whole[&FeatureKind::Onset].data.as_slice()), "onset of {}", file.display());
        assert_eq!(streamed.tempo, Some(whole[&FeatureKind::Tempo].data[0]), "tempo of {}", file.display());
    }
}
