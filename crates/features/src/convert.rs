//! Unit conversions, as in `librosa/core/convert.py` (librosa 0.11.0).

/// Hz to mels: the Slaney formula (linear below 1 kHz, logarithmic above) or, with `htk`,
/// `2595 log10(1 + f / 700)`. Matches `librosa.hz_to_mel`.
pub fn hz_to_mel(f: f64, htk: bool) -> f64 {
    if htk {
        return 2595.0 * (1.0 + f / 700.0).log10();
    }
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if f >= min_log_hz {
        min_log_mel + (f / min_log_hz).ln() / logstep
    } else {
        f / f_sp
    }
}

/// Mels to Hz, the inverse of [`hz_to_mel`]. Matches `librosa.mel_to_hz`.
pub fn mel_to_hz(m: f64, htk: bool) -> f64 {
    if htk {
        return 700.0 * (10f64.powf(m / 2595.0) - 1.0);
    }
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if m >= min_log_mel {
        min_log_hz * (logstep * (m - min_log_mel)).exp()
    } else {
        f_sp * m
    }
}

/// `n_mels` frequencies evenly spaced in mels from `fmin` to `fmax`. Matches
/// `librosa.mel_frequencies`.
pub fn mel_frequencies(n_mels: usize, fmin: f64, fmax: f64, htk: bool) -> Vec<f64> {
    let (lo, hi) = (hz_to_mel(fmin, htk), hz_to_mel(fmax, htk));
    linspace(lo, hi, n_mels).into_iter().map(|m| mel_to_hz(m, htk)).collect()
}

/// Centre frequency of each rfft bin. Matches `librosa.fft_frequencies`.
pub fn fft_frequencies(sr: f64, n_fft: usize) -> Vec<f64> {
    (0..=n_fft / 2).map(|k| k as f64 * sr / n_fft as f64).collect()
}

/// `np.linspace(a, b, n)` (endpoint included), computed as numpy does.
pub fn linspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    match n {
        0 => vec![],
        1 => vec![a],
        _ => {
            let step = (b - a) / (n - 1) as f64;
            let mut v: Vec<f64> = (0..n).map(|i| a + i as f64 * step).collect();
            v[n - 1] = b;
            v
        }
    }
}

/// Reference level for [`power_to_db`].
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DbReference {
    /// A fixed reference power (librosa `ref=1.0` by default).
    Value(f32),
    /// The maximum of the input (librosa `ref=np.max`).
    Max,
}

/// Power to decibels in place: `10 log10(max(amin, S) / ref)`, then, with `top_db`, clamps to
/// `max - top_db`. Matches `librosa.power_to_db(S, ref=..., amin=1e-10, top_db=80.0)`.
///
/// # Example
/// ```
/// use genrecast_features::{power_to_db, DbReference};
/// let mut s = vec![1.0, 0.1, 1e-12];
/// power_to_db(&mut s, DbReference::Value(1.0), 1e-10, Some(80.0));
/// assert_eq!(s, vec![0.0, -10.0, -80.0]);
/// ```
pub fn power_to_db(s: &mut [f32], reference: DbReference, amin: f32, top_db: Option<f32>) {
    let ref_value = match reference {
        DbReference::Value(v) => v.abs(),
        DbReference::Max => max_of(s),
    };
    let offset = 10.0 * crate::log10::log10f(amin.max(ref_value));
    // `10 * log10(max(amin, v)) - offset` per value, vectorised with libm's bits.
    crate::log10::ten_log10_max_minus(s, amin, offset);
    if let Some(top) = top_db {
        let floor = max_of(s) - top;
        s.iter_mut().for_each(|v| *v = v.max(floor));
    }
}

/// [`power_to_db`] with `ref=np.max` of a power `s` whose `ref=1.0` dB (`power_to_db(s,
/// Value(1.0), amin, None)`) are `db1`, without a second logarithm per value: the same
/// bits, since `db1`'s offset is `10 log10(1) = 0`.
pub(crate) fn db_max_ref_from_db1(s: &[f32], db1: &[f32], amin: f32, top_db: Option<f32>) -> Vec<f32> {
    let offset = 10.0 * crate::log10::log10f(amin.max(max_of(s)));
    let mut out: Vec<f32> = db1.iter().map(|&v| v - offset).collect();
    if let Some(top) = top_db {
        let floor = max_of(&out) - top;
        out.iter_mut().for_each(|v| *v = v.max(floor));
    }
    out
}

/// The largest of `s` by `f32::max` (NaN ignored; `-inf` when empty), in eight lanes so
/// that it does not wait on one chain of dependent maxima.
pub(crate) fn max_of(s: &[f32]) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; 8];
    let chunks = s.chunks_exact(8);
    let tail = chunks.remainder().iter().copied().fold(f32::NEG_INFINITY, f32::max);
    for c in chunks {
        lanes.iter_mut().zip(c).for_each(|(l, &v)| *l = l.max(v));
    }
    lanes.iter().copied().fold(tail, f32::max)
}
