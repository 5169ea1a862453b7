//! musicnn (Pons & Serra, 2019), the pretrained music tagger of the PyPI package `musicnn`
//! 0.1.0, re-implemented in burn for inference, with its MTT and MSD weights.
//!
//! The network reads 3 s patches of a 96-band log-mel spectrogram at 16 kHz (187 frames,
//! [`MusicnnFrontEnd`](genrecast_features::MusicnnFrontEnd)) and has three parts:
//! - front end: a batch norm on the input, two "timbral" convolutions spanning 7 frames and
//!   40 % / 70 % of the mel axis (204 filters each) and three "temporal" ones spanning 128, 64
//!   and 32 frames of one band (51 filters each); each is ReLU, batch norm, then max over
//!   frequency, giving 561 channels per frame;
//! - mid end: three 1-D convolutions over time (7 frames, 64 channels) with residual sums;
//!   front- and mid-end outputs are concatenated (753 channels);
//! - back end: max and mean over time (interleaved per channel, 1,506 values), batch norm, a
//!   200-unit ReLU layer with batch norm (the *penultimate* features, genrecast's transfer
//!   embedding) and 50 sigmoid tag outputs.
//!
//! Batch norms run in inference mode (moving statistics, TF's epsilon 1e-3), fused into one
//! scale and shift per channel. The weights were converted from musicnn's TensorFlow
//! checkpoints by `tools/convert_musicnn.py`; they are (c) 2019 Music Technology Group,
//! Universitat Pompeu Fabra, ISC licence (`pretrained/LICENSE-musicnn`).
//!
//! # Example
//! ```
//! use burn::tensor::{Device, Tensor};
//! use genrecast_models::{Backbone, Musicnn};
//! let net = Musicnn::pretrained(Backbone::MusicnnMsd, &Device::flex())?;
//! let patches = Tensor::<3>::zeros([2, 187, 96], &Device::flex());
//! let out = net.forward(patches);
//! assert_eq!(out.taggram.dims(), [2, 50]);
//! assert_eq!(out.penultimate.dims(), [2, 200]);
//! # Ok::<(), genrecast_models::Error>(())
//! ```

use std::path::PathBuf;

use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::module::conv1d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Tensor, TensorData};

use crate::int8::{conv_max_over_frequency, Kernel, QuantConv, QuantPatch};
use crate::{Error, Result};

/// Frames per network input patch (3 s at 16 kHz, hop 256), as musicnn's `extractor`.
pub const PATCH_FRAMES: usize = 187;
/// Mel bands of the input.
pub const N_MELS: usize = 96;
/// Size of the penultimate layer (the transfer embedding).
pub const PENULTIMATE: usize = 200;
/// Channels of the mid-end output pooled over time.
pub const POOLED: usize = 753;
/// Seconds one patch covers: 187 frames of hop 256 at 16 kHz.
pub const PATCH_SECONDS: f64 = (PATCH_FRAMES * 256) as f64 / 16_000.0;

/// TF's `batch_normalization` epsilon.
const BN_EPSILON: f32 = 1e-3;

/// The pretrained musicnn models shipped with genrecast.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Backbone {
    /// `MSD_musicnn`: trained on the Million Song Dataset's top-50 Last.fm tags.
    MusicnnMsd,
    /// `MTT_musicnn`: trained on MagnaTagATune's top-50 tags.
    MusicnnMtt,
    /// `MSD_vgg`: musicnn's VGG-style baseline (five 3x3 conv layers of 128 filters) on the
    /// same input, trained on the same Million Song Dataset tags.
    VggMsd,
    /// `MTT_vgg`: the same VGG trained on MagnaTagATune's top-50 tags.
    VggMtt,
}

impl Backbone {
    /// Every shipped backbone.
    pub const ALL: [Backbone; 4] = [Backbone::MusicnnMsd, Backbone::MusicnnMtt, Backbone::VggMsd, Backbone::VggMtt];

    /// Its name on the command line and in model cards (`musicnn-msd`, `musicnn-mtt`,
    /// `vgg-msd`, `vgg-mtt`).
    pub fn name(self) -> &'static str {
        match self {
            Self::MusicnnMsd => "musicnn-msd",
            Self::MusicnnMtt => "musicnn-mtt",
            Self::VggMsd => "vgg-msd",
            Self::VggMtt => "vgg-mtt",
        }
    }

    /// Values per patch of its penultimate features (the output layer's input): musicnn's
    /// 200-d dense layer, or the VGG's last pooled maps flattened (2 x 1 x 128).
    pub fn penultimate_size(self) -> usize {
        match self {
            Self::MusicnnMsd | Self::MusicnnMtt => PENULTIMATE,
            Self::VggMsd | Self::VggMtt => crate::vgg::PENULTIMATE,
        }
    }

    /// Values per patch of `layer`: [`penultimate_size`](Self::penultimate_size), or the
    /// pooled channels (753 for musicnn, 128 for the VGG).
    pub fn layer_size(self, layer: BackboneLayer) -> usize {
        match (layer, self) {
            (BackboneLayer::Penultimate, _) => self.penultimate_size(),
            (_, Self::MusicnnMsd | Self::MusicnnMtt) => POOLED,
            (_, Self::VggMsd | Self::VggMtt) => crate::vgg::POOLED,
        }
    }

    /// What its weights were trained on.
    pub fn trained_on(self) -> &'static str {
        match self {
            Self::MusicnnMsd => "Million Song Dataset, top-50 Last.fm tags (musicnn 0.1.0, MSD_musicnn)",
            Self::MusicnnMtt => "MagnaTagATune, top-50 tags (musicnn 0.1.0, MTT_musicnn)",
            Self::VggMsd => "Million Song Dataset, top-50 Last.fm tags (musicnn 0.1.0, MSD_vgg)",
            Self::VggMtt => "MagnaTagATune, top-50 tags (musicnn 0.1.0, MTT_vgg)",
        }
    }

    /// The converted weights, compiled into the binary.
    pub fn weights(self) -> &'static [u8] {
        match self {
            Self::MusicnnMsd => include_bytes!("../pretrained/musicnn-msd.safetensors"),
            Self::MusicnnMtt => include_bytes!("../pretrained/musicnn-mtt.safetensors"),
            Self::VggMsd => include_bytes!("../pretrained/vgg-msd.safetensors"),
            Self::VggMtt => include_bytes!("../pretrained/vgg-mtt.safetensors"),
        }
    }
}

/// Which of a backbone's layers a model reads, per 3 s patch.
///
/// The penultimate layer is what the network's own tagging head reads; the pools are the
/// layers below it (musicnn: its 753 front- and mid-end channels; the VGG: its last 128 maps),
/// taken over the patch's time (and, for the VGG, frequency) positions. musicnn's authors probe
/// GTZAN with the max-pool layer (Pons and Serra, "musicnn: pre-trained convolutional neural
/// networks for music audio tagging", 2019).
///
/// ```
/// use genrecast_models::{Backbone, BackboneLayer};
/// let layer: BackboneLayer = "max-pool".parse().unwrap();
/// assert_eq!(Backbone::MusicnnMsd.layer_size(layer), 753);
/// assert_eq!(Backbone::MusicnnMsd.layer_size(BackboneLayer::default()), 200);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackboneLayer {
    /// The output layer's input ([`MusicnnOutput::penultimate`]).
    #[default]
    Penultimate,
    /// [`MusicnnOutput::max_pool`].
    MaxPool,
    /// [`MusicnnOutput::mean_pool`].
    MeanPool,
}

impl BackboneLayer {
    /// Every layer.
    pub const ALL: [BackboneLayer; 3] = [BackboneLayer::Penultimate, BackboneLayer::MaxPool, BackboneLayer::MeanPool];

    /// Its name on the command line and in model cards.
    pub fn name(self) -> &'static str {
        match self {
            Self::Penultimate => "penultimate",
            Self::MaxPool => "max-pool",
            Self::MeanPool => "mean-pool",
        }
    }

    /// Whether this is the default layer (model cards leave it out).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

impl std::str::FromStr for BackboneLayer {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|l| l.name() == s || l.name().trim_end_matches("-pool") == s)
            .ok_or_else(|| Error::Config(format!("unknown backbone layer '{s}' (known: penultimate, max-pool, mean-pool)")))
    }
}

impl std::fmt::Display for BackboneLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Backbone {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|b| b.name() == s || b.name().trim_start_matches("musicnn-") == s)
            .ok_or_else(|| Error::Config(format!("unknown backbone '{s}' (known: musicnn-msd, musicnn-mtt, vgg-msd, vgg-mtt)")))
    }
}

impl std::fmt::Display for Backbone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A batch norm in inference mode as `x * scale + shift` per channel.
#[derive(Clone, Debug)]
pub(crate) struct Affine {
    pub(crate) scale: Tensor<1>,
    pub(crate) shift: Tensor<1>,
}

impl Affine {
    /// Applies to `x` whose channels lie on dimension 1.
    pub(crate) fn apply<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        let c = self.scale.dims()[0];
        let mut shape = [1usize; D];
        shape[1] = c;
        x.mul(self.scale.clone().reshape(shape)).add(self.shift.clone().reshape(shape))
    }
}

/// A convolution followed by ReLU and batch norm, as every musicnn conv layer.
#[derive(Clone, Debug)]
pub(crate) struct ConvBn<const K: usize> {
    pub(crate) weight: Tensor<K>,
    pub(crate) bias: Tensor<1>,
    pub(crate) bn: Affine,
}

/// Outputs of one forward pass, one row per patch.
#[derive(Clone, Debug)]
pub struct MusicnnOutput {
    /// Tag probabilities `[patches, 50]` (musicnn's taggram).
    pub taggram: Tensor<2>,
    /// The 200-d penultimate features `[patches, 200]`.
    pub penultimate: Tensor<2>,
    /// Mid-end channels max-pooled over time `[patches, 753]`.
    pub max_pool: Tensor<2>,
    /// Mid-end channels averaged over time `[patches, 753]`.
    pub mean_pool: Tensor<2>,
}

/// A pretrained network of the musicnn package with its weights (inference only): musicnn
/// itself, or its VGG baseline ([`crate::vgg`]), which read the same input and give the same
/// outputs (a taggram and penultimate features per patch).
#[derive(Clone, Debug)]
pub struct Musicnn {
    tags: Vec<String>,
    trained_on: String,
    body: Body,
    output: (Tensor<2>, Tensor<1>),
    precision: Precision,
    layer: BackboneLayer,
}

/// The layers before the output layer.
#[derive(Clone, Debug)]
enum Body {
    Musicnn(Box<MusicnnBody>),
    Vgg(Box<crate::vgg::VggBody>),
}

/// musicnn's layers before its output layer.
#[derive(Clone, Debug)]
struct MusicnnBody {
    input_bn: Affine,
    timbral: [ConvBn<4>; 2],
    temporal: [ConvBn<4>; 3],
    midend: [ConvBn<3>; 3],
    pool_bn: Affine,
    dense: (Tensor<2>, Tensor<1>),
    dense_bn: Affine,
    /// The front end quantised for `Precision::Int8` (built once at load, about 0.3 MB).
    int8_front: std::sync::Arc<Int8Front>,
}

/// Arithmetic of the convolutions that are most of the work: musicnn's front end (95 %), the
/// VGG's conv2..conv5 (97 %).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Precision {
    /// f32 throughout: the exact path, within 2e-6 of musicnn's TensorFlow taggrams.
    F32,
    /// Those convolutions in 8-bit integers with exact i32 sums ([`crate::int8`]; the VGG's in
    /// `int8_conv`), the rest in f32, on the CPU only (a GPU computes in f32). About 3x faster
    /// per patch for musicnn on CPUs with AVX-512 VNNI; taggrams within
    /// [`INT8_TAGGRAM_BOUND`] of musicnn's.
    Int8,
}

/// The process-wide default: 0 f32, 1 int8.
static DEFAULT_PRECISION: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(1);

impl Default for Precision {
    /// `int8`, unless [`Precision::set_default`] said otherwise: what every network built
    /// later in this process computes in, as the thread count is a process-wide choice.
    fn default() -> Self {
        match DEFAULT_PRECISION.load(std::sync::atomic::Ordering::Relaxed) {
            0 => Self::F32,
            _ => Self::Int8,
        }
    }
}

/// How far (max abs) an `int8` taggram may lie from musicnn's TensorFlow taggram on the same
/// input: the bound the parity test holds every kernel to.
pub const INT8_TAGGRAM_BOUND: f32 = 0.03;

impl Precision {
    /// Makes `precision` the default of every network built later in this process (the
    /// command line's `--precision`), and so of the feature cache's backbone entries.
    pub fn set_default(precision: Precision) {
        DEFAULT_PRECISION.store(u8::from(precision == Self::Int8), std::sync::atomic::Ordering::Relaxed);
    }

    /// Its name on the command line and in reports (`f32`, `int8`).
    pub fn name(self) -> &'static str {
        match self {
            Self::F32 => "f32",
            Self::Int8 => "int8",
        }
    }
}

impl std::str::FromStr for Precision {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "f32" => Ok(Self::F32),
            "int8" => Ok(Self::Int8),
            o => Err(Error::Config(format!("unknown precision '{o}' (known: int8, f32)"))),
        }
    }
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The five front-end convolutions quantised, in output channel order.
#[derive(Debug)]
struct Int8Front {
    in_scale: f32,
    in_shift: f32,
    convs: Vec<QuantConv>,
}

/// Frames of padding the widest temporal filter (128 frames, 63 before and 64 after) needs.
const INT8_MARGIN: usize = 64;

impl Int8Front {
    fn new(input_bn: &Affine, timbral: &[ConvBn<4>], temporal: &[ConvBn<4>]) -> Self {
        let vec = |t: &Tensor<1>| t.clone().into_data().convert::<f32>().try_to_vec::<f32>().unwrap_or_default();
        let convs = timbral
            .iter()
            .map(|b| (b, 3))
            .chain(temporal.iter().map(|b| (b, (b.weight.dims()[2] - 1) / 2)))
            .map(|(b, pad)| {
                let [o, _, kt, kf] = b.weight.dims();
                let w = b.weight.clone().into_data().convert::<f32>().try_to_vec::<f32>().unwrap_or_default();
                QuantConv::new(&w, [o, kt, kf], &vec(&b.bias), &vec(&b.bn.scale), &vec(&b.bn.shift), pad)
            })
            .collect();
        Self { in_scale: vec(&input_bn.scale)[0], in_shift: vec(&input_bn.shift)[0], convs }
    }

    /// Front-end output `[b][561][t]` of patches `x` (`[b][t][bands]`), patches in parallel.
    fn forward(&self, x: &[f32], b: usize, t: usize, bands: usize, kernel: Kernel) -> Vec<f32> {
        use rayon::prelude::*;
        let channels: usize = self.convs.iter().map(QuantConv::filters).sum();
        let mut out = vec![0f32; b * channels * t];
        if t == 0 {
            return out;
        }
        out.par_chunks_mut(channels * t).zip(x.par_chunks(t * bands)).for_each(|(out, x)| {
            let patch = QuantPatch::new(x, t, bands, self.in_scale, self.in_shift, INT8_MARGIN);
            let mut scratch = Vec::new();
            let mut at = 0;
            for conv in &self.convs {
                let n = conv.filters() * t;
                conv_max_over_frequency(conv, &patch, kernel, &mut scratch, &mut out[at..at + n]);
                at += n;
            }
        });
        out
    }
}
/// Reads named tensors from a safetensors file, checking each shape.
pub(crate) struct Weights<'a> {
    file: safetensors::SafeTensors<'a>,
    source: PathBuf,
    device: Device,
}

impl<'a> Weights<'a> {
    /// The tensors of a safetensors file in memory, with its metadata's tag list and
    /// `trained_on` text.
    pub(crate) fn open(bytes: &'a [u8], source: PathBuf, device: &Device) -> Result<(Self, (Vec<String>, String))> {
        let bad = |m: String| Error::Checkpoint { path: source.clone(), message: m };
        let (_, meta) = safetensors::SafeTensors::read_metadata(bytes).map_err(|e| bad(format!("not a safetensors file: {e}")))?;
        let meta = meta.metadata().clone().unwrap_or_default();
        let tags: Vec<String> = meta.get("tags").and_then(|t| serde_json::from_str(t).ok()).ok_or_else(|| bad("no 'tags' list in the metadata".into()))?;
        let trained_on = meta.get("trained_on").cloned().unwrap_or_default();
        let file = safetensors::SafeTensors::deserialize(bytes).map_err(|e| bad(format!("not a safetensors file: {e}")))?;
        Ok((Self { file, source, device: device.clone() }, (tags, trained_on)))
    }
}

impl Weights<'_> {
    fn bad(&self, message: String) -> Error {
        Error::Checkpoint { path: self.source.clone(), message }
    }

    pub(crate) fn tensor<const D: usize>(&self, name: &str, shape: [usize; D]) -> Result<Tensor<D>> {
        let view = self.file.tensor(name).map_err(|_| self.bad(format!("missing tensor '{name}'")))?;
        if view.dtype() != safetensors::Dtype::F32 || view.shape() != shape {
            return Err(self.bad(format!("tensor '{name}' is {:?} {:?}, expected F32 {shape:?}", view.dtype(), view.shape())));
        }
        let data: Vec<f32> = view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        if !data.iter().all(|v| v.is_finite()) {
            return Err(self.bad(format!("tensor '{name}' holds NaN or infinite values")));
        }
        Ok(Tensor::from_data(TensorData::new(data, shape), &self.device))
    }

    pub(crate) fn affine(&self, prefix: &str, channels: usize) -> Result<Affine> {
        let [g, b, m, v] = ["gamma", "beta", "mean", "var"].map(|t| self.tensor(&format!("{prefix}.bn.{t}"), [channels]));
        let scale = g?.div(v?.add_scalar(BN_EPSILON).sqrt());
        let shift = b?.sub(m?.mul(scale.clone()));
        Ok(Affine { scale, shift })
    }

    pub(crate) fn conv<const K: usize>(&self, prefix: &str, shape: [usize; K]) -> Result<ConvBn<K>> {
        Ok(ConvBn {
            weight: self.tensor(&format!("{prefix}.conv.weight"), shape)?,
            bias: self.tensor(&format!("{prefix}.conv.bias"), [shape[0]])?,
            bn: self.affine(prefix, shape[0])?,
        })
    }
}

impl Musicnn {
    /// One of the shipped backbones.
    ///
    /// # Errors
    /// Never for the shipped weights (they are checked like any other file).
    pub fn pretrained(backbone: Backbone, device: &Device) -> Result<Self> {
        Self::from_safetensors(backbone.weights(), PathBuf::from(format!("<built-in {}>", backbone.name())), device)
    }

    /// Reads weights written by `tools/convert_musicnn.py`; `source` names them in errors.
    ///
    /// # Errors
    /// [`Error::Checkpoint`] for a file that is not safetensors, lacks a tensor, holds one of
    /// the wrong shape or dtype, or has no tag list.
    pub fn from_safetensors(bytes: &[u8], source: PathBuf, device: &Device) -> Result<Self> {
        let (w, (tags, trained_on)) = Weights::open(bytes, source, device)?;
        let n_tags = tags.len();
        // The VGG's first conv names it (tools/convert_musicnn.py).
        if w.file.tensor("conv1.conv.weight").is_ok() {
            let pen = crate::vgg::PENULTIMATE;
            let output = (w.tensor("output.weight", [pen, n_tags])?, w.tensor("output.bias", [n_tags])?);
            return Ok(Self { body: Body::Vgg(Box::new(crate::vgg::VggBody::load(&w)?)), output, precision: Precision::default(), layer: BackboneLayer::default(), tags, trained_on });
        }
        let input_bn = w.affine("frontend.input", 1)?;
        let timbral = [w.conv("frontend.timbral74", [204, 1, 7, 38])?, w.conv("frontend.timbral77", [204, 1, 7, 67])?];
        let temporal = [w.conv("frontend.temporal128", [51, 1, 128, 1])?, w.conv("frontend.temporal64", [51, 1, 64, 1])?, w.conv("frontend.temporal32", [51, 1, 32, 1])?];
        let body = MusicnnBody {
            int8_front: std::sync::Arc::new(Int8Front::new(&input_bn, &timbral, &temporal)),
            input_bn,
            timbral,
            temporal,
            midend: [w.conv("midend.conv1", [64, 561, 7])?, w.conv("midend.conv2", [64, 64, 7])?, w.conv("midend.conv3", [64, 64, 7])?],
            pool_bn: w.affine("backend.pool", 2 * POOLED)?,
            dense: (w.tensor("backend.dense.weight", [2 * POOLED, PENULTIMATE])?, w.tensor("backend.dense.bias", [PENULTIMATE])?),
            dense_bn: w.affine("backend.dense", PENULTIMATE)?,
        };
        Ok(Self {
            body: Body::Musicnn(Box::new(body)),
            output: (w.tensor("backend.output.weight", [PENULTIMATE, n_tags])?, w.tensor("backend.output.bias", [n_tags])?),
            precision: Precision::default(),
            layer: BackboneLayer::default(),
            tags,
            trained_on,
        })
    }

    /// Tag names in output order.
    pub fn tags(&self) -> &[String] {
        &self.tags
    }

    /// What the weights were trained on (from the file's metadata).
    pub fn trained_on(&self) -> &str {
        &self.trained_on
    }

    /// The arithmetic [`forward`](Self::forward) and [`analyse`](Self::analyse) use
    /// (default [`Precision::Int8`], for musicnn and the VGG alike).
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Sets the arithmetic of later passes.
    pub fn set_precision(&mut self, precision: Precision) {
        self.precision = precision;
    }

    /// Values per patch of [`MusicnnOutput::penultimate`].
    pub fn penultimate_size(&self) -> usize {
        self.output.0.dims()[0]
    }

    /// The layer whose values [`analyse`](Self::analyse) gives as [`SongOutput::features`]
    /// (default: the penultimate one).
    pub fn layer(&self) -> BackboneLayer {
        self.layer
    }

    /// Sets the layer later [`analyse`](Self::analyse) calls give as features.
    pub fn set_layer(&mut self, layer: BackboneLayer) {
        self.layer = layer;
    }

    /// The same network giving `layer` as its features.
    pub fn with_layer(mut self, layer: BackboneLayer) -> Self {
        self.layer = layer;
        self
    }

    /// Values per patch of [`SongOutput::features`].
    pub fn feature_size(&self) -> usize {
        match (self.layer, &self.body) {
            (BackboneLayer::Penultimate, _) => self.penultimate_size(),
            (_, Body::Musicnn(_)) => POOLED,
            (_, Body::Vgg(_)) => crate::vgg::POOLED,
        }
    }

    /// Runs patches `[patches, frames, 96]` of log-mel input (frames: 187 as trained; other
    /// lengths work, the network pools over time), in the net's [`precision`](Self::precision).
    pub fn forward(&self, x: Tensor<3>) -> MusicnnOutput {
        let body = match &self.body {
            Body::Musicnn(m) => m,
            // The int8 kernel runs on the CPU: a GPU's patches stay there, in f32.
            Body::Vgg(vgg) if self.precision == Precision::F32 || !crate::device::is_cpu(&x.device()) => return self.finish(vgg.forward(x)),
            Body::Vgg(_) => {
                let [b, t, f] = x.dims();
                let device = x.device();
                let data = x.into_data().convert::<f32>().try_to_vec::<f32>().unwrap_or_default();
                return self.forward_int8(&data, [b, t, f], &device, Kernel::detect());
            }
        };
        match self.precision {
            Precision::F32 => self.forward_rest(body, self.front_f32(body, x)),
            // The int8 kernel runs on the CPU: a GPU's patches stay there, in f32.
            Precision::Int8 if !crate::device::is_cpu(&x.device()) => self.forward_rest(body, self.front_f32(body, x)),
            Precision::Int8 => {
                let [b, t, f] = x.dims();
                let device = x.device();
                let data = x.into_data().convert::<f32>().try_to_vec::<f32>().unwrap_or_default();
                self.forward_int8(&data, [b, t, f], &device, Kernel::detect())
            }
        }
    }

    /// The `int8` pass on patches given as data `[b][t][f]`, with the kernel named. The VGG
    /// computes in f32 patches too short for its five pools.
    pub fn forward_int8(&self, x: &[f32], [b, t, f]: [usize; 3], device: &Device, kernel: Kernel) -> MusicnnOutput {
        let body = match &self.body {
            Body::Musicnn(m) => m,
            Body::Vgg(vgg) if b == 0 || x.len() != b * t * f || !crate::vgg::Int8Vgg::fits(t, f) => return self.finish(vgg.forward(Tensor::from_data(TensorData::new(x.to_vec(), [b, t, f]), device))),
            Body::Vgg(vgg) => {
                let (penultimate, max_pool, mean_pool, width) = vgg.int8.forward(x, b, t, f, kernel);
                let rows = |v: Vec<f32>, w: usize| Tensor::from_data(TensorData::new(v, [b, w]), device);
                let pooled = crate::vgg::POOLED;
                return self.finish((rows(penultimate, width), rows(max_pool, pooled), rows(mean_pool, pooled)));
            }
        };
        let channels: usize = body.int8_front.convs.iter().map(QuantConv::filters).sum();
        let front = body.int8_front.forward(x, b, t, f, kernel);
        self.forward_rest(body, Tensor::from_data(TensorData::new(front, [b, channels, t]), device))
    }

    /// The output layer on a body's `(penultimate, max_pool, mean_pool)`.
    fn finish(&self, (penultimate, max_pool, mean_pool): (Tensor<2>, Tensor<2>, Tensor<2>)) -> MusicnnOutput {
        MusicnnOutput { taggram: self.tags_from_penultimate(penultimate.clone()), penultimate, max_pool, mean_pool }
    }

    /// The f32 front end: `[b, t, f]` patches to `[b, 561, t]`.
    fn front_f32(&self, body: &MusicnnBody, x: Tensor<3>) -> Tensor<3> {
        let [b, t, f] = x.dims();
        let x = body.input_bn.apply(x.reshape([b, 1, t, f]));
        let mut front = Vec::with_capacity(5);
        // Timbral: 7 frames, zero-padded by 3 on each side of time, no padding in frequency.
        for block in &body.timbral {
            front.push(conv_relu_bn_maxfreq(x.clone(), block, (3, 3)));
        }
        // Temporal: TF's 'same' padding puts the odd pad frame after.
        for block in &body.temporal {
            let k = block.weight.dims()[2];
            front.push(conv_relu_bn_maxfreq(x.clone(), block, ((k - 1) / 2, k - 1 - (k - 1) / 2)));
        }
        Tensor::cat(front, 1) // [b, 561, t]
    }

    /// Mid and back end from the front end's `[b, 561, t]`.
    fn forward_rest(&self, body: &MusicnnBody, front: Tensor<3>) -> MusicnnOutput {
        let b = front.dims()[0];
        let opts = || ConvOptions::new([1], [3], [1], 1);
        let mid = |x: Tensor<3>, c: &ConvBn<3>| c.bn.apply(relu(conv1d(x, c.weight.clone(), Some(c.bias.clone()), opts())));
        let m1 = mid(front.clone(), &body.midend[0]);
        let m2 = mid(m1.clone(), &body.midend[1]).add(m1.clone());
        let m3 = mid(m2.clone(), &body.midend[2]).add(m2.clone());
        let features = Tensor::cat(vec![front, m1, m2, m3], 1); // [b, 753, t]
        let channels = features.dims()[1];
        let max_pool = features.clone().max_dim(2).reshape([b, channels]);
        let mean_pool = features.mean_dim(2).reshape([b, channels]);
        // TF flattens [b, 753, 2] (max, mean stacked last): the two alternate per channel.
        let pooled = Tensor::stack::<3>(vec![max_pool.clone(), mean_pool.clone()], 2).reshape([b, 2 * channels]);
        let pooled = body.pool_bn.apply(pooled);
        let dense = relu(pooled.matmul(body.dense.0.clone()).add(body.dense.1.clone().unsqueeze()));
        let penultimate = body.dense_bn.apply(dense);
        self.finish((penultimate, max_pool, mean_pool))
    }

    /// Tag probabilities `[patches, tags]` from penultimate features `[patches, 200]` (the
    /// output layer alone).
    pub fn tags_from_penultimate(&self, penultimate: Tensor<2>) -> Tensor<2> {
        sigmoid(penultimate.matmul(self.output.0.clone()).add(self.output.1.clone().unsqueeze()))
    }
}

/// Cuts a `96 x frames` network input (from
/// [`MusicnnFrontEnd::network_input`](genrecast_features::MusicnnFrontEnd::network_input))
/// into non-overlapping 187-frame patches, time-major (`[patches, 187, 96]`, flattened), as
/// musicnn's `batch_data` does: a trailing partial patch is dropped, and an input shorter
/// than one patch is repeated to fill it (musicnn's training used "repeat-pad"; its
/// extractor fails on such input). Returns the data and the number of patches (0 only for
/// an input with no frames).
pub fn patches(input: &genrecast_features::Array2) -> (Vec<f32>, usize) {
    let n = patch_count(input);
    let mut out = Vec::with_capacity(n * PATCH_FRAMES * input.rows);
    for p in 0..n {
        out.extend(patch_at(input, p * PATCH_FRAMES));
    }
    (out, n)
}

/// How many patches [`patches`] cuts from `input`: `frames / PATCH_FRAMES`, at least one for
/// any non-empty input, none for an empty one.
pub fn patch_count(input: &genrecast_features::Array2) -> usize {
    if input.cols == 0 || input.rows == 0 {
        0
    } else {
        (input.cols / PATCH_FRAMES).max(1)
    }
}

/// First frames of the 187-frame patches of an input of `frames` frames when a patch starts
/// every `hop` frames (`hop` [`PATCH_FRAMES`]: [`patches`]' disjoint patches; less: patches
/// that overlap, as musicnn's extractor with `input_overlap`). Patches end within the input,
/// except the one patch of an input shorter than a patch, which wraps around; none for an
/// empty input.
///
/// ```
/// use genrecast_models::musicnn::{patch_starts, PATCH_FRAMES};
/// assert_eq!(patch_starts(2 * PATCH_FRAMES + 5, PATCH_FRAMES), vec![0, PATCH_FRAMES]);
/// assert_eq!(patch_starts(2 * PATCH_FRAMES, 93), vec![0, 93, 186]);
/// assert_eq!(patch_starts(100, 93), vec![0]);
/// assert!(patch_starts(0, 93).is_empty());
/// ```
pub fn patch_starts(frames: usize, hop: usize) -> Vec<usize> {
    let hop = hop.max(1);
    match frames {
        0 => Vec::new(),
        f if f < PATCH_FRAMES => vec![0],
        f => (0..=f - PATCH_FRAMES).step_by(hop).collect(),
    }
}

/// The patch starting at frame `start`, time-major (`PATCH_FRAMES x bands`), wrapping around
/// a short input.
pub(crate) fn patch_at(input: &genrecast_features::Array2, start: usize) -> Vec<f32> {
    let frames = input.cols;
    let mut out = Vec::with_capacity(PATCH_FRAMES * input.rows);
    for i in 0..PATCH_FRAMES {
        let t = (start + i) % frames;
        out.extend((0..input.rows).map(|r| input.data[r * frames + t]));
    }
    out
}

/// Per-patch outputs of a whole song, as plain vectors.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SongOutput {
    /// Tag probabilities per patch.
    pub taggram: Vec<Vec<f32>>,
    /// The chosen layer's values per patch ([`Musicnn::set_layer`]; the penultimate layer
    /// by default).
    pub features: Vec<Vec<f32>>,
}

impl Musicnn {
    /// Runs every patch of a network input (`96 x frames`), a few patches at a time so that
    /// memory stays bounded for hours of audio.
    pub fn analyse(&self, input: &genrecast_features::Array2, device: &Device) -> SongOutput {
        self.analyse_from(input, device, &patch_starts(input.cols, PATCH_FRAMES))
    }

    /// As [`analyse`](Self::analyse) for the patches numbered `which` only (in that order):
    /// a long recording can be judged from a spread of its patches. Each patch is cut from
    /// `input` when its turn comes, so a three-hour input is never copied whole.
    pub fn analyse_patches(&self, input: &genrecast_features::Array2, device: &Device, which: &[usize]) -> SongOutput {
        self.analyse_from(input, device, &which.iter().map(|&p| p * PATCH_FRAMES).collect::<Vec<_>>())
    }

    /// As [`analyse`](Self::analyse) for the patches starting at the frames `starts` (e.g.
    /// [`patch_starts`] with a hop below [`PATCH_FRAMES`] for overlapping patches).
    pub fn analyse_from(&self, input: &genrecast_features::Array2, device: &Device, starts: &[usize]) -> SongOutput {
        self.analyse_many(&[(input, starts)], device).pop().unwrap_or_default()
    }

    /// As [`analyse_from`](Self::analyse_from) for several inputs at once, one output per
    /// input in order: their patches share the network's passes, so that on a GPU short
    /// tracks (a 30 s clip is 10 patches) still fill a batch. On the CPU each input is run on
    /// its own, exactly as [`analyse_from`](Self::analyse_from) runs it. On a GPU a pass does
    /// not join inputs of different band counts.
    ///
    /// ```no_run
    /// use burn::tensor::Device;
    /// use genrecast_features::Array2;
    /// use genrecast_models::{Backbone, Musicnn};
    /// let device = Device::flex();
    /// let net = Musicnn::pretrained(Backbone::MusicnnMsd, &device)?;
    /// // Two network inputs (96 mel bands): two 187-frame patches of one, one of the other.
    /// let (a, b) = (Array2 { rows: 96, cols: 400, data: vec![0.1; 96 * 400] }, Array2 { rows: 96, cols: 200, data: vec![0.2; 96 * 200] });
    /// let outs = net.analyse_many(&[(&a, &[0, 187][..]), (&b, &[0][..])], &device);
    /// assert_eq!((outs[0].features.len(), outs[1].features.len()), (2, 1));
    /// # Ok::<(), genrecast_models::Error>(())
    /// ```
    pub fn analyse_many(&self, inputs: &[(&genrecast_features::Array2, &[usize])], device: &Device) -> Vec<SongOutput> {
        // f32: one patch at a time, as larger batches only add page faults (buffers of tens of
        // MB allocated and returned per call) and cost 2x on one core. int8: a few patches at
        // a time, their front ends in parallel, so that one long song keeps every core busy.
        // A GPU takes many patches per pass, in f32 (the int8 kernel runs on the CPU), from
        // as many inputs as fill it.
        let on_cpu = crate::device::is_cpu(device);
        let precision = if on_cpu { self.precision } else { Precision::F32 };
        let vgg = matches!(self.body, Body::Vgg(_));
        let batch = match precision {
            _ if !on_cpu => GPU_BATCH,
            // The VGG's f32 3x3 convs on 128 channels use burn's conv2d, which gains from
            // batches; its int8 pass runs patches in parallel.
            _ if vgg => INT8_BATCH,
            Precision::F32 => 1,
            Precision::Int8 => INT8_BATCH,
        };
        self.run_patches(inputs, device, precision, batch, !on_cpu)
    }

    /// The passes of [`analyse_many`](Self::analyse_many): `batch` patches per pass in
    /// `precision`, each pass from one input, or (`across`) from consecutive inputs of the
    /// same band count.
    pub(crate) fn run_patches(&self, inputs: &[(&genrecast_features::Array2, &[usize])], device: &Device, precision: Precision, batch: usize, across: bool) -> Vec<SongOutput> {
        let mut outs = vec![SongOutput::default(); inputs.len()];
        // The (input, start) of every patch, in groups that passes do not cross.
        let usable = |(input, _): &&(&genrecast_features::Array2, &[usize])| input.cols > 0 && input.rows > 0;
        let mut groups: Vec<Vec<(usize, usize)>> = Vec::new();
        for (i, (input, starts)) in inputs.iter().enumerate().filter(|(_, x)| usable(x)) {
            let joins = across && groups.last().and_then(|g| g.first()).is_some_and(|&(j, _)| inputs[j].0.rows == input.rows);
            if !joins {
                groups.push(Vec::new());
            }
            if let Some(g) = groups.last_mut() {
                g.extend(starts.iter().map(|&s| (i, s)));
            }
        }
        let kernel = Kernel::detect();
        for chunk in groups.iter().flat_map(|g| g.chunks(batch.max(1))) {
            let Some(&(first, _)) = chunk.first() else { continue };
            let rows_per_patch = inputs[first].0.rows;
            let data: Vec<f32> = chunk.iter().flat_map(|&(i, start)| patch_at(inputs[i].0, start)).collect();
            let shape = [chunk.len(), PATCH_FRAMES, rows_per_patch];
            let o = match precision {
                Precision::F32 => self.forward(Tensor::<3>::from_data(TensorData::new(data, shape), device)),
                Precision::Int8 => self.forward_int8(&data, shape, device, kernel),
            };
            let rows = |t: Tensor<2>| -> Vec<Vec<f32>> {
                let w = t.dims()[1];
                // A failed read gives NaN rows, one per patch: downstream checks refuse non-finite
                // values loudly, where missing rows would shift every later patch of the pass.
                let values = t.into_data().convert::<f32>().try_into_vec::<f32>().unwrap_or_else(|_| vec![f32::NAN; chunk.len() * w]);
                values.chunks(w.max(1)).map(<[f32]>::to_vec).collect()
            };
            let taggram = rows(o.taggram);
            let features = rows(match self.layer {
                BackboneLayer::Penultimate => o.penultimate,
                BackboneLayer::MaxPool => o.max_pool,
                BackboneLayer::MeanPool => o.mean_pool,
            });
            for ((&(i, _), tags), f) in chunk.iter().zip(taggram).zip(features) {
                outs[i].taggram.push(tags);
                outs[i].features.push(f);
            }
        }
        outs
    }
}

/// Several backbones over the same patches of one network input: each patch's features of
/// every net side by side (the first net's first), with the first net's tag probabilities.
/// One net gives exactly its own [`Musicnn::analyse_patches`].
pub fn analyse_stack(nets: &[Musicnn], input: &genrecast_features::Array2, device: &Device, which: &[usize]) -> SongOutput {
    let mut outputs = nets.iter().map(|net| net.analyse_patches(input, device, which));
    let Some(mut first) = outputs.next() else { return SongOutput::default() };
    for more in outputs {
        first.features.iter_mut().zip(more.features).for_each(|(f, g)| f.extend(g));
    }
    first
}

/// Patches per int8 pass in [`Musicnn::analyse_patches`].
const INT8_BATCH: usize = 8;

/// Patches per pass on a GPU in [`Musicnn::analyse_patches`] (a 10-minute song is 200).
const GPU_BATCH: usize = 64;

/// conv2d -> ReLU -> batch norm -> max over the frequency axis: `[b, 1, t, f]` to `[b, c, t]`.
fn conv_relu_bn_maxfreq(x: Tensor<4>, block: &ConvBn<4>, time_pad: (usize, usize)) -> Tensor<3> {
    let x = x.pad([(0, 0), (0, 0), time_pad, (0, 0)], burn::tensor::ops::PadMode::Constant(0.0));
    let y = block.bn.apply(relu(single_channel_conv(x, &block.weight, &block.bias)));
    let [b, c, t, _] = y.dims();
    y.max_dim(3).reshape([b, c, t])
}

/// A "valid" 2-D convolution of a one-channel input `[b, 1, h, w]` with `[o, 1, kh, kw]`
/// weights, as one matrix product over the unfolded input (im2col from slices).
///
/// Why not `conv2d`: with one input channel and kernels of up to 7x67 taps, burn's CPU conv
/// spent two thirds of musicnn's time building its im2col buffer; slicing whole planes and
/// one batched matmul is 2-3x faster here and stays backend-generic.
pub(crate) fn single_channel_conv(x: Tensor<4>, weight: &Tensor<4>, bias: &Tensor<1>) -> Tensor<4> {
    let [b, _, h, w] = x.dims();
    let [o, _, kh, kw] = weight.dims();
    let (ho, wo) = (h + 1 - kh, w + 1 - kw);
    let mut taps = Vec::with_capacity(kh * kw);
    for dy in 0..kh {
        for dx in 0..kw {
            taps.push(x.clone().slice([0..b, 0..1, dy..dy + ho, dx..dx + wo]));
        }
    }
    // [b, kh*kw, ho*wo]; the weight's [o, 1, kh, kw] flattens in the same (dy, dx) order.
    let cols = Tensor::cat(taps, 1).reshape([b, kh * kw, ho * wo]);
    let w2 = weight.clone().reshape([1, o, kh * kw]);
    let y = w2.matmul(cols).add(bias.clone().reshape([1, o, 1]));
    y.reshape([b, o, ho, wo])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The GPU's passes (patches of several songs in one batch, a pass crossing from one song
    /// to the next) give each song the features it gets alone, run here in f32 on the CPU:
    /// the bookkeeping is the same on every device.
    #[test]
    fn patches_of_several_songs_in_one_pass_go_back_to_their_songs() {
        let Some(shared) = genrecast_testutil::shared_dir() else { return };
        let front = genrecast_features::MusicnnFrontEnd::new().expect("front end");
        let inputs: Vec<genrecast_features::Array2> = ["disco/disco.00004", "metal/metal.00051"]
            .iter()
            .map(|clip| {
                let path = shared.join(format!("data/gtzan/full_16k/{clip}.flac"));
                let y = genrecast_audio::load(&path, &genrecast_audio::LoadOptions { sample_rate: Some(16_000), ..Default::default() }).expect("clip");
                front.network_input(&y.samples)
            })
            .collect();
        let device = Device::flex();
        let mut net = Musicnn::pretrained(Backbone::MusicnnMsd, &device).expect("msd");
        net.set_precision(Precision::F32);
        let starts: Vec<Vec<usize>> = inputs.iter().map(|m| patch_starts(m.cols, PATCH_FRAMES)).collect();
        let pairs: Vec<(&genrecast_features::Array2, &[usize])> = inputs.iter().zip(&starts).map(|(m, s)| (m, s.as_slice())).collect();
        let alone: Vec<SongOutput> = pairs.iter().map(|(m, s)| net.analyse_from(m, &device, s)).collect();
        // 16 patches per pass: the first pass holds 10 of one clip and 6 of the other.
        assert!(starts[0].len() < 16 && starts[0].len() + starts[1].len() > 16, "{:?}", starts.iter().map(Vec::len).collect::<Vec<_>>());
        let together = net.run_patches(&pairs, &device, Precision::F32, 16, true);
        assert_eq!(together.len(), 2);
        for (a, t) in alone.iter().zip(&together) {
            assert_eq!((a.features.len(), a.taggram.len()), (t.features.len(), t.taggram.len()));
            let worst = a.features.iter().flatten().zip(t.features.iter().flatten()).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
            assert!(worst < 1e-4, "batched features moved by {worst}");
            let worst = a.taggram.iter().flatten().zip(t.taggram.iter().flatten()).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
            assert!(worst < 1e-5, "batched taggram moved by {worst}");
        }
        // The two clips differ, so a patch sent back to the wrong clip would show.
        assert_ne!(alone[0].features[0], alone[1].features[0]);
    }
}
