//! Fine-tuning musicnn end to end on a genre collection (`genrecast train --backbone
//! musicnn-msd --fine-tune`): the pretrained network with a new softmax head, trained on 3 s
//! patches of the training side.
//!
//! The recipe follows the transfer-learning practice for music taggers (e.g. Won et al.,
//! "Evaluation of CNN-based automatic music tagging models", 2020; Pons and Serra, 2019):
//! - every batch norm runs in training mode, starting from the converted moving statistics
//!   (TF's momentum 0.99 and epsilon 1e-3), unless its block is frozen;
//! - the backbone learns at a lower rate than the new head (Adam, two rates);
//! - `--freeze-until` keeps the front end (`front`) or the front and mid ends (`mid`) as
//!   converted; their batch norms then stay in inference mode;
//! - augmentation per patch: a random 3 s crop of the track (time shift), a random gain
//!   (applied to the mel power under musicnn's `log10(1 + 10000 x)`), a pitch shift of a few
//!   mel bands, and mixup between patches;
//! - musicnn's own dropout (0.5) before and after its 200-unit dense layer;
//! - early stopping on the loss of a validation side, scored per track (the mean of its
//!   patches' probabilities), as the caller carves it (artist-grouped).
//!
//! Why a second network type beside [`crate::Musicnn`]: that one fuses each batch norm into
//! a scale and shift and runs its front end in int8, which cannot be trained. This one holds
//! the same converted weights as burn parameters, computes the same function in inference
//! mode (tested against [`crate::Musicnn`] in f32), and writes them back in the converter's
//! names ([`FineTunedMusicnn::save`]).
//!
//! # Example
//! ```
//! use burn::tensor::{Device, Tensor};
//! use genrecast_models::{Backbone, FineTunedMusicnn};
//! let net = FineTunedMusicnn::from_pretrained(Backbone::MusicnnMsd, 10, &Device::flex())?;
//! let logits = net.forward(Tensor::<3>::zeros([2, 187, 96], &Device::flex()));
//! assert_eq!(logits.dims(), [2, 10]);
//! # Ok::<(), genrecast_models::Error>(())
//! ```

use std::path::{Path, PathBuf};

use burn::module::{Module, Param, RunningState};
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::activation::{log_softmax, relu, softmax};
use burn::tensor::module::conv1d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Tensor, TensorData};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::musicnn::{single_channel_conv, Backbone, Weights, N_MELS, PATCH_FRAMES, PENULTIMATE, POOLED};
use crate::{Error, Result};

/// TF's batch-norm epsilon and momentum (`0.99` there is `0.01` in burn's convention).
const BN_EPSILON: f64 = 1e-3;
const BN_MOMENTUM: f64 = 0.01;

/// Which of musicnn's blocks keep their converted weights while the rest trains.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FreezeUntil {
    /// Nothing: the whole network trains (end to end).
    #[default]
    None,
    /// The front end (the input batch norm and the five convolutions over the log-mel patch).
    Front,
    /// The front and mid ends: only the back end (pooling batch norm, the 200-unit layer) and
    /// the new head train.
    Mid,
}

impl std::str::FromStr for FreezeUntil {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "none" => Ok(Self::None),
            "front" | "frontend" | "front-end" => Ok(Self::Front),
            "mid" | "midend" | "mid-end" => Ok(Self::Mid),
            o => Err(Error::Config(format!("unknown block '{o}' for --freeze-until (known: none, front, mid)"))),
        }
    }
}

/// One convolution of the front end: weight `[filters, 1, frames, bands]`, ReLU, batch norm,
/// max over frequency.
#[derive(Module, Debug)]
struct FrontConv {
    weight: Param<Tensor<4>>,
    bias: Param<Tensor<1>>,
    bn: BatchNorm,
}

/// One 1-D convolution of the mid end over time (7 frames), ReLU, batch norm.
#[derive(Module, Debug)]
struct MidConv {
    weight: Param<Tensor<3>>,
    bias: Param<Tensor<1>>,
    bn: BatchNorm,
}

/// musicnn with trainable weights and a new softmax head (see the module doc).
#[derive(Module, Debug)]
pub struct FineTunedMusicnn {
    input_bn: BatchNorm,
    front: Vec<FrontConv>,
    mid: Vec<MidConv>,
    pool_bn: BatchNorm,
    dense: Linear,
    dense_bn: BatchNorm,
    dropout: Dropout,
    head: Linear,
}

/// The converter's names of the five front-end convolutions, in output channel order.
const FRONT: [(&str, [usize; 4]); 5] = [
    ("frontend.timbral74", [204, 1, 7, 38]),
    ("frontend.timbral77", [204, 1, 7, 67]),
    ("frontend.temporal128", [51, 1, 128, 1]),
    ("frontend.temporal64", [51, 1, 64, 1]),
    ("frontend.temporal32", [51, 1, 32, 1]),
];

/// The mid end's three convolutions.
const MID: [(&str, [usize; 3]); 3] = [("midend.conv1", [64, 561, 7]), ("midend.conv2", [64, 64, 7]), ("midend.conv3", [64, 64, 7])];

fn batch_norm(w: &Weights<'_>, prefix: &str, channels: usize, device: &Device) -> Result<BatchNorm> {
    let mut bn = BatchNormConfig::new(channels).with_epsilon(BN_EPSILON).with_momentum(BN_MOMENTUM).init(device);
    let [g, b, m, v] = ["gamma", "beta", "mean", "var"].map(|t| w.tensor::<1>(&format!("{prefix}.bn.{t}"), [channels]));
    bn.gamma = Param::from_tensor(g?);
    bn.beta = Param::from_tensor(b?);
    bn.running_mean = RunningState::new(m?);
    bn.running_var = RunningState::new(v?);
    Ok(bn)
}

impl FineTunedMusicnn {
    /// The pretrained musicnn `backbone` (not a VGG) with a new head of `classes` outputs
    /// (Glorot-uniform weights, zero bias) on its 200-d penultimate layer.
    ///
    /// # Errors
    /// [`Error::Config`] for a VGG backbone or no classes.
    pub fn from_pretrained(backbone: Backbone, classes: usize, device: &Device) -> Result<Self> {
        if !matches!(backbone, Backbone::MusicnnMsd | Backbone::MusicnnMtt) {
            return Err(Error::Config(format!("--fine-tune trains musicnn-msd or musicnn-mtt, not {backbone}")));
        }
        if classes == 0 {
            return Err(Error::Config("fine-tuning needs at least one class".into()));
        }
        let source = PathBuf::from(format!("<built-in {}>", backbone.name()));
        let (w, _) = Weights::open(backbone.weights(), source, device)?;
        let front = FRONT
            .iter()
            .map(|&(name, shape)| Ok(FrontConv { weight: Param::from_tensor(w.tensor(&format!("{name}.conv.weight"), shape)?), bias: Param::from_tensor(w.tensor(&format!("{name}.conv.bias"), [shape[0]])?), bn: batch_norm(&w, name, shape[0], device)? }))
            .collect::<Result<Vec<_>>>()?;
        let mid = MID
            .iter()
            .map(|&(name, shape)| Ok(MidConv { weight: Param::from_tensor(w.tensor(&format!("{name}.conv.weight"), shape)?), bias: Param::from_tensor(w.tensor(&format!("{name}.conv.bias"), [shape[0]])?), bn: batch_norm(&w, name, shape[0], device)? }))
            .collect::<Result<Vec<_>>>()?;
        let mut dense = LinearConfig::new(2 * POOLED, PENULTIMATE).init(device);
        dense.weight = Param::from_tensor(w.tensor("backend.dense.weight", [2 * POOLED, PENULTIMATE])?);
        dense.bias = Some(Param::from_tensor(w.tensor("backend.dense.bias", [PENULTIMATE])?));
        Ok(Self {
            input_bn: batch_norm(&w, "frontend.input", 1, device)?,
            front,
            mid,
            pool_bn: batch_norm(&w, "backend.pool", 2 * POOLED, device)?,
            dense,
            dense_bn: batch_norm(&w, "backend.dense", PENULTIMATE, device)?,
            dropout: DropoutConfig::new(0.5).init(),
            head: LinearConfig::new(PENULTIMATE, classes).init(device),
        })
    }

    /// Freezes the blocks up to `until` (their weights and batch-norm statistics stay).
    pub fn freeze_until(mut self, until: FreezeUntil) -> Self {
        if until != FreezeUntil::None {
            self.input_bn = self.input_bn.freeze();
            self.front = self.front.freeze();
        }
        if until == FreezeUntil::Mid {
            self.mid = self.mid.freeze();
        }
        self
    }

    /// Logits `[b, classes]` of patches `[b, frames, 96]` (frames: 187 as trained). Batch
    /// norms and dropout run in training mode on an autodiff device, else in inference mode.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<2> {
        let [b, t, f] = x.dims();
        let x = self.input_bn.forward(x.reshape([b, 1, t, f]));
        let front: Vec<Tensor<3>> = self
            .front
            .iter()
            .map(|c| {
                // TF's 'same' padding in time puts the odd pad frame after.
                let k = c.weight.dims()[2];
                let padded = x.clone().pad([(0, 0), (0, 0), ((k - 1) / 2, k - 1 - (k - 1) / 2), (0, 0)], burn::tensor::ops::PadMode::Constant(0.0));
                let y = c.bn.forward(relu(single_channel_conv(padded, &c.weight.val(), &c.bias.val())));
                let [_, ch, tt, _] = y.dims();
                y.max_dim(3).reshape([b, ch, tt])
            })
            .collect();
        let front = Tensor::cat(front, 1);
        let mid = |x: Tensor<3>, c: &MidConv| c.bn.forward(relu(conv1d(x, c.weight.val(), Some(c.bias.val()), ConvOptions::new([1], [3], [1], 1))));
        let m1 = mid(front.clone(), &self.mid[0]);
        let m2 = mid(m1.clone(), &self.mid[1]).add(m1.clone());
        let m3 = mid(m2.clone(), &self.mid[2]).add(m2.clone());
        let features = Tensor::cat(vec![front, m1, m2, m3], 1);
        let channels = features.dims()[1];
        let max_pool = features.clone().max_dim(2).reshape([b, channels]);
        let mean_pool = features.mean_dim(2).reshape([b, channels]);
        // musicnn flattens (max, mean) per channel, interleaved.
        let pooled = Tensor::stack::<3>(vec![max_pool, mean_pool], 2).reshape([b, 2 * channels]);
        let pooled = self.dropout.forward(self.pool_bn.forward(pooled));
        let dense = self.dense_bn.forward(relu(self.dense.forward(pooled)));
        self.head.forward(self.dropout.forward(dense))
    }

    /// Class probabilities of a whole track's network input (`96 x frames`): the mean of
    /// its disjoint patches' softmax outputs (inference mode).
    pub fn predict_track(&self, input: &genrecast_features::Array2, device: &Device) -> Vec<f32> {
        let starts = crate::musicnn::patch_starts(input.cols, PATCH_FRAMES);
        let classes = self.head.weight.dims()[1];
        let mut sum = vec![0f32; classes];
        for chunk in starts.chunks(16) {
            let data: Vec<f32> = chunk.iter().flat_map(|&s| crate::musicnn::patch_at(input, s)).collect();
            let p = softmax(self.forward(Tensor::from_data(TensorData::new(data, [chunk.len(), PATCH_FRAMES, N_MELS]), device)), 1);
            let p = p.into_data().convert::<f32>().try_to_vec::<f32>().unwrap_or_default();
            for row in p.chunks(classes) {
                sum.iter_mut().zip(row).for_each(|(s, v)| *s += v);
            }
        }
        let n = starts.len().max(1) as f32;
        sum.iter_mut().for_each(|s| *s /= n);
        sum
    }

    /// Writes the fine-tuned network in `tools/convert_musicnn.py`'s names (batch norms as
    /// gamma, beta and moving statistics), with the head as `backend.output` and `labels` as
    /// its `tags`, so that [`crate::Musicnn::from_safetensors`] reads it back.
    ///
    /// # Errors
    /// [`Error::Checkpoint`] naming the file.
    pub fn save(&self, path: &Path, labels: &[String], trained_on: &str) -> Result<()> {
        /// A tensor's values and shape, by name (the shapes are the converter's already).
        type Named = Vec<(String, Vec<f32>, Vec<usize>)>;
        fn put<const D: usize>(out: &mut Named, name: String, t: Tensor<D>) {
            let dims = t.dims().to_vec();
            out.push((name, t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap_or_default(), dims));
        }
        fn bn(out: &mut Named, prefix: &str, bn: &BatchNorm) {
            put(out, format!("{prefix}.bn.gamma"), bn.gamma.val());
            put(out, format!("{prefix}.bn.beta"), bn.beta.val());
            put(out, format!("{prefix}.bn.mean"), bn.running_mean.value());
            put(out, format!("{prefix}.bn.var"), bn.running_var.value());
        }
        fn linear(out: &mut Named, prefix: &str, layer: &Linear) {
            put(out, format!("{prefix}.weight"), layer.weight.val());
            if let Some(b) = &layer.bias {
                put(out, format!("{prefix}.bias"), b.val());
            }
        }
        let mut tensors = Named::new();
        bn(&mut tensors, "frontend.input", &self.input_bn);
        for ((name, _), c) in FRONT.iter().zip(&self.front) {
            put(&mut tensors, format!("{name}.conv.weight"), c.weight.val());
            put(&mut tensors, format!("{name}.conv.bias"), c.bias.val());
            bn(&mut tensors, name, &c.bn);
        }
        for ((name, _), c) in MID.iter().zip(&self.mid) {
            put(&mut tensors, format!("{name}.conv.weight"), c.weight.val());
            put(&mut tensors, format!("{name}.conv.bias"), c.bias.val());
            bn(&mut tensors, name, &c.bn);
        }
        bn(&mut tensors, "backend.pool", &self.pool_bn);
        linear(&mut tensors, "backend.dense", &self.dense);
        bn(&mut tensors, "backend.dense", &self.dense_bn);
        linear(&mut tensors, "backend.output", &self.head);
        let bytes: Vec<(String, Vec<u8>, Vec<usize>)> = tensors.into_iter().map(|(n, v, s)| (n, v.iter().flat_map(|x| x.to_le_bytes()).collect(), s)).collect();
        let views = bytes
            .iter()
            .map(|(n, b, s)| safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), b).map(|v| (n.clone(), v)))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::Config(format!("fine-tuned weights: {e}")))?;
        let meta: std::collections::HashMap<String, String> =
            [("tags".to_string(), serde_json::to_string(labels).unwrap_or_default()), ("trained_on".to_string(), trained_on.to_string())].into_iter().collect();
        let data = safetensors::serialize(views, &Some(meta)).map_err(|e| Error::Config(format!("fine-tuned weights: {e}")))?;
        crate::checkpoint::write_atomic(path, &data)
    }
}

/// [`patch_at`](crate::musicnn::patch_at)'s 187-frame patch of `input` (`96 x frames`) from
/// frame `start`, with its mel bands moved up by `shift` bands (down when negative; the edge
/// band repeats).
fn crop(input: &genrecast_features::Array2, start: usize, shift: i32) -> Vec<f32> {
    let patch = crate::musicnn::patch_at(input, start);
    if shift == 0 {
        return patch;
    }
    let bands = input.rows as i32;
    patch.chunks(input.rows).flat_map(|frame| (0..bands).map(move |r| frame[(r - shift).clamp(0, bands - 1) as usize])).collect()
}

/// How a fine-tuning run trains (stored in its metrics).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FineTuneConfig {
    /// Maximum epochs; each draws one random patch of every training track.
    pub epochs: usize,
    /// Patches per batch.
    pub batch_size: usize,
    /// Learning rate of the new head.
    pub lr_head: f64,
    /// Learning rate of the backbone's trainable blocks.
    pub lr_backbone: f64,
    /// Adam's L2 weight decay.
    pub weight_decay: f32,
    /// Blocks kept as converted.
    pub freeze_until: FreezeUntil,
    /// Random gain of up to +-this many dB (0: none).
    pub gain_db: f32,
    /// Random pitch shift of up to +-this many mel bands (0: none).
    pub pitch_bands: i32,
    /// Mixup's Beta(alpha, alpha) (0: none).
    pub mixup_alpha: f32,
    /// Stop after this many epochs without a better validation loss (0: never).
    pub patience: usize,
    /// Seed of patches, augmentation and the head's initial weights.
    pub seed: u64,
}

impl Default for FineTuneConfig {
    fn default() -> Self {
        Self { epochs: 12, batch_size: 16, lr_head: 1e-3, lr_backbone: 1e-4, weight_decay: 1e-4, freeze_until: FreezeUntil::None, gain_db: 6.0, pitch_bands: 2, mixup_alpha: 0.2, patience: 3, seed: 0 }
    }
}

/// A track to train or validate on: musicnn's network input (`96 x frames`,
/// [`MusicnnFrontEnd::network_input`](genrecast_features::MusicnnFrontEnd::network_input))
/// and its class.
#[derive(Clone, Debug)]
pub struct LabelledInput {
    /// The log-mel input.
    pub input: genrecast_features::Array2,
    /// Its class index.
    pub class: usize,
}

/// One epoch of a fine-tuning run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FineTuneEpoch {
    /// 1-based.
    pub epoch: usize,
    /// Mean training loss (mixed targets).
    pub train_loss: f64,
    /// Mean per-track cross-entropy on the validation side.
    pub valid_loss: Option<f64>,
    /// Per-track accuracy on the validation side.
    pub valid_accuracy: Option<f64>,
    /// Wall time of the epoch.
    pub seconds: f64,
}

/// Fine-tunes `backbone` with a head of `classes` outputs on `train` (one random patch per
/// track and epoch), keeping the epoch of lowest validation loss on `valid` (the last one
/// when `valid` is empty). `device` must have autodiff enabled. Returns the network on the
/// inference device, the epoch kept and every epoch's record (`on_epoch` sees each as it is
/// made).
///
/// # Errors
/// [`Error::Config`] as [`FineTunedMusicnn::from_pretrained`]; [`Error::Data`] when `train`
/// is empty or an input does not have 96 bands.
pub fn fine_tune(
    backbone: Backbone,
    classes: usize,
    train: &[LabelledInput],
    valid: &[LabelledInput],
    cfg: &FineTuneConfig,
    device: &Device,
    mut on_epoch: impl FnMut(&FineTuneEpoch),
) -> Result<(FineTunedMusicnn, usize, Vec<FineTuneEpoch>)> {
    if train.is_empty() {
        return Err(Error::Data("no training tracks".into()));
    }
    if let Some(bad) = train.iter().chain(valid).find(|t| t.input.rows != N_MELS || t.input.cols == 0 || t.class >= classes) {
        return Err(Error::Data(format!("a track's input is {} x {} (class {}), expected {N_MELS} bands and a class below {classes}", bad.input.rows, bad.input.cols, bad.class)));
    }
    let _guard = crate::backend_rng_lock();
    device.seed(cfg.seed.wrapping_add(0x5eed));
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut net = FineTunedMusicnn::from_pretrained(backbone, classes, device)?.freeze_until(cfg.freeze_until);
    let decay = (cfg.weight_decay > 0.0).then(|| WeightDecayConfig::new(cfg.weight_decay));
    let mut optim = AdamConfig::new().with_weight_decay(decay).init();
    let inference = device.clone().without_autodiff();
    let mut records = Vec::new();
    let mut best: Option<(f64, usize, FineTunedMusicnn)> = None;
    let mut since_best = 0;
    for epoch in 1..=cfg.epochs.max(1) {
        let start = std::time::Instant::now();
        let mut order: Vec<usize> = (0..train.len()).collect();
        order.shuffle(&mut rng);
        let (mut total, mut batches) = (0.0, 0usize);
        for chunk in order.chunks(cfg.batch_size.max(1)) {
            let mut xs: Vec<Vec<f32>> = Vec::with_capacity(chunk.len());
            let mut ys: Vec<Vec<f32>> = Vec::with_capacity(chunk.len());
            for &i in chunk {
                let t = &train[i];
                let first = rng.random_range(0..=t.input.cols.saturating_sub(PATCH_FRAMES));
                let shift = if cfg.pitch_bands > 0 { rng.random_range(-cfg.pitch_bands..=cfg.pitch_bands) } else { 0 };
                let mut x = crop(&t.input, first, shift);
                if cfg.gain_db > 0.0 {
                    // musicnn's input is log10(1 + 10000 m) of the mel power m.
                    let g = 10f32.powf(rng.random_range(-cfg.gain_db..=cfg.gain_db) / 10.0);
                    x.iter_mut().for_each(|v| *v = (1.0 + (10f32.powf(*v) - 1.0) * g).log10());
                }
                xs.push(x);
                let mut y = vec![0f32; classes];
                y[t.class] = 1.0;
                ys.push(y);
            }
            if cfg.mixup_alpha > 0.0 && chunk.len() > 1 {
                let mut partner: Vec<usize> = (0..chunk.len()).collect();
                partner.shuffle(&mut rng);
                let (x0, y0) = (xs.clone(), ys.clone());
                for (k, &p) in partner.iter().enumerate() {
                    let l = crate::train::beta(cfg.mixup_alpha, &mut rng);
                    xs[k].iter_mut().zip(&x0[p]).for_each(|(a, b)| *a = l * *a + (1.0 - l) * b);
                    ys[k].iter_mut().zip(&y0[p]).for_each(|(a, b)| *a = l * *a + (1.0 - l) * b);
                }
            }
            let n = chunk.len();
            let x = Tensor::<3>::from_data(TensorData::new(xs.concat(), [n, PATCH_FRAMES, N_MELS]), device);
            let y = Tensor::<2>::from_data(TensorData::new(ys.concat(), [n, classes]), device);
            let loss = log_softmax(net.forward(x), 1).mul(y).sum_dim(1).mean().neg();
            total += f64::from(loss.clone().into_scalar::<f32>());
            batches += 1;
            let mut grads = loss.backward();
            let head = GradientsParams::from_module(&mut grads, &net.head);
            let body = GradientsParams::from_grads(grads, &net);
            net = optim.step(cfg.lr_head, net, head);
            net = optim.step(cfg.lr_backbone, net, body);
        }
        let (valid_loss, valid_accuracy) = if valid.is_empty() {
            (None, None)
        } else {
            let frozen = net.valid();
            let (mut loss, mut correct) = (0.0, 0usize);
            for t in valid {
                let p = frozen.predict_track(&t.input, &inference);
                loss -= f64::from(p[t.class].max(1e-7).ln());
                correct += usize::from(crate::argmax(&p) == t.class);
            }
            (Some(loss / valid.len() as f64), Some(correct as f64 / valid.len() as f64))
        };
        let record = FineTuneEpoch { epoch, train_loss: total / batches.max(1) as f64, valid_loss, valid_accuracy, seconds: start.elapsed().as_secs_f64() };
        on_epoch(&record);
        let score = valid_loss.unwrap_or(f64::NEG_INFINITY);
        if best.as_ref().is_none_or(|(b, _, _)| score < *b || valid.is_empty()) {
            best = Some((score, epoch, net.clone()));
            since_best = 0;
        } else {
            since_best += 1;
        }
        records.push(record);
        if cfg.patience > 0 && since_best >= cfg.patience {
            break;
        }
    }
    let (_, epoch, net) = best.ok_or_else(|| Error::Data("no epoch ran".into()))?;
    Ok((net.valid(), epoch, records))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// In inference mode the trainable network is the shipped one: its penultimate layer's
    /// logits through the tag head equal [`crate::Musicnn`]'s f32 taggram (itself within
    /// 2e-6 of musicnn's TensorFlow outputs, `tests/musicnn_parity.rs`).
    #[test]
    fn inference_mode_matches_the_shipped_network() {
        let device = Device::flex();
        let mut shipped = crate::Musicnn::pretrained(Backbone::MusicnnMsd, &device).expect("msd");
        shipped.set_precision(crate::Precision::F32);
        let mut net = FineTunedMusicnn::from_pretrained(Backbone::MusicnnMsd, 50, &device).expect("net");
        // The tag head in place of the new one: then the logits are the taggram's.
        let path = std::env::temp_dir().join(format!("genrecast-ft-{}.safetensors", std::process::id()));
        let (w, _) = Weights::open(Backbone::MusicnnMsd.weights(), PathBuf::from("msd"), &device).expect("weights");
        net.head.weight = Param::from_tensor(w.tensor("backend.output.weight", [PENULTIMATE, 50]).expect("w"));
        net.head.bias = Some(Param::from_tensor(w.tensor("backend.output.bias", [50]).expect("b")));
        let mut seed = 7u64;
        let data: Vec<f32> = (0..2 * PATCH_FRAMES * N_MELS)
            .map(|_| {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((seed >> 40) as f32 / (1u64 << 24) as f32) * 3.0
            })
            .collect();
        let x = Tensor::<3>::from_data(TensorData::new(data, [2, PATCH_FRAMES, N_MELS]), &device);
        let ours = burn::tensor::activation::sigmoid(net.forward(x.clone())).into_data().try_to_vec::<f32>().expect("ours");
        let theirs = shipped.forward(x).taggram.into_data().try_to_vec::<f32>().expect("theirs");
        let worst = ours.iter().zip(&theirs).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(worst < 1e-5, "taggram differs by {worst}");
        // Written back in the converter's names, the weights load as a tagger again.
        let labels: Vec<String> = shipped.tags().to_vec();
        net.save(&path, &labels, "test").expect("save");
        let bytes = std::fs::read(&path).expect("read");
        let mut again = crate::Musicnn::from_safetensors(&bytes, path.clone(), &device).expect("load");
        again.set_precision(crate::Precision::F32);
        let x = Tensor::<3>::ones([1, PATCH_FRAMES, N_MELS], &device);
        let a = again.forward(x.clone()).taggram.into_data().try_to_vec::<f32>().expect("a");
        let b = shipped.forward(x).taggram.into_data().try_to_vec::<f32>().expect("b");
        assert!(a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-6));
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn crops_shift_bands_and_wrap_short_inputs() {
        let input = genrecast_features::Array2 { rows: 3, cols: 2, data: vec![0.0, 1.0, 10.0, 11.0, 20.0, 21.0] };
        let c = crop(&input, 1, 1);
        // Frame 1 first, band 0 repeated below; then frame 0 (wrapped).
        assert_eq!(&c[..6], &[1.0, 1.0, 11.0, 0.0, 0.0, 10.0]);
        assert_eq!(c.len(), PATCH_FRAMES * 3);
    }

    #[test]
    fn freeze_until_names_parse() {
        assert_eq!("mid".parse::<FreezeUntil>().expect("mid"), FreezeUntil::Mid);
        assert!("back".parse::<FreezeUntil>().is_err());
    }
}
