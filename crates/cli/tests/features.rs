//! `genrecast features`: shapes, formats, summary, and parity of the written arrays.

use std::path::Path;

use crate::{bin, example_song, genrecast, text};

/// Arrays written by the CLI for a GTZAN clip equal librosa's on the same audio: the CLI's
/// decode of the 22 kHz FLAC is bit-exact, so the DSP tolerances apply.
#[test]
fn features_cli_writes_librosa_arrays() {
    let Some(shared) = genrecast_testutil::shared_dir() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let src = shared.join("data/gtzan/full_22k/rock/rock.00000.flac");
    let out = genrecast(&["features", "-q", &src.display().to_string(), "--set", "mfcc,mel_db,chroma,tempo", "--out", &dir.path().display().to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let reference = shared.join("reference/librosa/rock.00000");
    for (ours, theirs, tol) in [("mfcc", "mfcc20", 1e-3), ("mel_db", "mel_db", 1e-3), ("chroma", "chroma_stft", 1e-4)] {
        let (shape, data) = genrecast_testutil::read_npy(&dir.path().join("rock.00000").join(format!("{ours}.npy")));
        let (rshape, rdata) = genrecast_testutil::read_npy(&reference.join(format!("{theirs}.npy")));
        assert_eq!(shape, rshape, "{ours}");
        let num: f64 = data.iter().zip(&rdata).map(|(a, b)| f64::from(a - b).powi(2)).sum();
        let den: f64 = rdata.iter().map(|b| f64::from(*b).powi(2)).sum();
        assert!((num / den).sqrt() <= tol, "{ours}: {}", (num / den).sqrt());
    }
}

/// Issue #24: the default f32 STFT and `--precision f64` both write librosa's spectral
/// contrast (the feature nearest the f32 round-off) and chroma within the parity bound (on
/// the 22 kHz clip the CLI decodes bit-exactly), and the two differ (the flag reaches the
/// extractor).
#[test]
fn features_cli_precision_f32_and_f64_match_librosa() {
    let Some(shared) = genrecast_testutil::shared_dir() else { return };
    let src = shared.join("data/gtzan/full_22k/rock/rock.00000.flac");
    let reference = shared.join("reference/librosa/rock.00000");
    let mut written = Vec::new();
    for precision in ["f32", "f64"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = genrecast(&["--precision", precision, "features", "-q", &src.display().to_string(), "--set", "contrast,chroma", "--out", &dir.path().display().to_string()]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        for (ours, theirs) in [("contrast", "spectral_contrast"), ("chroma", "chroma_stft")] {
            let (shape, data) = genrecast_testutil::read_npy(&dir.path().join("rock.00000").join(format!("{ours}.npy")));
            let (rshape, rdata) = genrecast_testutil::read_npy(&reference.join(format!("{theirs}.npy")));
            assert_eq!(shape, rshape, "{ours}");
            let num: f64 = data.iter().zip(&rdata).map(|(a, b)| f64::from(a - b).powi(2)).sum();
            let den: f64 = rdata.iter().map(|b| f64::from(*b).powi(2)).sum();
            assert!((num / den).sqrt() <= 1e-4, "{precision} {ours}: {}", (num / den).sqrt());
            if ours == "chroma" {
                written.push(data);
            }
        }
    }
    assert_ne!(written[0], written[1], "--precision f64 computed the same chroma as f32");
}

/// Issue #24: the run-time kernels (AVX-512 contrast extremes, the AVX2 copies of the STFT
/// framing, the chroma filterbank and the fused spectral pass) write the same bytes as the
/// portable code that the librosa parity tests pin (`GENRECAST_NO_AVX512=1`), on a 44.1 kHz
/// stereo clip (resampled: contrast's exact f64 frames too) and a 22 kHz one. On a CPU
/// without AVX2 both runs take the portable path.
#[test]
fn features_cli_run_time_kernels_write_the_portable_bytes() {
    let Some(shared) = genrecast_testutil::shared_dir() else { return };
    let kinds = "mel,mel_db,chroma,centroid,bandwidth,rolloff,contrast,flatness,zcr,rms,tempo";
    for clip in ["gtzan/full_22k/blues/blues.00000.flac", "gtzan/first15s_44k_stereo/classical/classical.00000.flac"] {
        let src = shared.join("data").join(clip);
        let run = |portable: bool| {
            let dir = tempfile::tempdir().expect("tempdir");
            let mut cmd = bin();
            if portable {
                cmd.env("GENRECAST_NO_AVX512", "1");
            } else {
                cmd.env_remove("GENRECAST_NO_AVX512");
            }
            let out = cmd.args(["features", "-q", "--set", kinds, "--out"]).arg(dir.path()).arg(&src).output().expect("features");
            assert!(out.status.success(), "{}", text(&out.stderr));
            let stem = src.file_stem().expect("stem").to_string_lossy().into_owned();
            kinds.split(',').map(|k| (k, std::fs::read(dir.path().join(&stem).join(format!("{k}.npy"))).expect(k))).collect::<Vec<_>>()
        };
        for ((kind, fast), (_, portable)) in run(false).into_iter().zip(run(true)) {
            assert!(fast == portable, "{clip}: {kind} differs between the run-time kernels and the portable code");
        }
    }
}

#[test]
fn features_cli_formats_and_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().display().to_string();
    let song = example_song().display().to_string();
    let out = genrecast(&["features", "-q", &song, "--set", "mfcc,centroid,tempo", "--format", "csv", "--summary", "--out", &out_dir]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = std::fs::read_to_string(dir.path().join("muldjord-chaos-god-excerpt/mfcc.csv")).expect("mfcc.csv");
    let rows: Vec<&str> = csv.lines().collect();
    // A header, then 30 s at 22,050 Hz, hop 512: 1 + 661,500 / 512 = 1,292 frames, each
    // a time and 20 coefficients.
    assert_eq!(rows.len(), 1 + 1292);
    assert_eq!(rows[1].split(',').count(), 1 + 20);
    let summary = std::fs::read_to_string(dir.path().join("summary.csv")).expect("summary.csv");
    let header: Vec<&str> = summary.lines().next().unwrap_or_default().split(',').collect();
    // path + 20 mfcc x 7 stats + centroid x 7 + tempo.
    assert_eq!(header.len(), 1 + 140 + 7 + 1);
    assert_eq!(header[1], "mfcc/mean/01");
    assert_eq!(header[141], "centroid/mean/01");
    assert_eq!(*header.last().unwrap_or(&""), "tempo");
    // A summary alone (no frame files) still says how it was made: settings, features,
    // statistics and sources in summary.params.json.
    let summary_only = dir.path().join("summary-only");
    let out = genrecast(&["features", "-q", &song, "--set", "mfcc,tempo", "--summary", "--no-frames", "--hop-length", "256", "--out", summary_only.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut written: Vec<String> = std::fs::read_dir(&summary_only).expect("dir").flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    written.sort();
    assert_eq!(written, ["summary.csv", "summary.params.json"]);
    let params: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(summary_only.join("summary.params.json")).expect("params")).expect("json");
    assert_eq!((params["sr"].as_u64(), params["hop_length"].as_u64(), params["n_mfcc"].as_u64()), (Some(22_050), Some(256), Some(20)), "{params}");
    assert_eq!(params["features"], serde_json::json!(["mfcc", "tempo"]));
    assert_eq!(params["statistics"]["names"], serde_json::json!(["mean", "std", "skew", "kurtosis", "median", "min", "max"]));
    assert_eq!(params["sources"], serde_json::json!([song]));
    let json_out = genrecast(&["features", "-q", &song, "--set", "rms", "--format", "json", "--out", &out_dir]);
    assert!(json_out.status.success());
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("muldjord-chaos-god-excerpt/rms.json")).expect("rms.json")).expect("json");
    assert_eq!(v["shape"], serde_json::json!([1, 1292]));
}

#[test]
fn features_cli_rejects_unknown_feature() {
    let out = genrecast(&["features", &example_song().display().to_string(), "--set", "mfcc,loudness", "--out", "/tmp/unused"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown feature 'loudness'"), "{}", text(&out.stderr));
}

/// `--set rp,ssd,trh --summary` writes rp_extract's vectors, in its column-major order under
/// named columns, equal to rp_extract.py's own outputs for the same GTZAN clip; the arrays
/// are its matrices (RP: 24 bands x 60 modulation bins).
#[test]
fn features_cli_writes_rp_extract_descriptors() {
    let Some(shared) = genrecast_testutil::shared_dir() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let src = shared.join("data/gtzan/full_22k/rock/rock.00000.flac");
    let out = genrecast(&["features", "-q", &src.display().to_string(), "--set", "rp,ssd,trh", "--summary", "--out", &dir.path().display().to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = std::fs::read_to_string(dir.path().join("summary.csv")).expect("summary.csv");
    let mut lines = summary.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let values: Vec<f64> = lines.next().expect("row").split(',').skip(1).map(|v| v.parse().expect("number")).collect();
    assert_eq!(header.len(), 1 + 1440 + 168 + 420);
    assert_eq!((header[1], header[1441], header[1441 + 24]), ("rp/01/01", "ssd/mean/01", "ssd/var/01"));
    let reference = shared.join("reference/rp_extract/rock.00000");
    let mut offset = 0;
    for (name, len) in [("rp", 1440), ("ssd", 168), ("trh", 420)] {
        let (_, want) = genrecast_testutil::read_npy(&reference.join(format!("{name}.npy")));
        let ours = &values[offset..offset + len];
        let num: f64 = ours.iter().zip(&want).map(|(a, b)| (a - f64::from(*b)).powi(2)).sum();
        let den: f64 = want.iter().map(|b| f64::from(*b).powi(2)).sum();
        let err = (num / den).sqrt();
        assert!(err < 1e-6, "{name}: relative error {err:.2e}");
        offset += len;
    }
    let (shape, rp) = genrecast_testutil::read_npy(&dir.path().join("rock.00000/rp.npy"));
    assert_eq!(shape, [24, 60]);
    // Row-major band x bin; the summary is column-major: rp[band][bin] = rp/band/bin.
    assert_eq!(f64::from(rp[60 + 2]), values[1 + 24 * 2]);
}

/// Relative L2 error of `ours` against `reference`.
fn relative_error(ours: &[f32], reference: &[f32]) -> f64 {
    let num: f64 = ours.iter().zip(reference).map(|(a, b)| f64::from(a - b).powi(2)).sum();
    let den: f64 = reference.iter().map(|b| f64::from(*b).powi(2)).sum();
    (num / den).sqrt()
}

/// `--sr 16000 --n-fft 512 --hop-length 256 --n-mels 96 --fmin 0 --fmax 8000 --set mel` is
/// the mel spectrogram under musicnn's front end, which librosa made for the references
/// (`musicnn_logmel` = log10(10000 mel + 1), see make_reference.py): the same transform of
/// our array equals it. No reference has a non-default fmin/fmax; the test below checks
/// those by hand.
#[test]
fn features_cli_mel_with_analysis_options_matches_librosa() {
    let Some(shared) = genrecast_testutil::shared_dir() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let src = shared.join("data/gtzan/full_22k/rock/rock.00000.flac");
    let out = genrecast(&[
        "features", "-q", &src.display().to_string(), "--set", "mel", "--sr", "16000", "--n-fft", "512", "--hop-length", "256", "--n-mels", "96", "--fmin", "0",
        "--fmax", "8000", "--out", &dir.path().display().to_string(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (shape, mel) = genrecast_testutil::read_npy(&dir.path().join("rock.00000/mel.npy"));
    let (rshape, reference) = genrecast_testutil::read_npy(&shared.join("reference/librosa/rock.00000/musicnn_logmel.npy"));
    assert_eq!(shape, rshape);
    let logmel: Vec<f32> = mel.iter().map(|v| (10_000.0 * v + 1.0).log10()).collect();
    let err = relative_error(&logmel, &reference);
    assert!(err <= 1e-3, "relative error {err:.2e}");
}

/// Writes a 16-bit mono WAV of `samples` at `sr`.
fn write_pcm16_wav(path: &Path, sr: u32, samples: &[f32]) {
    let data: Vec<u8> = samples.iter().flat_map(|s| ((s * 32767.0).round() as i16).to_le_bytes()).collect();
    let mut bytes = Vec::new();
    bytes.extend(b"RIFF");
    bytes.extend((36 + data.len() as u32).to_le_bytes());
    bytes.extend(b"WAVEfmt ");
    bytes.extend(16u32.to_le_bytes());
    bytes.extend(1u16.to_le_bytes()); // PCM
    bytes.extend(1u16.to_le_bytes()); // mono
    bytes.extend(sr.to_le_bytes());
    bytes.extend((sr * 2).to_le_bytes());
    bytes.extend(2u16.to_le_bytes());
    bytes.extend(16u16.to_le_bytes());
    bytes.extend(b"data");
    bytes.extend((data.len() as u32).to_le_bytes());
    bytes.extend(data);
    std::fs::write(path, bytes).expect("write wav");
}

/// fmin and fmax place the mel filters, checked by hand: below 1 kHz Slaney's mel scale is
/// linear, so `--fmin 200 --fmax 1000 --n-mels 4` puts the 6 filter edges at 200, 360, 520,
/// 680, 840 and 1000 Hz (filter i rises from edge i to i+1 and falls to i+2). A 520 Hz tone
/// (bin 52 of an 800-point FFT at 8 kHz) is the peak of filter 1 and an edge, weight 0, of
/// filters 0 and 2; filter 3 starts at 680 Hz. Frames: 1 + 16,000 / 200 = 81 (centred).
#[test]
fn features_cli_mel_filter_edges_follow_fmin_fmax() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("tone.wav");
    let tone: Vec<f32> = (0..16_000).map(|i| 0.5 * (2.0 * std::f32::consts::PI * 520.0 * i as f32 / 8000.0).sin()).collect();
    write_pcm16_wav(&wav, 8000, &tone);
    let out_dir = dir.path().join("out");
    let out = genrecast(&[
        "features", "-q", wav.to_str().expect("utf-8"), "--set", "mel", "--sr", "8000", "--n-fft", "800", "--hop-length", "200", "--n-mels", "4", "--fmin", "200",
        "--fmax", "1000", "--out", out_dir.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (shape, mel) = genrecast_testutil::read_npy(&out_dir.join("tone/mel.npy"));
    assert_eq!(shape, [4, 81]);
    // Frames away from the zero-padded ends.
    for t in 5..76 {
        let band = |b: usize| f64::from(mel[b * 81 + t]);
        // A Hann window puts the tone's bin at amplitude 1/2 of the window sum and its two
        // neighbours (510, 530 Hz) at 1/4: 1/4 of the power. Filter 1 weighs them 150/160,
        // filters 0 and 2 one of them 10/160 (equal widths, so equal Slaney norms):
        // band 0 / band 1 = (1/16 x 1/4) / (1 + 2 x 15/16 x 1/4) = 1/94.
        for b in [0, 2] {
            let ratio = band(b) / band(1);
            assert!((ratio * 94.0 - 1.0).abs() < 0.01, "frame {t}, band {b}: {ratio} against 1/94; {:?}", (0..4).map(band).collect::<Vec<_>>());
        }
        assert!(band(3) < 1e-4 * band(1), "frame {t}: {:?}", (0..4).map(band).collect::<Vec<_>>());
    }
}

/// Impossible analysis options are refused with the parameter's name before any file is
/// read: the input does not exist and is not mentioned, and --out is not created.
#[test]
fn features_cli_rejects_invalid_analysis_options_before_reading() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().join("out");
    for (options, name) in [
        (&["--fmax", "12000"][..], "fmax=12000"),
        (&["--sr", "16000", "--fmax", "8001"], "fmax=8001"),
        (&["--fmin", "3000", "--fmax", "2000"], "fmax=2000"),
        (&["--fmin=-1"], "fmin=-1"),
        (&["--n-fft", "0"], "n_fft=0"),
        (&["--hop-length", "0"], "hop_length=0"),
        (&["--n-mels", "0"], "n_mels=0"),
        (&["--sr", "4000", "--set", "contrast"], "n_bands"),
    ] {
        let mut args = vec!["features", "/nonexistent/song.flac", "--out", out_dir.to_str().expect("utf-8")];
        args.extend(options);
        let out = genrecast(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{options:?}: {stderr}");
        assert!(stderr.contains("invalid analysis options") && stderr.contains(name), "{options:?}: {stderr}");
        assert!(!stderr.contains("nonexistent") && !out_dir.exists(), "{options:?}: {stderr}");
    }
}

/// An option a requested feature ignores is said, not silently dropped: musicnn's front end
/// and rp_extract fix theirs, and --n-mels means nothing to chroma.
#[test]
fn features_cli_warns_of_options_a_feature_ignores() {
    let dir = tempfile::tempdir().expect("tempdir");
    let song = example_song().display().to_string();
    let out = genrecast(&["features", "-q", &song, "--set", "chroma,musicnn_logmel", "--n-mels", "64", "--hop-length", "256", "--duration", "3", "--out", &dir.path().display().to_string()]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("warning: --hop-length, --n-mels not used by musicnn_logmel: its parameters are fixed"), "{stderr}");
    assert!(stderr.contains("warning: --n-mels is used by none of the requested features"), "{stderr}");
    assert!(!stderr.contains("--hop-length is used by none"), "{stderr}");
    let quiet = genrecast(&["features", "-q", &song, "--set", "mel", "--n-mels", "64", "--duration", "3", "--out", &dir.path().display().to_string()]);
    assert!(quiet.status.success() && !text(&quiet.stderr).contains("warning"), "{}", text(&quiet.stderr));
}

/// `--format csv`: a header naming every column, the frame's time first (t = i * hop / sr,
/// librosa.frames_to_time), one row per frame; a per-file value (tempo) is one named row.
#[test]
fn features_cli_csv_has_header_and_frame_times() {
    let dir = tempfile::tempdir().expect("tempdir");
    let song = example_song().display().to_string();
    let out = genrecast(&["features", "-q", &song, "--set", "mfcc,centroid,tempo", "--hop-length", "256", "--format", "csv", "--out", &dir.path().display().to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let folder = dir.path().join("muldjord-chaos-god-excerpt");
    let mut mfcc = csv::Reader::from_path(folder.join("mfcc.csv")).expect("mfcc.csv");
    let header: Vec<String> = mfcc.headers().expect("header").iter().map(str::to_owned).collect();
    let want: Vec<String> = ["time"].into_iter().map(str::to_owned).chain((1..=20).map(|i| format!("mfcc/{i:02}"))).collect();
    assert_eq!(header, want);
    let rows: Vec<csv::StringRecord> = mfcc.records().map(|r| r.expect("row")).collect();
    // 661,500 samples, hop 256: 1 + 2,583 frames.
    assert_eq!(rows.len(), 2584);
    for (i, row) in rows.iter().enumerate() {
        let t: f64 = row[0].parse().expect("time");
        assert!((t - i as f64 * 256.0 / 22_050.0).abs() < 1e-12, "row {i}: {t}");
        assert_eq!(row.len(), 21);
    }
    assert_eq!(&rows[1][0], "0.011609977324263039"); // 256 / 22050
    let mut centroid = csv::Reader::from_path(folder.join("centroid.csv")).expect("centroid.csv");
    assert_eq!(centroid.headers().expect("header").iter().collect::<Vec<_>>(), ["time", "centroid"]);
    let mut tempo = csv::Reader::from_path(folder.join("tempo.csv")).expect("tempo.csv");
    assert_eq!(tempo.headers().expect("header").iter().collect::<Vec<_>>(), ["tempo"]);
    let bpm: Vec<csv::StringRecord> = tempo.records().map(|r| r.expect("row")).collect();
    assert_eq!(bpm.len(), 1);
    assert!(bpm[0][0].parse::<f64>().expect("bpm") > 30.0);
}

/// Two `song.flac` in different folders get `OUT/a/song/` and `OUT/b/song/` (they used to
/// meet under one stem), each with a params.json naming its source as given (relative, as
/// the command line gave it) and below the input folder, with its rate, duration (GTZAN's
/// labels.csv: 30.013 s at 22,050 Hz) and the shapes of the arrays.
#[test]
fn features_cli_keeps_relative_paths_and_writes_params() {
    let Some(shared) = genrecast_testutil::shared_dir() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    for (sub, clip) in [("a", "rock/rock.00001.flac"), ("b", "rock/rock.00000.flac")] {
        std::fs::create_dir_all(dir.path().join("music").join(sub)).expect("mkdir");
        std::fs::copy(shared.join("data/gtzan/full_22k").join(clip), dir.path().join("music").join(sub).join("song.flac")).expect("copy");
    }
    let out = bin().current_dir(dir.path()).args(["features", "-q", "music", "--set", "rms,tempo", "--out", "feats"]).output().expect("run");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut rms = Vec::new();
    for sub in ["a", "b"] {
        let folder = dir.path().join("feats").join(sub).join("song");
        let (shape, data) = genrecast_testutil::read_npy(&folder.join("rms.npy"));
        // 30.013 s x 22,050 Hz: about 661,790 samples; hop 512: 1 + 1,292 frames.
        assert_eq!(shape, [1, 1293], "{sub}");
        rms.push(data);
        let params: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(folder.join("params.json")).expect("params.json")).expect("json");
        assert_eq!(params["source"], format!("music/{sub}/song.flac"));
        assert_eq!(params["source_relative"], format!("{sub}/song.flac"));
        assert_eq!(params["native_sr"], 22_050);
        assert!((params["duration_s"].as_f64().expect("duration") - 30.013).abs() < 0.001, "{params}");
        assert_eq!((params["sr"].as_u64(), params["n_fft"].as_u64(), params["hop_length"].as_u64(), params["n_mels"].as_u64()), (Some(22_050), Some(2048), Some(512), Some(128)));
        assert_eq!((params["fmin"].as_f64(), params["fmax"].as_f64(), params["window"].as_str(), params["center"].as_bool()), (Some(0.0), Some(11_025.0), Some("hann"), Some(true)));
        assert_eq!(params["librosa_version"], "0.11.0");
        assert_eq!(params["features"][0]["name"], "rms");
        assert_eq!(params["features"][0]["shape"], serde_json::json!([1, 1293]));
        assert_eq!(params["features"][1]["shape"], serde_json::json!([1, 1]));
        assert!(!std::fs::read_to_string(folder.join("params.json")).expect("params").contains(&dir.path().display().to_string()));
    }
    assert_ne!(rms[0], rms[1], "two different clips, two different outputs");
    // Nothing else at the top of --out.
    let mut top: Vec<String> = std::fs::read_dir(dir.path().join("feats")).expect("feats").flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    top.sort();
    assert_eq!(top, ["a", "b"]);
}

/// With stderr captured (not a terminal), batch commands print their messages and no
/// progress bar: no escape codes, no bar or spinner characters.
#[test]
fn batch_commands_draw_no_progress_bar_off_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let music = dir.path().join("music");
    std::fs::create_dir(&music).expect("mkdir");
    for name in ["one.ogg", "two.ogg"] {
        std::fs::copy(example_song(), music.join(name)).expect("copy");
    }
    let music = music.to_str().expect("utf-8");
    let feats = dir.path().join("feats");
    let db = dir.path().join("lib.sqlite");
    for args in [
        vec!["features", music, "--set", "rms", "--out", feats.to_str().expect("utf-8")],
        vec!["classify", music],
        vec!["index", music, "--db", db.to_str().expect("utf-8")],
    ] {
        let out = genrecast(&args);
        let stderr = text(&out.stderr);
        assert!(out.status.success(), "{args:?}: {stderr}");
        assert!(!stderr.contains('\u{1b}') && !stderr.contains('\r'), "{args:?}: {stderr:?}");
        assert!(!stderr.contains(['█', '░', '⠁', '⠂', '⠄', '⡀', '⢀', '⠠', '⠐', '⠈']) && !stderr.contains("2/2"), "{args:?}: {stderr:?}");
    }
}

/// A file over 120 s with `--summary --no-frames` is summarised as it decodes
/// (`summary_stream`): its summary.csv has the columns of the whole-file summary (written when
/// frames are kept), equal medians, minima, maxima and tempo, and moments within the stated
/// bounds (1e-9 relative for mean and std, 1e-6 for skew and kurtosis).
#[test]
fn long_files_are_summarised_as_they_decode() {
    let Some(shared) = genrecast_testutil::shared_dir() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = genrecast_audio::LoadOptions { sample_rate: Some(22_050), ..Default::default() };
    let mut song = Vec::new();
    for clip in ["jazz/jazz.00000.flac", "metal/metal.00000.flac", "classical/classical.00000.flac", "reggae/reggae.00000.flac", "rock/rock.00000.flac"] {
        song.extend(genrecast_audio::load(&shared.join("data/gtzan/full_22k").join(clip), &opts).expect("decode").samples);
    }
    song.truncate(130 * 22_050);
    let wav = dir.path().join("long.wav");
    write_pcm16_wav(&wav, 22_050, &song);
    let wav = wav.display().to_string();
    let summary = |extra: &[&str], out: &str| -> (Vec<String>, Vec<f64>) {
        let out_dir = dir.path().join(out);
        let mut args = vec!["features", "--summary", "--out", out_dir.to_str().expect("utf-8"), &wav];
        args.extend(extra);
        let run = genrecast(&args);
        assert!(run.status.success(), "{}", text(&run.stderr));
        // Which way it went: only the summary alone of a long file streams.
        assert_eq!(text(&run.stderr).contains("summarised as it decodes"), extra.contains(&"--no-frames"), "{}", text(&run.stderr));
        let csv = std::fs::read_to_string(out_dir.join("summary.csv")).expect("summary.csv");
        let mut lines = csv.lines();
        let header: Vec<String> = lines.next().expect("header").split(',').skip(1).map(str::to_owned).collect();
        let values: Vec<f64> = lines.next().expect("row").split(',').skip(1).map(|v| v.parse().expect("number")).collect();
        (header, values)
    };
    // A file cut short: decoded as far as it goes with a warning, refused by --strict with
    // one mention of the file.
    let bytes = std::fs::read(&wav).expect("wav");
    let cut = dir.path().join("cut.wav");
    std::fs::write(&cut, &bytes[..bytes.len() * 3 / 4]).expect("cut");
    let cut = cut.display().to_string();
    let run = genrecast(&["features", "--summary", "--no-frames", "--out", dir.path().join("cut").to_str().expect("utf-8"), &cut]);
    assert!(run.status.success() && text(&run.stderr).contains("truncated"), "{}", text(&run.stderr));
    let run = genrecast(&["--strict", "features", "--summary", "--no-frames", "--out", dir.path().join("cut-strict").to_str().expect("utf-8"), &cut]);
    let stderr = text(&run.stderr);
    let error = stderr.lines().find(|l| l.starts_with("error:")).unwrap_or_else(|| panic!("{stderr}"));
    assert_eq!((run.status.code(), error.matches("cut.wav").count()), (Some(1), 1), "{stderr}");
    // A set that reads the file whole says so.
    let out_dir = dir.path().join("cqt");
    let run = genrecast(&["features", "--summary", "--no-frames", "--set", "chroma_cqt", "--out", out_dir.to_str().expect("utf-8"), &wav]);
    assert!(run.status.success() && text(&run.stderr).contains("a long file held whole"), "{}", text(&run.stderr));
    // CSV frames go the whole-file way (only .npy frames are written as they decode).
    let (whole_names, whole) = summary(&["--format", "csv"], "whole");
    let (names, streamed) = summary(&["--no-frames"], "streamed");
    assert_eq!(names, whole_names);
    assert!(names.iter().any(|n| n.starts_with("mel_db/")) && names.last().map(String::as_str) == Some("tempo"), "{names:?}");
    for ((name, got), want) in names.iter().zip(&streamed).zip(&whole) {
        let stat = name.split('/').nth(1).unwrap_or("value");
        let ok = match stat {
            "mean" | "std" => (got - want).abs() <= 1e-9 * want.abs().max(1.0),
            "skew" | "kurtosis" => (got - want).abs() <= 1e-6,
            _ => got == want,
        };
        assert!(ok, "{name}: streamed {got}, whole {want}");
    }
    // Frames kept as .npy: written as the file decodes, each equal (bit for bit, through
    // the CSV's shortest round-trip text) to the whole-file arrays of the CSV run.
    let frames_dir = dir.path().join("frames");
    let run = genrecast(&["features", "--summary", "--out", frames_dir.to_str().expect("utf-8"), &wav]);
    assert!(run.status.success() && text(&run.stderr).contains("frames written as it decodes"), "{}", text(&run.stderr));
    let (streamed_names, streamed_summary) = {
        let csv = std::fs::read_to_string(frames_dir.join("summary.csv")).expect("summary.csv");
        let mut lines = csv.lines();
        let header: Vec<String> = lines.next().expect("header").split(',').skip(1).map(str::to_owned).collect();
        (header, lines.next().expect("row").split(',').skip(1).map(|v| v.parse::<f64>().expect("number")).collect::<Vec<_>>())
    };
    assert_eq!((&streamed_names, &streamed_summary), (&names, &streamed), "the summary beside streamed frames is the streamed summary");
    let params: serde_json::Value = serde_json::from_slice(&std::fs::read(frames_dir.join("long/params.json")).expect("params")).expect("json");
    for kind in ["mel_db", "mfcc", "chroma", "contrast", "rms", "tempo"] {
        let (shape, got) = genrecast_testutil::read_npy(&frames_dir.join(format!("long/{kind}.npy")));
        let csv = std::fs::read_to_string(dir.path().join(format!("whole/long/{kind}.csv"))).expect("whole csv");
        let rows: Vec<Vec<f32>> = csv.lines().skip(1).map(|l| l.split(',').skip(usize::from(kind != "tempo")).map(|v| v.parse().expect("f32")).collect()).collect();
        // The CSV is one line per frame (time, then the rows); the array is [rows, frames].
        let want: Vec<f32> = if kind == "tempo" { rows.concat() } else { (0..rows[0].len()).flat_map(|r| rows.iter().map(move |f| f[r])).collect() };
        assert_eq!(got, want, "{kind}");
        let entry = params["features"].as_array().expect("features").iter().find(|f| f["name"] == kind).expect("listed");
        assert_eq!(entry["shape"], serde_json::json!(shape), "{kind}");
    }
}

/// `--set all --summary --no-frames` of a file over 120 s streams what streams
/// (musicnn_logmel from a 16 kHz stream, the timbral and rp_extract sets, the default kinds)
/// and holds the file only for chroma_cqt and tonnetz: its summary.csv has the whole-file
/// summary's columns, in its order, and the same values: bit for bit (through the CSV's
/// shortest round-trip text) for the rp_extract and timbral vectors, chroma_cqt, tonnetz and
/// every median, minimum and maximum; the moments of the kinds over time within the bounds
/// the streamed summary states (1e-9 relative for mean and std, 1e-6 for skew and kurtosis).
#[test]
fn long_files_stream_all_but_the_cqt_family() {
    let Some(shared) = genrecast_testutil::shared_dir() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = genrecast_audio::LoadOptions { sample_rate: Some(22_050), ..Default::default() };
    let mut song = Vec::new();
    for clip in ["blues/blues.00000.flac", "metal/metal.00000.flac", "classical/classical.00000.flac", "disco/disco.00000.flac", "country/country.00000.flac"] {
        song.extend(genrecast_audio::load(&shared.join("data/gtzan/full_22k").join(clip), &opts).expect("decode").samples);
    }
    song.truncate(125 * 22_050);
    let wav = dir.path().join("long.wav");
    write_pcm16_wav(&wav, 22_050, &song);
    let wav = wav.display().to_string();
    let summary = |extra: &[&str], out: &str| -> (String, Vec<String>, Vec<f64>) {
        let out_dir = dir.path().join(out);
        let mut args = vec!["features", "--set", "all", "--summary", "--out", out_dir.to_str().expect("utf-8"), &wav];
        args.extend(extra);
        let run = genrecast(&args);
        assert!(run.status.success(), "{}", text(&run.stderr));
        let csv = std::fs::read_to_string(out_dir.join("summary.csv")).expect("summary.csv");
        let mut lines = csv.lines();
        let header: Vec<String> = lines.next().expect("header").split(',').skip(1).map(str::to_owned).collect();
        let values: Vec<f64> = lines.next().expect("row").split(',').skip(1).map(|v| v.parse().expect("number")).collect();
        (text(&run.stderr), header, values)
    };
    let (stderr, names, streamed) = summary(&["--no-frames"], "streamed");
    assert!(stderr.contains("summarised as it decodes") && stderr.contains("held whole for chroma_cqt, tonnetz"), "{stderr}");
    let (stderr, whole_names, whole) = summary(&[], "whole");
    assert!(!stderr.contains("summarised as it decodes"), "{stderr}");
    assert_eq!(names, whole_names);
    assert!(names.iter().any(|n| n == "timbral/mean/low_energy") && names.iter().any(|n| n == "tempo"), "{names:?}");
    for prefix in ["musicnn_logmel/", "chroma_cqt/", "tonnetz/", "rp/", "mvd/", "mel_db/"] {
        assert!(names.iter().any(|n| n.starts_with(prefix)), "{prefix} in {names:?}");
    }
    for ((name, got), want) in names.iter().zip(&streamed).zip(&whole) {
        let over_time = !(name.starts_with("timbral/") || ["rp/", "rh/", "ssd/", "tssd/", "trh/", "mvd/"].iter().any(|p| name.starts_with(p)));
        let stat = if over_time { name.split('/').nth(1).unwrap_or("value") } else { "value" };
        let ok = match stat {
            "mean" | "std" => (got - want).abs() <= 1e-9 * want.abs().max(1.0),
            "skew" | "kurtosis" => (got - want).abs() <= 1e-6,
            _ => got == want,
        };
        assert!(ok, "{name}: streamed {got}, whole {want}");
    }
}
