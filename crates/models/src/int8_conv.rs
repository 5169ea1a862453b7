//! 3x3 'same' convolutions over many channels in 8-bit integers on the CPU: the VGG
//! baseline's conv2..conv5 (128 channels in and out) under `--precision int8`.
//!
//! The same scheme as musicnn's front end ([`crate::int8`], whose helpers this shares): s8
//! weights with one scale per filter, u8 activations from the map's own range, exact i32 sums
//! and the zero-point correction `sum q_a q_w - sum z q_w`; every kernel gives the same
//! integers. One difference: the activations get one scale and zero point per *channel* (per
//! layer and patch). The VGG's maps after ReLU and batch norm have channels whose ranges
//! differ by orders of magnitude (a few reach 40, most stay under 7, many are near 0), and one
//! scale per map cost 0.05 in taggram against TensorFlow's. The channel scales are folded into
//! the weights, which are quantised again for each map: 147 k weights per layer against the
//! 10-650 M products that use them.
//!
//! Layout: the u8 map is NHWC with a one-pixel border of the zero point, so the 3 x 3 x C
//! inputs of one output position are three runs of `3 C` contiguous bytes (no im2col). A tile
//! of [`TILE`] neighbouring positions of one row times up to 4 vectors of 16 filters stays in
//! registers while the `9 C / 4` groups of four products stream through. Unlike the front
//! end's kernel this one writes every position's sum: the VGG max-pools after ReLU and a batch
//! norm whose scale may be negative, so the pool runs in f32 after the affine.
//!
//! Why our own kernel: no maintained Rust crate has a u8 x s8 convolution with AVX-512 VNNI
//! (`vpdpbusd`, 64 multiply-adds per instruction), and burn's f32 `conv2d` gives the VGG about
//! 23 patches/s on two threads.

use crate::int8::{dot, zero_point_corrected, Kernel, QuantFilters, U8Scale, LANES, TILE};

/// Taps per side of the kernel.
const TAPS: usize = 3;

/// A 3x3 convolution ('same', stride 1) with its ReLU and batch norm, its weights ready to
/// be quantised for a map ([`QuantConv3x3::for_map`]).
#[derive(Clone, Debug)]
pub(crate) struct QuantConv3x3 {
    filters: usize,
    /// Input channels rounded up to a multiple of 4.
    cin4: usize,
    /// `[filters][dy][dx][cin4]` (the map's NHWC order), channels beyond the input's zero.
    hwc: Vec<f32>,
    bias: Vec<f32>,
    bn_scale: Vec<f32>,
    bn_shift: Vec<f32>,
}

impl QuantConv3x3 {
    /// Takes `weight` (`[filters][cin][3][3]`, burn's layout), with its bias and the batch
    /// norm's scale and shift; [`QuantConv3x3::for_map`] quantises it.
    pub(crate) fn new(weight: &[f32], filters: usize, cin: usize, bias: &[f32], bn_scale: &[f32], bn_shift: &[f32]) -> Self {
        let cin4 = cin.div_ceil(4) * 4;
        let k = TAPS * TAPS * cin4;
        // To the NHWC order of the map: (dy, dx, channel), channels beyond `cin` zero.
        let mut hwc = vec![0f32; filters * k];
        for c in 0..filters {
            for ci in 0..cin {
                for t in 0..TAPS * TAPS {
                    hwc[c * k + t * cin4 + ci] = weight[(c * cin + ci) * TAPS * TAPS + t];
                }
            }
        }
        Self { filters, cin4, hwc, bias: bias.to_vec(), bn_scale: bn_scale.to_vec(), bn_shift: bn_shift.to_vec() }
    }

    /// The weights quantised for `map` into `out`: each input channel's scale folded in, then
    /// s8 per filter; with each filter's zero-point correction `sum z q_w`.
    pub(crate) fn for_map(&self, map: &QuantMap, out: &mut MapFilters) {
        let k = TAPS * TAPS * self.cin4;
        let MapFilters { w, correction, folded, scales, zeros } = out;
        scales.clear();
        scales.extend_from_slice(&map.fold);
        zeros.clear();
        zeros.extend(map.q.iter().map(|q| q.zero));
        folded.clear();
        folded.extend_from_slice(&self.hwc);
        // Pixel by pixel (`cin4` channels), so that no index needs a division.
        for px in folded.chunks_exact_mut(self.cin4) {
            for (w, s) in px.iter_mut().zip(scales.iter()) {
                *w *= s;
            }
        }
        w.quantise(folded, self.filters, k);
        correction.clear();
        correction.extend((0..self.filters).map(|c| w.rows[c * w.k4..][..k].chunks_exact(self.cin4).map(|px| px.iter().zip(zeros.iter()).map(|(&q, z)| i32::from(q) * z).sum::<i32>()).sum::<i32>()));
    }

    /// Output channels.
    pub(crate) fn filters(&self) -> usize {
        self.filters
    }
}

/// A conv's weights quantised for one map ([`QuantConv3x3::for_map`]), with the buffers that
/// take them (reused from map to map).
#[derive(Default)]
pub(crate) struct MapFilters {
    /// `[filters][dy][dx][cin4]`: one row of [`TAPS`] `cin4`-byte pixels per `dy`.
    w: QuantFilters,
    /// Per filter: `sum z q_w` over its taps and channels.
    correction: Vec<i32>,
    folded: Vec<f32>,
    scales: Vec<f32>,
    zeros: Vec<i32>,
}

/// One activation map in u8: NHWC, a border of zero-point pixels, and slack after the end so
/// that a tile running past a row's last position reads inside the buffer.
#[derive(Default)]
pub(crate) struct QuantMap {
    h: usize,
    w: usize,
    cin4: usize,
    data: Vec<u8>,
    /// Per channel (`cin4`).
    q: Vec<U8Scale>,
    /// Per channel: the scale folded into the weights; 0 for a channel that is 0 throughout
    /// (common after ReLU), whose weights then add nothing and leave the filter's s8 range to
    /// the other channels.
    fold: Vec<f32>,
}

impl QuantMap {
    /// Quantises `x` (`[h][w][c]`) with one scale and zero point per channel, from that
    /// channel's range.
    #[cfg(test)]
    pub(crate) fn new(x: &[f32], h: usize, w: usize, c: usize) -> Self {
        let mut map = Self::default();
        map.fill(x, h, w, c);
        map
    }

    /// As [`QuantMap::new`], into this map's buffers (fresh ones cost page faults).
    pub(crate) fn fill(&mut self, x: &[f32], h: usize, w: usize, c: usize) {
        // Vectorised, the rounding is one instruction instead of a libm call per value.
        #[cfg(target_arch = "x86_64")]
        {
            /// # Safety
            /// The CPU must have avx2.
            #[target_feature(enable = "avx2")]
            unsafe fn wide(map: &mut QuantMap, x: &[f32], h: usize, w: usize, c: usize) {
                map.build(x, h, w, c);
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has avx2, checked just above.
                return unsafe { wide(self, x, h, w, c) };
            }
        }
        self.build(x, h, w, c);
    }

    /// [`QuantMap::fill`] for any CPU; the same bytes under any features.
    #[inline(always)]
    fn build(&mut self, x: &[f32], h: usize, w: usize, c: usize) {
        let cin4 = c.div_ceil(4) * 4;
        let mut range = vec![(0f32, 0f32); cin4];
        for px in x.chunks_exact(c) {
            for ((lo, hi), &v) in range.iter_mut().zip(px) {
                (*lo, *hi) = (lo.min(v), hi.max(v));
            }
        }
        self.q.clear();
        self.q.extend(range.iter().map(|&(lo, hi)| U8Scale::from_range(lo, hi)));
        self.fold.clear();
        self.fold.extend(range.iter().zip(&self.q).map(|(&(lo, hi), q)| if hi > lo { q.scale } else { 0.0 }));
        let pixels = (h + 2) * (w + 2) + TILE;
        self.data.clear();
        for _ in 0..pixels {
            self.data.extend(self.q.iter().map(|q| q.zero as u8));
        }
        for y in 0..h {
            for xx in 0..w {
                let dst = &mut self.data[((y + 1) * (w + 2) + xx + 1) * cin4..][..c];
                for ((d, &v), q) in dst.iter_mut().zip(&x[(y * w + xx) * c..][..c]).zip(&self.q) {
                    *d = q.quantise(v);
                }
            }
        }
        (self.h, self.w, self.cin4) = (h, w, cin4);
    }

    /// Rows.
    pub(crate) fn height(&self) -> usize {
        self.h
    }

    /// Byte offset of padded pixel `(y, x)`.
    fn at(&self, y: usize, x: usize) -> usize {
        (y * (self.w + 2) + x) * self.cin4
    }
}

/// Output row `y` of `conv` over `map` after ReLU and batch norm: `out[x][filter]` in f32;
/// `filters` is `conv.for_map(map)`. `sums` is scratch reused between calls.
#[inline(always)]
pub(crate) fn conv_row(conv: &QuantConv3x3, filters: &MapFilters, map: &QuantMap, y: usize, kernel: Kernel, sums: &mut Vec<i32>, out: &mut [f32]) {
    debug_assert_eq!(conv.cin4, map.cin4);
    let padded = filters.w.padded;
    sums.resize(TILE * padded, 0);
    for x0 in (0..map.w).step_by(TILE) {
        run_tile(&filters.w, map, y, x0, kernel, sums);
        for m in 0..TILE.min(map.w - x0) {
            let (s, o) = (&sums[m * padded..], &mut out[(x0 + m) * conv.filters..][..conv.filters]);
            for (c, o) in o.iter_mut().enumerate() {
                let z = zero_point_corrected(s[c], filters.correction[c], filters.w.scale[c]) + conv.bias[c];
                *o = conv.bn_scale[c] * z.max(0.0) + conv.bn_shift[c];
            }
        }
    }
}

/// The integer sums of `w` at positions `x0..x0 + TILE` of row `y` (those past the row's end
/// are garbage, read from the next row or the slack): `sums[m][filter]`.
fn run_tile(w: &QuantFilters, map: &QuantMap, y: usize, x0: usize, kernel: Kernel, sums: &mut [i32]) {
    let run = TAPS * map.cin4;
    let starts: [usize; TAPS] = std::array::from_fn(|dy| map.at(y + dy, x0));
    let padded = w.padded;
    match kernel {
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512Vnni => {
            let groups = run / 4;
            let w_stride = padded * 4;
            // Every read stays inside the map, the packed weights and `sums`.
            let last_read = starts[TAPS - 1] + (TILE - 1) * map.cin4 + run;
            assert!(w.k4 == TAPS * run && last_read <= map.data.len() && w.packed.len() >= TAPS * groups * w_stride && sums.len() >= TILE * padded);
            let rows: [*const u8; TAPS] = std::array::from_fn(|dy| map.data[starts[dy]..].as_ptr());
            let mut v = 0;
            while v < padded / LANES {
                let n = (padded / LANES - v).min(4);
                let wp = w.packed[v * LANES * 4..].as_ptr();
                let out = &mut sums[v * LANES..];
                // SAFETY: `Kernel::Avx512Vnni` is only detected on CPUs with avx512f and
                // avx512vnni; the assert above bounds every read (rows of `run` bytes for
                // TILE positions `cin4` apart, `TAPS * groups` weight rows); writes go
                // through bounds-checked slices.
                unsafe {
                    match n {
                        4 => vnni::tile::<4>(wp, w_stride, rows, map.cin4, groups, out, padded),
                        3 => vnni::tile::<3>(wp, w_stride, rows, map.cin4, groups, out, padded),
                        2 => vnni::tile::<2>(wp, w_stride, rows, map.cin4, groups, out, padded),
                        _ => vnni::tile::<1>(wp, w_stride, rows, map.cin4, groups, out, padded),
                    }
                }
                v += n;
            }
        }
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Kernel::Avx2` is only detected on CPUs with avx2.
        Kernel::Avx2 => unsafe { portable_tile_avx2(w, map, &starts, sums) },
        _ => portable_tile(w, map, &starts, sums),
    }
}

/// [`portable_tile`] compiled for AVX2.
///
/// # Safety
/// The CPU must have avx2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn portable_tile_avx2(w: &QuantFilters, map: &QuantMap, starts: &[usize; TAPS], sums: &mut [i32]) {
    portable_tile(w, map, starts, sums);
}

/// The same integers in plain Rust.
#[inline(always)]
fn portable_tile(w: &QuantFilters, map: &QuantMap, starts: &[usize; TAPS], sums: &mut [i32]) {
    let run = TAPS * map.cin4;
    for m in 0..TILE {
        for c in 0..w.padded {
            let row = &w.rows[c * w.k4..][..w.k4];
            sums[m * w.padded + c] = (0..TAPS).map(|dy| dot(&map.data[starts[dy] + m * map.cin4..][..run], &row[dy * run..][..run])).sum();
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod vnni {
    use std::arch::x86_64::*;

    use super::{LANES, TAPS, TILE};

    /// `NV` vectors of 16 filters against [`TILE`] positions `stride` bytes apart: for each of
    /// the three kernel rows, `groups` steps of 4 bytes, one `vpdpbusd` per vector and
    /// position; the sums go to `out[m * out_stride + 16 v ..]`.
    ///
    /// # Safety
    /// The CPU must have avx512f and avx512vnni; `w` must hold `TAPS * groups` rows of
    /// `NV * 64` bytes, `w_stride` bytes apart; each `rows[dy]` must hold
    /// `(TILE - 1) * stride + 4 * groups` bytes; `out` must hold
    /// `(TILE - 1) * out_stride + NV * 16` values.
    #[target_feature(enable = "avx512f,avx512vnni")]
    pub(super) unsafe fn tile<const NV: usize>(w: *const i8, w_stride: usize, rows: [*const u8; TAPS], stride: usize, groups: usize, out: &mut [i32], out_stride: usize) {
        let mut acc = [[_mm512_setzero_si512(); NV]; TILE];
        for (dy, &a) in rows.iter().enumerate() {
            for g in 0..groups {
                // SAFETY: in bounds by the caller's contract.
                let row = unsafe { w.add((dy * groups + g) * w_stride) };
                let mut wv = [_mm512_setzero_si512(); NV];
                for (v, slot) in wv.iter_mut().enumerate() {
                    *slot = unsafe { _mm512_loadu_si512(row.add(v * 64).cast()) };
                }
                for (m, acc) in acc.iter_mut().enumerate() {
                    let x = _mm512_set1_epi32(unsafe { std::ptr::read_unaligned(a.add(m * stride + 4 * g).cast::<i32>()) });
                    for v in 0..NV {
                        acc[v] = _mm512_dpbusd_epi32(acc[v], x, wv[v]);
                    }
                }
            }
        }
        for (m, acc) in acc.iter().enumerate() {
            for (v, a) in acc.iter().enumerate() {
                let p = out[m * out_stride + v * LANES..][..LANES].as_mut_ptr();
                // SAFETY: the slice above holds 16 values.
                unsafe { _mm512_storeu_si512(p.cast(), *a) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> f32 {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((*seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    /// Every kernel gives the same integer sums, and the int8 layer (conv, ReLU, batch norm)
    /// stays near the same layer in plain f32 nested loops.
    #[test]
    fn every_kernel_gives_the_same_integers_and_stays_near_f32() {
        let mut seed = 11u64;
        // A row width that is no multiple of TILE, filters that are no multiple of 64, and
        // channels that are no multiple of 4, besides the VGG's own shape.
        for (h, w, cin, filters) in [(5, 13, 128, 128), (4, 7, 6, 40)] {
            // Channels of different ranges (up to 16x apart), as the VGG's maps.
            let x: Vec<f32> = (0..h * w * cin).map(|i| (lcg(&mut seed) * 2.0 + 0.5) * (1 << (i % cin % 5)) as f32).collect();
            let weight: Vec<f32> = (0..filters * cin * 9).map(|_| lcg(&mut seed) * 0.05).collect();
            let bias: Vec<f32> = (0..filters).map(|_| lcg(&mut seed) * 0.1).collect();
            let bn_scale: Vec<f32> = (0..filters).map(|_| lcg(&mut seed) * 2.0).collect();
            let bn_shift: Vec<f32> = (0..filters).map(|_| lcg(&mut seed)).collect();
            let conv = QuantConv3x3::new(&weight, filters, cin, &bias, &bn_scale, &bn_shift);
            let map = QuantMap::new(&x, h, w, cin);
            #[cfg(target_arch = "x86_64")]
            let kernels: Vec<Kernel> = [Kernel::Portable, Kernel::detect()].into_iter().chain(std::arch::is_x86_feature_detected!("avx2").then_some(Kernel::Avx2)).collect();
            #[cfg(not(target_arch = "x86_64"))]
            let kernels = vec![Kernel::Portable];
            let mut sums = Vec::new();
            let mut outs = Vec::new();
            let mut q = MapFilters::default();
            conv.for_map(&map, &mut q);
            for &kernel in &kernels {
                let mut all = Vec::new();
                let mut out = vec![0f32; h * w * filters];
                for y in 0..h {
                    for x0 in (0..w).step_by(TILE) {
                        let mut s = vec![0i32; TILE * q.w.padded];
                        run_tile(&q.w, &map, y, x0, kernel, &mut s);
                        for m in 0..TILE.min(w - x0) {
                            all.extend_from_slice(&s[m * q.w.padded..][..filters]);
                        }
                    }
                    conv_row(&conv, &q, &map, y, kernel, &mut Vec::new(), &mut out[y * w * filters..][..w * filters]);
                }
                sums.push(all);
                outs.push(out);
            }
            for (k, (s, o)) in kernels.iter().zip(sums.iter().zip(&outs)) {
                assert!(*s == sums[0] && *o == outs[0], "{}: differs from the portable kernel", k.name());
            }
            // The reference: f32 'same' convolution with zero padding, ReLU, batch norm.
            let mut want = vec![0f32; h * w * filters];
            for y in 0..h {
                for xx in 0..w {
                    for c in 0..filters {
                        let mut s = bias[c];
                        for ci in 0..cin {
                            for dy in 0..3 {
                                for dx in 0..3 {
                                    let (yy, xs) = (y + dy, xx + dx);
                                    if yy == 0 || xs == 0 || yy > h || xs > w {
                                        continue;
                                    }
                                    s += x[((yy - 1) * w + xs - 1) * cin + ci] * weight[((c * cin + ci) * 3 + dy) * 3 + dx];
                                }
                            }
                        }
                        want[(y * w + xx) * filters + c] = bn_scale[c] * s.max(0.0) + bn_shift[c];
                    }
                }
            }
            let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
            let err = outs[0].iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(err < 0.02 * scale, "{h}x{w}x{cin} -> {filters}: int8 off by {err} (largest {scale})");
        }
    }
}
