//! Onset strength, tempogram and tempo (`librosa/onset.py`, `librosa/feature/rhythm.py`).

use crate::array::Array2;
use crate::rfft::{Forward, Inverse};
use crate::stft::hann;

/// Onset strength envelope from a log-power mel spectrogram (`n_mels x frames`, dB with
/// `ref=1.0`, `top_db=80`): the mean over bands of the positive first difference, shifted
/// right by `1 + n_fft / (2 hop)` frames to centre it. Matches
/// `librosa.onset.onset_strength(y=y, sr=sr, n_fft=n_fft, hop_length=hop)` (lag 1,
/// max_size 1, aggregate mean, center True, no detrending).
pub fn onset_strength(mel_db: &Array2, n_fft: usize, hop_length: usize) -> Vec<f32> {
    let t = mel_db.cols;
    let pad = 1 + n_fft / (2 * hop_length);
    let mut env = vec![0.0f32; t];
    if t < 2 {
        return env;
    }
    let mut diff = vec![0.0f64; t - 1];
    for m in 0..mel_db.rows {
        let row = mel_db.row(m);
        for (d, w) in diff.iter_mut().zip(row.windows(2)) {
            *d += f64::from((w[1] - w[0]).max(0.0));
        }
    }
    let n = mel_db.rows as f64;
    for (i, d) in diff.iter().enumerate() {
        if let Some(e) = env.get_mut(i + pad) {
            *e = (d / n) as f32;
        }
    }
    env
}

/// Autocorrelation tempogram `win_length x frames` of an onset envelope: each frame's
/// Hann-windowed neighbourhood (linear-ramp padded at the ends) autocorrelated and scaled
/// to max 1. Matches `librosa.feature.tempogram(onset_envelope=env, win_length=win_length,
/// center=True, window="hann", norm=np.inf)`.
pub fn tempogram(env: &[f32], win_length: usize) -> Array2 {
    let n = env.len();
    let mut out = Array2::zeros(win_length, n);
    tempogram_frames::<f64>(env, win_length, |t, ac| {
        for (lag, &v) in ac.iter().enumerate() {
            out.data[lag * n + t] = v;
        }
    });
    out
}

/// The columns of [`tempogram`], handed to `column(t, values)` one frame at a time (the
/// tempo estimate needs only their mean, not the `win_length x frames` array).
/// The arithmetic of the tempogram's autocorrelations.
trait AcFloat: crate::rfft::Real {
    const ZERO: Self;
    fn of_f32(v: f32) -> Self;
    fn to_f64(self) -> f64;
}

impl AcFloat for f32 {
    const ZERO: Self = 0.0;
    fn of_f32(v: f32) -> Self {
        v
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl AcFloat for f64 {
    const ZERO: Self = 0.0;
    fn of_f32(v: f32) -> Self {
        f64::from(v)
    }
    fn to_f64(self) -> f64 {
        self
    }
}

fn tempogram_frames<T: AcFloat>(env: &[f32], win_length: usize, mut column: impl FnMut(usize, &[f32])) {
    let n = env.len();
    let half = win_length / 2;
    // np.pad(mode="linear_ramp", end_values=0): ramps from 0 up to the edge values.
    let first = env.first().copied().unwrap_or(0.0);
    let last = env.last().copied().unwrap_or(0.0);
    let mut padded = Vec::with_capacity(n + 2 * half);
    padded.extend((0..half).map(|i| first * i as f32 / half as f32));
    padded.extend_from_slice(env);
    padded.extend((0..half).map(|j| last * (half - 1 - j) as f32 / half as f32));
    let window = hann(win_length);
    let n_fft = (2 * win_length - 1).next_power_of_two();
    let (fwd, inv) = (Forward::<T>::new(n_fft), Inverse::<T>::new(n_fft));
    let (mut fwd_scratch, mut inv_scratch) = (fwd.make_scratch(), inv.make_scratch());
    let mut buf = vec![T::ZERO; n_fft];
    let mut spec = fwd.make_output();
    let mut col = vec![0.0f32; win_length];
    // The FFTs' split passes and the loops here in 256-bit vectors where the CPU has them.
    crate::wide::avx2(
        #[inline(always)]
        || {
            for t in 0..n {
                // The frame's samples (zeros past the padded envelope), then zeros to n_fft.
                let samples = &padded[t.min(padded.len())..(t + win_length).min(padded.len())];
                let (head, tail) = buf.split_at_mut(samples.len());
                for ((v, &x), &w) in head.iter_mut().zip(samples).zip(&window) {
                    *v = T::of_f32(x * w);
                }
                tail.iter_mut().for_each(|v| *v = T::ZERO);
                fwd.process(&mut buf, &mut spec, &mut fwd_scratch);
                spec.iter_mut().for_each(|c| *c = realfft::num_complex::Complex::new(c.norm_sqr(), T::ZERO));
                inv.process(&mut spec, &mut buf, &mut inv_scratch);
                let ac = &buf[..win_length];
                // The largest magnitude in four times eight lanes (a maximum does not depend
                // on the order, and NaN is skipped either way): one chain of dependent maxima
                // was a fifth of the tempo's time.
                let mut lanes = [[0.0f64; 8]; 4];
                let chunks = ac.chunks_exact(32);
                let tail = chunks.remainder().iter().fold(0.0f64, |m, v| m.max(v.to_f64().abs()));
                for c in chunks {
                    let (c0, rest) = c.split_at(8);
                    let (c1, rest) = rest.split_at(8);
                    let (c2, c3) = rest.split_at(8);
                    let [l0, l1, l2, l3] = &mut lanes;
                    l0.iter_mut().zip(c0).for_each(|(l, v)| *l = l.max(v.to_f64().abs()));
                    l1.iter_mut().zip(c1).for_each(|(l, v)| *l = l.max(v.to_f64().abs()));
                    l2.iter_mut().zip(c2).for_each(|(l, v)| *l = l.max(v.to_f64().abs()));
                    l3.iter_mut().zip(c3).for_each(|(l, v)| *l = l.max(v.to_f64().abs()));
                }
                let max = lanes.iter().flatten().fold(tail, |m, &l| m.max(l));
                let scale = if max < f64::from(f32::MIN_POSITIVE) { 1.0 } else { 1.0 / max };
                for (c, &v) in col.iter_mut().zip(ac) {
                    *c = (v.to_f64() * scale) as f32;
                }
                column(t, &col);
            }
        },
    );
}

/// BPM of each tempogram lag: `60 sr / (hop lag)`, infinite at lag 0. Matches
/// `librosa.tempo_frequencies`.
pub fn tempo_frequencies(n_bins: usize, sr: f64, hop_length: usize) -> Vec<f64> {
    (0..n_bins).map(|k| if k == 0 { f64::INFINITY } else { 60.0 * sr / (hop_length as f64 * k as f64) }).collect()
}

/// Global tempo estimate in BPM: the lag maximising the time-averaged tempogram weighted by a
/// log-normal prior around `start_bpm`. Matches `librosa.feature.tempo(y=y, sr=sr,
/// hop_length=hop, start_bpm=120, std_bpm=1.0, ac_size=8.0, max_tempo=320.0)`.
pub fn tempo(env: &[f32], sr: f64, hop_length: usize, start_bpm: f64, std_bpm: f64, ac_size: f64, max_tempo: f64) -> f32 {
    let win_length = ((ac_size * sr).floor() as usize / hop_length).max(1);
    let mut sums = vec![0.0f64; win_length];
    // Single precision: only the argmax of the column means counts, and their f32 round-off
    // (about 1e-7 of each column's peak) is far below any gap between lags that the prior
    // leaves in contention; the two FFTs a frame were a tenth of feature extraction in f64.
    tempogram_frames::<f32>(env, win_length, |_, col| sums.iter_mut().zip(col).for_each(|(s, &v)| *s += f64::from(v)));
    let bpms = tempo_frequencies(win_length, sr, hop_length);
    let max_idx = bpms.iter().position(|&b| b < max_tempo).unwrap_or(0);
    let mut best = (f64::NEG_INFINITY, 0usize);
    for (k, &bpm) in bpms.iter().enumerate() {
        let mean = sums[k] / env.len().max(1) as f64;
        let prior = if k < max_idx { f64::NEG_INFINITY } else { -0.5 * ((bpm.log2() - start_bpm.log2()) / std_bpm).powi(2) };
        let score = (1e6 * mean).ln_1p() + prior;
        if score > best.0 {
            best = (score, k);
        }
    }
    bpms[best.1] as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A click every 0.5 s (120 BPM) at hop 512 / 22.05 kHz.
    #[test]
    fn tempo_of_click_track_is_its_rate() {
        let hop = 512usize;
        let sr = 22_050.0;
        let n = 1300;
        let period = 0.5 * sr / hop as f64; // 21.53 frames
        let env: Vec<f32> = (0..n).map(|i| if ((i as f64) % period) < 1.0 { 1.0 } else { 0.0 }).collect();
        let bpm = tempo(&env, sr, hop, 120.0, 1.0, 8.0, 320.0);
        assert!((f64::from(bpm) - 120.0).abs() < 4.0, "{bpm}");
    }
}
