//! musicnn's front end in 8-bit integer arithmetic on the CPU (`--precision int8`): u8
//! activations times s8 weights, summed exactly in i32, then scaled back to f32.
//!
//! The five front-end convolutions are 95 % of musicnn's 2.8 GFLOP per 3 s patch. Each is a
//! convolution of the one-channel log-mel patch followed by ReLU, batch norm and a max over
//! frequency, so only the largest and smallest sum over frequency of each filter and frame is
//! ever needed: the kernel keeps those two in registers and never writes the full output.
//!
//! Quantisation:
//! - weights: symmetric, one scale per output filter (`max |w| / 127`);
//! - activations (the batch-normed input, zero padding included): asymmetric u8 with one
//!   scale and zero point per patch, from that patch's own range (no calibration table
//!   that a quiet or a loud recording could fall outside of);
//! - `sum (q_a - z) q_w` is computed as `sum q_a q_w - z sum q_w`, all in i32, so every
//!   kernel below gives the same integers.
//!
//! Why a kernel of our own: no maintained Rust crate multiplies u8 by s8 with AVX-512 VNNI
//! (`vpdpbusd`: 64 multiply-adds per instruction, four times an f32 FMA on these CPUs), and
//! none fuses the max over frequency. The kernel is chosen at run time
//! ([`Kernel::detect`]): AVX-512 VNNI where the CPU has it, else a portable one in plain Rust
//! that yields the same integers.

use std::sync::atomic::{AtomicU8, Ordering};

/// Positions (frequencies or bands) one micro-kernel call covers; with 4 vectors of 16
/// filters that is 24 accumulators of the 32 AVX-512 registers.
pub(crate) const TILE: usize = 6;
/// Filters per vector.
pub(crate) const LANES: usize = 16;

/// Which integer kernel runs the products.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// AVX-512 with VNNI (`vpdpbusd`).
    Avx512Vnni,
    /// The portable kernel compiled for AVX2 (`vpmaddwd` on 16-bit products), for x86 CPUs
    /// without VNNI.
    Avx2,
    /// Plain Rust, any CPU.
    Portable,
}

/// 0: not forced; 1: portable forced.
static FORCED: AtomicU8 = AtomicU8::new(0);

impl Kernel {
    /// The fastest kernel this CPU runs, unless [`Kernel::force_portable`] was called or the
    /// environment sets `GENRECAST_KERNEL=portable`.
    pub fn detect() -> Self {
        match (FORCED.load(Ordering::Relaxed), std::env::var("GENRECAST_KERNEL").as_deref()) {
            (1, _) | (_, Ok("portable")) => return Self::Portable,
            #[cfg(target_arch = "x86_64")]
            (_, Ok("avx2")) if std::arch::is_x86_feature_detected!("avx2") => return Self::Avx2,
            _ => {}
        }
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512vnni") {
                return Self::Avx512Vnni;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Self::Avx2;
            }
        }
        Self::Portable
    }

    /// (`GENRECAST_KERNEL=avx2` picks [`Kernel::Avx2`] on a CPU that also has VNNI, to
    /// measure it.)
    ///
    /// Makes every later [`Kernel::detect`] in this process answer [`Kernel::Portable`]
    /// (`true`) or the CPU's best again (`false`): how tests hold the portable path to the
    /// same bounds on a CPU that has VNNI.
    pub fn force_portable(on: bool) {
        FORCED.store(u8::from(on), Ordering::Relaxed);
    }

    /// Its name in reports (`avx512-vnni`, `portable`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Avx512Vnni => "avx512-vnni",
            Self::Avx2 => "avx2",
            Self::Portable => "portable",
        }
    }
}

/// Filters quantised to s8, symmetric, one scale per filter (`max |w| / 127`), in the two
/// layouts the kernels read; shared by every int8 convolution ([`crate::int8_conv`] too).
#[derive(Clone, Debug, Default)]
pub(crate) struct QuantFilters {
    /// Products per output `k` rounded up to a multiple of 4 (VNNI reads 4 at a time).
    pub(crate) k4: usize,
    /// Filters rounded up to a multiple of [`LANES`].
    pub(crate) padded: usize,
    /// `[k4 / 4][padded][4]`: four consecutive taps of each filter side by side.
    pub(crate) packed: Vec<i8>,
    /// `[padded][k4]`, for the portable kernel.
    pub(crate) rows: Vec<i8>,
    /// Per filter: `w ~ scale * q`.
    pub(crate) scale: Vec<f32>,
    /// Per filter: `sum q`, for the zero-point correction ([`U8Scale::dequantise`]).
    pub(crate) sum: Vec<i32>,
}

impl QuantFilters {
    /// Quantises `weight` (`[filters][k]` row-major; products beyond `k` up to `k4` get zero
    /// weights, so whatever activations lie there add nothing).
    pub(crate) fn new(weight: &[f32], filters: usize, k: usize) -> Self {
        let mut q = Self::default();
        q.quantise(weight, filters, k);
        q
    }

    /// As [`QuantFilters::new`], into this one's buffers: the VGG quantises its weights again
    /// for every map (`int8_conv`), and fresh buffers each time cost page faults.
    pub(crate) fn quantise(&mut self, weight: &[f32], filters: usize, k: usize) {
        // Vectorised, the rounding is one instruction instead of a libm call per weight.
        #[cfg(target_arch = "x86_64")]
        {
            /// # Safety
            /// The CPU must have avx2.
            #[target_feature(enable = "avx2")]
            unsafe fn wide(q: &mut QuantFilters, weight: &[f32], filters: usize, k: usize) {
                q.build(weight, filters, k);
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has avx2, checked just above.
                return unsafe { wide(self, weight, filters, k) };
            }
        }
        self.build(weight, filters, k);
    }

    /// [`QuantFilters::quantise`] for any CPU; the same integers and scales under any
    /// features.
    #[inline(always)]
    fn build(&mut self, weight: &[f32], filters: usize, k: usize) {
        let k4 = k.div_ceil(4) * 4;
        let padded = filters.div_ceil(LANES) * LANES;
        let refill = |v: &mut Vec<_>, n, x| {
            v.clear();
            v.resize(n, x);
        };
        refill(&mut self.rows, padded * k4, 0);
        refill(&mut self.packed, padded * k4, 0);
        self.scale.clear();
        self.scale.resize(padded, 0.0);
        self.sum.clear();
        self.sum.resize(padded, 0);
        let Self { rows, packed, scale, sum, .. } = self;
        for c in 0..filters {
            let w = &weight[c * k..(c + 1) * k];
            // The max over 16 lanes first, which vectorises (a max is exact in any order).
            let mut lanes = [0f32; LANES];
            for chunk in w.chunks(LANES) {
                for (m, v) in lanes.iter_mut().zip(chunk) {
                    *m = m.max(v.abs());
                }
            }
            let max = lanes.iter().fold(0f32, |m, v| m.max(*v));
            let s = if max > 0.0 { max / 127.0 } else { 1.0 };
            scale[c] = s;
            let row = &mut rows[c * k4..][..k];
            // |v / s| <= 127, so the cast cannot saturate. (Two loops, which vectorise.)
            for (q, v) in row.iter_mut().zip(w) {
                *q = to_byte((v / s).round()) as i8;
            }
            sum[c] = row.iter().map(|&q| i32::from(q)).sum();
        }
        for g in 0..k4 / 4 {
            for c in 0..padded {
                for j in 0..4 {
                    packed[(g * padded + c) * 4 + j] = rows[c * k4 + 4 * g + j];
                }
            }
        }
        (self.k4, self.padded) = (k4, padded);
    }
}

/// An asymmetric u8 quantisation `v ~ scale * (q - zero)` of activations, from their own
/// range (which is widened to hold 0, so that zero padding quantises to `zero` exactly and
/// adds nothing to a sum).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct U8Scale {
    pub(crate) scale: f32,
    pub(crate) zero: i32,
}

impl U8Scale {
    /// From the smallest and largest value (`lo <= 0 <= hi`).
    pub(crate) fn from_range(lo: f32, hi: f32) -> Self {
        let scale = if hi > lo { (hi - lo) / 255.0 } else { 1.0 };
        let zero = (-lo / scale).round().clamp(0.0, 255.0);
        Self { scale, zero: zero as i32 }
    }

    /// `v` in u8.
    #[inline(always)]
    #[allow(clippy::manual_clamp)] // `clamp` keeps NaN, which `to_byte` must not see
    pub(crate) fn quantise(self, v: f32) -> u8 {
        // `max`/`min` rather than `clamp` send NaN to 0, as `as u8` would.
        to_byte((v / self.scale + self.zero as f32).round().max(0.0).min(255.0))
    }

    /// `sum (q_a - zero) q_w` back in f32, from the exact `sum q_a q_w`: the zero-point
    /// correction `sum q_a q_w - zero sum q_w`, scaled by both scales.
    #[inline(always)]
    pub(crate) fn dequantise(self, sum: i32, w_scale: f32, w_sum: i32) -> f32 {
        zero_point_corrected(sum, self.zero * w_sum, self.scale * w_scale)
    }
}

/// An integral `x` in -128..=255 as its low byte (`x as u8` for 0..=255, `x as i8 as u8`
/// below 0): `x + 1.5 * 2^23` has a unit step, so its low mantissa bits are `x` in two's
/// complement. The same byte as the `as` casts, which LLVM does not vectorise (they saturate).
#[inline(always)]
fn to_byte(x: f32) -> u8 {
    (x + 12_582_912.0).to_bits() as u8
}

/// `scale * (sum - correction)`: an exact integer sum `sum q_a q_w` back in f32, where
/// `correction` is `sum z q_w` (the zero points' share, one zero point or one per input
/// channel) and `scale` the product of the activations' and the weights' scales.
#[inline(always)]
pub(crate) fn zero_point_corrected(sum: i32, correction: i32, scale: f32) -> f32 {
    scale * (sum - correction) as f32
}

/// One front-end convolution (`[filters, 1, kt, kf]`, stride 1) with its ReLU, batch norm and
/// max over frequency, its weights quantised and packed for the kernels.
#[derive(Clone, Debug)]
pub(crate) struct QuantConv {
    filters: usize,
    kt: usize,
    kf: usize,
    w: QuantFilters,
    bias: Vec<f32>,
    bn_scale: Vec<f32>,
    bn_shift: Vec<f32>,
    /// Frames of zero padding before the first frame (the rest goes after).
    pad_before: usize,
}

impl QuantConv {
    /// Quantises `weight` (`[filters][kt][kf]` row-major), with its bias, the batch norm's
    /// scale and shift, and the time padding before the first frame.
    pub(crate) fn new(weight: &[f32], shape: [usize; 3], bias: &[f32], bn_scale: &[f32], bn_shift: &[f32], pad_before: usize) -> Self {
        let [filters, kt, kf] = shape;
        let w = QuantFilters::new(weight, filters, kt * kf);
        let pad = |v: &[f32]| {
            let mut p = v.to_vec();
            p.resize(w.padded, 0.0);
            p
        };
        Self { filters, kt, kf, bias: pad(bias), bn_scale: pad(bn_scale), bn_shift: pad(bn_shift), pad_before, w }
    }

    /// Output channels.
    pub(crate) fn filters(&self) -> usize {
        self.filters
    }
}

/// One patch quantised to u8 (zero padding included), in the two layouts the convolutions
/// read: time-major for the 2-D ("timbral") filters, band-major for the 1-D ("temporal") ones.
pub(crate) struct QuantPatch {
    frames: usize,
    bands: usize,
    /// Frames of padding on each side.
    margin: usize,
    /// `[margin + frames + margin][bands]`.
    by_time: Vec<u8>,
    /// `[bands][margin + frames + margin]`.
    by_band: Vec<u8>,
    q: U8Scale,
}

impl QuantPatch {
    /// Quantises `x` (`[frames][bands]`, time-major) after the input batch norm
    /// `x * in_scale + in_shift`, with `margin` frames of (batch-normed) zeros on each side.
    pub(crate) fn new(x: &[f32], frames: usize, bands: usize, in_scale: f32, in_shift: f32, margin: usize) -> Self {
        let (mut lo, mut hi) = (0f32, 0f32);
        for v in x {
            let y = v * in_scale + in_shift;
            lo = lo.min(y);
            hi = hi.max(y);
        }
        let scale = U8Scale::from_range(lo, hi);
        let q = |v: f32| scale.quantise(v * in_scale + in_shift);
        let span = frames + 2 * margin;
        let z = scale.zero as u8;
        let mut by_time = vec![z; span * bands];
        let mut by_band = vec![z; bands * span];
        for t in 0..frames {
            for f in 0..bands {
                let v = q(x[t * bands + f]);
                by_time[(margin + t) * bands + f] = v;
                by_band[f * span + margin + t] = v;
            }
        }
        Self { frames, bands, margin, by_time, by_band, q: scale }
    }
}

/// Runs `conv` over `patch`, writing `out[c * frames + t]` for its filters `c`: ReLU, batch
/// norm, then the max over frequency, as musicnn's front end.
///
/// 2-D filters (`kf > 1`) slide over frequency without padding; 1-D ones (`kf == 1`) run along
/// each band. `scratch` is reused between calls.
pub(crate) fn conv_max_over_frequency(conv: &QuantConv, patch: &QuantPatch, kernel: Kernel, scratch: &mut Vec<u8>, out: &mut [f32]) {
    let frames = patch.frames;
    let positions = patch.bands + 1 - conv.kf;
    // Tiles of TILE positions; the last is filled up by repeating the last position, which
    // leaves a max and a min unchanged.
    let tiles = positions.div_ceil(TILE);
    let span = frames + 2 * patch.margin;
    let (mut max, mut min) = (vec![i32::MIN; conv.w.padded], vec![i32::MAX; conv.w.padded]);
    if conv.kf > 1 {
        scratch.clear();
        scratch.resize(tiles * TILE * conv.w.k4, patch.q.zero as u8);
    }
    for t in 0..frames {
        let first = patch.margin + t - conv.pad_before;
        max.fill(i32::MIN);
        min.fill(i32::MAX);
        if conv.kf > 1 {
            // im2col of this frame's positions: kt rows of kf taps each.
            for p in 0..tiles * TILE {
                let fo = p.min(positions - 1);
                let dst = &mut scratch[p * conv.w.k4..p * conv.w.k4 + conv.kt * conv.kf];
                for dy in 0..conv.kt {
                    let src = &patch.by_time[(first + dy) * patch.bands + fo..][..conv.kf];
                    dst[dy * conv.kf..(dy + 1) * conv.kf].copy_from_slice(src);
                }
            }
        }
        for tile in 0..tiles {
            let acts: [&[u8]; TILE] = std::array::from_fn(|m| {
                let p = (tile * TILE + m).min(positions - 1);
                if conv.kf > 1 {
                    &scratch[(tile * TILE + m) * conv.w.k4..][..conv.w.k4]
                } else {
                    &patch.by_band[p * span + first..][..conv.w.k4]
                }
            });
            run_tile(conv, &acts, kernel, &mut max, &mut min);
        }
        for c in 0..conv.filters {
            let pick = if conv.bn_scale[c] >= 0.0 { max[c] } else { min[c] };
            let z = patch.q.dequantise(pick, conv.w.scale[c], conv.w.sum[c]) + conv.bias[c];
            out[c * frames + t] = conv.bn_scale[c] * z.max(0.0) + conv.bn_shift[c];
        }
    }
}

/// Max and min over the tile's positions of every filter's integer sum, folded into `max`
/// and `min`.
fn run_tile(conv: &QuantConv, acts: &[&[u8]; TILE], kernel: Kernel, max: &mut [i32], min: &mut [i32]) {
    match kernel {
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512Vnni => {
            let groups = conv.w.k4 / 4;
            let mut v = 0;
            while v < conv.w.padded / LANES {
                let n = (conv.w.padded / LANES - v).min(4);
                let w = &conv.w.packed[v * LANES * 4..];
                let (mx, mn) = (&mut max[v * LANES..], &mut min[v * LANES..]);
                // SAFETY: `Kernel::Avx512Vnni` is only detected on CPUs with avx512f and
                // avx512vnni; every pointer read stays inside `acts` (k4 bytes each) and
                // `packed` (groups strides of `padded * 4` bytes), as the asserts check.
                assert!(acts.iter().all(|a| a.len() >= conv.w.k4) && w.len() >= (groups - 1) * conv.w.padded * 4 + n * LANES * 4 && mx.len() >= n * LANES && mn.len() >= n * LANES);
                unsafe {
                    match n {
                        4 => vnni::tile::<4>(w.as_ptr(), conv.w.padded * 4, acts, groups, mx, mn),
                        3 => vnni::tile::<3>(w.as_ptr(), conv.w.padded * 4, acts, groups, mx, mn),
                        2 => vnni::tile::<2>(w.as_ptr(), conv.w.padded * 4, acts, groups, mx, mn),
                        _ => vnni::tile::<1>(w.as_ptr(), conv.w.padded * 4, acts, groups, mx, mn),
                    }
                }
                v += n;
            }
        }
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Kernel::Avx2` is only detected on CPUs with avx2.
        Kernel::Avx2 => unsafe { portable_tile_avx2(conv, acts, max, min) },
        _ => portable_tile(conv, acts, max, min),
    }
}

/// [`portable_tile`] compiled for AVX2.
///
/// # Safety
/// The CPU must have avx2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn portable_tile_avx2(conv: &QuantConv, acts: &[&[u8]; TILE], max: &mut [i32], min: &mut [i32]) {
    portable_tile(conv, acts, max, min);
}

/// The same integers in plain Rust.
#[inline(always)]
fn portable_tile(conv: &QuantConv, acts: &[&[u8]; TILE], max: &mut [i32], min: &mut [i32]) {
    for c in 0..conv.filters {
        let w = &conv.w.rows[c * conv.w.k4..(c + 1) * conv.w.k4];
        for a in acts {
            let s = dot(&a[..conv.w.k4], w);
            max[c] = max[c].max(s);
            min[c] = min[c].min(s);
        }
    }
}

/// `sum a w` of u8 by s8, exact: each product fits in i16 (255 x 127 < 2^15), and pairs of
/// them are summed in i32, the shape compilers turn into `pmaddwd`.
#[inline(always)]
pub(crate) fn dot(a: &[u8], w: &[i8]) -> i32 {
    const CHUNK: usize = 32;
    let (mut total, mut done) = (0i32, 0);
    for (a, w) in a.chunks_exact(CHUNK).zip(w.chunks_exact(CHUNK)) {
        let mut lanes = [0i32; CHUNK / 2];
        for (j, lane) in lanes.iter_mut().enumerate() {
            let p0 = i16::from(a[2 * j]) * i16::from(w[2 * j]);
            let p1 = i16::from(a[2 * j + 1]) * i16::from(w[2 * j + 1]);
            *lane = i32::from(p0) + i32::from(p1);
        }
        total += lanes.iter().sum::<i32>();
        done += CHUNK;
    }
    total + a[done..].iter().zip(&w[done..]).map(|(&a, &w)| i32::from(a) * i32::from(w)).sum::<i32>()
}

#[cfg(target_arch = "x86_64")]
mod vnni {
    use std::arch::x86_64::*;

    use super::{LANES, TILE};

    /// `NV` vectors of 16 filters against [`TILE`] positions: `groups` steps of 4 taps, each
    /// one `vpdpbusd` per vector and position; then the max and min over the positions.
    ///
    /// # Safety
    /// The CPU must have avx512f and avx512vnni; `w` must hold `groups` rows of `NV * 64`
    /// bytes, `w_stride` bytes apart; every `acts` slice must hold `4 * groups` bytes and
    /// `max`, `min` `NV * 16` values.
    #[target_feature(enable = "avx512f,avx512vnni")]
    pub(super) unsafe fn tile<const NV: usize>(w: *const i8, w_stride: usize, acts: &[&[u8]; TILE], groups: usize, max: &mut [i32], min: &mut [i32]) {
        let mut acc = [[_mm512_setzero_si512(); NV]; TILE];
        let mut a = [std::ptr::null::<u8>(); TILE];
        for (p, act) in a.iter_mut().zip(acts) {
            *p = act.as_ptr();
        }
        for g in 0..groups {
            // SAFETY: in bounds by the caller's contract.
            let row = unsafe { w.add(g * w_stride) };
            let mut wv = [_mm512_setzero_si512(); NV];
            for (v, slot) in wv.iter_mut().enumerate() {
                *slot = unsafe { _mm512_loadu_si512(row.add(v * 64).cast()) };
            }
            for m in 0..TILE {
                let x = _mm512_set1_epi32(unsafe { std::ptr::read_unaligned(a[m].add(4 * g).cast::<i32>()) });
                for v in 0..NV {
                    acc[m][v] = _mm512_dpbusd_epi32(acc[m][v], x, wv[v]);
                }
            }
        }
        for v in 0..NV {
            let (mut hi, mut lo) = (acc[0][v], acc[0][v]);
            for row in &acc[1..] {
                hi = _mm512_max_epi32(hi, row[v]);
                lo = _mm512_min_epi32(lo, row[v]);
            }
            let (pm, pn) = (max[v * LANES..].as_mut_ptr(), min[v * LANES..].as_mut_ptr());
            unsafe {
                _mm512_storeu_si512(pm.cast(), _mm512_max_epi32(hi, _mm512_loadu_si512(pm.cast())));
                _mm512_storeu_si512(pn.cast(), _mm512_min_epi32(lo, _mm512_loadu_si512(pn.cast())));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Straight f32 arithmetic of one front-end block, for the quantised one to be held to.
    fn reference(x: &[f32], frames: usize, bands: usize, w: &[f32], [filters, kt, kf]: [usize; 3], pad: usize) -> Vec<f32> {
        let mut out = vec![f32::MIN; filters * frames];
        for c in 0..filters {
            for t in 0..frames {
                for fo in 0..=bands - kf {
                    let mut s = 0f32;
                    for dy in 0..kt {
                        let tt = (t + dy) as isize - pad as isize;
                        if tt < 0 || tt >= frames as isize {
                            continue;
                        }
                        for dx in 0..kf {
                            s += x[tt as usize * bands + fo + dx] * w[(c * kt + dy) * kf + dx];
                        }
                    }
                    out[c * frames + t] = out[c * frames + t].max(s.max(0.0));
                }
            }
        }
        out
    }

    fn lcg(seed: &mut u64) -> f32 {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((*seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    #[test]
    fn to_byte_is_the_cast() {
        for x in -128..=255 {
            assert_eq!(to_byte(x as f32), x as u8, "{x}");
        }
    }

    #[test]
    fn every_kernel_gives_the_same_integers_and_stays_near_f32() {
        let mut seed = 7u64;
        let (frames, bands) = (20, 24);
        // Log-mel-like input: non-negative, 0..4.
        let x: Vec<f32> = (0..frames * bands).map(|_| (lcg(&mut seed) + 1.0) * 2.0).collect();
        for shape in [[37, 7, 9], [20, 5, 1], [16, 3, 24]] {
            let [filters, kt, kf] = shape;
            let w: Vec<f32> = (0..filters * kt * kf).map(|_| lcg(&mut seed) * 0.1).collect();
            let ones = vec![1f32; filters];
            let zeros = vec![0f32; filters];
            let pad = (kt - 1) / 2;
            let conv = QuantConv::new(&w, shape, &zeros, &ones, &zeros, pad);
            let patch = QuantPatch::new(&x, frames, bands, 1.0, 0.0, 8);
            let mut outs = Vec::new();
            #[cfg(target_arch = "x86_64")]
            let kernels: Vec<Kernel> = [Kernel::Portable, Kernel::detect()].into_iter().chain(std::arch::is_x86_feature_detected!("avx2").then_some(Kernel::Avx2)).collect();
            #[cfg(not(target_arch = "x86_64"))]
            let kernels = vec![Kernel::Portable];
            for kernel in kernels {
                let mut out = vec![0f32; filters * frames];
                conv_max_over_frequency(&conv, &patch, kernel, &mut Vec::new(), &mut out);
                outs.push(out);
            }
            assert!(outs.iter().all(|o| *o == outs[0]), "{shape:?}: kernels disagree");
            let want = reference(&x, frames, bands, &w, shape, pad);
            let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
            let err = outs[0].iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(err < 0.02 * scale, "{shape:?}: int8 off by {err} (largest {scale})");
        }
    }
}
