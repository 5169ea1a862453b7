//! Marsyas-style timbral texture features (Tzanetakis and Cook, "Musical genre
//! classification of audio signals", IEEE TSAP 10(5), 2002): spectral centroid, roll-off,
//! flux, zero-crossing rate and the first five MFCCs of 23 ms analysis windows, summarised
//! over 1 s texture windows by their mean and standard deviation, plus the low-energy
//! fraction.
//!
//! The frame features come from genrecast-features (librosa's definitions, so they match
//! librosa on the same frames) rather than from Marsyas' own code, whose filterbank and
//! normalisations differ in details; what is Marsyas' here is the design: 512-sample
//! windows without overlap at 22,050 Hz, a texture window of 43 frames, and the 19
//! texture values (9 means, 9 standard deviations, low energy). A recording is described
//! by their mean and standard deviation over its texture windows (38 values).

use genrecast_eval::mean_sd;
use genrecast_features::{FeatureConfig, FeatureExtractor, FeatureKind};

use crate::{Error, Result};

/// Samples per analysis window (and hop): 23 ms at 22,050 Hz.
pub const WINDOW: usize = 512;
/// Analysis windows per texture window (about 1 s).
pub const TEXTURE: usize = 43;
/// The frame features, in output order.
pub const FRAME_FEATURES: [&str; 9] = ["centroid", "rolloff", "flux", "zcr", "mfcc1", "mfcc2", "mfcc3", "mfcc4", "mfcc5"];

/// Computes the timbral texture vector at one sample rate; build once.
///
/// # Example
/// ```
/// use genrecast_descriptors::timbral::TimbralExtractor;
/// let fx = TimbralExtractor::new(22_050)?;
/// let y: Vec<f32> = (0..22_050 * 3).map(|i| (i as f32 * 0.07).sin() * 0.4).collect();
/// let v = fx.extract(&y)?;
/// assert_eq!(v.len(), 38);
/// assert_eq!(TimbralExtractor::column_names()[18], "timbral/mean/low_energy");
/// # Ok::<(), genrecast_descriptors::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct TimbralExtractor {
    features: FeatureExtractor,
}

impl TimbralExtractor {
    /// The extractor for audio at `sr` Hz.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a rate the feature extractor refuses.
    pub fn new(sr: u32) -> Result<Self> {
        let invalid = |e: genrecast_features::Error| Error::InvalidParameter { name: "sample rate", value: format!("{sr} ({e})"), expected: "a rate the feature extractor accepts" };
        let cfg = FeatureConfig { sr, n_fft: WINDOW, hop_length: WINDOW, n_mels: 40, n_mfcc: 5, tuning: Some(0.0), ..FeatureConfig::default() };
        let features = FeatureExtractor::new(cfg).map_err(invalid)?;
        Ok(Self { features })
    }

    /// Names of the 38 values: `timbral/{mean|std}/{feature}/{texture_mean|texture_std}`
    /// for the nine frame features, then `timbral/{mean|std}/low_energy`, means first.
    pub fn column_names() -> Vec<String> {
        let texture: Vec<String> = FRAME_FEATURES
            .iter()
            .map(|f| format!("{f}/texture_mean"))
            .chain(FRAME_FEATURES.iter().map(|f| format!("{f}/texture_std")))
            .chain(std::iter::once("low_energy".to_string()))
            .collect();
        ["mean", "std"].iter().flat_map(|s| texture.iter().map(move |t| format!("timbral/{s}/{t}"))).collect()
    }

    /// The 19 texture values of every texture window (43 frames, hop one frame), in
    /// [`column_names`](Self::column_names)' order for the first 19.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for empty input.
    pub fn texture_windows(&self, y: &[f32]) -> Result<Vec<[f64; 19]>> {
        if y.is_empty() {
            return Err(Error::InvalidParameter { name: "samples", value: "[]".into(), expected: "at least one sample" });
        }
        // The flux reads the same 512/512 spectrogram as the other frame features.
        let (set, spec) = self.features.extract_with_spectrogram(y, &KINDS).map_err(|e| Error::InvalidParameter { name: "samples", value: e.to_string(), expected: "audio" })?;
        let mut frames = FrameRows::default();
        frames.push(&set, &spectral_flux(&spec.magnitude(), spec.n_bins), 0..spec.n_frames);
        Ok(frames.texture_windows())
    }

    /// [`extract`](Self::extract) of a file decoded with `opts` at this extractor's rate,
    /// computed as it decodes: equal to `extract` of the whole decode, bit for bit. The frame
    /// features come block by block from [`genrecast_features::summary_stream`] (every frame
    /// the whole song's, the MFCCs' 80 dB floor from a first scan of the song), the flux of a
    /// block's first frame from the previous block's last spectrum; only the ten frame values
    /// are held (80 bytes per 512 samples, 1/25 of the samples), and the texture windows are
    /// then those of the whole-file path. The file is decoded twice. Returns the values with
    /// the decoder's warnings.
    ///
    /// # Errors
    /// [`Error::Stream`] naming the file when it does not decode, holds no audio, or changes
    /// between passes.
    pub fn extract_file(&self, path: &std::path::Path, opts: &genrecast_audio::LoadOptions) -> Result<(Vec<f64>, Vec<String>)> {
        self.extract_file_in_blocks(path, opts, 1024)
    }

    /// [`extract_file`](Self::extract_file) with blocks of `block_frames` frames (small blocks
    /// test the seams).
    #[doc(hidden)]
    pub fn extract_file_in_blocks(&self, path: &std::path::Path, opts: &genrecast_audio::LoadOptions, block_frames: usize) -> Result<(Vec<f64>, Vec<String>)> {
        use genrecast_features::summary_stream::{pass_over_file, scan_file};
        let stream = |e: genrecast_features::Error| Error::Stream(e.to_string());
        let fx = &self.features;
        let (song, length, warnings) = scan_file(path, opts, fx, &KINDS, block_frames).map_err(stream)?;
        let mut frames = FrameRows::default();
        // The previous block's last magnitude spectrum: the flux of a block's first frame.
        let mut previous: Option<Vec<f32>> = None;
        let (seen, _) = pass_over_file(path, opts, fx, block_frames, &mut |b| {
            let (set, spec) = fx.extract_in_context_with_spectrogram(b.samples, &KINDS, &song)?;
            let bins = spec.n_bins;
            let mut mag: Vec<f32> = previous.take().unwrap_or_default();
            let lead = mag.len() / bins.max(1);
            mag.extend(spec.power[b.frames.start * bins..b.frames.end * bins].iter().map(|p| p.sqrt()));
            let flux = spectral_flux(&mag, bins);
            frames.push(&set, &flux[lead..], b.frames.clone());
            previous = Some(mag[mag.len() - bins..].to_vec());
            Ok(())
        })
        .map_err(stream)?;
        if seen != length {
            return Err(Error::Stream(format!("{}: it changed while it was read", path.display())));
        }
        Ok((mean_sd_of_windows(&frames.texture_windows()), warnings))
    }

    /// The recording's 38 values: the mean, then the standard deviation, of each texture
    /// value over its texture windows.
    ///
    /// # Errors
    /// As [`texture_windows`](Self::texture_windows).
    pub fn extract(&self, y: &[f32]) -> Result<Vec<f64>> {
        Ok(mean_sd_of_windows(&self.texture_windows(y)?))
    }
}

/// The frame features the timbral set reads from the feature extractor (the flux is its own).
const KINDS: [FeatureKind; 5] = [FeatureKind::Centroid, FeatureKind::Rolloff, FeatureKind::Zcr, FeatureKind::Mfcc, FeatureKind::Rms];

/// The 38 values: mean, then standard deviation, of each texture value over the windows.
fn mean_sd_of_windows(windows: &[[f64; 19]]) -> Vec<f64> {
    let mut out = vec![0.0; 38];
    for i in 0..19 {
        let column: Vec<f64> = windows.iter().map(|w| w[i]).collect();
        let (m, s) = mean_sd(&column);
        out[i] = m;
        out[19 + i] = s;
    }
    out
}

/// The nine frame features ([`FRAME_FEATURES`]) and the RMS of a song's frames, in song
/// order: all the texture windows read.
#[derive(Default)]
struct FrameRows {
    frames: [Vec<f64>; 9],
    rms: Vec<f64>,
}

impl FrameRows {
    /// Adds frames `cols` of `set` (arrays over a block's frames) with their flux (one per frame of `cols`).
    fn push(&mut self, set: &genrecast_features::FeatureSet, flux: &[f32], cols: std::ops::Range<usize>) {
        let row = |k: FeatureKind, r: usize| set[&k].row(r)[cols.clone()].iter().map(|&v| f64::from(v)).collect::<Vec<f64>>();
        let rows = [row(FeatureKind::Centroid, 0), row(FeatureKind::Rolloff, 0), flux.iter().map(|&v| f64::from(v)).collect(), row(FeatureKind::Zcr, 0)];
        for (dst, src) in self.frames.iter_mut().zip(rows.into_iter().chain((0..5).map(|r| row(FeatureKind::Mfcc, r)))) {
            dst.extend(src);
        }
        self.rms.extend(row(FeatureKind::Rms, 0));
    }

    /// The 19 texture values of every texture window (43 frames, hop one frame).
    fn texture_windows(&self) -> Vec<[f64; 19]> {
        let (frames, rms) = (&self.frames, &self.rms);
        let n = rms.len();
        let width = TEXTURE.min(n);
        (width..=n)
            .map(|end| {
                let start = end - width;
                let mut out = [0.0; 19];
                for (i, f) in frames.iter().enumerate() {
                    let (m, s) = mean_sd(&f[start..end]);
                    out[i] = m;
                    out[9 + i] = s;
                }
                let (m, _) = mean_sd(&rms[start..end]);
                out[18] = rms[start..end].iter().filter(|&&r| r < m).count() as f64 / width as f64;
                out
            })
            .collect()
    }
}

/// Spectral flux per frame: the squared Euclidean distance between successive magnitude
/// spectra, each scaled to unit L2 norm (0 for the first frame and next to silence).
pub fn spectral_flux(mag: &[f32], n_bins: usize) -> Vec<f32> {
    let unit = |f: &[f32]| -> Vec<f64> {
        let norm = f.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>().sqrt();
        f.iter().map(|&v| if norm > 0.0 { f64::from(v) / norm } else { 0.0 }).collect()
    };
    let frames: Vec<Vec<f64>> = mag.chunks_exact(n_bins).map(unit).collect();
    let mut out = vec![0.0f32; frames.len()];
    for t in 1..frames.len() {
        out[t] = frames[t].iter().zip(&frames[t - 1]).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() as f32;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-computed: a spectrum that moves all its energy from bin 0 to bin 1 has flux 2
    /// (unit vectors at right angles), a repeated spectrum 0.
    #[test]
    fn flux_of_hand_made_spectra() {
        let mag = [1.0, 0.0, 1.0, 0.0, 0.0, 3.0];
        assert_eq!(spectral_flux(&mag, 2), vec![0.0, 0.0, 2.0]);
    }

    /// A steady tone: its centroid sits at the tone, nothing changes between texture windows,
    /// and half-silent audio has a low-energy fraction near one half.
    #[test]
    fn texture_of_a_tone_and_of_half_silence() {
        let fx = TimbralExtractor::new(22_050).expect("extractor");
        let tone: Vec<f32> = (0..22_050 * 4).map(|i| (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 22_050.0).sin() * 0.5).collect();
        let v = fx.extract(&tone).expect("tone");
        assert!((v[0] - 1000.0).abs() < 60.0, "centroid {}", v[0]);
        // Only the zero-padded first and last frames (librosa's centring) move it, by a few Hz.
        assert!(v[19] < 20.0, "centroid varies over texture windows: {}", v[19]);
        let mut half = tone[..22_050].to_vec();
        half.extend(std::iter::repeat_n(0.0, 22_050));
        let windows = fx.texture_windows(&half).expect("half");
        // 87 frames, the tone in the first 43: the window from frame 22 is half silent.
        let mid = windows[22][18];
        assert!((mid - 0.5).abs() < 0.1, "low energy {mid}");
    }
}
