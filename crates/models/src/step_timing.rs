//! Timing one training step and one inference pass of a network on random input, so that
//! backend or kernel changes can be compared (`genrecast bench model`, `cargo bench -p
//! genrecast-models`).

use std::time::Instant;

use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Distribution, Tensor};

use crate::{loss, Architecture, NetworkConfig, Result, Task};

/// Seconds per training step (forward, backward, Adam update) and per inference pass.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct StepTimes {
    /// One entry per timed training step (a warm-up step is not counted).
    pub train: Vec<f64>,
    /// One entry per timed inference pass.
    pub infer: Vec<f64>,
}

impl StepTimes {
    /// Median training step.
    pub fn train_median(&self) -> f64 {
        median(&self.train)
    }

    /// Median inference pass.
    pub fn infer_median(&self) -> f64 {
        median(&self.infer)
    }
}

use genrecast_eval::median;

/// Times `steps` training steps and inference passes of `arch` at `batch` examples of
/// `features x frames` (the MLP takes them flattened), 10 outputs, on the CPU backend.
///
/// # Errors
/// A configuration the architecture cannot take (e.g. input smaller than its pooling).
///
/// # Example
/// ```
/// use genrecast_models::{time_steps, Architecture};
/// let t = time_steps(Architecture::Mlp, 20, 10, 4, 2)?;
/// assert_eq!(t.train.len(), 2);
/// assert!(t.train_median() > 0.0);
/// # Ok::<(), genrecast_models::Error>(())
/// ```
pub fn time_steps(arch: Architecture, features: usize, frames: usize, batch: usize, steps: usize) -> Result<StepTimes> {
    let (f, t) = if arch == Architecture::Mlp { (features * frames, 1) } else { (features, frames) };
    let cfg = NetworkConfig::new(arch, f, t, 10);
    let device = Device::flex().autodiff();
    let mut net = cfg.init_seeded(&device, 0)?;
    let mut optim = AdamConfig::new().init();
    let y = Tensor::<2>::zeros([batch, 10], &device).add_scalar(0.1);
    let mut train = Vec::with_capacity(steps);
    for i in 0..=steps {
        let x = Tensor::<3>::random([batch, f, t], Distribution::Normal(0.0, 1.0), &device);
        let start = Instant::now();
        let (logits, _) = net.forward(x);
        let l = loss(Task::SingleLabel, logits, y.clone(), None);
        let grads = GradientsParams::from_grads(l.backward(), &net);
        net = optim.step(1e-3, net, grads);
        if i > 0 {
            train.push(start.elapsed().as_secs_f64());
        }
    }
    let infer_device = Device::flex();
    let valid = burn::module::Module::valid(&net);
    let mut infer = Vec::with_capacity(steps);
    for i in 0..=steps {
        let x = Tensor::<3>::random([batch, f, t], Distribution::Normal(0.0, 1.0), &infer_device);
        let start = Instant::now();
        let (logits, _) = valid.forward(x);
        let _ = logits.into_data();
        if i > 0 {
            infer.push(start.elapsed().as_secs_f64());
        }
    }
    Ok(StepTimes { train, infer })
}
