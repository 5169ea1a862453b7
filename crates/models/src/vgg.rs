//! musicnn's VGG baseline (`musicnn.models.vgg` with 128 filters, the `MSD_vgg` and `MTT_vgg`
//! checkpoints of the musicnn 0.1.0 wheel), on the same 187 x 96 log-mel patches as musicnn.
//!
//! Five blocks of a 3x3 convolution ('same' padding) -> ReLU -> batch norm -> max pool
//! (`[4, 1]` stride 2, then `[2, 2]` three times, then `[4, 4]`), after a batch norm of the
//! input; the output layer reads the last pooled maps (2 x 1 x 128) flattened in TensorFlow's
//! (time, mel, channel) order. Those 256 values are this network's penultimate features.
//! Loaded and run through [`crate::Musicnn`], which gives every caller the same outputs for
//! both networks; matches musicnn's TensorFlow taggrams (`tests/musicnn_parity.rs`).

use burn::tensor::activation::relu;
use burn::tensor::module::{conv2d, max_pool2d};
use burn::tensor::ops::{ConvOptions, MaxPoolOptions};
use burn::tensor::Tensor;

use crate::musicnn::{Affine, ConvBn, Weights};
use crate::Result;

/// Filters of every conv layer.
const FILTERS: usize = 128;

/// Values per patch of the penultimate features: the last pooled maps (2 x 1 x 128).
pub const PENULTIMATE: usize = 2 * FILTERS;

/// Values per patch of the pooled layers: one per filter of the last maps.
pub const POOLED: usize = FILTERS;

/// Pool size and stride after each conv layer, as `models.vgg`.
const POOLS: [([usize; 2], [usize; 2]); 5] = [([4, 1], [2, 2]), ([2, 2], [2, 2]), ([2, 2], [2, 2]), ([2, 2], [2, 2]), ([4, 4], [4, 4])];

/// The VGG's layers before its output layer.
#[derive(Clone, Debug)]
pub(crate) struct VggBody {
    input_bn: Affine,
    convs: [ConvBn<4>; 5],
}

impl VggBody {
    /// The layers as `tools/convert_musicnn.py` names them (`input.bn.*`, `conv1..5.*`).
    pub(crate) fn load(w: &Weights<'_>) -> Result<Self> {
        let conv = |i: usize| w.conv(&format!("conv{i}"), [FILTERS, if i == 1 { 1 } else { FILTERS }, 3, 3]);
        Ok(Self { input_bn: w.affine("input", 1)?, convs: [conv(1)?, conv(2)?, conv(3)?, conv(4)?, conv(5)?] })
    }

    /// Patches `[b, 187, 96]` to `(penultimate [b, 256], max_pool [b, 128], mean_pool [b, 128])`,
    /// the pools taken over the last maps' positions.
    pub(crate) fn forward(&self, x: Tensor<3>) -> (Tensor<2>, Tensor<2>, Tensor<2>) {
        let [b, t, f] = x.dims();
        let mut x = self.input_bn.apply(x.reshape([b, 1, t, f]));
        for (block, (size, stride)) in self.convs.iter().zip(POOLS) {
            let y = conv2d(x, block.weight.clone(), Some(block.bias.clone()), ConvOptions::new([1, 1], [1, 1], [1, 1], 1));
            x = max_pool2d(block.bn.apply(relu(y)), MaxPoolOptions::new(size).with_stride(stride));
        }
        let [_, c, h, w] = x.dims();
        let max_pool = x.clone().reshape([b, c, h * w]).max_dim(2).reshape([b, c]);
        let mean_pool = x.clone().reshape([b, c, h * w]).mean_dim(2).reshape([b, c]);
        // TF's flatten of NHWC: (time, mel, channel) order.
        let penultimate = x.permute([0, 2, 3, 1]).reshape([b, h * w * c]);
        (penultimate, max_pool, mean_pool)
    }
}
