//! A small row-major 2-D `f32` array in librosa's orientation (features x frames).

/// A dense row-major matrix: `rows` features by `cols` frames, as librosa's arrays are.
#[derive(Clone, Debug, PartialEq)]
pub struct Array2 {
    /// Number of rows (feature dimensions).
    pub rows: usize,
    /// Number of columns (frames).
    pub cols: usize,
    /// `rows * cols` values, row after row.
    pub data: Vec<f32>,
}

impl Array2 {
    /// A `rows x cols` array of zeros.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self { rows, cols, data: vec![0.0; rows * cols] }
    }

    /// Builds an array from `data`, row after row.
    ///
    /// # Panics
    /// If `data.len() != rows * cols`.
    pub fn from_vec(rows: usize, cols: usize, data: Vec<f32>) -> Self {
        assert_eq!(data.len(), rows * cols, "Array2::from_vec: {rows}x{cols} needs {} values", rows * cols);
        Self { rows, cols, data }
    }

    /// Row `r`.
    pub fn row(&self, r: usize) -> &[f32] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }

    /// Row `r`, mutable.
    pub fn row_mut(&mut self, r: usize) -> &mut [f32] {
        &mut self.data[r * self.cols..(r + 1) * self.cols]
    }

    /// The value at (`r`, `c`).
    pub fn get(&self, r: usize, c: usize) -> f32 {
        self.data[r * self.cols + c]
    }

    /// `[rows, cols]`, the `.npy` shape.
    pub fn shape(&self) -> [usize; 2] {
        [self.rows, self.cols]
    }

    /// The transpose.
    pub fn transpose(&self) -> Self {
        let mut t = Self::zeros(self.cols, self.rows);
        for r in 0..self.rows {
            for c in 0..self.cols {
                t.data[c * self.rows + r] = self.data[r * self.cols + c];
            }
        }
        t
    }

    /// Relative Frobenius error `||self - reference|| / ||reference||`, the figure our
    /// librosa parity tests bound.
    pub fn relative_error(&self, reference: &[f32]) -> f64 {
        let num: f64 = self.data.iter().zip(reference).map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2)).sum();
        let den: f64 = reference.iter().map(|&b| f64::from(b).powi(2)).sum();
        (num / den.max(f64::MIN_POSITIVE)).sqrt()
    }
}

/// Dot product with eight independent accumulators, so that the compiler can vectorise it
/// (a plain iterator sum must keep its sequential rounding order and stays scalar).
#[inline(always)]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// Frames that [`dot_interleaved`] takes at once: one 512-bit vector of f32.
pub(crate) const INTERLEAVED_FRAMES: usize = 16;

/// Whether [`dot_interleaved`] runs here (AVX-512F, not turned off by
/// `GENRECAST_NO_AVX512`); elsewhere callers take their frames one by one with [`dot`].
pub(crate) fn interleaved_dots_available() -> bool {
    crate::wide::avx512_detected()
}

/// [`dot`] of the weights `w` with bins `start ..` of [`INTERLEAVED_FRAMES`] frames
/// interleaved bin by bin (`block[k * 16 + f]` is bin `k` of frame `f`, as
/// [`interleave_frames`] lays them out), each frame's value bit for bit [`dot`]'s: the
/// eight lanes of [`dot`] (bins `8c + i`) are eight accumulators here, each a vector over
/// the frames, reduced in [`dot`]'s order, and the remainder added bin by bin as [`dot`]
/// adds it. One weight, broadcast, meets sixteen frames in one vector; there is no
/// per-frame reduction or scalar remainder. AVX-512 intrinsics: written as plain loops,
/// LLVM vectorised the wrong dimension (gathers and scatters of the accumulators).
///
/// # Panics
/// If `block` holds fewer than `(start + w.len()) * 16` values.
///
/// # Safety
/// The CPU must have AVX-512F ([`interleaved_dots_available`] says so, or
/// `is_x86_feature_detected!("avx512f")`).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) unsafe fn dot_interleaved(w: &[f32], block: &[f32], start: usize) -> [f32; INTERLEAVED_FRAMES] {
    const L: usize = INTERLEAVED_FRAMES;
    assert!(start.checked_add(w.len()).and_then(|end| end.checked_mul(L)).is_some_and(|end| end <= block.len()));
    // SAFETY: the caller vouches for AVX-512F; the block's length is checked above.
    unsafe { avx512_dot_interleaved(w, block.as_ptr().add(start * L)) }
}

/// The kernel of [`dot_interleaved`].
///
/// # Safety
/// The CPU must have AVX-512F; `x` must point to `w.len() * 16` readable values.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn avx512_dot_interleaved(w: &[f32], x: *const f32) -> [f32; INTERLEAVED_FRAMES] {
    use std::arch::x86_64::*;
    const L: usize = INTERLEAVED_FRAMES;
    let n = w.len();
    let chunks = n / 8;
    let (mut a0, mut a1, mut a2, mut a3) = (_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps());
    let (mut a4, mut a5, mut a6, mut a7) = (_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps());
    for c in 0..chunks {
        // SAFETY: bins 8c .. 8c + 8 lie below n; weights likewise.
        unsafe {
            let (xc, wc) = (x.add(c * 8 * L), w.as_ptr().add(c * 8));
            let term = |i: usize| _mm512_mul_ps(_mm512_loadu_ps(xc.add(i * L)), _mm512_set1_ps(*wc.add(i)));
            a0 = _mm512_add_ps(a0, term(0));
            a1 = _mm512_add_ps(a1, term(1));
            a2 = _mm512_add_ps(a2, term(2));
            a3 = _mm512_add_ps(a3, term(3));
            a4 = _mm512_add_ps(a4, term(4));
            a5 = _mm512_add_ps(a5, term(5));
            a6 = _mm512_add_ps(a6, term(6));
            a7 = _mm512_add_ps(a7, term(7));
        }
    }
    let mut s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a4), _mm512_add_ps(a1, a5)), _mm512_add_ps(_mm512_add_ps(a2, a6), _mm512_add_ps(a3, a7)));
    for (k, &wk) in w.iter().enumerate().skip(chunks * 8) {
        // SAFETY: bin k lies below n.
        s = _mm512_add_ps(s, _mm512_mul_ps(unsafe { _mm512_loadu_ps(x.add(k * L)) }, _mm512_set1_ps(wk)));
    }
    let mut out = [0.0f32; L];
    // SAFETY: `out` holds sixteen f32.
    unsafe { _mm512_storeu_ps(out.as_mut_ptr(), s) };
    out
}

/// Interleaves `L` frames of `n_bins` values, stored one after the other in `rows`, bin by
/// bin into `block` (`block[k * L + l] = rows[l * n_bins + k]`), so that a loop over bins
/// reads every frame's bin `k` in one vector: 8 x 8 transposes in AVX registers where the
/// CPU has AVX2 (a store per value, strided, was a quarter of the fused per-frame pass).
/// `L` is a multiple of 8.
#[inline(always)]
pub(crate) fn interleave_frames<const L: usize>(rows: &[f32], n_bins: usize, block: &mut [f32]) {
    const { assert!(L.is_multiple_of(8)) };
    assert!(rows.len() == n_bins * L && block.len() == n_bins * L);
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if crate::wide::avx2_detected() {
        for group in 0..L / 8 {
            // SAFETY: the CPU has AVX2; the lengths are checked above.
            done = unsafe { transpose_avx2(&rows[group * 8 * n_bins..(group + 1) * 8 * n_bins], n_bins, &mut block[group * 8..], L) };
        }
    }
    for k in done..n_bins {
        for l in 0..L {
            block[k * L + l] = rows[l * n_bins + k];
        }
    }
}

/// Eight rows of [`interleave_frames`], the first `n_bins / 8 * 8` bins: bin `k` of row `l`
/// goes to `block[k * stride + l]`. Returns how many bins it did.
///
/// # Safety
/// The CPU must have AVX2; `rows` must hold `n_bins * 8` values and `block` at least
/// `(n_bins - 1) * stride + 8`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn transpose_avx2(rows: &[f32], n_bins: usize, block: &mut [f32], stride: usize) -> usize {
    use std::arch::x86_64::*;
    debug_assert!(rows.len() >= n_bins * 8 && stride >= 8 && (n_bins == 0 || block.len() >= (n_bins - 1) * stride + 8));
    let (src, dst) = (rows.as_ptr(), block.as_mut_ptr());
    let whole = n_bins / 8 * 8;
    for k in (0..whole).step_by(8) {
        // SAFETY: bins k .. k + 8 of the eight rows, and values (k .. k + 8) * stride + 0 .. 8 of block.
        unsafe {
            // The rows come from a spectrogram far larger than the caches, eight streams at
            // once: ask for them a few lines ahead.
            if k % 16 == 0 && k + 64 < n_bins {
                for l in 0..8 {
                    _mm_prefetch::<_MM_HINT_T0>(src.add(l * n_bins + k + 64).cast());
                }
            }
            let r: [__m256; 8] = std::array::from_fn(|l| _mm256_loadu_ps(src.add(l * n_bins + k)));
            let t = [
                _mm256_unpacklo_ps(r[0], r[1]),
                _mm256_unpackhi_ps(r[0], r[1]),
                _mm256_unpacklo_ps(r[2], r[3]),
                _mm256_unpackhi_ps(r[2], r[3]),
                _mm256_unpacklo_ps(r[4], r[5]),
                _mm256_unpackhi_ps(r[4], r[5]),
                _mm256_unpacklo_ps(r[6], r[7]),
                _mm256_unpackhi_ps(r[6], r[7]),
            ];
            let u = [
                _mm256_shuffle_ps::<0x44>(t[0], t[2]),
                _mm256_shuffle_ps::<0xEE>(t[0], t[2]),
                _mm256_shuffle_ps::<0x44>(t[1], t[3]),
                _mm256_shuffle_ps::<0xEE>(t[1], t[3]),
                _mm256_shuffle_ps::<0x44>(t[4], t[6]),
                _mm256_shuffle_ps::<0xEE>(t[4], t[6]),
                _mm256_shuffle_ps::<0x44>(t[5], t[7]),
                _mm256_shuffle_ps::<0xEE>(t[5], t[7]),
            ];
            // Bin k + j of every row: the low halves give j = 0..4, the high ones j = 4..8.
            for j in 0..4 {
                _mm256_storeu_ps(dst.add((k + j) * stride), _mm256_permute2f128_ps::<0x20>(u[j], u[j + 4]));
                _mm256_storeu_ps(dst.add((k + j + 4) * stride), _mm256_permute2f128_ps::<0x31>(u[j], u[j + 4]));
            }
        }
    }
    whole
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Interleaved frames give each frame's `dot` bits, at every start and length near the
    /// eight-lane chunks.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn dot_interleaved_equals_dot_bit_for_bit() {
        // The CPU's own answer, not `interleaved_dots_available()`: GENRECAST_NO_AVX512 must
        // not skip this test.
        if !std::arch::is_x86_feature_detected!("avx512f") {
            eprintln!("no AVX-512F on this CPU: the interleaved kernel cannot run");
            return;
        }
        const L: usize = INTERLEAVED_FRAMES;
        let n_bins = 70;
        let rows: Vec<f32> = (0..n_bins * L).map(|i| if i % 29 == 0 { -0.0 } else { ((i * 7919) % 1013) as f32 * 1.7e-3 - 0.4 }).collect();
        let mut block = vec![0.0f32; rows.len()];
        interleave_frames::<L>(&rows, n_bins, &mut block);
        for start in [0, 3, 8, 41] {
            for n in 0..(n_bins - start).min(26) {
                let w: Vec<f32> = (0..n).map(|i| 1.0 / (1.0 + i as f32) - 0.05).collect();
                // SAFETY: the CPU has AVX-512F.
                let got = unsafe { dot_interleaved(&w, &block, start) };
                for (f, g) in got.iter().enumerate() {
                    let want = dot(&w, &rows[f * n_bins + start..f * n_bins + start + n]);
                    assert_eq!(g.to_bits(), want.to_bits(), "start {start} n {n} frame {f}: {g} against {want}");
                }
            }
        }
    }
}
