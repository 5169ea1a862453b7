//! Hot loops compiled again for AVX-512 and for AVX2, chosen at run time.
//!
//! The release binary targets baseline x86-64 (SSE2). A loop body marked
//! `#[inline(always)]` and called through [`avx2`]'s `#[target_feature]` wrappers is
//! vectorised by LLVM with 512-bit registers where the CPU has AVX-512F, else 256-bit ones
//! with AVX2; without FMA (which Rust never fuses on its own anyway) and without
//! reassociating anything, so every copy computes the same bits. The portable copy serves
//! other CPUs and `GENRECAST_NO_AVX512=1` (which turns off every run-time kernel of this
//! crate).

/// Whether this CPU has AVX2 and `GENRECAST_NO_AVX512` does not ask for the portable code (read once).
pub(crate) fn avx2_detected() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *ON.get_or_init(|| !crate::portable_kernels_asked() && std::arch::is_x86_feature_detected!("avx2"))
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Whether this CPU has AVX-512F and VL and `GENRECAST_NO_AVX512` does not ask for the
/// portable code (read once).
pub(crate) fn avx512_detected() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *ON.get_or_init(|| avx2_detected() && std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512vl"))
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Calls `f`, compiled with AVX-512 or else AVX2 where the CPU has them. `f` should only
/// call `#[inline(always)]` functions for their loops to be widened.
#[inline(always)]
pub(crate) fn avx2<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2")]
        fn wrapped<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        #[target_feature(enable = "avx512f,avx512vl")]
        fn wrapped512<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        if avx512_detected() {
            // SAFETY: the CPU has AVX-512F and VL.
            return unsafe { wrapped512(f) };
        }
        if avx2_detected() {
            // SAFETY: the CPU has AVX2.
            return unsafe { wrapped(f) };
        }
    }
    f()
}
