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
    for (arch, f, t) in [(Architecture::Mlp, 90, 1), (Architecture::Cnn1d, 32, 86), (Architecture::Cnn2d, 128, 86), (Architecture::Crnn, 128, 86)] {
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

#[test]
fn checkpoints_round_trip_and_refuse_mismatches() {
    let (net, _) = fit(3);
    let card = ModelCard {
        format: MODEL_FORMAT,
        genrecast_version: "test".into(),
        burn_version: "0.22.1".into(),
        network: NetworkConfig::new(Architecture::Mlp, 6, 1, 2),
        task: Task::SingleLabel,
        labels: vec!["a".into(), "b".into()],
        input: InputSpec { preset: InputPreset::Summary, sample_rate: 22050, crop_frames: 86 },
        normalizer: Normalizer { mean: vec![0.0; 6], std: vec![1.0; 6] },
        train: TrainConfig::default(),
        trained_on: TrainedOn::default(),
        best_epoch: 1,
        metrics: serde_json::Value::Null,
    };
    // The summary preset gives 90-d examples: this card's 6-d network disagrees with it.
    let dir = tempfile::tempdir().expect("tmp");
    save(dir.path(), &net, &card).expect("save");
    let d = Device::flex();
    let err = load(dir.path(), &d).expect_err("input mismatch").to_string();
    assert!(err.contains("model.json") && err.contains("90x1"), "{err}");

    // A consistent card loads and predicts the same as the network saved.
    let mut ok = card.clone();
    ok.network = NetworkConfig::new(Architecture::Mlp, 90, 1, 2);
    ok.normalizer = Normalizer { mean: vec![0.0; 90], std: vec![1.0; 90] };
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
    std::fs::write(dir.path().join("model.json"), serde_json::to_vec(&ok).expect("json")).expect("write");
    let w = dir.path().join("model.safetensors");
    let bytes = std::fs::read(&w).expect("read");
    std::fs::write(&w, &bytes[..bytes.len() / 2]).expect("truncate");
    assert!(load(dir.path(), &d).is_err(), "a truncated weight file is refused");
}
