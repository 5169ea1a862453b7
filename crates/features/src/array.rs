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

/// [`dot`] of the weights `w` with `F` frames at once, each frame's value bit for bit
/// [`dot`]'s (the same eight lanes, added in the same order). One frame's eight lanes are a
/// chain of dependent additions, so a single dot product waits on its adder; the frames'
/// chains are independent and overlap.
#[inline(always)]
pub(crate) fn dot_frames<const F: usize>(w: &[f32], frames: [&[f32]; F]) -> [f32; F] {
    let n = w.len();
    let x = frames.map(|f| &f[..n]);
    let chunks = n / 8;
    let mut acc = [[0.0f32; 8]; F];
    for c in 0..chunks {
        let wc = &w[c * 8..c * 8 + 8];
        for (a, xf) in acc.iter_mut().zip(&x) {
            let xc = &xf[c * 8..c * 8 + 8];
            for i in 0..8 {
                a[i] += xc[i] * wc[i];
            }
        }
    }
    let mut out = [0.0f32; F];
    for ((o, a), xf) in out.iter_mut().zip(&acc).zip(&x) {
        let mut s = ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
        for (xv, wv) in xf[chunks * 8..].iter().zip(&w[chunks * 8..]) {
            s += xv * wv;
        }
        *o = s;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every frame's value from `dot_frames` has `dot`'s bits, for lengths around the
    /// eight-lane chunks and for awkward values (signed zeros, subnormals, infinities).
    #[test]
    fn dot_frames_equals_dot_bit_for_bit() {
        let special = [0.0f32, -0.0, 1e-40, -3e-39, f32::MAX, 1.5, -2.25, f32::INFINITY];
        for n in 0..40 {
            let w: Vec<f32> = (0..n).map(|i| ((i * 37 % 11) as f32 - 5.0) / 3.0 + 1e-3 * i as f32).collect();
            let frames: Vec<Vec<f32>> = (0..8)
                .map(|f| (0..n + 3).map(|i| if (i + f) % 13 == 0 { special[(i + f) % special.len()] } else { ((i * 7 + f * 3) as f32).sin() * 1e3 }).collect())
                .collect();
            let got = dot_frames(&w, std::array::from_fn::<&[f32], 8, _>(|f| &frames[f][..]));
            for (f, g) in got.iter().enumerate() {
                let want = dot(&frames[f][..n], &w);
                assert!(g.to_bits() == want.to_bits() || (g.is_nan() && want.is_nan()), "n {n} frame {f}: {g} against {want}");
            }
        }
    }
}
