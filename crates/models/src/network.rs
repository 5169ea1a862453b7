//! The networks: one body per architecture, a shared embedding and head.
//!
//! Every network reads a batch `[batch, features, frames]` (a summary vector is `frames = 1`),
//! computes an embedding of `embedding` dimensions (50 by default) with a ReLU, and maps it
//! through dropout and one linear layer to `n_outputs` logits: softmax for single-label genre,
//! sigmoid for multi-label tags.
//!
//! Two extensions serve sequence and multimodal inputs. A masked input (MSD segment series)
//! carries its padding mask as its last feature row; the 1-D CNN and the LSTM then average
//! over real steps only. A network with lyrics reads its lyrics vector from rows appended
//! after the features (see [`crate::InputSpec::lyrics_dims`]), concatenates it with the body's
//! embedding and maps both through one fusion layer to the embedding the head reads.

use burn::module::{Module, Param};
use burn::nn::conv::{Conv1d, Conv1dConfig, Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool1d, MaxPool1dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig, Lstm, LstmConfig, PaddingConfig1d, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

/// Which body a network has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Architecture {
    /// No body: the head reads the flattened input (logistic regression / softmax regression,
    /// e.g. on a pretrained backbone's embeddings). Its embedding is the input itself.
    Linear,
    /// Dense layers on a flattened input (summary vectors): 128-128-embedding.
    Mlp,
    /// Conv1d-BN-ReLU-maxpool x3 over time, global average pool over time.
    Cnn1d,
    /// Conv2d-BN-ReLU-maxpool blocks on a log-mel image, global average pool.
    Cnn2d,
    /// Three conv blocks, then a 2-layer LSTM over time, mean over time.
    Crnn,
    /// A 2-layer LSTM over the input's frames (segment series), mean over (real) steps.
    Lstm,
    /// A one-vs-rest RBF support-vector machine with Platt probabilities over the input (its
    /// embedding, as for [`Architecture::Linear`]), fitted by `genrecast-classic` and carried
    /// as weights: support vectors, their per-class weights, offsets and Platt coefficients.
    /// It is not trained by gradient descent.
    SvmRbf,
    /// A short-chunk residual CNN on a log-mel image (Won et al. 2020, "Evaluation of
    /// CNN-based automatic music tagging models", their `ShortChunkCNN_Res`): one residual
    /// block per channel count, each two 3x3 convolutions with batch norm, the first of
    /// stride 2, beside a strided 3x3 shortcut; then a max over what is left of frequency and
    /// time.
    Resnet,
}

impl std::str::FromStr for Architecture {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "linear" | "logistic" => Ok(Self::Linear),
            "mlp" => Ok(Self::Mlp),
            "cnn1d" => Ok(Self::Cnn1d),
            "cnn2d" => Ok(Self::Cnn2d),
            "crnn" => Ok(Self::Crnn),
            "lstm" => Ok(Self::Lstm),
            "svm-rbf" => Ok(Self::SvmRbf),
            "resnet" => Ok(Self::Resnet),
            other => Err(crate::Error::Config(format!("unknown model '{other}' (known: linear, mlp, cnn1d, cnn2d, crnn, lstm, resnet, svm-rbf)"))),
        }
    }
}

/// The shape and sizes of a network (stored with every checkpoint).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NetworkConfig {
    /// The body.
    pub architecture: Architecture,
    /// Input features per frame (mel bands, MFCCs, summary dimensions).
    pub n_features: usize,
    /// Input frames (1 for summary vectors).
    pub n_frames: usize,
    /// Outputs: classes or tags.
    pub n_outputs: usize,
    /// Embedding size. Default 50.
    pub embedding: usize,
    /// MLP hidden width. Default 128.
    pub hidden: usize,
    /// Convolution channels per block (CNNs, CRNN front end).
    pub channels: Vec<usize>,
    /// LSTM hidden size (CRNN). Default 64.
    pub lstm_hidden: usize,
    /// Dropout probability before the head (and between MLP layers). Default 0.3.
    pub dropout: f64,
    /// Whether the last feature row is a padding mask (1 real, 0 padding).
    #[serde(default)]
    pub masked: bool,
    /// Values of the lyrics vector appended to each input (0: none).
    #[serde(default)]
    pub lyrics: usize,
    /// Support vectors of an [`Architecture::SvmRbf`] (0 for the others).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub support: usize,
    /// Kernel width of an [`Architecture::SvmRbf`]: `exp(-gamma |z - s|^2)`.
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    pub gamma: f64,
}

fn is_zero(v: &usize) -> bool {
    *v == 0
}

fn is_zero_f64(v: &f64) -> bool {
    *v == 0.0
}

/// The most weights a network read from a card may have (1 GB of f32).
const MAX_WEIGHTS: f64 = 2.5e8;

impl NetworkConfig {
    /// Defaults for `architecture` over inputs of `n_features x n_frames`.
    pub fn new(architecture: Architecture, n_features: usize, n_frames: usize, n_outputs: usize) -> Self {
        let channels = match architecture {
            Architecture::Linear | Architecture::Mlp | Architecture::Lstm | Architecture::SvmRbf => vec![],
            Architecture::Cnn1d => vec![64, 128, 128],
            Architecture::Cnn2d => vec![16, 32, 64, 128],
            Architecture::Crnn => vec![32, 64, 64],
            // Won et al.'s seven blocks (128-128-256-256-256-256-512 channels there), at a
            // quarter of the width so that it trains on a CPU.
            Architecture::Resnet => vec![32, 32, 64, 64, 64, 64, 128],
        };
        let embedding = if matches!(architecture, Architecture::Linear | Architecture::SvmRbf) { n_features * n_frames } else { 50 };
        let dropout = if architecture == Architecture::SvmRbf { 0.0 } else { 0.3 };
        Self { architecture, n_features, n_frames, n_outputs, embedding, hidden: 128, channels, lstm_hidden: 64, dropout, masked: false, lyrics: 0, support: 0, gamma: 0.0 }
    }

    /// Defaults for `architecture` reading `spec`'s examples (its mask and lyrics included).
    pub fn for_input(architecture: Architecture, spec: &crate::InputSpec, n_outputs: usize) -> Self {
        let (f, t) = spec.feature_shape();
        let mut c = Self::new(architecture, f, t, n_outputs);
        c.masked = spec.mask_row().is_some();
        c.lyrics = spec.appended_lyrics();
        c
    }

    /// Rows of appended lyrics values after the feature rows.
    pub fn lyrics_rows(&self) -> usize {
        self.lyrics.div_ceil(self.n_frames.max(1))
    }

    /// Checks that the input survives the pooling of every block.
    ///
    /// # Errors
    /// [`crate::Error::Config`] naming the problem.
    /// A generous upper bound on the number of weights (the largest layers of every body).
    fn weight_estimate(&self) -> f64 {
        let f = |v: usize| v as f64;
        let inputs = f(self.n_features) * f(self.n_frames) + f(self.lyrics);
        let widest = f(self.hidden.max(self.embedding).max(4 * self.lstm_hidden));
        let mut conv = 0.0;
        let mut previous = 1.0;
        for &c in &self.channels {
            conv += 9.0 * previous * f(c);
            if self.architecture == Architecture::Resnet {
                // A residual block's second conv and its shortcut.
                conv += 9.0 * f(c) * f(c) + 9.0 * previous * f(c);
            }
            previous = f(c);
        }
        let lstm = 8.0 * f(self.lstm_hidden) * (f(self.n_features).max(previous) + f(self.lstm_hidden));
        let svm = f(self.support) * (f(self.embedding) + f(self.n_outputs));
        inputs * widest + f(self.hidden) * f(self.hidden) + conv + lstm + svm + f(self.embedding) * (widest + f(self.lyrics) + f(self.n_outputs))
    }

    pub fn validate(&self) -> crate::Result<()> {
        let bad = |m: String| Err(crate::Error::Config(m));
        if self.n_features == 0 || self.n_frames == 0 || self.n_outputs == 0 || self.embedding == 0 {
            return bad(format!("empty dimension in {self:?}"));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return bad(format!("dropout {} (expected 0 <= p < 1)", self.dropout));
        }
        // A card is data from anywhere: absurd sizes are refused here, before anything is
        // allocated (a card asking for 10^12 weights used to abort the process).
        let widths = [self.n_features, self.n_outputs, self.embedding, self.hidden, self.lstm_hidden, self.lyrics, self.support].into_iter().chain(self.channels.iter().copied());
        if self.channels.len() > 16 || self.n_frames > 1_000_000 || widths.into_iter().any(|w| w > 65_536) {
            return bad(format!("sizes beyond any genrecast network (at most 16 conv blocks, 1,000,000 frames, 65,536 units per layer): {self:?}"));
        }
        let weights = self.weight_estimate();
        if weights > MAX_WEIGHTS {
            return bad(format!("about {weights:.1e} weights, more than the {MAX_WEIGHTS:.0e} a genrecast network may have"));
        }
        let pools = self.channels.len() as u32;
        let need = 1usize << pools;
        match self.architecture {
            Architecture::Linear if self.embedding != self.n_features * self.n_frames => {
                bad(format!("a linear model's embedding is its input: {} values, not {}", self.n_features * self.n_frames, self.embedding))
            }
            Architecture::Linear if self.lyrics > 0 => bad("a linear model cannot fuse lyrics (use mlp)".into()),
            Architecture::SvmRbf if self.embedding != self.n_features * self.n_frames || self.lyrics > 0 => {
                bad(format!("an RBF SVM reads its input as it is: {} values, no lyrics (got embedding {}, lyrics {})", self.n_features * self.n_frames, self.embedding, self.lyrics))
            }
            Architecture::SvmRbf if self.support == 0 || !(self.gamma.is_finite() && self.gamma > 0.0) => {
                bad(format!("an RBF SVM needs support vectors and a positive gamma (got {} and {})", self.support, self.gamma))
            }
            Architecture::SvmRbf => Ok(()),
            _ if self.masked && matches!(self.architecture, Architecture::Cnn2d | Architecture::Crnn | Architecture::Resnet) => {
                bad(format!("{:?} does not read masked series (use cnn1d, lstm or mlp)", self.architecture))
            }
            Architecture::Linear | Architecture::Mlp | Architecture::Lstm => Ok(()),
            Architecture::Cnn1d if self.n_frames < need => bad(format!("cnn1d with {pools} pooling blocks needs at least {need} frames, got {}", self.n_frames)),
            Architecture::Cnn2d | Architecture::Crnn if self.n_frames < need || self.n_features < need => {
                bad(format!("{:?} with {pools} pooling blocks needs at least {need} features and frames, got {}x{}", self.architecture, self.n_features, self.n_frames))
            }
            _ if self.channels.is_empty() => bad("convolutional model without channels".into()),
            // Resnet needs no minimum: its strided blocks round up (ceil(n / 2)), so any input
            // keeps at least one position.
            _ => Ok(()),
        }
    }

    /// Builds the network with weights drawn from `seed`: the same seed gives the same weights,
    /// even when other threads use the backend's random numbers meanwhile.
    ///
    /// The weights are drawn by the CPU backend whatever `device` is, and the network is then
    /// moved to `device`, where it trains and runs. This is deliberate, not a device choice:
    /// each burn backend has its own random generator, and drawing on the CPU makes a seed
    /// mean the same network on every device.
    ///
    /// # Errors
    /// As [`NetworkConfig::validate`].
    pub fn init_seeded(&self, device: &Device, seed: u64) -> crate::Result<GenreNet> {
        let _guard = crate::backend_rng_lock();
        if crate::device::is_cpu(device) {
            device.seed(seed);
            return self.build(device);
        }
        // Weights are drawn by the CPU backend and then moved, so that a seed gives the same
        // network on every device (each backend has its own random generator).
        let cpu = if device.is_autodiff() { Device::flex().autodiff() } else { Device::flex() };
        cpu.seed(seed);
        Ok(self.build(&cpu)?.to_device(device))
    }

    /// Builds the network with fresh weights on `device`.
    ///
    /// # Errors
    /// As [`NetworkConfig::validate`].
    pub fn init(&self, device: &Device) -> crate::Result<GenreNet> {
        let _guard = crate::backend_rng_lock();
        self.build(device)
    }

    fn build(&self, device: &Device) -> crate::Result<GenreNet> {
        let net = self.build_lazy(device)?;
        // burn draws parameters lazily, at first use; draw them now, under the caller's lock
        // and seed, so that weights do not depend on what else runs meanwhile.
        net.visit(&mut Materialize);
        Ok(net)
    }

    fn build_lazy(&self, device: &Device) -> crate::Result<GenreNet> {
        self.validate()?;
        let mut net = GenreNet {
            mlp: None,
            cnn1d: None,
            cnn2d: None,
            crnn: None,
            lstm: None,
            resnet: None,
            fusion: (self.lyrics > 0).then(|| LinearConfig::new(self.embedding + self.lyrics, self.embedding).init(device)),
            features: self.n_features,
            lyrics: self.lyrics,
            masked: self.masked,
            dropout: DropoutConfig::new(self.dropout).init(),
            head: LinearConfig::new(if self.architecture == Architecture::SvmRbf { self.support } else { self.embedding }, self.n_outputs).init(device),
            svm: None,
        };
        match self.architecture {
            Architecture::Linear => {}
            Architecture::Mlp => net.mlp = Some(Mlp::new(self, device)),
            Architecture::Cnn1d => net.cnn1d = Some(Cnn1d::new(self, device)),
            Architecture::Cnn2d => net.cnn2d = Some(Cnn2d::new(self, device)),
            Architecture::Crnn => net.crnn = Some(Crnn::new(self, device)),
            Architecture::Lstm => net.lstm = Some(LstmNet::new(self, device)),
            Architecture::SvmRbf => net.svm = Some(RbfKernel::new(self, device)),
            Architecture::Resnet => net.resnet = Some(Resnet::new(self, device)),
        }
        Ok(net)
    }
}

/// Touches every float parameter, which initialises a lazy one.
struct Materialize;

impl burn::module::ModuleVisitor for Materialize {
    fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<D>>) {
        let _ = param.val();
    }
}

/// A genrecast network: one body (the others are `None`; none at all for
/// [`Architecture::Linear`]), then dropout and a linear head.
#[derive(Module, Debug)]
pub struct GenreNet {
    mlp: Option<Mlp>,
    cnn1d: Option<Cnn1d>,
    cnn2d: Option<Cnn2d>,
    crnn: Option<Crnn>,
    lstm: Option<LstmNet>,
    resnet: Option<Resnet>,
    /// Lyrics fusion: `[embedding, lyrics] -> embedding`.
    fusion: Option<Linear>,
    /// Feature rows of the input (lyrics rows follow them).
    features: usize,
    /// Values of the appended lyrics vector.
    lyrics: usize,
    /// Whether the last feature row is a padding mask.
    masked: bool,
    dropout: Dropout,
    /// The output layer (public for L1 penalties and for swapping heads). For an RBF SVM: the
    /// support vectors' weights (`support x classes`) and minus the offsets.
    pub head: Linear,
    /// The kernel and Platt scaling of an [`Architecture::SvmRbf`].
    svm: Option<RbfKernel>,
}

impl GenreNet {
    /// The same body with a new output layer of `n_outputs`, its weights drawn from `seed`:
    /// a trained model started on another label set (`genrecast train --init-from`). As in
    /// [`NetworkConfig::init_seeded`], the head is drawn on the CPU and moved to `device`.
    pub fn with_new_head(mut self, n_outputs: usize, device: &Device, seed: u64) -> Self {
        let [embedding, _] = self.head.weight.dims();
        let _guard = crate::backend_rng_lock();
        // As in `init_seeded`: drawn on the CPU, so the seed means the same head everywhere.
        let cpu = if crate::device::is_cpu(device) { device.clone() } else if device.is_autodiff() { Device::flex().autodiff() } else { Device::flex() };
        cpu.seed(seed);
        let head = LinearConfig::new(embedding, n_outputs).init(&cpu);
        head.visit(&mut Materialize);
        self.head = if crate::device::is_cpu(device) { head } else { head.to_device(device) };
        self
    }

    /// Stops training every weight before the output layer (the body and any lyrics fusion):
    /// only the head learns. Batch-norm layers of a frozen body still update their running
    /// statistics in training mode, so they adapt to the new data's scale.
    pub fn freeze_body(self) -> Self {
        let Self { mlp, cnn1d, cnn2d, crnn, lstm, resnet, fusion, features, lyrics, masked, dropout, head, svm } = self;
        Self {
            mlp: mlp.map(Module::no_grad),
            cnn1d: cnn1d.map(Module::no_grad),
            cnn2d: cnn2d.map(Module::no_grad),
            crnn: crnn.map(Module::no_grad),
            lstm: lstm.map(Module::no_grad),
            resnet: resnet.map(Module::no_grad),
            fusion: fusion.map(Module::no_grad),
            features,
            lyrics,
            masked,
            dropout,
            head,
            svm: svm.map(Module::no_grad),
        }
    }

    /// The embedding of a batch `[batch, rows, frames]`: `[batch, embedding]`, after ReLU.
    pub fn embed(&self, x: Tensor<3>) -> Tensor<2> {
        let [b, rows, t] = x.dims();
        let (x, lyrics) = if self.fusion.is_some() && rows > self.features {
            let side = x.clone().narrow(1, self.features, rows - self.features).reshape([b, (rows - self.features) * t]).narrow(1, 0, self.lyrics);
            (x.narrow(1, 0, self.features), Some(side))
        } else {
            (x, None)
        };
        // The mask `[batch, 1, frames]`, for pooling over real steps.
        let mask = self.masked.then(|| x.clone().narrow(1, self.features - 1, 1));
        let e = if let Some(m) = &self.mlp {
            m.forward(x)
        } else if let Some(m) = &self.cnn1d {
            m.forward(x, mask)
        } else if let Some(m) = &self.cnn2d {
            m.forward(x)
        } else if let Some(m) = &self.crnn {
            m.forward(x)
        } else if let Some(m) = &self.lstm {
            m.forward(x, mask)
        } else if let Some(m) = &self.resnet {
            m.forward(x)
        } else {
            // No body: a linear model, whose embedding is its input.
            let [b, f, t] = x.dims();
            x.reshape([b, f * t])
        };
        match (&self.fusion, lyrics) {
            (Some(fusion), Some(l)) => relu(fusion.forward(Tensor::cat(vec![e, l], 1))),
            _ => e,
        }
    }

    /// Logits `[batch, outputs]` and the embedding `[batch, embedding]`.
    pub fn forward(&self, x: Tensor<3>) -> (Tensor<2>, Tensor<2>) {
        let e = self.embed(x);
        if let Some(svm) = &self.svm {
            return (svm.logits(e.clone(), &self.head), e);
        }
        (self.head.forward(self.dropout.forward(e.clone())), e)
    }

    /// An [`Architecture::SvmRbf`] network carrying a fitted SVM: `parts` from
    /// [`genrecast_classic::FittedModel::rbf_svm_parts`], reading inputs of `n_features x
    /// n_frames` values. Softmax of its logits gives the probabilities
    /// [`genrecast_classic::FittedModel::predict_proba`] gives (to f32 rounding).
    ///
    /// # Errors
    /// [`crate::Error::Config`] for parts of inconsistent sizes or a network too large.
    pub fn from_rbf_svm(parts: &genrecast_classic::RbfSvmParts, n_features: usize, n_frames: usize, device: &Device) -> crate::Result<(Self, NetworkConfig)> {
        let d = n_features * n_frames;
        let (s, c) = (parts.support.len(), parts.rho.len());
        let consistent = parts.mean.len() == d && parts.std.len() == d && parts.platt.len() == c && parts.support.iter().all(|r| r.len() == d) && parts.coef.len() == s && parts.coef.iter().all(|r| r.len() == c);
        if !consistent {
            return Err(crate::Error::Config(format!("SVM parts of inconsistent sizes for {d} inputs: {s} support vectors, {c} classes")));
        }
        let mut config = NetworkConfig::new(Architecture::SvmRbf, n_features, n_frames, c);
        config.support = s;
        config.gamma = parts.gamma;
        config.validate()?;
        let f32s = |v: &mut dyn Iterator<Item = f64>| v.map(|x| x as f32).collect::<Vec<f32>>();
        let t1 = |v: Vec<f32>| Tensor::<1>::from_data(burn::tensor::TensorData::new(v, [d]), device);
        let tensor2 = |v: Vec<f32>, shape: [usize; 2]| Tensor::<2>::from_data(burn::tensor::TensorData::new(v, shape), device);
        let scale: Vec<f32> = f32s(&mut parts.std.iter().map(|s| 1.0 / s));
        let kernel = RbfKernel {
            shift: Param::from_tensor(t1(f32s(&mut parts.mean.iter().copied()))),
            scale: Param::from_tensor(t1(scale)),
            support: Param::from_tensor(tensor2(f32s(&mut parts.support.iter().flatten().copied()), [s, d])),
            platt: Param::from_tensor(tensor2(f32s(&mut parts.platt.iter().map(|p| p.0).chain(parts.platt.iter().map(|p| p.1))), [2, c])),
            gamma: parts.gamma as f32,
        };
        let head = Linear {
            weight: Param::from_tensor(tensor2(f32s(&mut parts.coef.iter().flatten().copied()), [s, c])),
            bias: Some(Param::from_tensor(Tensor::<1>::from_data(burn::tensor::TensorData::new(f32s(&mut parts.rho.iter().map(|r| -r)), [c]), device))),
        };
        let net = GenreNet { mlp: None, cnn1d: None, cnn2d: None, crnn: None, lstm: None, resnet: None, fusion: None, features: n_features, lyrics: 0, masked: false, dropout: DropoutConfig::new(0.0).init(), head, svm: Some(kernel) };
        Ok((net, config))
    }

    /// Sum of absolute weights of the embedding and output layers (the L1 penalty's term).
    pub fn l1_term(&self) -> Tensor<1> {
        let mut sum = self.head.weight.val().abs().sum();
        let emb = self.mlp.as_ref().map(|m| &m.emb)
            .or(self.cnn1d.as_ref().map(|m| &m.emb))
            .or(self.cnn2d.as_ref().map(|m| &m.emb))
            .or(self.crnn.as_ref().map(|m| &m.emb))
            .or(self.lstm.as_ref().map(|m| &m.emb))
            .or(self.resnet.as_ref().map(|m| &m.emb));
        if let Some(e) = emb {
            sum = sum + e.weight.val().abs().sum();
        }
        sum
    }
}

/// The kernel side of an RBF SVM: standardisation, support vectors and Platt scaling. The
/// decision values are the head's output over the kernel values.
#[derive(Module, Debug)]
struct RbfKernel {
    /// Feature means of the SVM's own standardisation (`d`).
    shift: Param<Tensor<1>>,
    /// Reciprocal standard deviations (`d`).
    scale: Param<Tensor<1>>,
    /// Standardised support vectors (`S x d`).
    support: Param<Tensor<2>>,
    /// Platt's `a` (row 0) and `b` (row 1) of each class (`2 x classes`).
    platt: Param<Tensor<2>>,
    gamma: f32,
}

impl RbfKernel {
    fn new(c: &NetworkConfig, device: &Device) -> Self {
        let d = c.n_features * c.n_frames;
        Self {
            shift: Param::from_tensor(Tensor::zeros([d], device)),
            scale: Param::from_tensor(Tensor::ones([d], device)),
            support: Param::from_tensor(Tensor::zeros([c.support, d], device)),
            platt: Param::from_tensor(Tensor::zeros([2, c.n_outputs], device)),
            gamma: c.gamma as f32,
        }
    }

    /// Logits whose softmax is the normalised Platt probabilities of the inputs `x` (`[batch, d]`).
    fn logits(&self, x: Tensor<2>, head: &Linear) -> Tensor<2> {
        let [b, d] = x.dims();
        let z = (x - self.shift.val().reshape([1, d])) * self.scale.val().reshape([1, d]);
        let sv = self.support.val();
        let [s, _] = sv.dims();
        // |z - s|^2 = |z|^2 + |s|^2 - 2 z.s, clamped at 0 against rounding.
        let zz = z.clone().powi_scalar(2).sum_dim(1);
        let ss = sv.clone().powi_scalar(2).sum_dim(1).reshape([1, s]);
        let d2 = (zz + ss - z.matmul(sv.transpose()) * 2.0).clamp_min(0.0);
        let decision = head.forward((d2 * (-self.gamma)).exp());
        let platt = self.platt.val();
        let c = platt.dims()[1];
        let (a, bias) = (platt.clone().narrow(0, 0, 1), platt.narrow(0, 1, 1));
        // log p = -softplus(a f + b), computed stably; softmax then normalises the p.
        let t = decision * a + bias;
        let log_p = -(t.clone().clamp_min(0.0) + (-(t.abs())).exp().log1p());
        debug_assert_eq!(log_p.dims(), [b, c]);
        log_p
    }
}

#[derive(Module, Debug)]
struct Mlp {
    l1: Linear,
    l2: Linear,
    emb: Linear,
    dropout: Dropout,
}

impl Mlp {
    fn new(c: &NetworkConfig, device: &Device) -> Self {
        Self {
            l1: LinearConfig::new(c.n_features * c.n_frames, c.hidden).init(device),
            l2: LinearConfig::new(c.hidden, c.hidden).init(device),
            emb: LinearConfig::new(c.hidden, c.embedding).init(device),
            dropout: DropoutConfig::new(c.dropout).init(),
        }
    }

    fn forward(&self, x: Tensor<3>) -> Tensor<2> {
        let [b, f, t] = x.dims();
        let x = x.reshape([b, f * t]);
        let x = self.dropout.forward(relu(self.l1.forward(x)));
        let x = self.dropout.forward(relu(self.l2.forward(x)));
        relu(self.emb.forward(x))
    }
}

#[derive(Module, Debug)]
struct Cnn1d {
    convs: Vec<Conv1d>,
    norms: Vec<BatchNorm>,
    pool: MaxPool1d,
    emb: Linear,
}

impl Cnn1d {
    fn new(c: &NetworkConfig, device: &Device) -> Self {
        let mut convs = Vec::new();
        let mut norms = Vec::new();
        let mut ch_in = c.n_features;
        for &ch in &c.channels {
            convs.push(Conv1dConfig::new(ch_in, ch, 3).with_padding(PaddingConfig1d::Same).init(device));
            norms.push(BatchNormConfig::new(ch).init(device));
            ch_in = ch;
        }
        Self { convs, norms, pool: MaxPool1dConfig::new(2).init(), emb: LinearConfig::new(ch_in, c.embedding).init(device) }
    }

    fn forward(&self, x: Tensor<3>, mask: Option<Tensor<3>>) -> Tensor<2> {
        let mut x = x;
        let mut mask = mask;
        for (conv, norm) in self.convs.iter().zip(&self.norms) {
            x = self.pool.forward(relu(norm.forward(conv.forward(x))));
            // A pooled step is real when any step it covers is.
            mask = mask.map(|m| self.pool.forward(m));
        }
        let [b, ch, _] = x.dims();
        relu(self.emb.forward(time_mean(x, mask).reshape([b, ch])))
    }
}

#[derive(Module, Debug)]
struct ConvBlocks {
    convs: Vec<Conv2d>,
    norms: Vec<BatchNorm>,
    pool: MaxPool2d,
}

impl ConvBlocks {
    fn new(channels: &[usize], device: &Device) -> Self {
        let mut convs = Vec::new();
        let mut norms = Vec::new();
        let mut ch_in = 1;
        for &ch in channels {
            convs.push(Conv2dConfig::new([ch_in, ch], [3, 3]).with_padding(PaddingConfig2d::Same).init(device));
            norms.push(BatchNormConfig::new(ch).init(device));
            ch_in = ch;
        }
        Self { convs, norms, pool: MaxPool2dConfig::new([2, 2]).init() }
    }

    /// `[batch, features, frames]` -> `[batch, channels, features / 2^n, frames / 2^n]`.
    fn forward(&self, x: Tensor<3>) -> Tensor<4> {
        let [b, f, t] = x.dims();
        let mut x = x.reshape([b, 1, f, t]);
        for (conv, norm) in self.convs.iter().zip(&self.norms) {
            x = self.pool.forward(relu(norm.forward(conv.forward(x))));
        }
        x
    }
}

#[derive(Module, Debug)]
struct Cnn2d {
    blocks: ConvBlocks,
    emb: Linear,
}

impl Cnn2d {
    fn new(c: &NetworkConfig, device: &Device) -> Self {
        Self { blocks: ConvBlocks::new(&c.channels, device), emb: LinearConfig::new(*c.channels.last().unwrap_or(&1), c.embedding).init(device) }
    }

    fn forward(&self, x: Tensor<3>) -> Tensor<2> {
        let x = self.blocks.forward(x);
        let [b, ch, _, _] = x.dims();
        relu(self.emb.forward(x.mean_dim(3).mean_dim(2).reshape([b, ch])))
    }
}

/// One residual block: `relu(bn(conv(relu(bn(conv_s2(x))))) + bn(conv_s2(x)))`, halving
/// both axes (rounding up), as Won et al.'s `Res_2d`.
#[derive(Module, Debug)]
struct ResBlock {
    conv1: Conv2d,
    bn1: BatchNorm,
    conv2: Conv2d,
    bn2: BatchNorm,
    shortcut: Conv2d,
    bn_shortcut: BatchNorm,
}

impl ResBlock {
    fn new(ch_in: usize, ch: usize, device: &Device) -> Self {
        let strided = |from: usize| Conv2dConfig::new([from, ch], [3, 3]).with_stride([2, 2]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init(device);
        Self {
            conv1: strided(ch_in),
            bn1: BatchNormConfig::new(ch).init(device),
            conv2: Conv2dConfig::new([ch, ch], [3, 3]).with_padding(PaddingConfig2d::Same).init(device),
            bn2: BatchNormConfig::new(ch).init(device),
            shortcut: strided(ch_in),
            bn_shortcut: BatchNormConfig::new(ch).init(device),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let y = self.bn2.forward(self.conv2.forward(relu(self.bn1.forward(self.conv1.forward(x.clone())))));
        relu(y + self.bn_shortcut.forward(self.shortcut.forward(x)))
    }
}

#[derive(Module, Debug)]
struct Resnet {
    input_bn: BatchNorm,
    blocks: Vec<ResBlock>,
    emb: Linear,
}

impl Resnet {
    fn new(c: &NetworkConfig, device: &Device) -> Self {
        let mut blocks = Vec::with_capacity(c.channels.len());
        let mut ch_in = 1;
        for &ch in &c.channels {
            blocks.push(ResBlock::new(ch_in, ch, device));
            ch_in = ch;
        }
        Self { input_bn: BatchNormConfig::new(1).init(device), blocks, emb: LinearConfig::new(ch_in, c.embedding).init(device) }
    }

    /// `[batch, bands, frames]` -> the embedding `[batch, embedding]`: the blocks, the max
    /// over the positions left, then a dense layer with ReLU.
    fn forward(&self, x: Tensor<3>) -> Tensor<2> {
        let [b, f, t] = x.dims();
        let mut x = self.input_bn.forward(x.reshape([b, 1, f, t]));
        for block in &self.blocks {
            x = block.forward(x);
        }
        let [b, ch, h, w] = x.dims();
        relu(self.emb.forward(x.reshape([b, ch, h * w]).max_dim(2).reshape([b, ch])))
    }
}

#[derive(Module, Debug)]
struct Crnn {
    blocks: ConvBlocks,
    lstm1: Lstm,
    lstm2: Lstm,
    emb: Linear,
}

impl Crnn {
    fn new(c: &NetworkConfig, device: &Device) -> Self {
        let ch = *c.channels.last().unwrap_or(&1);
        Self {
            blocks: ConvBlocks::new(&c.channels, device),
            lstm1: LstmConfig::new(ch, c.lstm_hidden, true).init(device),
            lstm2: LstmConfig::new(c.lstm_hidden, c.lstm_hidden, true).init(device),
            emb: LinearConfig::new(c.lstm_hidden, c.embedding).init(device),
        }
    }

    fn forward(&self, x: Tensor<3>) -> Tensor<2> {
        let x = self.blocks.forward(x);
        let [b, ch, _, t] = x.dims();
        // Collapse frequency, then read the sequence over time.
        let seq = x.mean_dim(2).reshape([b, ch, t]).swap_dims(1, 2);
        let (h, _) = self.lstm1.forward(seq, None);
        let (h, _) = self.lstm2.forward(h, None);
        let [_, _, hidden] = h.dims();
        relu(self.emb.forward(h.mean_dim(1).reshape([b, hidden])))
    }
}

/// Mean over the last axis of `[batch, channels, steps]`, over the steps whose `mask`
/// (`[batch, 1, steps]`) is 1 when there is a mask: `[batch, channels, 1]`.
fn time_mean(x: Tensor<3>, mask: Option<Tensor<3>>) -> Tensor<3> {
    match mask {
        None => x.mean_dim(2),
        Some(m) => {
            let count = m.clone().sum_dim(2).clamp_min(1.0);
            (x * m).sum_dim(2).div(count)
        }
    }
}

/// A 2-layer LSTM over the frames of `[batch, features, frames]`.
#[derive(Module, Debug)]
struct LstmNet {
    lstm1: Lstm,
    lstm2: Lstm,
    emb: Linear,
}

impl LstmNet {
    fn new(c: &NetworkConfig, device: &Device) -> Self {
        Self {
            lstm1: LstmConfig::new(c.n_features, c.lstm_hidden, true).init(device),
            lstm2: LstmConfig::new(c.lstm_hidden, c.lstm_hidden, true).init(device),
            emb: LinearConfig::new(c.lstm_hidden, c.embedding).init(device),
        }
    }

    fn forward(&self, x: Tensor<3>, mask: Option<Tensor<3>>) -> Tensor<2> {
        let [b, _, _] = x.dims();
        let (h, _) = self.lstm1.forward(x.swap_dims(1, 2), None);
        let (h, _) = self.lstm2.forward(h, None);
        let [_, _, hidden] = h.dims();
        // The states of real steps only: an LSTM reads forwards, so they never saw padding.
        relu(self.emb.forward(time_mean(h.swap_dims(1, 2), mask).reshape([b, hidden])))
    }
}
