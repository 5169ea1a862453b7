//! Cutting a waveform into fixed-length, possibly overlapping windows.

use std::path::PathBuf;

use crate::error::{Error, Result};

/// What to do with a tail shorter than one window.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TailPolicy {
    /// Drop it (a clip shorter than one window then yields no segment).
    Drop,
    /// Zero-pad it to a full window, if it holds at least `min_fraction` of one.
    Pad {
        /// Smallest tail kept, as a fraction of the window.
        min_fraction: f32,
    },
}

/// Window length, hop and tail policy.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentConfig {
    /// Window length in seconds. Default: `3.0`.
    pub window: f64,
    /// Hop between window starts in seconds. Default: `1.5` (50 % overlap).
    pub hop: f64,
    /// Default: [`TailPolicy::Pad`] with `min_fraction = 0.5`.
    pub tail: TailPolicy,
}

impl Default for SegmentConfig {
    fn default() -> Self {
        Self { window: 3.0, hop: 1.5, tail: TailPolicy::Pad { min_fraction: 0.5 } }
    }
}

/// One window of a source file.
#[derive(Clone, Debug)]
pub struct Segment {
    /// The file it comes from.
    pub source: PathBuf,
    /// Index of the window within the file.
    pub index: usize,
    /// Start time in seconds.
    pub start: f64,
    /// End time in seconds of the real audio (a padded tail ends before `start + window`).
    pub end: f64,
    /// Samples, always exactly one window long.
    pub samples: Vec<f32>,
}

/// Cuts `samples` (mono at `sample_rate`) from `source` into windows.
///
/// # Example
/// ```
/// use genrecast_audio::{segments, SegmentConfig, TailPolicy};
/// let cfg = SegmentConfig { window: 1.0, hop: 0.5, tail: TailPolicy::Drop };
/// let segs = segments("a.wav".into(), &vec![0.0; 250], 100, &cfg)?;
/// assert_eq!(segs.len(), 4); // starts 0, 0.5, 1.0, 1.5 s
/// assert_eq!((segs[3].start, segs[3].end), (1.5, 2.5));
/// # Ok::<(), genrecast_audio::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for a window or hop shorter than one sample.
pub fn segments(source: PathBuf, samples: &[f32], sample_rate: u32, cfg: &SegmentConfig) -> Result<Vec<Segment>> {
    let sr = f64::from(sample_rate);
    let win = (cfg.window * sr).round() as usize;
    let hop = (cfg.hop * sr).round() as usize;
    if win == 0 || !cfg.window.is_finite() {
        return Err(Error::InvalidParameter { name: "window", value: cfg.window.to_string(), expected: "at least one sample long" });
    }
    if hop == 0 || !cfg.hop.is_finite() {
        return Err(Error::InvalidParameter { name: "hop", value: cfg.hop.to_string(), expected: "at least one sample long" });
    }
    let mut out = Vec::new();
    let mut start = 0usize;
    while start < samples.len() {
        let end = (start + win).min(samples.len());
        let full = end - start == win;
        let keep = match cfg.tail {
            _ if full => true,
            TailPolicy::Drop => false,
            TailPolicy::Pad { min_fraction } => (end - start) as f32 >= min_fraction * win as f32,
        };
        if keep {
            let mut s = samples[start..end].to_vec();
            s.resize(win, 0.0);
            out.push(Segment { source: source.clone(), index: out.len(), start: start as f64 / sr, end: end as f64 / sr, samples: s });
        }
        if end == samples.len() {
            break;
        }
        start += hop;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_pad_short_tail_and_keep_spans() {
        let x: Vec<f32> = (0..260).map(|i| i as f32).collect();
        let cfg = SegmentConfig { window: 1.0, hop: 1.0, tail: TailPolicy::Pad { min_fraction: 0.5 } };
        let s = segments("x".into(), &x, 100, &cfg).expect("valid test input");
        // 0-100, 100-200, and the 60-sample tail (over half a window) padded to 100.
        assert_eq!(s.len(), 3);
        assert_eq!((s[2].start, s[2].end), (2.0, 2.6));
        assert_eq!(s[2].samples[59..61], [259.0, 0.0]);
    }

    #[test]
    fn segments_short_clip_padded_or_dropped() {
        let x = vec![1.0f32; 30];
        let pad = SegmentConfig { window: 1.0, hop: 0.5, tail: TailPolicy::Pad { min_fraction: 0.0 } };
        let s = segments("x".into(), &x, 100, &pad).expect("valid test input");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].samples.len(), 100);
        assert_eq!(s[0].samples[29..31], [1.0, 0.0]);
        assert_eq!(s[0].end, 0.3);
        let drop = SegmentConfig { tail: TailPolicy::Drop, ..pad };
        assert!(segments("x".into(), &x, 100, &drop).expect("valid test input").is_empty());
    }

    #[test]
    fn segments_reject_zero_hop() {
        let cfg = SegmentConfig { window: 1.0, hop: 0.0, tail: TailPolicy::Drop };
        assert!(segments("x".into(), &[0.0; 10], 100, &cfg).is_err());
    }
}
