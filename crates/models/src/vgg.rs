//! musicnn's VGG baseline (`musicnn.models.vgg` with 128 filters, the `MSD_vgg` and `MTT_vgg`
//! checkpoints of the musicnn 0.1.0 wheel), on the same 187 x 96 log-mel patches as musicnn.
//!
//! Five blocks of a 3x3 convolution ('same' padding) -> ReLU -> batch norm -> max pool
//! (`[4, 1]` stride 2, then `[2, 2]` three times, then `[4, 4]`), after a batch norm of the
//! input; the output layer reads the last pooled maps (2 x 1 x 128) flattened in TensorFlow's
//! (time, mel, channel) order. Those 256 values are this network's penultimate features.
//! Loaded and run through [`crate::Musicnn`], which gives every caller the same outputs for
//! both networks; matches musicnn's TensorFlow taggrams (`tests/musicnn_parity.rs`).
//!
//! Under `--precision int8` (on the CPU) conv2..conv5, 97 % of the VGG's 1.8 GFLOP per patch,
//! run in 8-bit integers ([`crate::int8_conv`]); conv1, with one input channel, and every
//! ReLU, batch norm and pool stay in f32 ([`Int8Vgg`]).

use burn::tensor::activation::relu;
use burn::tensor::module::{conv2d, max_pool2d};
use burn::tensor::ops::{ConvOptions, MaxPoolOptions};
use burn::tensor::Tensor;

use crate::int8::Kernel;
use crate::int8_conv::{conv_row, MapFilters, QuantConv3x3, QuantMap};
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
    /// The same layers prepared for `Precision::Int8` (built once at load, about 1 MB).
    pub(crate) int8: std::sync::Arc<Int8Vgg>,
}

impl VggBody {
    /// The layers as `tools/convert_musicnn.py` names them (`input.bn.*`, `conv1..5.*`).
    pub(crate) fn load(w: &Weights<'_>) -> Result<Self> {
        let conv = |i: usize| w.conv(&format!("conv{i}"), [FILTERS, if i == 1 { 1 } else { FILTERS }, 3, 3]);
        let input_bn = w.affine("input", 1)?;
        let convs = [conv(1)?, conv(2)?, conv(3)?, conv(4)?, conv(5)?];
        Ok(Self { int8: std::sync::Arc::new(Int8Vgg::new(&input_bn, &convs)), input_bn, convs })
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

/// Values of a 1-D tensor.
fn values<const D: usize>(t: &Tensor<D>) -> Vec<f32> {
    t.clone().into_data().convert::<f32>().try_to_vec::<f32>().unwrap_or_default()
}

/// conv1 in f32 (one input channel: 9 products per output, 2 % of the work) with its ReLU
/// and batch norm; weights `[tap][filter]`.
#[derive(Debug)]
struct F32Conv1 {
    taps: Vec<f32>,
    bias: Vec<f32>,
    bn_scale: Vec<f32>,
    bn_shift: Vec<f32>,
}

impl F32Conv1 {
    /// Output row `y` at the columns where `needed` holds: `out[x][filter]`, from the
    /// batch-normed input `xp` (`[h + 2][w + 2]`, zero border).
    #[inline(always)]
    fn row_body(&self, xp: &[f32], w: usize, y: usize, needed: &[bool], out: &mut [f32]) {
        for (x, o) in out.chunks_exact_mut(FILTERS).enumerate().filter(|(x, _)| needed[*x]) {
            o.copy_from_slice(&self.bias);
            for dy in 0..3 {
                for dx in 0..3 {
                    let v = xp[(y + dy) * (w + 2) + x + dx];
                    for (o, k) in o.iter_mut().zip(&self.taps[(dy * 3 + dx) * FILTERS..][..FILTERS]) {
                        *o += v * k;
                    }
                }
            }
            for ((o, s), b) in o.iter_mut().zip(&self.bn_scale).zip(&self.bn_shift) {
                *o = s * o.max(0.0) + b;
            }
        }
    }

    /// [`Self::row_body`], vectorised as wide as the CPU allows; every variant gives the
    /// same floats (the same operations per value, and Rust never fuses a multiply-add).
    fn row(&self, xp: &[f32], w: usize, y: usize, needed: &[bool], out: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        {
            /// # Safety
            /// The CPU must have avx512f.
            #[target_feature(enable = "avx512f")]
            unsafe fn wide(c: &F32Conv1, xp: &[f32], w: usize, y: usize, needed: &[bool], out: &mut [f32]) {
                c.row_body(xp, w, y, needed, out);
            }
            /// # Safety
            /// The CPU must have avx2.
            #[target_feature(enable = "avx2")]
            unsafe fn avx2(c: &F32Conv1, xp: &[f32], w: usize, y: usize, needed: &[bool], out: &mut [f32]) {
                c.row_body(xp, w, y, needed, out);
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has avx512f, checked just above.
                return unsafe { wide(self, xp, w, y, needed, out) };
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has avx2, checked just above.
                return unsafe { avx2(self, xp, w, y, needed, out) };
            }
        }
        self.row_body(xp, w, y, needed, out);
    }
}

/// The VGG's layers for `Precision::Int8`: conv1 in f32, conv2..conv5 quantised.
#[derive(Debug)]
pub(crate) struct Int8Vgg {
    in_scale: f32,
    in_shift: f32,
    conv1: F32Conv1,
    convs: Vec<QuantConv3x3>,
}

/// Runs the conv rows that a max pool (`size`, `stride`, no padding) of an `h x w` map needs,
/// `row(y, needed columns, out[x][c])`, keeping only the last `size[0]` rows in `ring`: the
/// pooled map `[ho][wo][c]` into `out`, and its shape.
#[inline(always)]
fn pooled(h: usize, w: usize, c: usize, (size, stride): ([usize; 2], [usize; 2]), ring: &mut Vec<f32>, out: &mut Vec<f32>, mut row: impl FnMut(usize, &[bool], &mut [f32])) -> (usize, usize) {
    let (ho, wo) = ((h - size[0]) / stride[0] + 1, (w - size[1]) / stride[1] + 1);
    let mut needed = vec![false; w];
    for j in 0..wo {
        needed[j * stride[1]..j * stride[1] + size[1]].fill(true);
    }
    ring.clear();
    ring.resize(size[0] * w * c, 0.0);
    out.clear();
    out.resize(ho * wo * c, f32::MIN);
    let mut done = 0;
    for i in 0..ho {
        let rows = i * stride[0]..i * stride[0] + size[0];
        // Rows skipped between windows (stride above size) are never computed.
        done = done.max(rows.start);
        while done < rows.end {
            row(done, &needed, &mut ring[(done % size[0]) * w * c..][..w * c]);
            done += 1;
        }
        for y in rows {
            let src = &ring[(y % size[0]) * w * c..][..w * c];
            for j in 0..wo {
                let dst = &mut out[(i * wo + j) * c..][..c];
                for x in j * stride[1]..j * stride[1] + size[1] {
                    for (d, s) in dst.iter_mut().zip(&src[x * c..][..c]) {
                        *d = d.max(*s);
                    }
                }
            }
        }
    }
    (ho, wo)
}

/// The buffers of one patch's int8 pass, kept per thread: about 4 MB that would otherwise be
/// fresh pages, zeroed by the kernel, for every patch (a third of the time).
#[derive(Default)]
struct Scratch {
    xp: Vec<f32>,
    ring: Vec<f32>,
    maps: Vec<f32>,
    map: QuantMap,
    filters: MapFilters,
    sums: Vec<i32>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

impl Int8Vgg {
    fn new(input_bn: &Affine, convs: &[ConvBn<4>; 5]) -> Self {
        let w1 = values(&convs[0].weight);
        // burn's [filter][1][dy][dx] to [tap][filter].
        let taps = (0..9 * FILTERS).map(|i| w1[(i % FILTERS) * 9 + i / FILTERS]).collect();
        let conv1 = F32Conv1 { taps, bias: values(&convs[0].bias), bn_scale: values(&convs[0].bn.scale), bn_shift: values(&convs[0].bn.shift) };
        let quant = convs[1..]
            .iter()
            .map(|b| {
                let [o, cin, _, _] = b.weight.dims();
                QuantConv3x3::new(&values(&b.weight), o, cin, &values(&b.bias), &values(&b.bn.scale), &values(&b.bn.shift))
            })
            .collect();
        Self { in_scale: values(&input_bn.scale)[0], in_shift: values(&input_bn.shift)[0], conv1, convs: quant }
    }

    /// Whether `t x f` patches keep every pooled map non-empty (else the f32 path runs).
    pub(crate) fn fits(t: usize, f: usize) -> bool {
        let (mut h, mut w) = (t, f);
        for (size, stride) in POOLS {
            if h < size[0] || w < size[1] {
                return false;
            }
            (h, w) = ((h - size[0]) / stride[0] + 1, (w - size[1]) / stride[1] + 1);
        }
        true
    }

    /// One patch `[t][f]` (`fits(t, f)`) to its last pooled maps `[h][w][128]` (TF's
    /// flatten order) and their shape.
    fn patch(&self, x: &[f32], t: usize, f: usize, kernel: Kernel) -> (Vec<f32>, usize, usize) {
        SCRATCH.with(|s| {
            // A patch never re-enters the pass on its thread, so the borrow is free; should it
            // be taken, fresh buffers do the same work.
            let mut fresh = Scratch::default();
            let mut held = s.try_borrow_mut();
            let scratch = match held.as_deref_mut() {
                Ok(s) => s,
                Err(_) => &mut fresh,
            };
            // The f32 work between the integer kernels (dequantising, ReLU, batch norm,
            // pools, quantising) vectorised for AVX2; the same floats either way (no fused
            // multiply-add, the same order per value).
            #[cfg(target_arch = "x86_64")]
            {
                /// # Safety
                /// The CPU must have avx2.
                #[target_feature(enable = "avx2")]
                unsafe fn wide(vgg: &Int8Vgg, scratch: &mut Scratch, x: &[f32], t: usize, f: usize, kernel: Kernel) -> (Vec<f32>, usize, usize) {
                    vgg.patch_body(scratch, x, t, f, kernel)
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU has avx2, checked just above.
                    return unsafe { wide(self, scratch, x, t, f, kernel) };
                }
            }
            self.patch_body(scratch, x, t, f, kernel)
        })
    }

    /// [`Int8Vgg::patch`] for any CPU, in `scratch`'s buffers.
    #[inline(always)]
    fn patch_body(&self, scratch: &mut Scratch, x: &[f32], t: usize, f: usize, kernel: Kernel) -> (Vec<f32>, usize, usize) {
        let Scratch { xp, ring, maps, map, filters, sums } = scratch;
        // The input batch norm, then conv1's zero 'same' padding.
        xp.clear();
        xp.resize((t + 2) * (f + 2), 0.0);
        for (y, row) in x.chunks_exact(f).enumerate() {
            for (d, v) in xp[(y + 1) * (f + 2) + 1..][..f].iter_mut().zip(row) {
                *d = v * self.in_scale + self.in_shift;
            }
        }
        let (mut h, mut w) = pooled(t, f, FILTERS, POOLS[0], ring, maps, |y, needed, out| self.conv1.row(xp, f, y, needed, out));
        for (conv, pool) in self.convs.iter().zip(&POOLS[1..]) {
            map.fill(maps, h, w, FILTERS);
            conv.for_map(map, filters);
            // The int8 rows cost the same with or without the columns a pool skips.
            (h, w) = pooled(map.height(), w, conv.filters(), *pool, ring, maps, |y, _, out| conv_row(conv, filters, map, y, kernel, sums, out));
        }
        (maps.clone(), h, w)
    }

    /// Patches `[b][t][f]` (`fits(t, f)`) to `(penultimate, max_pool, mean_pool)` as plain
    /// rows, patches in parallel.
    pub(crate) fn forward(&self, x: &[f32], b: usize, t: usize, f: usize, kernel: Kernel) -> (Vec<f32>, Vec<f32>, Vec<f32>, usize) {
        use rayon::prelude::*;
        let per: Vec<(Vec<f32>, usize)> = x
            .par_chunks(t * f)
            .take(b)
            .map(|p| {
                let (maps, h, w) = self.patch(p, t, f, kernel);
                (maps, h * w)
            })
            .collect();
        let positions = per.first().map_or(0, |p| p.1);
        let (mut pen, mut max, mut mean) = (Vec::new(), Vec::new(), Vec::new());
        for (maps, n) in per {
            for c in 0..FILTERS {
                let it = maps.iter().skip(c).step_by(FILTERS);
                max.push(it.clone().fold(f32::MIN, |m, v| m.max(*v)));
                mean.push(it.sum::<f32>() / n as f32);
            }
            pen.extend(maps);
        }
        (pen, max, mean, positions * FILTERS)
    }
}
