//! Mel-frequency cepstral coefficients.

use crate::array::Array2;

/// The orthonormal DCT-II matrix, `n_out x n_in`: row `k` is
/// `s(k) cos(pi k (2n + 1) / (2 n_in))` with `s(0) = sqrt(1/n_in)`, `s(k) = sqrt(2/n_in)`
/// (`scipy.fftpack.dct(type=2, norm="ortho")`).
pub fn dct_ortho(n_out: usize, n_in: usize) -> Array2 {
    let mut m = Array2::zeros(n_out, n_in);
    for k in 0..n_out {
        let s = if k == 0 { (1.0 / n_in as f64).sqrt() } else { (2.0 / n_in as f64).sqrt() };
        for n in 0..n_in {
            m.data[k * n_in + n] = (s * (std::f64::consts::PI * k as f64 * (2 * n + 1) as f64 / (2 * n_in) as f64).cos()) as f32;
        }
    }
    m
}

/// MFCCs from a log-power mel spectrogram (`n_mels x frames`, in dB): the first `n_mfcc`
/// rows of its orthonormal DCT-II over mel bands. With `mel_db` from
/// `power_to_db(melspectrogram(y), ref=1.0, top_db=80)` this matches
/// `librosa.feature.mfcc(y=y, sr=sr, n_mfcc=n_mfcc, dct_type=2, norm="ortho", lifter=0)`.
///
/// # References
/// Davis, S. and Mermelstein, P. (1980), IEEE TASSP 28(4).
pub fn mfcc_from_db(mel_db: &Array2, dct: &Array2) -> Array2 {
    let (n_mfcc, n_mels, n_frames) = (dct.rows, mel_db.rows, mel_db.cols);
    assert_eq!(dct.cols, n_mels, "DCT matrix built for {} mel bands, got {}", dct.cols, n_mels);
    let mut out = Array2::zeros(n_mfcc, n_frames);
    // Across frames in vectors where the CPU has them (each frame's sum keeps its order).
    crate::wide::avx2(
        #[inline(always)]
        || {
            for k in 0..n_mfcc {
                let d = dct.row(k);
                let row = &mut out.data[k * n_frames..(k + 1) * n_frames];
                for (m, &w) in d.iter().enumerate() {
                    for (o, &x) in row.iter_mut().zip(mel_db.row(m)) {
                        *o += w * x;
                    }
                }
            }
        },
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An orthonormal DCT preserves energy.
    #[test]
    fn dct_ortho_is_orthonormal() {
        let m = dct_ortho(16, 16);
        for a in 0..16 {
            for b in 0..16 {
                let dot: f32 = m.row(a).iter().zip(m.row(b)).map(|(x, y)| x * y).sum();
                assert!((dot - if a == b { 1.0 } else { 0.0 }).abs() < 1e-5);
            }
        }
    }
}
