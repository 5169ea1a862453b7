//! `log10` of `f32`, bit for bit as glibc 2.36's `log10f` (x86-64, FMA build), in a portable
//! scalar port and vector kernels: AVX-512 (sixteen lanes) and, for CPUs without it, AVX2
//! with FMA (eight), chosen at run time; `GENRECAST_NO_AVX512=1` takes the port.
//!
//! Why our own: [`f32::log10`] calls the system libm, and glibc's `log10f` is scalar (one call
//! per value, a few percent of feature extraction in `power_to_db`); no crate we use
//! vectorises it with the same bits, and the features' output bits must not move. The
//! scalar port also makes those bits independent of the system's libm.
//!
//! The algorithm is glibc's: `__ieee754_log10f` (`sysdeps/ieee754/flt-32/e_log10f.c`, from
//! fdlibm) splits `x = 2^y x'` with `x'` in `[0.5, 2)` and combines `logf(x')` with `y` in
//! `f32`; `logf` is `__logf_fma` (`sysdeps/ieee754/flt-32/e_logf.c` and the table of
//! `e_logf_data.c`, from ARM's optimized-routines, MIT / LGPL), a 16-entry table plus a
//! degree-3 polynomial in `f64`, with fused multiply-adds exactly where the FMA build has them.
//! The constants below are those of glibc's source (the same bits as in this machine's
//! `libm.so.6`). The tests compare the port with the system's `log10f` on glibc 2.36.
//!
//! The kernels compute positive normal finite lanes; any other lane (zero, subnormal,
//! negative, infinite, NaN: never in `power_to_db`, whose inputs are at least `amin`) is
//! redone by the port, which has glibc's special cases as well.
//!
//! [`crate::CODE_VERSION`] was not bumped for this: on the platform the project builds and
//! tests on (glibc 2.36, x86-64 with FMA) no output bit moved. Elsewhere (musl, macOS,
//! another glibc, an x86-64 CPU without FMA, where glibc takes its non-FMA `logf`), the
//! dB values before this module came from that libm and may differ from these by an ulp
//! (far inside the librosa parity bounds); a feature cache filled there by an older
//! genrecast keeps those values.

/// `log10(2)`'s low part, `f32` (fdlibm's `log10_2lo`).
const LOG10_2LO: f32 = f32::from_bits(0x3554_27db);
/// `1 / ln(10)`, `f32` (fdlibm's `ivln10`).
const IVLN10: f32 = f32::from_bits(0x3ede_5bd9);
/// `log10(2)`'s high part, `f32` (fdlibm's `log10_2hi`).
const LOG10_2HI: f32 = f32::from_bits(0x3e9a_2080);
/// `2^25`, which glibc scales subnormals by.
const TWO25: f32 = f32::from_bits(0x4c00_0000);

/// `ln(2)` in `f64` (`__logf_data.ln2`).
const LN2: f64 = f64::from_bits(0x3fe6_2e42_fefa_39ef);
/// `logf`'s polynomial coefficients `A[0..3]` (`__logf_data.poly`).
const A0: f64 = f64::from_bits(0xbfd0_0ea3_48b8_8334);
const A1: f64 = f64::from_bits(0x3fd5_575b_0be0_0b6a);
const A2: f64 = f64::from_bits(0xbfdf_fffe_f20a_4123);

/// `logf`'s table `(1/c, ln(c))` for 16 subintervals of `[0x3f330000, 2 * 0x3f330000)`
/// (`__logf_data.tab`), as bit patterns.
const TAB: [(u64, u64); 16] = [
    (0x3ff6_61ec_79f8_f3be, 0xbfd5_7bf7_808c_aade),
    (0x3ff5_71ed_4aaf_883d, 0xbfd2_bef0_a7c0_6ddb),
    (0x3ff4_9539_f0f0_10b0, 0xbfd0_1eae_7f51_3a67),
    (0x3ff3_c995_b0b8_0385, 0xbfcb_31d8_a682_24e9),
    (0x3ff3_0d19_0c88_64a5, 0xbfc6_574f_0ac0_7758),
    (0x3ff2_5e22_7b0b_8ea0, 0xbfc1_aa2b_c79c_8100),
    (0x3ff1_bb4a_4a1a_343f, 0xbfba_4e76_ce8c_0e5e),
    (0x3ff1_2358_f08a_e5ba, 0xbfb1_973c_5a61_1ccc),
    (0x3ff0_953f_4199_00a7, 0xbfa2_52f4_38e1_0c1e),
    (0x3ff0_0000_0000_0000, 0x0000_0000_0000_0000),
    (0x3fee_608c_fd9a_47ac, 0x3faa_a5aa_5df2_5984),
    (0x3fec_a4b3_1f02_6aa0, 0x3fbc_5e53_aa36_2eb4),
    (0x3feb_2036_576a_fce6, 0x3fc5_26e5_7720_db08),
    (0x3fe9_c2d1_63a1_aa2d, 0x3fcb_c286_0d22_4770),
    (0x3fe8_86e6_0378_41ed, 0x3fd1_058b_c8a0_7ee1),
    (0x3fe7_67dc_f553_4862, 0x3fd4_0430_57b6_ee09),
];

/// `logf(x)` for `x` in `[0.5, 2)` (all `log10f` asks of it), as glibc's `__logf_fma`.
/// `x = 1` needs no special case here: table entry 9 is `(1, 0)`, which gives `+0`.
#[inline]
fn logf_reduced(x: f32) -> f32 {
    let ix = x.to_bits();
    // x = 2^k z with z in [0x3f330000, 2 * 0x3f330000): ln(x) = k ln2 + ln(c) + ln(z / c).
    let tmp = ix.wrapping_sub(0x3f33_0000);
    let i = ((tmp >> 19) & 15) as usize;
    let k = (tmp as i32) >> 23;
    let iz = ix.wrapping_sub(tmp & 0xff80_0000);
    let (invc, logc) = (f64::from_bits(TAB[i].0), f64::from_bits(TAB[i].1));
    let z = f32::from_bits(iz) as f64;
    // `mul_add` is fused (correctly rounded) on every target, as glibc's FMA build is.
    let r = z.mul_add(invc, -1.0);
    let y0 = (k as f64).mul_add(LN2, logc);
    let r2 = r * r;
    let p = r.mul_add(A1, A2);
    let p = r2.mul_add(A0, p);
    let t = r + y0;
    r2.mul_add(p, t) as f32
}

/// `log10(x)` with the bits of glibc 2.36's `log10f` for every `x`, specials included
/// (`-inf` at `±0`, NaN below zero, `x + x` for `+inf` and NaN, subnormals scaled by `2^25`).
pub(crate) fn log10f(x: f32) -> f32 {
    let mut hx = x.to_bits() as i32;
    let mut k = 0i32;
    if hx < 0x0080_0000 {
        if hx & 0x7fff_ffff == 0 {
            return f32::NEG_INFINITY;
        }
        if hx < 0 {
            // glibc's `(x - x) / 0`: the default NaN of the machine, as libm gives it.
            #[allow(clippy::eq_op)]
            return (x - x) / 0.0;
        }
        hx = (x * TWO25).to_bits() as i32;
        k = -25;
    }
    if hx > 0x7f7f_ffff {
        return x + x;
    }
    k += (hx >> 23) - 127;
    // Mantissas below 1 after the split go to [0.5, 1) with y one higher, as fdlibm does.
    let i = ((k as u32) >> 31) as i32;
    let hx = (hx & 0x007f_ffff) | ((0x7f - i) << 23);
    let y = (k + i) as f32;
    let l = logf_reduced(f32::from_bits(hx as u32));
    // In this order, unfused, as `__ieee754_log10f` computes it.
    let t1 = y * LOG10_2LO;
    let z = l * IVLN10 + t1;
    z + y * LOG10_2HI
}

/// Whether `x` is positive, normal and finite: what the vector kernel computes exactly.
#[inline(always)]
fn positive_normal(x: f32) -> bool {
    x.to_bits().wrapping_sub(0x0080_0000) < 0x7f00_0000
}

/// `*v = 10 * log10(amin.max(*v)) - offset` for every value (`power_to_db`'s loop), with
/// [`log10f`]'s bits, sixteen at a time with AVX-512 (eight with AVX2) where the CPU has it.
pub(crate) fn ten_log10_max_minus(s: &mut [f32], amin: f32, offset: f32) {
    #[cfg(target_arch = "x86_64")]
    if positive_normal(amin) && crate::wide::avx512_detected() {
        // SAFETY: the CPU has AVX-512F (which `avx512_detected` checks); `amin` is not NaN.
        unsafe { avx512::ten_log10_max_minus(s, amin, offset) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if positive_normal(amin) && avx2_fma_detected() {
        // SAFETY: the CPU has AVX2 and FMA; `amin` is not NaN.
        unsafe { avx2::ten_log10_max_minus(s, amin, offset) };
        return;
    }
    s.iter_mut().for_each(|v| *v = 10.0 * log10f(amin.max(*v)) - offset);
}

/// `*v = log10(*v)` for every value, with [`log10f`]'s bits, sixteen at a time with AVX-512
/// (eight with AVX2) where the CPU has it.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn log10_in_place(s: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if crate::wide::avx512_detected() {
        // SAFETY: the CPU has AVX-512F (which `avx512_detected` checks).
        unsafe { avx512::log10_in_place(s) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if avx2_fma_detected() {
        // SAFETY: the CPU has AVX2 and FMA.
        unsafe { avx2::log10_in_place(s) };
        return;
    }
    s.iter_mut().for_each(|v| *v = log10f(*v));
}

/// Whether the AVX2 kernel may run: AVX2 (and no `GENRECAST_NO_AVX512`) and FMA, without
/// which the scalar port's fused multiply-adds would be calls to libm's `fma`.
#[cfg(target_arch = "x86_64")]
fn avx2_fma_detected() -> bool {
    crate::wide::avx2_detected() && std::arch::is_x86_feature_detected!("fma")
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    //! The AVX2 + FMA kernel, for CPUs without AVX-512: eight `f32` lanes, `logf`'s `f64`
    //! part in two halves of four, the table read by gathers. The same operations as the
    //! AVX-512 kernel and the scalar port.

    use super::{log10f, A0, A1, A2, IVLN10, LN2, LOG10_2HI, LOG10_2LO, TAB};
    use std::arch::x86_64::*;

    /// One column of [`TAB`] (`col` 0: `1/c`, 1: `ln(c)`).
    const fn column(col: usize) -> [f64; 16] {
        let mut out = [0.0; 16];
        let mut j = 0;
        while j < 16 {
            out[j] = f64::from_bits(if col == 0 { TAB[j].0 } else { TAB[j].1 });
            j += 1;
        }
        out
    }
    static INVC: [f64; 16] = column(0);
    static LOGC: [f64; 16] = column(1);

    /// `logf`'s `f64` part on four lanes: `z` the reduced values, `k` their exponents, `i`
    /// their table indices.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn logf_f64(z: __m128, k: __m128i, i: __m128i) -> __m128 {
        // SAFETY: every index is in 0..16 (masked with 15 by the caller), within the tables.
        let (invc, logc) =
            unsafe { (_mm256_i32gather_pd::<8>(INVC.as_ptr(), i), _mm256_i32gather_pd::<8>(LOGC.as_ptr(), i)) };
        let z = _mm256_cvtps_pd(z);
        let k = _mm256_cvtepi32_pd(k);
        let r = _mm256_fmadd_pd(z, invc, _mm256_set1_pd(-1.0));
        let y0 = _mm256_fmadd_pd(k, _mm256_set1_pd(LN2), logc);
        let r2 = _mm256_mul_pd(r, r);
        let p = _mm256_fmadd_pd(r, _mm256_set1_pd(A1), _mm256_set1_pd(A2));
        let p = _mm256_fmadd_pd(r2, _mm256_set1_pd(A0), p);
        let t = _mm256_add_pd(r, y0);
        _mm256_cvtpd_ps(_mm256_fmadd_pd(r2, p, t))
    }

    /// [`log10f`] on eight lanes, right for positive normal finite lanes only.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn log10_ps(x: __m256) -> __m256 {
        let hx = _mm256_castps_si256(x);
        let k = _mm256_sub_epi32(_mm256_srli_epi32::<23>(hx), _mm256_set1_epi32(127));
        let neg = _mm256_srli_epi32::<31>(k);
        let hx = _mm256_or_si256(
            _mm256_and_si256(hx, _mm256_set1_epi32(0x007f_ffff)),
            _mm256_slli_epi32::<23>(_mm256_sub_epi32(_mm256_set1_epi32(0x7f), neg)),
        );
        let y = _mm256_cvtepi32_ps(_mm256_add_epi32(k, neg));
        let tmp = _mm256_sub_epi32(hx, _mm256_set1_epi32(0x3f33_0000));
        let i = _mm256_and_si256(_mm256_srli_epi32::<19>(tmp), _mm256_set1_epi32(15));
        let lk = _mm256_srai_epi32::<23>(tmp);
        let iz = _mm256_sub_epi32(hx, _mm256_and_si256(tmp, _mm256_set1_epi32(0xff80_0000u32 as i32)));
        let z = _mm256_castsi256_ps(iz);
        let llo = logf_f64(_mm256_castps256_ps128(z), _mm256_castsi256_si128(lk), _mm256_castsi256_si128(i));
        let lhi = logf_f64(
            _mm256_extractf128_ps::<1>(z),
            _mm256_extracti128_si256::<1>(lk),
            _mm256_extracti128_si256::<1>(i),
        );
        let l = _mm256_insertf128_ps::<1>(_mm256_castps128_ps256(llo), lhi);
        let t1 = _mm256_mul_ps(y, _mm256_set1_ps(LOG10_2LO));
        let z = _mm256_add_ps(_mm256_mul_ps(l, _mm256_set1_ps(IVLN10)), t1);
        _mm256_add_ps(z, _mm256_mul_ps(y, _mm256_set1_ps(LOG10_2HI)))
    }

    /// The lanes of `x` (bit `j` for lane `j`) that are not positive normal finite.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn odd_lanes(x: __m256) -> i32 {
        // `bits - 0x00800000 >= 0x7f000000` unsigned, as a signed compare with the sign
        // bits flipped (AVX2 has no unsigned compare).
        let off = _mm256_sub_epi32(_mm256_castps_si256(x), _mm256_set1_epi32(0x0080_0000));
        let flipped = _mm256_xor_si256(off, _mm256_set1_epi32(i32::MIN));
        let bad = _mm256_cmpgt_epi32(flipped, _mm256_set1_epi32((0x7eff_ffffu32 ^ 0x8000_0000) as i32));
        _mm256_movemask_ps(_mm256_castsi256_ps(bad))
    }

    /// Stores the 8 lanes of `d` into `c`, but `scalar` of `c`'s own value in the lanes
    /// `odd` flags.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn store(c: &mut [f32], d: __m256, odd: i32, scalar: impl Fn(f32) -> f32) {
        assert_eq!(c.len(), 8);
        if odd == 0 {
            // SAFETY: `c` is 8 f32, what an unaligned 256-bit store writes.
            unsafe { _mm256_storeu_ps(c.as_mut_ptr(), d) };
            return;
        }
        let mut out = [0f32; 8];
        // SAFETY: `out` is 8 f32.
        unsafe { _mm256_storeu_ps(out.as_mut_ptr(), d) };
        for (j, (v, o)) in c.iter_mut().zip(out).enumerate() {
            *v = if (odd >> j) & 1 != 0 { scalar(*v) } else { o };
        }
    }

    /// The AVX2 [`super::ten_log10_max_minus`].
    ///
    /// # Safety
    /// The CPU must have AVX2 and FMA, and `amin` must not be NaN.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn ten_log10_max_minus(s: &mut [f32], amin: f32, offset: f32) {
        let (am, ten, off) = (_mm256_set1_ps(amin), _mm256_set1_ps(10.0), _mm256_set1_ps(offset));
        let scalar = |v: f32| 10.0 * log10f(amin.max(v)) - offset;
        let mut chunks = s.chunks_exact_mut(8);
        for c in &mut chunks {
            // SAFETY: `c` is 8 f32, what an unaligned 256-bit load reads.
            let x = unsafe { _mm256_loadu_ps(c.as_ptr()) };
            // `max_ps(x, amin)` is `amin` where `x` is NaN, as `amin.max(x)` is.
            let m = _mm256_max_ps(x, am);
            let d = _mm256_sub_ps(_mm256_mul_ps(ten, log10_ps(m)), off);
            store(c, d, odd_lanes(m), scalar);
        }
        chunks.into_remainder().iter_mut().for_each(|v| *v = scalar(*v));
    }

    /// The AVX2 [`super::log10_in_place`].
    ///
    /// # Safety
    /// The CPU must have AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn log10_in_place(s: &mut [f32]) {
        let mut chunks = s.chunks_exact_mut(8);
        for c in &mut chunks {
            // SAFETY: `c` is 8 f32, what an unaligned 256-bit load reads.
            let x = unsafe { _mm256_loadu_ps(c.as_ptr()) };
            store(c, log10_ps(x), odd_lanes(x), log10f);
        }
        chunks.into_remainder().iter_mut().for_each(|v| *v = log10f(*v));
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    //! The AVX-512F kernel: sixteen `f32` lanes, `logf`'s `f64` part in two halves of eight.
    //! Every operation is the scalar port's, lane by lane: the same fmas, the other products
    //! and sums unfused (intrinsics are never contracted), conversions rounding to nearest.

    use super::{log10f, A0, A1, A2, IVLN10, LN2, LOG10_2HI, LOG10_2LO, TAB};
    use std::arch::x86_64::*;

    /// One column of [`TAB`] (`col` 0: `1/c`, 1: `ln(c)`) as `[entries 0..8, entries 8..16]`,
    /// the two registers `permutex2var` picks from.
    const fn column(col: usize) -> [[f64; 8]; 2] {
        let mut out = [[0.0; 8]; 2];
        let mut j = 0;
        while j < 16 {
            let e = TAB[j];
            out[j / 8][j % 8] = f64::from_bits(if col == 0 { e.0 } else { e.1 });
            j += 1;
        }
        out
    }
    static INVC: [[f64; 8]; 2] = column(0);
    static LOGC: [[f64; 8]; 2] = column(1);

    /// `logf`'s `f64` part on eight lanes: `z` the reduced values, `k` their exponents, `i`
    /// their table indices (0..16, as 64-bit lanes).
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn logf_f64(z: __m256, k: __m256i, i: __m512i) -> __m256 {
        // SAFETY: each row of the tables is 8 f64, what an unaligned 512-bit load reads.
        let (invc, logc) = unsafe {
            (
                _mm512_permutex2var_pd(_mm512_loadu_pd(INVC[0].as_ptr()), i, _mm512_loadu_pd(INVC[1].as_ptr())),
                _mm512_permutex2var_pd(_mm512_loadu_pd(LOGC[0].as_ptr()), i, _mm512_loadu_pd(LOGC[1].as_ptr())),
            )
        };
        let z = _mm512_cvtps_pd(z);
        let k = _mm512_cvtepi32_pd(k);
        let r = _mm512_fmadd_pd(z, invc, _mm512_set1_pd(-1.0));
        let y0 = _mm512_fmadd_pd(k, _mm512_set1_pd(LN2), logc);
        let r2 = _mm512_mul_pd(r, r);
        let p = _mm512_fmadd_pd(r, _mm512_set1_pd(A1), _mm512_set1_pd(A2));
        let p = _mm512_fmadd_pd(r2, _mm512_set1_pd(A0), p);
        let t = _mm512_add_pd(r, y0);
        _mm512_cvtpd_ps(_mm512_fmadd_pd(r2, p, t))
    }

    /// [`log10f`] on sixteen lanes, right for positive normal finite lanes only.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn log10_ps(x: __m512) -> __m512 {
        let hx = _mm512_castps_si512(x);
        // k = exponent - 127; lanes with k < 0 take their mantissa in [0.5, 1) and y = k + 1.
        let k = _mm512_sub_epi32(_mm512_srli_epi32::<23>(hx), _mm512_set1_epi32(127));
        let neg = _mm512_srli_epi32::<31>(k);
        let hx = _mm512_or_si512(
            _mm512_and_si512(hx, _mm512_set1_epi32(0x007f_ffff)),
            _mm512_slli_epi32::<23>(_mm512_sub_epi32(_mm512_set1_epi32(0x7f), neg)),
        );
        let y = _mm512_cvtepi32_ps(_mm512_add_epi32(k, neg));
        // logf's reduction, in 32-bit lanes.
        let tmp = _mm512_sub_epi32(hx, _mm512_set1_epi32(0x3f33_0000));
        let i = _mm512_and_si512(_mm512_srli_epi32::<19>(tmp), _mm512_set1_epi32(15));
        let lk = _mm512_srai_epi32::<23>(tmp);
        let iz = _mm512_sub_epi32(hx, _mm512_and_si512(tmp, _mm512_set1_epi32(0xff80_0000u32 as i32)));
        let z = _mm512_castsi512_ps(iz);
        let zlo = _mm512_castps512_ps256(z);
        let zhi = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(z)));
        let (klo, khi) = (_mm512_castsi512_si256(lk), _mm512_extracti64x4_epi64::<1>(lk));
        let (ilo, ihi) = (_mm512_castsi512_si256(i), _mm512_extracti64x4_epi64::<1>(i));
        let llo = logf_f64(zlo, klo, _mm512_cvtepi32_epi64(ilo));
        let lhi = logf_f64(zhi, khi, _mm512_cvtepi32_epi64(ihi));
        let l = _mm512_castpd_ps(_mm512_insertf64x4::<1>(
            _mm512_castps_pd(_mm512_castps256_ps512(llo)),
            _mm256_castps_pd(lhi),
        ));
        // log10f's combination, unfused and in its order.
        let t1 = _mm512_mul_ps(y, _mm512_set1_ps(LOG10_2LO));
        let z = _mm512_add_ps(_mm512_mul_ps(l, _mm512_set1_ps(IVLN10)), t1);
        _mm512_add_ps(z, _mm512_mul_ps(y, _mm512_set1_ps(LOG10_2HI)))
    }

    /// The lanes of `x` that are not positive normal finite: the caller redoes those with
    /// the scalar [`log10f`].
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn odd_lanes(x: __m512) -> __mmask16 {
        let off = _mm512_sub_epi32(_mm512_castps_si512(x), _mm512_set1_epi32(0x0080_0000));
        _mm512_cmpge_epu32_mask(off, _mm512_set1_epi32(0x7f00_0000))
    }

    /// Stores the 16 lanes of `d` into `c`, but `scalar` of `c`'s own value in the lanes
    /// `odd` flags (rare: the caller's inputs are almost never zero, subnormal, inf or NaN).
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn store(c: &mut [f32], d: __m512, odd: __mmask16, scalar: impl Fn(f32) -> f32) {
        assert_eq!(c.len(), 16);
        if odd == 0 {
            // SAFETY: `c` is 16 f32, what an unaligned 512-bit store writes.
            unsafe { _mm512_storeu_ps(c.as_mut_ptr(), d) };
            return;
        }
        let mut out = [0f32; 16];
        // SAFETY: `out` is 16 f32.
        unsafe { _mm512_storeu_ps(out.as_mut_ptr(), d) };
        for (j, (v, o)) in c.iter_mut().zip(out).enumerate() {
            *v = if (odd >> j) & 1 != 0 { scalar(*v) } else { o };
        }
    }

    /// The AVX-512 [`super::ten_log10_max_minus`].
    ///
    /// # Safety
    /// The CPU must have AVX-512F, and `amin` must not be NaN.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn ten_log10_max_minus(s: &mut [f32], amin: f32, offset: f32) {
        let (am, ten, off) = (_mm512_set1_ps(amin), _mm512_set1_ps(10.0), _mm512_set1_ps(offset));
        let scalar = |v: f32| 10.0 * log10f(amin.max(v)) - offset;
        let mut chunks = s.chunks_exact_mut(16);
        for c in &mut chunks {
            // SAFETY: `c` is 16 f32, what an unaligned 512-bit load reads.
            let x = unsafe { _mm512_loadu_ps(c.as_ptr()) };
            // `max_ps(x, amin)` is `amin` where `x` is NaN, as `amin.max(x)` is (`amin` is
            // not NaN), and otherwise the larger of the two.
            let m = _mm512_max_ps(x, am);
            let d = _mm512_sub_ps(_mm512_mul_ps(ten, log10_ps(m)), off);
            store(c, d, odd_lanes(m), scalar);
        }
        chunks.into_remainder().iter_mut().for_each(|v| *v = scalar(*v));
    }

    /// The AVX-512 [`super::log10_in_place`].
    ///
    /// # Safety
    /// The CPU must have AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn log10_in_place(s: &mut [f32]) {
        let mut chunks = s.chunks_exact_mut(16);
        for c in &mut chunks {
            // SAFETY: `c` is 16 f32, what an unaligned 512-bit load reads.
            let x = unsafe { _mm512_loadu_ps(c.as_ptr()) };
            store(c, log10_ps(x), odd_lanes(x), log10f);
        }
        chunks.into_remainder().iter_mut().for_each(|v| *v = log10f(*v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every 4099th bit pattern of the positive normal floats, and edge cases: powers of two
    /// and their neighbours, 1, 1e-10, the extremes, subnormals, zeros, infinities, NaN and
    /// negatives.
    fn sweep() -> Vec<f32> {
        let mut v: Vec<f32> = (0x0080_0000u32..=0x7f7f_ffff).step_by(4099).map(f32::from_bits).collect();
        for e in 0x01..0xffu32 {
            let p = e << 23;
            v.extend([p - 1, p, p + 1].map(f32::from_bits));
        }
        v.extend([1.0, 0.5, 2.0, 10.0, 0.1, 1e-10, f32::MAX, f32::MIN_POSITIVE, f32::EPSILON]);
        v.extend([1, 2, 0x0040_0000, 0x007f_ffff].map(f32::from_bits));
        v.extend([0.0, -0.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN, -f32::NAN, -1.0, -1e-10, -f32::MAX]);
        v.extend([-f32::MIN_POSITIVE, f32::from_bits(0x8000_0001), f32::from_bits(0x7fa0_0001)]);
        v
    }

    /// Equal bits, or both NaN (NaN payloads are the machine's business).
    fn same(a: f32, b: f32) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    fn check_vector_matches_scalar(f: impl Fn(&mut [f32]), what: &str) {
        let x = sweep();
        // Offsets 0..16 so that every value meets every lane and the scalar tail.
        for shift in [0, 5, 15] {
            let mut y = x[shift..].to_vec();
            f(&mut y);
            for (&a, &b) in x[shift..].iter().zip(&y) {
                assert!(same(b, log10f(a)), "{what}: log10({a:e} = {:#x}) gave {b:e}, scalar {:e}", a.to_bits(), log10f(a));
            }
        }
    }

    #[test]
    fn vector_equals_scalar_port() {
        check_vector_matches_scalar(log10_in_place, "log10_in_place");
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F.
            check_vector_matches_scalar(|s| unsafe { avx512::log10_in_place(s) }, "avx512");
        } else {
            eprintln!("no AVX-512F here: its kernel was not checked");
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has AVX2 and FMA.
            check_vector_matches_scalar(|s| unsafe { avx2::log10_in_place(s) }, "avx2");
        }
    }

    #[test]
    fn db_mapping_equals_scalar_port() {
        let x = sweep();
        let (amin, offset) = (1e-10f32, 3.25f32);
        let want: Vec<f32> = x.iter().map(|&v| 10.0 * log10f(amin.max(v)) - offset).collect();
        let mut got = x.clone();
        ten_log10_max_minus(&mut got, amin, offset);
        assert!(want.iter().zip(&got).all(|(&a, &b)| same(a, b)));
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            let mut got = x.clone();
            // SAFETY: the CPU has AVX-512F; `amin` is not NaN.
            unsafe { avx512::ten_log10_max_minus(&mut got, amin, offset) };
            for ((&a, &b), &v) in want.iter().zip(&got).zip(&x) {
                assert!(same(a, b), "dB of {v:e}: {b:e}, scalar {a:e}");
            }
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            let mut got = x.clone();
            // SAFETY: the CPU has AVX2 and FMA; `amin` is not NaN.
            unsafe { avx2::ten_log10_max_minus(&mut got, amin, offset) };
            for ((&a, &b), &v) in want.iter().zip(&got).zip(&x) {
                assert!(same(a, b), "AVX2 dB of {v:e}: {b:e}, scalar {a:e}");
            }
        }
        // A NaN amin is left to the portable path, which gives `amin.max(v)`'s answer.
        let mut got = vec![2.0f32; 20];
        ten_log10_max_minus(&mut got, f32::NAN, 0.0);
        assert!(got.iter().all(|&v| v == 10.0 * log10f(2.0)));
    }

    #[test]
    fn scalar_port_within_two_ulps_of_f64() {
        for x in sweep() {
            let got = log10f(x);
            let want = (x as f64).log10() as f32;
            if want.is_nan() || want.is_infinite() {
                assert!(same(got, want), "log10({x:e}): {got:e}, f64 says {want:e}");
                continue;
            }
            // Ordered bit patterns, so that the ulp distance works across zero.
            let key = |f: f32| if f.is_sign_negative() { -((f.to_bits() & 0x7fff_ffff) as i64) } else { f.to_bits() as i64 };
            // glibc's log10f is not correctly rounded: its own tables give it 2 ulps on
            // x86-64 (the fdlibm combination in f32 adds to logf's error near 0.5..1).
            assert!((key(got) - key(want)).abs() <= 2, "log10({x:e}): {got:e}, f64 says {want:e}");
        }
    }

    /// The port equals this machine's libm, for which it was written (glibc 2.36), on the sweep
    /// and on every positive subnormal. Other glibc versions (or an x86-64 glibc without FMA)
    /// may round a few values otherwise, so they are skipped, saying so.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn scalar_port_equals_glibc_2_36() {
        extern "C" {
            fn gnu_get_libc_version() -> *const std::ffi::c_char;
        }
        // SAFETY: glibc returns a static NUL-terminated string.
        let version = unsafe { std::ffi::CStr::from_ptr(gnu_get_libc_version()) }.to_string_lossy().into_owned();
        if version != "2.36" {
            eprintln!("glibc {version}, not 2.36: the comparison with libm's log10f is skipped");
            return;
        }
        for x in sweep().into_iter().chain((1..0x0080_0000u32).map(f32::from_bits)) {
            assert!(same(log10f(x), x.log10()), "log10({x:e} = {:#x}): {:e}, libm {:e}", x.to_bits(), log10f(x), x.log10());
        }
    }

    /// Every positive normal float through the dispatched path (AVX-512, or the portable
    /// port under `GENRECAST_NO_AVX512=1`) and through the AVX2 kernel, against libm (seconds
    /// each): `cargo test --release -p genrecast-features --lib exhaustive -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn exhaustive_vector_equals_libm() {
        type Kernel = fn(&mut [f32]);
        let mut kernels: Vec<(&str, Kernel)> = vec![("dispatched", log10_in_place)];
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has AVX2 and FMA.
            kernels.push(("avx2", |s| unsafe { avx2::log10_in_place(s) }));
        }
        for (name, kernel) in kernels {
            let start = std::time::Instant::now();
            let (mut mismatches, mut n) = (0u64, 0u64);
            let mut buf = vec![0f32; 1 << 20];
            let mut next = 0x0080_0000u32;
            while next <= 0x7f7f_ffff {
                let len = buf.len().min((0x7f80_0000 - next) as usize);
                let xs = &mut buf[..len];
                xs.iter_mut().enumerate().for_each(|(j, v)| *v = f32::from_bits(next + j as u32));
                kernel(xs);
                for (j, &got) in xs.iter().enumerate() {
                    let x = f32::from_bits(next + j as u32);
                    if got.to_bits() != x.log10().to_bits() {
                        if mismatches < 10 {
                            eprintln!("{name}: log10({x:e} = {:#x}): {got:e}, libm {:e}", x.to_bits(), x.log10());
                        }
                        mismatches += 1;
                    }
                }
                n += len as u64;
                next += len as u32;
            }
            let secs = start.elapsed().as_secs_f64();
            eprintln!("{name} (AVX-512 on: {}): {n} values, {mismatches} mismatches, {secs:.1} s", crate::wide::avx512_detected());
            assert_eq!(mismatches, 0);
        }
    }
}
