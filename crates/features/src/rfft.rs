//! Real-input FFTs of even length: rustfft's complex FFT of half the length, and the split
//! pass that turns it into the real transform, written here rather than called from
//! `realfft`.
//!
//! Why our own: `realfft`'s split pass pairs bin `k` with bin `N/2 - k` through a reversed
//! iterator and stays scalar; it was a tenth of feature extraction (issue #24), and LLVM
//! does not widen the pairing well on its own. In f32 on a CPU with AVX2 it runs eight pairs
//! at a time in `std::arch` intrinsics (the mirror bins reversed in registers). Every value
//! is computed by the same operations in the same order as `realfft` 3.5 (no fused
//! multiply-add, no reassociation), and the complex FFT is rustfft's own plan for the length,
//! so the output is `realfft`'s bit for bit, with or without AVX2 (a test compares them). Odd
//! lengths, which no default uses, go to `realfft` itself.

use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftNum, FftPlanner};

/// Pairs processed together by the portable loop.
const BLOCK: usize = 8;

/// The sample types of [`Forward`] and [`Inverse`]: `f32` has an AVX2 split pass.
pub(crate) trait Real: FftNum {
    /// Runs the split pass on the first pairs it can in vectors, and says how many.
    fn wide_pass(forward: bool, tw_re: &[Self], tw_im: &[Self], left: &mut [Complex<Self>], right: &mut [Complex<Self>]) -> usize;
}

impl Real for f64 {
    fn wide_pass(_: bool, _: &[f64], _: &[f64], _: &mut [Complex<f64>], _: &mut [Complex<f64>]) -> usize {
        0
    }
}

impl Real for f32 {
    #[inline(always)]
    fn wide_pass(forward: bool, tw_re: &[f32], tw_im: &[f32], left: &mut [Complex<f32>], right: &mut [Complex<f32>]) -> usize {
        #[cfg(target_arch = "x86_64")]
        if crate::wide::avx2_detected() {
            // SAFETY: the CPU has AVX2; the slices are as `split_pass` documents.
            return unsafe {
                if forward {
                    avx2::split_pass::<true>(tw_re, tw_im, left, right)
                } else {
                    avx2::split_pass::<false>(tw_re, tw_im, left, right)
                }
            };
        }
        let _ = (forward, tw_re, tw_im, left, right);
        0
    }
}

/// `realfft`'s twiddle `e^{-2 pi i k / n}`, computed in f64 and rounded once.
fn twiddle<T: FftNum>(k: usize, n: usize) -> (T, T) {
    let angle = -2.0 * std::f64::consts::PI / n as f64 * k as f64;
    let cast = |v: f64| T::from_f64(v).unwrap_or_else(T::zero);
    (cast(angle.cos()), cast(angle.sin()))
}

/// Reinterprets `n` reals as `n / 2` complex values (real, imaginary, real, ...).
fn as_complex<T>(reals: &mut [T]) -> &mut [Complex<T>] {
    // SAFETY: `Complex<T>` is `#[repr(C)]` `{ re: T, im: T }`: two `T`s, with `T`'s alignment.
    unsafe { std::slice::from_raw_parts_mut(reals.as_mut_ptr().cast::<Complex<T>>(), reals.len() / 2) }
}

/// A forward real-to-complex FFT of even length `n`: `n` reals in, `n / 2 + 1` bins out,
/// the same values as `realfft::RealFftPlanner::plan_fft_forward(n)`.
pub(crate) struct Forward<T: FftNum> {
    n: usize,
    fft: Arc<dyn Fft<T>>,
    /// `realfft`'s plan, for an odd `n`.
    odd: Option<Arc<dyn realfft::RealToComplex<T>>>,
    /// `realfft`'s twiddles `e^{-2 pi i k / n} / 2`, `k = 1 ..`, split into parts.
    tw_re: Vec<T>,
    tw_im: Vec<T>,
}

impl<T: Real> Forward<T> {
    /// Plans the transform of `n >= 1` reals.
    pub(crate) fn new(n: usize) -> Self {
        let odd = (!n.is_multiple_of(2)).then(|| realfft::RealFftPlanner::new().plan_fft_forward(n));
        let half = T::from_f64(0.5).unwrap_or_else(T::zero);
        let (tw_re, tw_im) = (1..n.div_ceil(4)).map(|k| twiddle::<T>(k, n)).map(|(re, im)| (re * half, im * half)).unzip();
        Self { n, fft: FftPlanner::new().plan_fft_forward(n / 2), odd, tw_re, tw_im }
    }

    /// A zeroed output buffer (`n / 2 + 1` values).
    pub(crate) fn make_output(&self) -> Vec<Complex<T>> {
        vec![Complex::new(T::zero(), T::zero()); self.n / 2 + 1]
    }

    /// A scratch buffer for [`process`](Self::process).
    pub(crate) fn make_scratch(&self) -> Vec<Complex<T>> {
        let len = self.odd.as_ref().map_or_else(|| self.fft.get_outofplace_scratch_len(), |odd| odd.get_scratch_len());
        vec![Complex::new(T::zero(), T::zero()); len]
    }

    /// The spectrum of `input` into `output`; `input` is left as scratch. Widened where
    /// called inside [`crate::wide::avx2`].
    #[inline(always)]
    pub(crate) fn process(&self, input: &mut [T], output: &mut [Complex<T>], scratch: &mut [Complex<T>]) {
        if let Some(odd) = &self.odd {
            // The lengths come from the plan, so this cannot fail.
            let _ = odd.process_with_scratch(input, output, scratch);
            return;
        }
        let n2 = self.n / 2;
        assert!(input.len() == self.n && output.len() == n2 + 1, "real FFT buffer lengths");
        self.fft.process_outofplace_with_scratch(as_complex(input), &mut output[..n2], scratch);
        let z0 = output[0];
        output[0] = Complex::new(z0.re + z0.im, T::zero());
        output[n2] = Complex::new(z0.re - z0.im, T::zero());
        // Bins 1 .. m pair with n2 - 1 down to n2 - m + 1 (m = ceil(n2 / 2)); for even n2 the
        // middle bin n2 / 2 pairs with itself and is only conjugated.
        let m = n2.div_ceil(2);
        let (left, right) = output[1..n2].split_at_mut(m - 1);
        split_pass(&self.tw_re, &self.tw_im, left, right, PostPass, true);
        if n2.is_multiple_of(2) {
            output[n2 / 2].im = -output[n2 / 2].im;
        }
    }
}

/// An inverse complex-to-real FFT of even length `n`: `n / 2 + 1` bins in, `n` reals out,
/// the same values as `realfft::RealFftPlanner::plan_fft_inverse(n)` (unnormalised).
pub(crate) struct Inverse<T: FftNum> {
    n: usize,
    fft: Arc<dyn Fft<T>>,
    /// `realfft`'s plan, for an odd `n`.
    odd: Option<Arc<dyn realfft::ComplexToReal<T>>>,
    /// `e^{+2 pi i k / n}`, `k = 1 ..`, split into parts.
    tw_re: Vec<T>,
    tw_im: Vec<T>,
}

impl<T: Real> Inverse<T> {
    /// Plans the transform to `n >= 1` reals.
    pub(crate) fn new(n: usize) -> Self {
        let odd = (!n.is_multiple_of(2)).then(|| realfft::RealFftPlanner::new().plan_fft_inverse(n));
        let (tw_re, tw_im) = (1..n.div_ceil(4)).map(|k| twiddle::<T>(k, n)).map(|(re, im)| (re, -im)).unzip();
        Self { n, fft: FftPlanner::new().plan_fft_inverse(n / 2), odd, tw_re, tw_im }
    }

    /// A scratch buffer for [`process`](Self::process).
    pub(crate) fn make_scratch(&self) -> Vec<Complex<T>> {
        let len = self.odd.as_ref().map_or_else(|| self.fft.get_outofplace_scratch_len(), |odd| odd.get_scratch_len());
        vec![Complex::new(T::zero(), T::zero()); len]
    }

    /// The signal of spectrum `input` into `output`; `input` is left as scratch, and the
    /// imaginary parts of its first and last bins are taken as zero.
    #[inline(always)]
    pub(crate) fn process(&self, input: &mut [Complex<T>], output: &mut [T], scratch: &mut [Complex<T>]) {
        if let Some(odd) = &self.odd {
            // Only the imaginary parts that must be zero can fail it, and are taken as zero.
            let _ = odd.process_with_scratch(input, output, scratch);
            return;
        }
        let n2 = self.n / 2;
        assert!(input.len() == n2 + 1 && output.len() == self.n, "real FFT buffer lengths");
        // As realfft: a nonzero imaginary part is cleared (a negative zero stays).
        for i in [0, n2] {
            if input[i].im != T::zero() {
                input[i].im = T::zero();
            }
        }
        let (first, last) = (input[0], input[n2]);
        let (sum, diff) = (first + last, first - last);
        input[0] = Complex::new(sum.re - sum.im, diff.re - diff.im);
        let m = n2.div_ceil(2);
        let (left, right) = input[1..n2].split_at_mut(m - 1);
        split_pass(&self.tw_re, &self.tw_im, left, right, PrePass, false);
        if n2.is_multiple_of(2) {
            let c = input[n2 / 2];
            let doubled = c + c;
            input[n2 / 2] = Complex::new(doubled.re, -doubled.im);
        }
        self.fft.process_outofplace_with_scratch(&mut input[..n2], as_complex(output), scratch);
    }
}

/// One pair's arithmetic: bin `a` (ascending) and its mirror `b` (descending), with the
/// pair's twiddle, to the new `(a, b)`, on parts: `[a.re, a.im, b.re, b.im]`.
trait PairOp {
    fn apply<T: FftNum>(v: [T; 4], tw_re: T, tw_im: T) -> [T; 4];
}

/// `realfft`'s forward post-processing (`RealToComplexEven`), term for term.
struct PostPass;

impl PairOp for PostPass {
    #[inline(always)]
    fn apply<T: FftNum>([a_re, a_im, b_re, b_im]: [T; 4], tw_re: T, tw_im: T) -> [T; 4] {
        let half = T::from_f64(0.5).unwrap_or_else(T::zero);
        let (sum_re, sum_im, diff_re, diff_im) = (a_re + b_re, a_im + b_im, a_re - b_re, a_im - b_im);
        let twiddled_re = sum_im * tw_re + diff_re * tw_im;
        let twiddled_im = sum_im * tw_im - diff_re * tw_re;
        let (half_sum_re, half_diff_im) = (half * sum_re, half * diff_im);
        [half_sum_re + twiddled_re, half_diff_im + twiddled_im, half_sum_re - twiddled_re, twiddled_im - half_diff_im]
    }
}

/// `realfft`'s inverse pre-processing (`ComplexToRealEven`), term for term.
struct PrePass;

impl PairOp for PrePass {
    #[inline(always)]
    fn apply<T: FftNum>([a_re, a_im, b_re, b_im]: [T; 4], tw_re: T, tw_im: T) -> [T; 4] {
        let (sum_re, sum_im, diff_re, diff_im) = (a_re + b_re, a_im + b_im, a_re - b_re, a_im - b_im);
        let twiddled_re = sum_im * tw_re + diff_re * tw_im;
        let twiddled_im = sum_im * tw_im - diff_re * tw_re;
        [sum_re - twiddled_re, diff_im - twiddled_im, sum_re + twiddled_re, -twiddled_im - diff_im]
    }
}

/// Applies `Op` to `left[i]` and `right[right.len() - 1 - i]` with twiddle `i`, for every
/// `i < left.len()` (`right` may be one longer: its first value, the middle bin, is left
/// alone): in AVX2 where [`Real::wide_pass`] can, the rest portably.
#[inline(always)]
fn split_pass<T: Real, Op: PairOp>(tw_re: &[T], tw_im: &[T], left: &mut [Complex<T>], right: &mut [Complex<T>], _: Op, forward: bool) {
    let pairs = left.len();
    let skip = right.len() - pairs;
    let right = &mut right[skip..];
    let (tw_re, tw_im) = (&tw_re[..pairs], &tw_im[..pairs]);
    let done = T::wide_pass(forward, tw_re, tw_im, left, right);
    portable_pass::<T, Op>(tw_re, tw_im, left, right, done);
}

/// The portable split pass on pairs `from ..` (`left`, `right`, `tw_re`, `tw_im` equally
/// long, `from` a multiple of [`BLOCK`]): blocks of pairs are split into arrays of real
/// and of imaginary parts, the mirror reversed, then the rest one pair at a time.
#[inline(always)]
fn portable_pass<T: FftNum, Op: PairOp>(tw_re: &[T], tw_im: &[T], left: &mut [Complex<T>], right: &mut [Complex<T>], from: usize) {
    let pairs = left.len();
    let blocks = pairs / BLOCK;
    for b in from / BLOCK..blocks {
        let lo = b * BLOCK;
        let (l, r) = (&mut left[lo..lo + BLOCK], &mut right[pairs - lo - BLOCK..pairs - lo]);
        let (twr, twi) = (&tw_re[lo..lo + BLOCK], &tw_im[lo..lo + BLOCK]);
        let mut parts = [[T::zero(); BLOCK]; 4];
        for j in 0..BLOCK {
            parts[0][j] = l[j].re;
            parts[1][j] = l[j].im;
            parts[2][j] = r[BLOCK - 1 - j].re;
            parts[3][j] = r[BLOCK - 1 - j].im;
        }
        let mut out = [[T::zero(); BLOCK]; 4];
        for j in 0..BLOCK {
            let [a, b, c, d] = Op::apply([parts[0][j], parts[1][j], parts[2][j], parts[3][j]], twr[j], twi[j]);
            (out[0][j], out[1][j], out[2][j], out[3][j]) = (a, b, c, d);
        }
        for j in 0..BLOCK {
            l[j] = Complex::new(out[0][j], out[1][j]);
            r[BLOCK - 1 - j] = Complex::new(out[2][j], out[3][j]);
        }
    }
    for i in (blocks * BLOCK).max(from)..pairs {
        let j = pairs - 1 - i;
        let [a, b, c, d] = Op::apply([left[i].re, left[i].im, right[j].re, right[j].im], tw_re[i], tw_im[i]);
        (left[i], right[j]) = (Complex::new(a, b), Complex::new(c, d));
    }
}

/// The split pass in AVX2, eight pairs a vector.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::Complex;

    /// Reverses the order of the four complex values of `v`.
    #[inline(always)]
    unsafe fn reverse(v: __m256) -> __m256 {
        _mm256_castpd_ps(_mm256_permute4x64_pd::<0x1B>(_mm256_castps_pd(v)))
    }

    /// `split_pass` (forward or inverse) on whole blocks of eight pairs: `left[i]` with
    /// `right[len - 1 - i]`, both `pairs` long; returns how many pairs it did.
    ///
    /// Lanes hold pairs in the order 0, 1, 4, 5, 2, 3, 6, 7 (what deinterleaving two vectors
    /// of four complex values within 128-bit halves gives); the twiddles are loaded in the
    /// same order, and interleaving undoes it.
    ///
    /// # Safety
    /// The CPU must have AVX2; `left`, `right`, `tw_re` and `tw_im` must be equally long.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn split_pass<const FORWARD: bool>(tw_re: &[f32], tw_im: &[f32], left: &mut [Complex<f32>], right: &mut [Complex<f32>]) -> usize {
        let pairs = left.len();
        assert!(right.len() == pairs && tw_re.len() == pairs && tw_im.len() == pairs);
        let (lp, rp) = (left.as_mut_ptr().cast::<f32>(), right.as_mut_ptr().cast::<f32>());
        let (half, sign) = (_mm256_set1_ps(0.5), _mm256_set1_ps(-0.0));
        let blocks = pairs / 8;
        for b in 0..blocks {
            let lo = b * 8;
            let ro = 2 * (pairs - lo - 8);
            // SAFETY (every access): complex values lo .. lo + 8 of left and
            // pairs - lo - 8 .. pairs - lo of right, twiddles lo .. lo + 8, all in bounds.
            unsafe {
                let (l0, l1) = (_mm256_loadu_ps(lp.add(2 * lo)), _mm256_loadu_ps(lp.add(2 * lo + 8)));
                let (m0, m1) = (reverse(_mm256_loadu_ps(rp.add(ro + 8))), reverse(_mm256_loadu_ps(rp.add(ro))));
                let a_re = _mm256_shuffle_ps::<0x88>(l0, l1);
                let a_im = _mm256_shuffle_ps::<0xDD>(l0, l1);
                let b_re = _mm256_shuffle_ps::<0x88>(m0, m1);
                let b_im = _mm256_shuffle_ps::<0xDD>(m0, m1);
                let order = |v: __m256| _mm256_castpd_ps(_mm256_permute4x64_pd::<0xD8>(_mm256_castps_pd(v)));
                let tw_r = order(_mm256_loadu_ps(tw_re.as_ptr().add(lo)));
                let tw_i = order(_mm256_loadu_ps(tw_im.as_ptr().add(lo)));
                let (sum_re, sum_im) = (_mm256_add_ps(a_re, b_re), _mm256_add_ps(a_im, b_im));
                let (diff_re, diff_im) = (_mm256_sub_ps(a_re, b_re), _mm256_sub_ps(a_im, b_im));
                let twiddled_re = _mm256_add_ps(_mm256_mul_ps(sum_im, tw_r), _mm256_mul_ps(diff_re, tw_i));
                let twiddled_im = _mm256_sub_ps(_mm256_mul_ps(sum_im, tw_i), _mm256_mul_ps(diff_re, tw_r));
                let (a_re, a_im, b_re, b_im) = if FORWARD {
                    let (half_sum_re, half_diff_im) = (_mm256_mul_ps(half, sum_re), _mm256_mul_ps(half, diff_im));
                    (_mm256_add_ps(half_sum_re, twiddled_re), _mm256_add_ps(half_diff_im, twiddled_im), _mm256_sub_ps(half_sum_re, twiddled_re), _mm256_sub_ps(twiddled_im, half_diff_im))
                } else {
                    (_mm256_sub_ps(sum_re, twiddled_re), _mm256_sub_ps(diff_im, twiddled_im), _mm256_add_ps(sum_re, twiddled_re), _mm256_sub_ps(_mm256_xor_ps(twiddled_im, sign), diff_im))
                };
                _mm256_storeu_ps(lp.add(2 * lo), _mm256_unpacklo_ps(a_re, a_im));
                _mm256_storeu_ps(lp.add(2 * lo + 8), _mm256_unpackhi_ps(a_re, a_im));
                _mm256_storeu_ps(rp.add(ro + 8), reverse(_mm256_unpacklo_ps(b_re, b_im)));
                _mm256_storeu_ps(rp.add(ro), reverse(_mm256_unpackhi_ps(b_re, b_im)));
            }
        }
        blocks * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use realfft::RealFftPlanner;

    fn maybe_wide(widened: bool, f: impl FnOnce()) {
        if widened {
            crate::wide::avx2(f)
        } else {
            f()
        }
    }

    fn signal(n: usize, seed: u32) -> Vec<f32> {
        (0..n).map(|i| ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 8) as f32 / (1 << 24) as f32 - 0.5).collect()
    }

    /// Forward and inverse, plain and widened, bit for bit `realfft`'s, for lengths with an
    /// even and an odd half, shorter and longer than a block.
    #[test]
    fn same_bits_as_realfft() {
        for n in [1, 2, 4, 6, 9, 10, 30, 64, 94, 1024, 2048] {
            let mut planner = RealFftPlanner::<f32>::new();
            let (want_fwd, want_inv) = (planner.plan_fft_forward(n), planner.plan_fft_inverse(n));
            let (fwd, inv) = (Forward::<f32>::new(n), Inverse::<f32>::new(n));
            let x = signal(n, n as u32);
            let mut want = want_fwd.make_output_vec();
            let _ = want_fwd.process(&mut x.clone(), &mut want);
            for widened in [false, true] {
                let mut got = fwd.make_output();
                maybe_wide(widened, || fwd.process(&mut x.clone(), &mut got, &mut fwd.make_scratch()));
                assert!(got.iter().zip(&want).all(|(a, b)| a.re.to_bits() == b.re.to_bits() && a.im.to_bits() == b.im.to_bits()), "forward n={n} widened={widened}");
                let mut spec = want.clone();
                let mut back = vec![0.0f32; n];
                let _ = want_inv.process(&mut spec.clone(), &mut back);
                let mut ours = vec![0.0f32; n];
                maybe_wide(widened, || inv.process(&mut spec, &mut ours, &mut inv.make_scratch()));
                assert!(ours.iter().zip(&back).all(|(a, b)| a.to_bits() == b.to_bits()), "inverse n={n} widened={widened}");
            }
        }
        let mut planner = RealFftPlanner::<f64>::new();
        let want_fwd = planner.plan_fft_forward(2048);
        let x: Vec<f64> = signal(2048, 7).into_iter().map(f64::from).collect();
        let mut want = want_fwd.make_output_vec();
        let _ = want_fwd.process(&mut x.clone(), &mut want);
        let fwd = Forward::<f64>::new(2048);
        let mut got = fwd.make_output();
        fwd.process(&mut x.clone(), &mut got, &mut fwd.make_scratch());
        assert_eq!(got, want);
    }

    /// Timing only (`cargo test --release -p genrecast-features -- --ignored rfft_timing --nocapture`).
    #[test]
    #[ignore]
    fn rfft_timing() {
        let n = 2048;
        let fwd = Forward::<f32>::new(n);
        let want = RealFftPlanner::<f32>::new().plan_fft_forward(n);
        let x = signal(n, 3);
        let (mut input, mut out, mut scratch) = (x.clone(), fwd.make_output(), fwd.make_scratch());
        let mut wscratch = want.make_scratch_vec();
        for round in 0..3 {
            let t = std::time::Instant::now();
            crate::wide::avx2(|| for _ in 0..100_000 { input.copy_from_slice(&x); fwd.process(&mut input, &mut out, &mut scratch) });
            let ours = t.elapsed().as_secs_f64() * 10.0;
            let t = std::time::Instant::now();
            for _ in 0..100_000 { input.copy_from_slice(&x); let _ = want.process_with_scratch(&mut input, &mut out, &mut wscratch); }
            let theirs = t.elapsed().as_secs_f64() * 10.0;
            let t = std::time::Instant::now();
            for _ in 0..100_000 { input.copy_from_slice(&x); fwd.fft.process_outofplace_with_scratch(as_complex(&mut input), &mut out[..n / 2], &mut scratch); }
            let complex = t.elapsed().as_secs_f64() * 10.0;
            println!("round {round}: ours {ours:.3} us, realfft {theirs:.3} us, the complex FFT alone {complex:.3} us");
        }
    }

    /// The AVX2 split pass against the portable one, both directions, on lengths around a
    /// block and on values with signed zeros, infinities, NaN and subnormals.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_pass_same_bits_as_portable() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return;
        }
        let specials = [0.0, -0.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN, 1e-40, -3e-39, f32::MAX];
        for pairs in [0, 1, 7, 8, 9, 16, 23, 511] {
            let values = |seed: u32| -> Vec<f32> {
                signal(2 * pairs + 2, seed).into_iter().enumerate().map(|(i, v)| if i % 13 == 5 { specials[i % specials.len()] } else { v * 1e3 }).collect()
            };
            let complex = |v: Vec<f32>| -> Vec<Complex<f32>> { v.chunks_exact(2).take(pairs).map(|c| Complex::new(c[0], c[1])).collect() };
            let (tw_re, tw_im) = (values(1)[..pairs].to_vec(), values(2)[..pairs].to_vec());
            for forward in [true, false] {
                let (mut l1, mut r1) = (complex(values(3)), complex(values(4)));
                let (mut l2, mut r2) = (l1.clone(), r1.clone());
                // SAFETY: the CPU has AVX2; all four slices are `pairs` long.
                let done = unsafe { if forward { avx2::split_pass::<true>(&tw_re, &tw_im, &mut l1, &mut r1) } else { avx2::split_pass::<false>(&tw_re, &tw_im, &mut l1, &mut r1) } };
                if forward {
                    portable_pass::<f32, PostPass>(&tw_re, &tw_im, &mut l1, &mut r1, done);
                    portable_pass::<f32, PostPass>(&tw_re, &tw_im, &mut l2, &mut r2, 0);
                } else {
                    portable_pass::<f32, PrePass>(&tw_re, &tw_im, &mut l1, &mut r1, done);
                    portable_pass::<f32, PrePass>(&tw_re, &tw_im, &mut l2, &mut r2, 0);
                }
                let bits = |v: &[Complex<f32>]| v.iter().flat_map(|c| [c.re.to_bits(), c.im.to_bits()]).collect::<Vec<_>>();
                assert_eq!((bits(&l1), bits(&r1)), (bits(&l2), bits(&r2)), "pairs={pairs} forward={forward}");
            }
        }
    }
}
