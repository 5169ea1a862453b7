//! Adadelta (Zeiler 2012), which burn does not ship: the seeds' Keras models train with it.
//!
//! Matches `torch.optim.Adadelta`: `v = rho v + (1 - rho) g^2`,
//! `d = sqrt(u + eps) / sqrt(v + eps) * g`, `u = rho u + (1 - rho) d^2`, `x -= lr d`, with L2
//! weight decay added to the gradient.

use burn::optim::{LearningRate, ModuleOptimizer, Optimizer, RecordState};
use burn::tensor::{Device, Tensor};

/// Adadelta's settings.
#[derive(Clone, Debug)]
pub struct AdadeltaConfig {
    /// Decay of the running averages. Default 0.9 (PyTorch).
    pub rho: f32,
    /// Added inside the square roots. Default 1e-6.
    pub epsilon: f32,
    /// L2 penalty added to the gradient. Default 0.
    pub weight_decay: f32,
}

impl Default for AdadeltaConfig {
    fn default() -> Self {
        Self { rho: 0.9, epsilon: 1e-6, weight_decay: 0.0 }
    }
}

impl AdadeltaConfig {
    /// The optimizer for a whole module.
    pub fn init(&self) -> ModuleOptimizer {
        ModuleOptimizer::from(Adadelta { cfg: self.clone() })
    }
}

/// The Adadelta optimizer.
#[derive(Clone, Debug)]
pub struct Adadelta {
    cfg: AdadeltaConfig,
}

/// Running averages of squared gradients and squared updates.
#[derive(RecordState, Clone)]
pub struct AdadeltaState<const D: usize> {
    square_avg: Tensor<D>,
    acc_delta: Tensor<D>,
}

impl Optimizer for Adadelta {
    type State<const D: usize> = AdadeltaState<D>;

    fn step<const D: usize>(&self, lr: LearningRate, tensor: Tensor<D>, grad: Tensor<D>, state: Option<Self::State<D>>) -> (Tensor<D>, Option<Self::State<D>>) {
        let AdadeltaConfig { rho, epsilon, weight_decay } = self.cfg;
        let grad = if weight_decay != 0.0 { grad + tensor.clone().mul_scalar(weight_decay) } else { grad };
        let (square_avg, acc_delta) = match state {
            Some(s) => (s.square_avg, s.acc_delta),
            None => (grad.zeros_like(), grad.zeros_like()),
        };
        let square_avg = square_avg.mul_scalar(rho) + grad.clone().square().mul_scalar(1.0 - rho);
        let delta = acc_delta.clone().add_scalar(epsilon).sqrt().div(square_avg.clone().add_scalar(epsilon).sqrt()).mul(grad);
        let acc_delta = acc_delta.mul_scalar(rho) + delta.clone().square().mul_scalar(1.0 - rho);
        (tensor - delta.mul_scalar(lr), Some(AdadeltaState { square_avg, acc_delta }))
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        AdadeltaState { square_avg: state.square_avg.to_device(device), acc_delta: state.acc_delta.to_device(device) }
    }
}
