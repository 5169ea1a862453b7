//! Timing one training step and one inference pass of a network on random input, so that
//! backend or kernel changes can be compared (`genrecast bench model`, `cargo bench -p
//! genrecast-models`).

use std::time::Instant;

use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{loss, Architecture, ComputeDevice, Error, NetworkConfig, Result, Task};

/// Seconds per training step (forward, backward, Adam update) and per inference pass.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct StepTimes {
    /// One entry per timed training step (a warm-up step is not counted).
    pub train: Vec<f64>,
    /// One entry per timed inference pass.
    pub infer: Vec<f64>,
    /// The training loss of every step, warm-up included. The inputs and the initial weights
    /// are drawn on the host from fixed seeds, so two devices see the same problem and their
    /// losses differ only by their arithmetic (and dropout masks, drawn by each backend).
    pub losses: Vec<f64>,
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
/// `features x frames` (the MLP takes them flattened), 10 outputs, on `device`. Each timed
/// step ends when the device has finished it (a GPU runs asynchronously, so the clock stops
/// only after a sync).
///
/// # Errors
/// A configuration the architecture cannot take (e.g. input smaller than its pooling), or a
/// device that is not there ([`crate::Error::Device`]).
///
/// # Example
/// ```
/// use genrecast_models::{time_steps, Architecture, ComputeDevice};
/// let t = time_steps(ComputeDevice::Cpu, Architecture::Mlp, 20, 10, 4, 2)?;
/// assert_eq!(t.train.len(), 2);
/// assert!(t.train_median() > 0.0);
/// # Ok::<(), genrecast_models::Error>(())
/// ```
pub fn time_steps(on: ComputeDevice, arch: Architecture, features: usize, frames: usize, batch: usize, steps: usize) -> Result<StepTimes> {
    let (f, t) = if arch == Architecture::Mlp { (features * frames, 1) } else { (features, frames) };
    let cfg = NetworkConfig::new(arch, f, t, 10);
    let device = on.burn_training_device()?;
    let sync = |d: &Device| d.sync().map_err(|e| Error::Device(format!("{on}: {e:?}")));
    let mut net = cfg.init_seeded(&device, 0)?;
    let mut optim = AdamConfig::new().init();
    let y = Tensor::<2>::zeros([batch, 10], &device).add_scalar(0.1);
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut train = Vec::with_capacity(steps);
    let mut losses = Vec::with_capacity(steps + 1);
    for i in 0..=steps {
        let x = host_normal(&mut rng, [batch, f, t], &device);
        sync(&device)?;
        let start = Instant::now();
        let (logits, _) = net.forward(x);
        let l = loss(Task::SingleLabel, logits, y.clone(), None);
        losses.push(f64::from(l.clone().into_scalar::<f32>()));
        let grads = GradientsParams::from_grads(l.backward(), &net);
        net = optim.step(1e-3, net, grads);
        sync(&device)?;
        if i > 0 {
            train.push(start.elapsed().as_secs_f64());
        }
    }
    let infer_device = on.burn_device()?;
    let valid = burn::module::Module::valid(&net);
    let mut infer = Vec::with_capacity(steps);
    for i in 0..=steps {
        let x = host_normal(&mut rng, [batch, f, t], &infer_device);
        sync(&infer_device)?;
        let start = Instant::now();
        let (logits, _) = valid.forward(x);
        let _ = logits.into_data();
        if i > 0 {
            infer.push(start.elapsed().as_secs_f64());
        }
    }
    Ok(StepTimes { train, infer, losses })
}

/// Standard normal inputs drawn on the host (Box-Muller), so every device gets the same.
fn host_normal(rng: &mut ChaCha8Rng, shape: [usize; 3], device: &Device) -> Tensor<3> {
    let n = shape.iter().product::<usize>();
    let data: Vec<f32> = (0..n)
        .map(|_| {
            let (u, v) = (1.0 - rng.random::<f64>(), rng.random::<f64>());
            ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
        })
        .collect();
    Tensor::from_data(TensorData::new(data, shape), device)
}

/// Seconds per pass of a shipped musicnn over `batch` patches of 3 s (187 x 96 log-mel
/// frames drawn on the host), on `on`, in the precision it would use there: `steps` timed
/// passes after one warm-up, each ending when the taggram is back on the host.
///
/// # Errors
/// A device that is not there ([`crate::Error::Device`]).
///
/// # Example
/// ```
/// use genrecast_models::{time_musicnn, Backbone, ComputeDevice};
/// let t = time_musicnn(ComputeDevice::Cpu, Backbone::MusicnnMsd, 2, 1)?;
/// assert_eq!(t.len(), 1);
/// # Ok::<(), genrecast_models::Error>(())
/// ```
pub fn time_musicnn(on: ComputeDevice, backbone: crate::Backbone, batch: usize, steps: usize) -> Result<Vec<f64>> {
    let device = on.burn_device()?;
    let net = crate::Musicnn::pretrained(backbone, &device)?;
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut times = Vec::with_capacity(steps);
    for i in 0..=steps {
        let x = host_normal(&mut rng, [batch.max(1), crate::musicnn::PATCH_FRAMES, 96], &device);
        device.sync().map_err(|e| Error::Device(format!("{on}: {e:?}")))?;
        let start = Instant::now();
        let out = net.forward(x);
        let _ = out.taggram.into_data();
        if i > 0 {
            times.push(start.elapsed().as_secs_f64());
        }
    }
    Ok(times)
}
