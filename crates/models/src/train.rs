//! The training loop: mini-batches, loss (softmax cross-entropy or sigmoid binary
//! cross-entropy, with class weights and soft targets for mixup), L1/L2 penalties, Adam/AdamW/
//! Adadelta, a learning-rate schedule, augmentation and early stopping on validation loss.

use burn::module::Module;
use burn::optim::{AdamConfig, AdamWConfig, GradientsParams, ModuleOptimizer};
use burn::optim::decay::WeightDecayConfig;
use burn::tensor::activation::{log_softmax, relu, sigmoid, softmax};
use burn::tensor::{Device, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::adadelta::AdadeltaConfig;
use crate::network::GenreNet;
use crate::{Error, Result};

/// One training or validation example: an input of `features x frames` (row-major) and its
/// target (one-hot for genre, 0/1 per tag for tagging).
#[derive(Clone, Debug)]
pub struct Example {
    /// `features * frames` values, feature-major.
    pub x: Vec<f32>,
    /// One value per output.
    pub target: Vec<f32>,
    /// Which track it comes from (to aggregate predictions per track).
    pub track: usize,
}

/// Single-label (softmax) or multi-label (sigmoid) outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Task {
    /// One class per example; softmax and cross-entropy.
    SingleLabel,
    /// Any number of tags; sigmoid and binary cross-entropy.
    MultiLabel,
}

/// The optimiser.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// Adam with L2 weight decay added to the gradient.
    Adam,
    /// AdamW (decoupled weight decay).
    AdamW,
    /// Adadelta (use a learning rate near 1).
    Adadelta,
}

/// How the learning rate moves over epochs.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum Schedule {
    /// The same every epoch.
    Constant,
    /// Cosine decay from `lr` to `lr * 0.01` over the epochs.
    Cosine,
    /// Multiply by `factor` when validation loss has not improved for `patience` epochs.
    Plateau {
        /// Epochs without improvement before a cut.
        patience: usize,
        /// The cut, e.g. 0.5.
        factor: f64,
    },
}

/// Data augmentation applied to training batches (all off by default).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Augment {
    /// Random gain of up to +-`gain_db` dB, added to every value (inputs in dB).
    pub gain_db: f32,
    /// Number of time masks per example (SpecAugment).
    pub time_masks: usize,
    /// Widest time mask, frames.
    pub time_mask_width: usize,
    /// Number of frequency masks per example.
    pub freq_masks: usize,
    /// Widest frequency mask, bands.
    pub freq_mask_width: usize,
    /// Mixup with weights drawn from Beta(alpha, alpha); 0 disables it.
    pub mixup_alpha: f32,
}

/// Everything that decides how a network is trained (stored with the model).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainConfig {
    /// Maximum epochs.
    pub epochs: usize,
    /// Examples per batch.
    pub batch_size: usize,
    /// Initial learning rate.
    pub lr: f64,
    /// The optimiser.
    pub optimizer: OptimizerKind,
    /// L2 penalty (weight decay).
    pub weight_decay: f32,
    /// L1 penalty on the embedding and output weights.
    pub l1: f32,
    /// Stop after this many epochs without a better validation loss (0: never).
    pub patience: usize,
    /// The learning-rate schedule.
    pub schedule: Schedule,
    /// Augmentation of training batches.
    pub augment: Augment,
    /// Loss weight of each output class (single-label), e.g. from `class_weights`.
    pub class_weights: Option<Vec<f32>>,
    /// Seed of weights, batches and augmentation.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 30,
            batch_size: 32,
            lr: 1e-3,
            optimizer: OptimizerKind::Adam,
            weight_decay: 1e-4,
            l1: 0.0,
            patience: 8,
            schedule: Schedule::Cosine,
            augment: Augment::default(),
            class_weights: None,
            seed: 0,
        }
    }
}

/// What one epoch did.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct EpochRecord {
    /// 1-based epoch.
    pub epoch: usize,
    /// Learning rate used.
    pub lr: f64,
    /// Mean training loss.
    pub train_loss: f64,
    /// Validation loss (example level), if there is validation data.
    pub valid_loss: Option<f64>,
    /// Validation accuracy, example level (single-label).
    pub valid_accuracy: Option<f64>,
    /// Wall time of the epoch, seconds.
    pub seconds: f64,
}

/// Batch tensor `[n, features, frames]` of examples.
fn batch_x(examples: &[&Example], features: usize, frames: usize, device: &Device) -> Tensor<3> {
    let mut data = Vec::with_capacity(examples.len() * features * frames);
    for e in examples {
        data.extend_from_slice(&e.x);
    }
    Tensor::from_data(TensorData::new(data, [examples.len(), features, frames]), device)
}

fn batch_y(examples: &[&Example], outputs: usize, device: &Device) -> Tensor<2> {
    let data: Vec<f32> = examples.iter().flat_map(|e| e.target.iter().copied()).collect();
    Tensor::from_data(TensorData::new(data, [examples.len(), outputs]), device)
}

/// Mean loss of `logits` against (soft) `targets`, weighting each class by `class_weights`.
pub fn loss(task: Task, logits: Tensor<2>, targets: Tensor<2>, class_weights: Option<&Tensor<1>>) -> Tensor<1> {
    let [n, c] = logits.dims();
    let per_item = match task {
        Task::SingleLabel => (targets.clone() * log_softmax(logits, 1)).sum_dim(1).neg(),
        Task::MultiLabel => {
            // Stable BCE with logits: max(x, 0) - x y + log(1 + exp(-|x|)), mean over tags.
            let bce = relu(logits.clone()) - logits.clone() * targets.clone() + logits.abs().neg().exp().add_scalar(1.0).log();
            bce.mean_dim(1)
        }
    };
    match class_weights {
        Some(w) if task == Task::SingleLabel => {
            let w = targets.mul(w.clone().reshape([1, c])).sum_dim(1);
            (per_item * w.clone()).sum().div(w.sum().add_scalar(1e-12))
        }
        _ => per_item.reshape([n]).mean(),
    }
}

/// Probabilities of `logits`: softmax or sigmoid.
pub fn probabilities(task: Task, logits: Tensor<2>) -> Tensor<2> {
    match task {
        Task::SingleLabel => softmax(logits, 1),
        Task::MultiLabel => sigmoid(logits),
    }
}

fn optimizer(cfg: &TrainConfig) -> ModuleOptimizer {
    let decay = (cfg.weight_decay > 0.0).then(|| WeightDecayConfig::new(cfg.weight_decay));
    match cfg.optimizer {
        OptimizerKind::Adam => AdamConfig::new().with_weight_decay(decay).init(),
        OptimizerKind::AdamW => AdamWConfig::new().with_weight_decay(cfg.weight_decay).init(),
        OptimizerKind::Adadelta => AdadeltaConfig { weight_decay: cfg.weight_decay, ..AdadeltaConfig::default() }.init(),
    }
}

/// Augments one example's input in place (`features x frames`).
fn augment(x: &mut [f32], features: usize, frames: usize, a: &Augment, rng: &mut ChaCha8Rng) {
    if a.gain_db > 0.0 {
        let g = rng.random_range(-a.gain_db..=a.gain_db);
        x.iter_mut().for_each(|v| *v += g);
    }
    let mean = x.iter().sum::<f32>() / x.len().max(1) as f32;
    for _ in 0..a.time_masks {
        let w = rng.random_range(0..=a.time_mask_width.min(frames));
        let t0 = rng.random_range(0..=frames - w);
        for f in 0..features {
            x[f * frames + t0..f * frames + t0 + w].iter_mut().for_each(|v| *v = mean);
        }
    }
    for _ in 0..a.freq_masks {
        let w = rng.random_range(0..=a.freq_mask_width.min(features));
        let f0 = rng.random_range(0..=features - w);
        x[f0 * frames..(f0 + w) * frames].iter_mut().for_each(|v| *v = mean);
    }
}

/// A Beta(alpha, alpha) draw from two Gamma draws (Marsaglia-Tsang), for mixup.
pub(crate) fn beta(alpha: f32, rng: &mut ChaCha8Rng) -> f32 {
    let gamma = |rng: &mut ChaCha8Rng| -> f32 {
        let (a, boost) = if alpha < 1.0 { (alpha + 1.0, true) } else { (alpha, false) };
        let d = a - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        let g = loop {
            let z: f32 = {
                // Box-Muller normal.
                let (u1, u2): (f32, f32) = (rng.random_range(f32::EPSILON..1.0), rng.random());
                (-2.0 * u1.ln()).sqrt() * (2.0 * std::f32::consts::PI * u2).cos()
            };
            let v = (1.0 + c * z).powi(3);
            if v > 0.0 && rng.random::<f32>().ln() < 0.5 * z * z + d - d * v + d * v.ln() {
                break d * v;
            }
        };
        if boost { g * rng.random_range(f32::EPSILON..1.0).powf(1.0 / alpha) } else { g }
    };
    let (x, y) = (gamma(rng), gamma(rng));
    x / (x + y)
}

/// What [`train`] returns.
#[derive(Debug)]
pub struct Trained {
    /// The network of the best epoch, in inference mode.
    pub net: GenreNet,
    /// One record per epoch run.
    pub records: Vec<EpochRecord>,
    /// The epoch whose weights `net` holds (lowest validation loss, or the last epoch without
    /// validation data).
    pub best_epoch: usize,
}

/// Trains `net` on examples drawn by `draw_train` each epoch (e.g. fresh random crops), selects
/// the epoch with the lowest validation loss on `valid` (or the last one without validation
/// data), and returns that network (in inference mode) with the per-epoch records.
/// `on_epoch` sees each record as it is made (progress, CSV).
///
/// `device` must have autodiff enabled.
///
/// # Errors
/// [`Error::Data`] when there are no training examples or their shapes disagree.
#[allow(clippy::too_many_arguments)]
pub fn train(
    mut net: GenreNet,
    cfg: &TrainConfig,
    task: Task,
    shape: (usize, usize),
    mut draw_train: impl FnMut(usize, &mut ChaCha8Rng) -> Vec<Example>,
    valid: &[Example],
    device: &Device,
    mut on_epoch: impl FnMut(&EpochRecord, Option<usize>),
) -> Result<Trained> {
    let (features, frames) = shape;
    // Dropout draws from the backend's global generator: seed it and keep it to ourselves.
    let _guard = crate::backend_rng_lock();
    device.seed(cfg.seed.wrapping_add(0x5eed));
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut optim = optimizer(cfg);
    let weights = cfg.class_weights.as_ref().map(|w| Tensor::<1>::from_data(TensorData::new(w.clone(), [w.len()]), device));
    let mut records = Vec::new();
    let mut best: Option<(f64, usize, GenreNet)> = None;
    let mut lr = cfg.lr;
    let (mut since_best, mut since_cut) = (0usize, 0usize);
    for epoch in 1..=cfg.epochs {
        let start = std::time::Instant::now();
        if let Schedule::Cosine = cfg.schedule {
            let progress = (epoch - 1) as f64 / (cfg.epochs.max(2) - 1) as f64;
            lr = cfg.lr * (0.01 + 0.99 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()));
        }
        let mut examples = draw_train(epoch, &mut rng);
        if examples.is_empty() {
            return Err(Error::Data("no training examples".into()));
        }
        if let Some(bad) = examples.iter().find(|e| e.x.len() != features * frames) {
            return Err(Error::Data(format!("an example of track {} has {} values, expected {features}x{frames}", bad.track, bad.x.len())));
        }
        examples.shuffle(&mut rng);
        let mut total = 0.0;
        let mut batches = 0usize;
        for chunk in examples.chunks_mut(cfg.batch_size.max(1)) {
            for e in chunk.iter_mut() {
                augment(&mut e.x, features, frames, &cfg.augment, &mut rng);
            }
            if cfg.augment.mixup_alpha > 0.0 && chunk.len() > 1 {
                let partner: Vec<Example> = {
                    let mut p = chunk.to_vec();
                    p.shuffle(&mut rng);
                    p
                };
                for (e, p) in chunk.iter_mut().zip(&partner) {
                    let l = beta(cfg.augment.mixup_alpha, &mut rng);
                    e.x.iter_mut().zip(&p.x).for_each(|(a, b)| *a = l * *a + (1.0 - l) * b);
                    e.target.iter_mut().zip(&p.target).for_each(|(a, b)| *a = l * *a + (1.0 - l) * b);
                }
            }
            let refs: Vec<&Example> = chunk.iter().collect();
            let x = batch_x(&refs, features, frames, device);
            let y = batch_y(&refs, net.head.weight.dims()[1], device);
            let (logits, _) = net.forward(x);
            let mut l = loss(task, logits, y, weights.as_ref());
            if cfg.l1 > 0.0 {
                l = l + net.l1_term().mul_scalar(cfg.l1);
            }
            total += f64::from(l.clone().into_scalar::<f32>());
            batches += 1;
            let grads = GradientsParams::from_grads(l.backward(), &net);
            net = optim.step(lr, net, grads);
        }
        let train_loss = total / batches as f64;
        let (valid_loss, valid_accuracy) = if valid.is_empty() {
            (None, None)
        } else {
            let (l, a) = evaluate_loss(&net.valid(), task, valid, shape, weights.as_ref().map(|w| w.clone().without_autodiff()), device);
            (Some(l), a)
        };
        let record = EpochRecord { epoch, lr, train_loss, valid_loss, valid_accuracy, seconds: start.elapsed().as_secs_f64() };
        let score = valid_loss.unwrap_or(train_loss);
        let improved = best.as_ref().is_none_or(|(b, _, _)| score < *b);
        if improved || valid.is_empty() {
            best = Some((score, epoch, net.clone()));
            since_best = 0;
            since_cut = 0;
        } else {
            since_best += 1;
            since_cut += 1;
        }
        on_epoch(&record, best.as_ref().map(|(_, e, _)| *e));
        records.push(record);
        if let Schedule::Plateau { patience, factor } = cfg.schedule {
            if since_cut >= patience.max(1) {
                lr *= factor;
                since_cut = 0;
            }
        }
        if cfg.patience > 0 && since_best >= cfg.patience {
            break;
        }
    }
    let (_, best_epoch, best) = best.ok_or_else(|| Error::Data("no epoch ran (epochs = 0)".into()))?;
    Ok(Trained { net: best.valid(), records, best_epoch })
}

/// Mean loss and accuracy (single-label) of `net` on `examples`.
fn evaluate_loss(net: &GenreNet, task: Task, examples: &[Example], shape: (usize, usize), weights: Option<Tensor<1>>, device: &Device) -> (f64, Option<f64>) {
    let device = device.clone().without_autodiff();
    let mut total = 0.0;
    let mut correct = 0usize;
    for chunk in examples.chunks(64) {
        let refs: Vec<&Example> = chunk.iter().collect();
        let (logits, _) = net.forward(batch_x(&refs, shape.0, shape.1, &device));
        let y = batch_y(&refs, logits.dims()[1], &device);
        total += f64::from(loss(task, logits.clone(), y, weights.as_ref()).into_scalar::<f32>()) * chunk.len() as f64;
        if task == Task::SingleLabel {
            let pred: Vec<i64> = logits.argmax(1).into_data().convert::<i64>().try_into_vec::<i64>().unwrap_or_default();
            correct += chunk.iter().zip(&pred).filter(|(e, &p)| argmax(&e.target) == p as usize).count();
        }
    }
    let n = examples.len() as f64;
    (total / n, (task == Task::SingleLabel).then(|| correct as f64 / n))
}

/// Probabilities for each example, in order (inference mode; any device).
pub fn predict(net: &GenreNet, task: Task, examples: &[Example], shape: (usize, usize), device: &Device) -> Vec<Vec<f32>> {
    let mut out = Vec::with_capacity(examples.len());
    for chunk in examples.chunks(64) {
        let refs: Vec<&Example> = chunk.iter().collect();
        let (logits, _) = net.forward(batch_x(&refs, shape.0, shape.1, device));
        let [n, c] = logits.dims();
        let p: Vec<f32> = probabilities(task, logits).into_data().convert::<f32>().try_into_vec::<f32>().unwrap_or_default();
        out.extend((0..n).map(|i| p[i * c..(i + 1) * c].to_vec()));
    }
    out
}

/// Embeddings for each example, in order.
pub fn embeddings(net: &GenreNet, examples: &[Example], shape: (usize, usize), device: &Device) -> Vec<Vec<f32>> {
    let mut out = Vec::with_capacity(examples.len());
    for chunk in examples.chunks(64) {
        let refs: Vec<&Example> = chunk.iter().collect();
        let e = net.embed(batch_x(&refs, shape.0, shape.1, device));
        let [n, d] = e.dims();
        let v: Vec<f32> = e.into_data().convert::<f32>().try_into_vec::<f32>().unwrap_or_default();
        out.extend((0..n).map(|i| v[i * d..(i + 1) * d].to_vec()));
    }
    out
}

/// The scale of `net`'s song embeddings over the tracks of `examples` (already normalised as
/// the network reads them): each track's embedding is the mean over its windows, as
/// [`Classifier`](crate::Classifier) gives it, and the scale is fitted on those. Stored in the
/// model card, it fixes library distances by the model.
pub fn track_embedding_scale(net: &GenreNet, examples: &[Example], shape: (usize, usize), device: &Device, fitted_on: &str) -> crate::EmbeddingScale {
    let mut sums: std::collections::BTreeMap<usize, (Vec<f64>, usize)> = std::collections::BTreeMap::new();
    for (e, v) in examples.iter().zip(embeddings(net, examples, shape, device)) {
        let (sum, n) = sums.entry(e.track).or_insert_with(|| (vec![0.0; v.len()], 0));
        sum.iter_mut().zip(&v).for_each(|(s, x)| *s += f64::from(*x));
        *n += 1;
    }
    let rows: Vec<Vec<f32>> = sums.into_values().map(|(sum, n)| sum.iter().map(|s| (s / n as f64) as f32).collect()).collect();
    crate::EmbeddingScale::fit(&rows, fitted_on)
}

pub use genrecast_eval::argmax;

