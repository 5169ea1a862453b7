//! A zero-shot genre baseline: GTZAN genres read off the pretrained MSD tagger's tags, with
//! no training on genre labels at all.
//!
//! Each genre scores the largest probability among the Last.fm tags mapped to it (per 3 s
//! patch); the scores are normalised to sum to one. The MSD tag set has no tag for
//! `classical` or `reggae`: classical borrows `instrumental` (a weak proxy: instrumental jazz
//! and post-rock carry it too), and reggae has none, so it is never predicted. This is the
//! floor a trained head must beat.
//!
//! # Example
//! ```
//! use burn::tensor::Device;
//! use genrecast_models::ZeroShot;
//! let zs = ZeroShot::msd_to_gtzan(&Device::flex())?;
//! assert_eq!(zs.labels().len(), 10);
//! let p = zs.predict(&[vec![0.0; 200]]);
//! assert!((p[0].iter().sum::<f32>() - 1.0).abs() < 1e-5);
//! # Ok::<(), genrecast_models::Error>(())
//! ```

use burn::tensor::{Device, Tensor, TensorData};

use crate::musicnn::{Backbone, Musicnn, PENULTIMATE};
use crate::{Error, Result};

/// GTZAN genre -> MSD (Last.fm) tags of musicnn-msd.
pub const MSD_TO_GTZAN: &[(&str, &[&str])] = &[
    ("blues", &["blues"]),
    ("classical", &["instrumental"]),
    ("country", &["country", "folk"]),
    ("disco", &["dance", "funk"]),
    ("hiphop", &["Hip-Hop", "rnb"]),
    ("jazz", &["jazz"]),
    ("metal", &["metal", "heavy metal", "hard rock"]),
    ("pop", &["pop", "indie pop", "catchy"]),
    ("reggae", &[]),
    ("rock", &["rock", "classic rock", "alternative rock", "indie rock", "Progressive rock", "punk"]),
];

/// The zero-shot mapping with the tagger it reads.
pub struct ZeroShot {
    tagger: Musicnn,
    labels: Vec<String>,
    tags: Vec<Vec<usize>>,
    device: Device,
}

impl ZeroShot {
    /// GTZAN's ten genres from musicnn-msd's tags ([`MSD_TO_GTZAN`]).
    ///
    /// # Errors
    /// [`Error::Config`] if a mapped tag is not among the tagger's (never for the shipped one).
    pub fn msd_to_gtzan(device: &Device) -> Result<Self> {
        let tagger = Musicnn::pretrained(Backbone::MusicnnMsd, device)?;
        let mut tags = Vec::new();
        for (genre, names) in MSD_TO_GTZAN {
            let idx: Result<Vec<usize>> = names.iter().map(|n| tagger.tags().iter().position(|t| t == n).ok_or_else(|| Error::Config(format!("{genre}: no tag '{n}' in musicnn-msd")))).collect();
            tags.push(idx?);
        }
        Ok(Self { tagger, labels: MSD_TO_GTZAN.iter().map(|(g, _)| (*g).to_owned()).collect(), tags, device: device.clone() })
    }

    /// The genres, in output order.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Genre probabilities of each patch from its 200-d penultimate features (the
    /// `musicnn-msd` model input).
    pub fn predict(&self, penultimate: &[Vec<f32>]) -> Vec<Vec<f32>> {
        if penultimate.is_empty() {
            return Vec::new();
        }
        let x = Tensor::<2>::from_data(TensorData::new(penultimate.concat(), [penultimate.len(), PENULTIMATE]), &self.device);
        let t: Vec<f32> = self.tagger.tags_from_penultimate(x).into_data().convert::<f32>().try_into_vec::<f32>().unwrap_or_default();
        let width = self.tagger.tags().len();
        t.chunks(width)
            .map(|row| {
                let mut p: Vec<f32> = self.tags.iter().map(|idx| idx.iter().map(|&i| row[i]).fold(0.0, f32::max)).collect();
                let sum: f32 = p.iter().sum();
                if sum > 0.0 {
                    p.iter_mut().for_each(|v| *v /= sum);
                } else {
                    // No mapped tag fires at all: uniform over the genres.
                    let n = p.len() as f32;
                    p.iter_mut().for_each(|v| *v = 1.0 / n);
                }
                p
            })
            .collect()
    }
}
