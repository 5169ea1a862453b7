//! Tests of genrecast-models: hand-computed loss and optimiser values, shapes of every
//! architecture, learning, reproducibility and checkpoint validation.

use burn::module::Module;
use burn::nn::LinearConfig;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use genrecast_models::{
    load, loss, save, AdadeltaConfig, Architecture, Example, InputPreset, InputSpec, ModelCard, NetworkConfig, Normalizer, Task, TrainConfig, TrainedOn,
    MODEL_FORMAT,
};
use rand::{Rng, SeedableRng};

fn t2(v: Vec<f32>, shape: [usize; 2], d: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(v, shape), d)
}

#[test]
fn losses_match_hand_computed_values() {
    let d = Device::flex();
    // Softmax CE: logits [0, ln 3] -> p = [1/4, 3/4]; target class 1 -> -ln(3/4).
    let l = loss(Task::SingleLabel, t2(vec![0.0, 3f32.ln()], [1, 2], &d), t2(vec![0.0, 1.0], [1, 2], &d), None);
    assert!((l.into_scalar::<f32>() - 0.287_682).abs() < 1e-5);
    // BCE with logits: x = 0, y = 1 -> ln 2; x = 2, y = 0 -> ln(1 + e^2); mean over tags.
    let l = loss(Task::MultiLabel, t2(vec![0.0, 2.0], [1, 2], &d), t2(vec![1.0, 0.0], [1, 2], &d), None);
    let want = (2f32.ln() + (1.0 + 2f32.exp()).ln()) / 2.0;
    assert!((l.into_scalar::<f32>() - want).abs() < 1e-5);
    // Class weights: weighted mean over items (torch CrossEntropyLoss(weight=w) semantics).
    let w = Tensor::<1>::from_data(TensorData::new(vec![1.0f32, 3.0], [2]), &d);
    let logits = t2(vec![0.0, 0.0, 0.0, 0.0], [2, 2], &d);
    let l = loss(Task::SingleLabel, logits, t2(vec![1.0, 0.0, 0.0, 1.0], [2, 2], &d), Some(&w));
    assert!((l.into_scalar::<f32>() - 2f32.ln()).abs() < 1e-5, "equal per-item losses stay ln 2 under any weights");
}

#[test]
fn adadelta_step_matches_the_published_update() {
    // w = 1, input 2, loss = w * 2 -> grad 2. One step of torch's Adadelta (rho 0.9, eps 1e-6,
    // lr 1): v = 0.1 * 4 = 0.4; delta = sqrt(0 + 1e-6) / sqrt(0.4 + 1e-6) * 2.
    let d = Device::flex().autodiff();
    let mut layer = LinearConfig::new(1, 1).with_bias(false).init(&d);
    layer.weight = layer.weight.map(|w| w.zeros_like().add_scalar(1.0).require_grad());
    let mut optim = AdadeltaConfig::default().init();
    let x = Tensor::<2>::from_data(TensorData::new(vec![2.0f32], [1, 1]), &d);
    let l = layer.forward(x).sum();
    let grads = GradientsParams::from_grads(l.backward(), &layer);
    let layer = optim.step(1.0, layer, grads);
    let w = layer.weight.val().into_scalar::<f32>();
    let delta = (1e-6f64).sqrt() / (0.4f64 + 1e-6).sqrt() * 2.0;
    assert!((f64::from(w) - (1.0 - delta)).abs() < 1e-6, "{w} vs {}", 1.0 - delta);
}

#[test]
fn every_architecture_gives_logits_and_a_50d_embedding() {
    let d = Device::flex();
    for (arch, f, t) in [(Architecture::Mlp, 90, 1), (Architecture::Cnn1d, 32, 86), (Architecture::Cnn2d, 128, 86), (Architecture::Crnn, 128, 86), (Architecture::Lstm, 25, 300), (Architecture::Resnet, 128, 116)] {
        let net = NetworkConfig::new(arch, f, t, 10).init(&d).expect("init").valid();
        let (logits, emb) = net.forward(Tensor::zeros([3, f, t], &d));
        assert_eq!(logits.dims(), [3, 10], "{arch:?}");
        assert_eq!(emb.dims(), [3, 50], "{arch:?}");
    }
    // A linear model (a head on a backbone) has no body: its embedding is its input.
    let lin = NetworkConfig::new(Architecture::Linear, 200, 1, 10).init(&d).expect("init").valid();
    let x = Tensor::<3>::random([3, 200, 1], burn::tensor::Distribution::Normal(0.0, 1.0), &d);
    let (logits, emb) = lin.forward(x.clone());
    assert_eq!(logits.dims(), [3, 10]);
    let (e, x): (Vec<f32>, Vec<f32>) = (emb.into_data().convert::<f32>().try_into_vec().expect("f32"), x.into_data().convert::<f32>().try_into_vec().expect("f32"));
    assert_eq!(e, x);
    let err = NetworkConfig::new(Architecture::Cnn2d, 8, 8, 10).init(&d).expect_err("too small for 4 pools");
    assert!(err.to_string().contains("needs at least 16"), "{err}");
}

/// Two Gaussian blobs in 6-d: a problem any of the models must learn.
fn blobs(n: usize, seed: u64) -> Vec<Example> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let c = i % 2;
            let x = (0..6).map(|_| rng.random_range(-1.0f32..1.0) + if c == 1 { 1.5 } else { -1.5 }).collect();
            let mut target = vec![0.0; 2];
            target[c] = 1.0;
            Example { x, target, track: i }
        })
        .collect()
}

fn fit(seed: u64) -> (genrecast_models::GenreNet, Vec<genrecast_models::EpochRecord>) {
    let d = Device::flex().autodiff();
    let net = NetworkConfig::new(Architecture::Mlp, 6, 1, 2).init_seeded(&d, seed).expect("init");
    let cfg = TrainConfig { epochs: 10, batch_size: 16, seed, patience: 0, ..TrainConfig::default() };
    let valid = blobs(40, 99);
    let t = genrecast_models::train(net, &cfg, Task::SingleLabel, (6, 1), |_, _| blobs(128, 1), &valid, &d, |_, _| {}).expect("train");
    (t.net, t.records)
}

#[test]
fn training_learns_and_is_reproducible() {
    let (net, records) = fit(7);
    let last = records.last().expect("epochs");
    assert!(last.valid_accuracy.expect("acc") > 0.95, "{records:?}");
    assert!(last.train_loss < records[0].train_loss);
    let (net2, records2) = fit(7);
    assert_eq!(records.iter().map(|r| r.train_loss).collect::<Vec<_>>(), records2.iter().map(|r| r.train_loss).collect::<Vec<_>>(), "same seed, same run");
    let d = Device::flex();
    let x = Tensor::<3>::from_data(TensorData::new(blobs(4, 5).into_iter().flat_map(|e| e.x).collect::<Vec<f32>>(), [4, 6, 1]), &d);
    let a: Vec<f32> = net.forward(x.clone()).0.into_data().try_to_vec::<f32>().expect("vec");
    let b: Vec<f32> = net2.forward(x).0.into_data().try_to_vec::<f32>().expect("vec");
    assert_eq!(a, b);
}

/// A model card of two labels around `network`, `input` and `normalizer`.
fn test_card(network: NetworkConfig, input: InputSpec, normalizer: Normalizer, lyrics: Option<genrecast_datasets::LyricsEncoder>) -> ModelCard {
    ModelCard {
        format: MODEL_FORMAT,
        genrecast_version: "test".into(),
        burn_version: "0.22.1".into(),
        network,
        task: Task::SingleLabel,
        labels: vec!["a".into(), "b".into()],
        input,
        normalizer,
        train: TrainConfig::default(),
        trained_on: TrainedOn::default(),
        best_epoch: 1,
        metrics: serde_json::Value::Null,
        lyrics,
        embedding_scale: None,
        parent: None,
    }
}

#[test]
fn checkpoints_round_trip_and_refuse_mismatches() {
    let (net, _) = fit(3);
    let card = test_card(
        NetworkConfig::new(Architecture::Mlp, 6, 1, 2),
        InputSpec { preset: InputPreset::Summary, sample_rate: 22050, crop_frames: 86, lyrics_dims: 0, layer: Default::default(), rows: Default::default(), also: Vec::new(), patch_hop: 0 },
        Normalizer { mean: vec![0.0; 6], std: vec![1.0; 6], mask_row: None },
        None,
    );
    // The summary preset gives 90-d examples: this card's 6-d network disagrees with it.
    let dir = tempfile::tempdir().expect("tmp");
    save(dir.path(), &net, &card).expect("save");
    let d = Device::flex();
    let err = load(dir.path(), &d).expect_err("input mismatch").to_string();
    assert!(err.contains("model.json") && err.contains("90x1"), "{err}");

    // A consistent card loads and predicts the same as the network saved.
    let mut ok = card.clone();
    ok.network = NetworkConfig::new(Architecture::Mlp, 90, 1, 2);
    ok.normalizer = Normalizer { mean: vec![0.0; 90], std: vec![1.0; 90], mask_row: None };
    let d_ad = Device::flex().autodiff();
    let net90 = ok.network.init(&d_ad).expect("init").valid();
    save(dir.path(), &net90, &ok).expect("save");
    let (loaded, back) = load(dir.path(), &d).expect("load");
    assert_eq!(back, ok);
    let x = Tensor::<3>::ones([2, 90, 1], &d);
    let a: Vec<f32> = net90.forward(x.clone()).0.into_data().try_to_vec::<f32>().expect("vec");
    let b: Vec<f32> = loaded.forward(x).0.into_data().try_to_vec::<f32>().expect("vec");
    assert_eq!(a, b);

    // Labels that do not fit the outputs, weights of another architecture, a truncated file.
    let mut bad = ok.clone();
    bad.labels.push("c".into());
    std::fs::write(dir.path().join("model.json"), serde_json::to_vec(&bad).expect("json")).expect("write");
    assert!(load(dir.path(), &d).expect_err("labels").to_string().contains("3 labels for 2 outputs"));
    let mut other = ok.clone();
    other.network = NetworkConfig::new(Architecture::Mlp, 90, 1, 2);
    other.network.hidden = 64;
    std::fs::write(dir.path().join("model.json"), serde_json::to_vec(&other).expect("json")).expect("write");
    assert!(load(dir.path(), &d).expect_err("shapes").to_string().contains("do not fit"));
    // An embedding scale of the wrong length, or with a zero std, is refused at load.
    let mut scaled = ok.clone();
    scaled.embedding_scale = Some(genrecast_models::EmbeddingScale { mean: vec![0.0; 49], std: vec![1.0; 49], fitted_on: "test".into() });
    std::fs::write(dir.path().join("model.json"), serde_json::to_vec(&scaled).expect("json")).expect("write");
    assert!(load(dir.path(), &d).expect_err("scale length").to_string().contains("49 dimensions"));
    scaled.embedding_scale = Some(genrecast_models::EmbeddingScale { mean: vec![0.0; 50], std: vec![0.0; 50], fitted_on: "test".into() });
    std::fs::write(dir.path().join("model.json"), serde_json::to_vec(&scaled).expect("json")).expect("write");
    assert!(load(dir.path(), &d).expect_err("zero std").to_string().contains("not positive"));
    assert!(genrecast_models::model_card(dir.path().to_str().expect("utf-8")).is_err(), "model_card checks the scale too");
    std::fs::write(dir.path().join("model.json"), serde_json::to_vec(&ok).expect("json")).expect("write");
    let w = dir.path().join("model.safetensors");
    let bytes = std::fs::read(&w).expect("read");
    std::fs::write(&w, &bytes[..bytes.len() / 2]).expect("truncate");
    assert!(load(dir.path(), &d).is_err(), "a truncated weight file is refused");
}

/// A 25 x steps segment series (24 values, then the mask row) with `real` real steps whose
/// values are `value(row, step)` and padding filled with `pad`.
fn series(steps: usize, real: usize, value: impl Fn(usize, usize) -> f32, pad: f32) -> Vec<f32> {
    let mut x = vec![0.0; 25 * steps];
    for t in 0..steps {
        for r in 0..24 {
            x[r * steps + t] = if t < real { value(r, t) } else { pad };
        }
        x[24 * steps + t] = if t < real { 1.0 } else { 0.0 };
    }
    x
}

fn forward_once(net: &genrecast_models::GenreNet, x: Vec<f32>, shape: (usize, usize)) -> Vec<f32> {
    let d = Device::flex();
    let t = Tensor::<3>::from_data(TensorData::new(x, [1, shape.0, shape.1]), &d);
    net.forward(t).0.into_data().try_to_vec::<f32>().expect("vec")
}

#[test]
fn masked_normaliser_fits_real_steps_and_zeroes_padding() {
    let spec = InputSpec::segments(4);
    // Row 0 is 1, 3 on the two real steps of one example, 5 on the single real step of the
    // other: mean 3, population std sqrt(8/3). Padding holds 100 and must not count.
    let mut a = series(4, 2, |r, t| if r == 0 { [1.0, 3.0][t] } else { 0.0 }, 100.0);
    let b = series(4, 1, |r, _| if r == 0 { 5.0 } else { 0.0 }, 100.0);
    let ex = |x: Vec<f32>| Example { x, target: vec![1.0], track: 0 };
    let n = Normalizer::fit(&[ex(a.clone()), ex(b)], &spec);
    assert!((n.mean[0] - 3.0).abs() < 1e-6 && (n.std[0] - (8.0f32 / 3.0).sqrt()).abs() < 1e-6, "{:?} {:?}", n.mean[0], n.std[0]);
    assert_eq!((n.mean[24], n.std[24], n.mask_row), (0.0, 1.0, Some(24)));
    n.apply(&mut a, 4);
    assert!((a[0] + (2.0 / (8.0f32 / 3.0).sqrt())).abs() < 1e-6);
    assert_eq!(&a[2..4], &[0.0, 0.0], "padding is zero after standardising");
    assert_eq!(&a[24 * 4..], &[1.0, 1.0, 0.0, 0.0], "the mask row is kept");
}

#[test]
fn sequence_models_read_segment_series_and_ignore_what_padding_holds() {
    let spec = InputSpec::segments(16);
    let shape = spec.example_shape();
    assert_eq!(shape, (25, 16));
    let value = |r: usize, t: usize| ((r * 7 + t * 3) % 11) as f32 / 5.0 - 1.0;
    for arch in [Architecture::Lstm, Architecture::Cnn1d, Architecture::Mlp] {
        let cfg = NetworkConfig::for_input(arch, &spec, 3);
        assert!(cfg.masked);
        let net = cfg.init_seeded(&Device::flex(), 1).expect("init");
        let zeros = forward_once(&net, series(16, 9, value, 0.0), shape);
        assert_eq!(zeros.len(), 3);
        let moved = forward_once(&net, series(16, 9, |r, t| value(r, t) + f32::from(u8::from(t == 3)), 0.0), shape);
        assert!(zeros.iter().zip(&moved).any(|(a, b)| (a - b).abs() > 1e-6), "{arch:?}: a real step must matter");
        if arch == Architecture::Lstm {
            // The LSTM reads forwards and pools over real steps only: whatever the padding holds,
            // the output is the same.
            let garbage = forward_once(&net, series(16, 9, value, 37.0), shape);
            assert!(zeros.iter().zip(&garbage).all(|(a, b)| (a - b).abs() < 1e-6), "{zeros:?} vs {garbage:?}");
        }
    }
    // 2-D models refuse a masked series.
    assert!(NetworkConfig::for_input(Architecture::Cnn2d, &spec, 3).init(&Device::flex()).is_err());
}

#[test]
fn lyrics_are_fused_with_the_audio_embedding_and_checkpointed() {
    let mut spec = InputSpec::segments(8);
    spec.lyrics_dims = 10;
    // 25 feature rows, then ceil(10 / 8) = 2 rows of lyrics.
    assert_eq!((spec.feature_shape(), spec.side_rows(), spec.example_shape()), ((25, 8), 2, (27, 8)));
    let mut x = series(8, 5, |r, t| (r + t) as f32 / 30.0, 0.0);
    let lyrics: Vec<f32> = (0..10).map(|i| i as f32 / 10.0 - 0.5).collect();
    genrecast_models::append_lyrics(&mut x, &lyrics, &spec);
    assert_eq!(x.len(), 27 * 8);
    assert_eq!(&x[25 * 8..25 * 8 + 10], &lyrics[..]);
    assert!(x[25 * 8 + 10..].iter().all(|&v| v == 0.0));

    let cfg = NetworkConfig::for_input(Architecture::Cnn1d, &spec, 2);
    assert_eq!((cfg.n_features, cfg.lyrics, cfg.lyrics_rows()), (25, 10, 2));
    let net = cfg.init_seeded(&Device::flex().autodiff(), 3).expect("init").valid();
    let a = forward_once(&net, x.clone(), spec.example_shape());
    let mut other = x.clone();
    genrecast_models::append_lyrics(&mut other, &lyrics.iter().map(|v| -v).collect::<Vec<_>>(), &spec);
    let b = forward_once(&net, other, spec.example_shape());
    assert!(a.iter().zip(&b).any(|(p, q)| (p - q).abs() > 1e-6), "the lyrics must reach the output");

    // An encoder of 10-d vectors over 12 words, each song singing two neighbours.
    let bag = |w: u32| genrecast_datasets::LyricsBag { track_id: format!("TR{w}"), mxm_id: 0, counts: vec![(w, 1), (w + 1, 2)] };
    let songs: Vec<_> = (0..11).map(bag).collect();
    let encoder = genrecast_datasets::LyricsEncoder::fit(songs.iter(), 12, 10, 1, 0);
    let card = test_card(cfg.clone(), spec.clone(), Normalizer { mean: vec![0.0; 25], std: vec![1.0; 25], mask_row: Some(24) }, Some(encoder));
    let dir = tempfile::tempdir().expect("tmp");
    save(dir.path(), &net, &card).expect("save");
    let (loaded, back) = load(dir.path(), &Device::flex()).expect("load");
    assert_eq!(back, card);
    assert_eq!(forward_once(&loaded, x, spec.example_shape()), a);
    // A card without its lyrics encoder, or whose network lost its lyrics, no longer fits.
    let mut bad = card.clone();
    bad.lyrics = None;
    save(dir.path(), &net, &bad).expect("save");
    assert!(load(dir.path(), &Device::flex()).expect_err("no encoder").to_string().contains("lyrics encoder gives 0"));
    let mut bad = card.clone();
    bad.network.lyrics = 0;
    save(dir.path(), &net, &bad).expect("save");
    assert!(load(dir.path(), &Device::flex()).is_err());
    // Such a model cannot classify audio files alone.
    save(dir.path(), &net, &card).expect("save");
    let Err(err) = genrecast_models::Classifier::open(dir.path().to_str().expect("utf-8")) else { panic!("a lyrics model opened as an audio classifier") };
    let err = err.to_string();
    assert!(err.contains("MSD segment series and lyrics") && err.contains("--lyrics"), "{err}");
}

/// A cached segment series is one of its own length: reading the same file for a longer
/// series through the cache gives the longer, padded series, not the cached shorter one.
#[test]
fn cached_segment_series_keep_their_length() {
    let Some(shared) = genrecast_testutil::shared_dir() else { return };
    // 550 segments (SOURCE.txt).
    let h5 = shared.join("data/msd/h5/TRAAABD128F429CF47.h5");
    let dir = tempfile::tempdir().expect("tmp");
    let cache = genrecast_datasets::FeatureCache::open(dir.path()).expect("cache");
    for steps in [300, 600, 300] {
        let m = genrecast_models::track_matrices(&[h5.as_path()], &InputSpec::segments(steps), Some(&cache), genrecast_models::ComputeDevice::Cpu, &|| {}).expect("cpu").remove(0).expect("series");
        assert_eq!((m.rows, m.cols), (25, steps));
        let mask = m.row(24);
        assert_eq!(mask.iter().filter(|&&v| v == 1.0).count(), steps.min(550), "steps {steps}");
    }
}

/// Cards that lie: absurd sizes are refused before anything is allocated (they aborted the
/// process after asking for terabytes, or climbed to 18 GB), as are a zero standard
/// deviation, NaN weights, an impossible sample rate, and a card that never ends.
#[test]
fn hostile_cards_are_refused_at_load_time() {
    let d_ad = Device::flex().autodiff();
    let d = Device::flex();
    let ok = test_card(
        NetworkConfig::new(Architecture::Mlp, 90, 1, 2),
        InputSpec { preset: InputPreset::Summary, sample_rate: 22050, crop_frames: 86, lyrics_dims: 0, layer: Default::default(), rows: Default::default(), also: Vec::new(), patch_hop: 0 },
        Normalizer { mean: vec![0.0; 90], std: vec![1.0; 90], mask_row: None },
        None,
    );
    let net = ok.network.init(&d_ad).expect("init").valid();
    let dir = tempfile::tempdir().expect("tmp");
    save(dir.path(), &net, &ok).expect("save");
    load(dir.path(), &d).expect("the honest card loads");
    let write_card = |card: &ModelCard| std::fs::write(dir.path().join("model.json"), serde_json::to_vec(card).expect("json")).expect("write");
    let refused = |what: &str, says: &str| {
        let err = load(dir.path(), &d).expect_err(what).to_string();
        assert!(err.contains(says), "{what}: {err}");
    };
    for (what, change) in [
        ("hidden 2^40", Box::new(|c: &mut ModelCard| c.network.hidden = 1 << 40) as Box<dyn Fn(&mut ModelCard)>),
        ("embedding 2^33", Box::new(|c: &mut ModelCard| c.network.embedding = 1 << 33)),
        ("huge channels", Box::new(|c: &mut ModelCard| c.network.channels = vec![1 << 20; 4])),
        ("wide but each allowed", Box::new(|c: &mut ModelCard| c.network.hidden = 60_000)),
    ] {
        let mut bad = ok.clone();
        change(&mut bad);
        write_card(&bad);
        let err = load(dir.path(), &d).expect_err(what).to_string();
        assert!(err.contains("beyond any genrecast network") || err.contains("weights, more than"), "{what}: {err}");
    }
    let mut bad = ok.clone();
    bad.input.sample_rate = 4_000_000_000;
    write_card(&bad);
    refused("sample rate 4e9", "sample rate 4000000000 Hz");
    let mut bad = ok.clone();
    bad.normalizer.std[7] = 0.0;
    write_card(&bad);
    refused("zero std", "standard deviation");
    // NaN weights: the honest card with weights whose every value is NaN.
    write_card(&ok);
    let nan_net = ok.network.init(&d_ad).expect("init").valid().map(&mut NanMapper);
    save(dir.path(), &nan_net, &ok).expect("save");
    refused("NaN weights", "NaN or infinite");
    // A card that never ends is read up to its cap, not to the end of memory.
    std::fs::remove_file(dir.path().join("model.json")).expect("rm");
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("model.json")).expect("symlink");
    refused("/dev/zero", "larger than 64 MB");
}

/// Fills every float parameter with NaN.
struct NanMapper;

impl burn::module::ModuleMapper for NanMapper {
    fn map_float<const D: usize>(&mut self, param: burn::module::Param<Tensor<D>>) -> burn::module::Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        burn::module::Param::from_mapped_value(id, tensor.mul_scalar(f32::NAN), mapper)
    }
}

/// Models on features (a 2-D CNN on log-mel, an MLP on the 90-d summary) judge a long file
/// as it decodes, keeping only the chosen windows' frames, with the whole-file result bit
/// for bit: the same windows, spans, probabilities and embedding. Real clips stand in for
/// long songs by setting the streaming threshold to 0 s.
#[test]
fn feature_models_stream_long_files_to_the_whole_file_result() {
    let Some(shared) = genrecast_testutil::shared_dir() else { return };
    let dir = tempfile::tempdir().expect("tmp");
    for (arch, preset) in [(Architecture::Cnn2d, InputPreset::LogMel), (Architecture::Mlp, InputPreset::Summary)] {
        let spec = InputSpec::new(preset, 2.0);
        let cfg = NetworkConfig::for_input(arch, &spec, 2);
        let net = cfg.init_seeded(&Device::flex(), 5).expect("init");
        let n = cfg.n_features;
        let card = test_card(cfg, spec, Normalizer { mean: vec![-20.0; n], std: vec![15.0; n], mask_row: None }, None);
        let model = dir.path().join(format!("{preset:?}"));
        save(&model, &net, &card).expect("save");
        let model = model.to_str().expect("utf-8");
        let (mut streamed, mut whole) = (genrecast_models::Classifier::open(model).expect("open"), genrecast_models::Classifier::open(model).expect("open"));
        streamed.set_stream_above(0.0);
        whole.set_stream_above(f64::INFINITY);
        for clip in ["data/gtzan/full_22k/jazz/jazz.00000.flac", "data/gtzan/full_16k/disco/disco.00004.flac"] {
            for max in [None, Some(3)] {
                streamed.set_max_windows(max);
                whole.set_max_windows(max);
                let path = shared.join(clip);
                let a = streamed.classify_file(&path, genrecast_models::Aggregation::Mean).expect("streamed");
                let b = whole.classify_file(&path, genrecast_models::Aggregation::Mean).expect("whole");
                let what = format!("{preset:?} {clip} {max:?}");
                assert_eq!(b.windows.len(), max.unwrap_or(b.windows_total), "{what}");
                assert_eq!((a.windows_total, a.duration, &a.warnings), (b.windows_total, b.duration, &b.warnings), "{what}");
                assert_eq!((&a.probabilities, &a.embedding), (&b.probabilities, &b.embedding), "{what}");
                for (x, y) in a.windows.iter().zip(&b.windows) {
                    assert_eq!((x.start, x.end, &x.probabilities), (y.start, y.end, &y.probabilities), "{what}");
                }
            }
        }
    }
}

/// An RBF SVM fitted by genrecast-classic (linfa) on real rows (GTZAN's Kaggle feature table,
/// Foleis' fold 1, padded with constant columns to the 90 values of the summary input), carried
/// as a network: its softmax gives linfa's probabilities on the held-out rows, and it survives
/// a save and load.
#[test]
fn an_rbf_svm_network_gives_linfas_probabilities() {
    let Some(shared) = genrecast_testutil::shared_dir() else { return eprintln!("skipped: no ../shared") };
    let root = shared.join("data/gtzan");
    let (ds, table) = genrecast_datasets::load_gtzan_table(&root, &root.join("kaggle_features/features_30_sec.csv"), &["length"]).expect("table");
    let fold = &genrecast_datasets::gtzan_folds(&ds, &root.join("splits"), "folds3").expect("folds3")[0];
    let class = |i: usize| ds.labels.iter().position(|l| Some(l.as_str()) == ds.tracks[i].label()).expect("label");
    let row = |i: usize| {
        let mut r = table.rows[i].clone();
        r.resize(90, 1.0);
        r
    };
    let (x, y): (Vec<Vec<f32>>, Vec<usize>) = fold.train.iter().map(|&i| (row(i), class(i))).unzip();
    let test: Vec<Vec<f32>> = fold.test.iter().map(|&i| row(i)).collect();
    let fitted = "svm-rbf:c=10".parse::<genrecast_classic::ClassicModel>().expect("model").fit(&x, &y, ds.labels.len(), 1).expect("fit");
    let linfa = fitted.predict_proba(&test);
    let d = Device::flex();
    let (net, config) = genrecast_models::GenreNet::from_rbf_svm(&fitted.rbf_svm_parts().expect("parts"), 90, 1, &d).expect("network");
    let probs = |net: &genrecast_models::GenreNet| -> Vec<f32> {
        let x = Tensor::<3>::from_data(TensorData::new(test.concat(), [test.len(), 90, 1]), &d);
        genrecast_models::probabilities(Task::SingleLabel, net.forward(x).0).into_data().try_to_vec::<f32>().expect("vec")
    };
    let ours = probs(&net);
    let worst = ours.iter().zip(linfa.concat()).fold(0f32, |w, (a, b)| w.max((a - b).abs()));
    assert!(worst < 1e-4, "largest probability difference {worst:e}");

    let mut card = test_card(config, InputSpec::new(InputPreset::Summary, 2.0), Normalizer { mean: vec![0.0; 90], std: vec![1.0; 90], mask_row: None }, None);
    card.labels = ds.labels.clone();
    let dir = tempfile::tempdir().expect("tmp");
    save(dir.path(), &net, &card).expect("save");
    let (loaded, back) = load(dir.path(), &d).expect("load");
    assert_eq!(back, card);
    assert_eq!(probs(&loaded), ours);
}

/// Several backbones on one input: each patch's vector is every backbone's own features side
/// by side (each backbone is checked against musicnn's TensorFlow outputs in
/// `musicnn_parity`), and the joined rows are what the spec says.
#[test]
fn several_backbones_join_each_ones_features_per_patch() {
    use genrecast_models::{backbone_embeddings, track_matrices, Backbone, BackboneLayer, ComputeDevice};
    let Some(shared) = genrecast_testutil::shared_dir() else { return };
    let path = shared.join("data/gtzan/full_16k/disco/disco.00004.flac");
    let spec = InputSpec::new(InputPreset::MusicnnMsd, 3.0).with_also(&[Backbone::VggMtt]);
    assert_eq!((spec.frame_rows(), spec.backbone_names().as_str()), (200 + 256, "musicnn-msd+vgg-mtt"));
    let joined = track_matrices(&[path.as_path()], &spec, None, ComputeDevice::Cpu, &|| {}).expect("cpu").pop().expect("one result").expect("joined matrix");
    let y = genrecast_audio::load(&path, &genrecast_audio::LoadOptions { sample_rate: Some(16_000), ..Default::default() }).expect("clip").samples;
    let msd = backbone_embeddings(Backbone::MusicnnMsd, BackboneLayer::Penultimate, 0, &y, ComputeDevice::Cpu).expect("msd");
    let vgg = backbone_embeddings(Backbone::VggMtt, BackboneLayer::Penultimate, 0, &y, ComputeDevice::Cpu).expect("vgg");
    assert_eq!((joined.rows, joined.cols), (456, msd.cols));
    assert_eq!(vgg.cols, msd.cols, "one front end, the same patches");
    assert_eq!(&joined.data[..200 * msd.cols], &msd.data[..], "musicnn-msd rows first");
    assert_eq!(&joined.data[200 * msd.cols..], &vgg.data[..], "then vgg-mtt's");
    // A card says which backbones its input runs, and an old card (no `also`) still reads.
    let json = serde_json::to_value(&spec).expect("json");
    assert_eq!(json["also"], serde_json::json!(["vgg-mtt"]));
    let old: InputSpec = serde_json::from_str(r#"{"preset":"musicnn-msd","sample_rate":16000,"crop_frames":1}"#).expect("old card");
    assert_eq!(old.backbones(), [Backbone::MusicnnMsd]);
}

/// Overlapping patches (`eval --patch-hop`): a 30 s clip (1,875 frames) gives 19 patches
/// every 93 frames against 10 disjoint ones; both grids' first patch (frame 0) gives the same
/// features, their second (frame 93 against 187) does not, and a card names the hop only
/// when one is set.
#[test]
fn overlapping_patches_start_every_hop_frames() {
    use genrecast_models::{backbone_embeddings, Backbone, BackboneLayer, ComputeDevice};
    let Some(shared) = genrecast_testutil::shared_dir() else { return };
    let path = shared.join("data/gtzan/full_16k/disco/disco.00004.flac");
    let y = genrecast_audio::load(&path, &genrecast_audio::LoadOptions { sample_rate: Some(16_000), ..Default::default() }).expect("clip").samples;
    let disjoint = backbone_embeddings(Backbone::MusicnnMsd, BackboneLayer::Penultimate, 0, &y, ComputeDevice::Cpu).expect("disjoint");
    let half = backbone_embeddings(Backbone::MusicnnMsd, BackboneLayer::Penultimate, 93, &y, ComputeDevice::Cpu).expect("half");
    let frames = y.len() / 256 + 1;
    assert_eq!(disjoint.cols, frames / 187);
    assert_eq!(half.cols, (frames - 187) / 93 + 1);
    let column = |m: &genrecast_features::Array2, c: usize| (0..m.rows).map(|r| m.data[r * m.cols + c]).collect::<Vec<f32>>();
    assert_eq!(column(&half, 0), column(&disjoint, 0), "both grids start at frame 0");
    assert_ne!(column(&half, 1), column(&disjoint, 1), "the second patch starts at 93, not 187");
    let spec = InputSpec { patch_hop: 93, ..InputSpec::new(InputPreset::MusicnnMsd, 3.0) };
    assert_eq!(serde_json::to_value(&spec).expect("json")["patch_hop"], 93);
    assert!(serde_json::to_value(InputSpec::new(InputPreset::MusicnnMsd, 3.0)).expect("json").get("patch_hop").is_none());
}
