//! Model inputs from audio: each track becomes a `features x frames` matrix (log-mel, MFCC,
//! MFCC + chroma, or a timbral frame set for summary vectors) at one sample rate, computed
//! once (through the feature cache) and cut into fixed-length crops.
//!
//! Fixed-length crops at one rate are the point: in the shared GTZAN slice a file's length and
//! rate betray its genre, so every model sees the same crop length at 22,050 Hz, whatever the
//! file was.

use std::path::Path;

use genrecast_audio::{load, LoadOptions};
use genrecast_datasets::{CacheKey, FeatureCache, Track};
use genrecast_features::{Array2, FeatureConfig, FeatureExtractor, FeatureKind, MusicnnFrontEnd};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::musicnn::{self, Backbone, BackboneLayer, Musicnn};
use crate::train::Example;
use crate::{ComputeDevice, Error, Result};

/// Segments of an MSD series by default (the seed's choice).
pub const DEFAULT_SEGMENTS: usize = 300;
/// Values of a lyrics vector by default.
pub const DEFAULT_LYRICS_DIMS: usize = 50;
/// Timbre and pitch rows of an MSD segment series (the mask row follows them).
const MSD_SEGMENT_ROWS: usize = 24;

/// Revision of the model-input code (bump when backbone outputs move), part of the cache key.
/// r2: the VGG's embeddings under `int8` come from its int8 path (they were f32 ones).
const MODELS_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "+r2");

/// What a model reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputPreset {
    /// 128-band mel power in dB (`power_to_db(ref=max, top_db=80)`), for the 2-D CNN and CRNN.
    LogMel,
    /// 20 MFCCs per frame, for the 1-D CNN.
    Mfcc,
    /// 20 MFCCs and 12 chroma bins per frame.
    MfccChroma,
    /// Per-crop mean and std of 45 timbral rows (MFCC 20, chroma 12, contrast 7, centroid,
    /// bandwidth, rolloff, flatness, ZCR, RMS): a 90-d summary vector, for the MLP.
    Summary,
    /// The 200-d penultimate features of the pretrained musicnn MSD tagger, one per 3 s patch
    /// at 16 kHz: transfer learning with a linear or MLP head.
    MusicnnMsd,
    /// The same from the MagnaTagATune musicnn.
    MusicnnMtt,
    /// The 256-d penultimate features of musicnn's VGG baseline trained on the MSD tags
    /// ([`crate::vgg`]), one per 3 s patch at 16 kHz.
    VggMsd,
    /// The same from the MagnaTagATune VGG.
    VggMtt,
    /// The Echo Nest segment series of a Million Song Dataset per-track HDF5 file: per
    /// segment, 12 timbre coefficients and 12 pitch strengths, then a mask row (1 for a real
    /// segment, 0 for padding); the first `crop_frames` segments (300 by default), zero-padded.
    /// For the 1-D CNN, the LSTM and the MLP, as the seed's sequence models read them.
    MsdSegments,
    /// A song's lyrics vector ([`genrecast_datasets::LyricsEncoder`]) alone, for the MLP.
    Lyrics,
}

impl InputPreset {
    /// The pretrained backbone this preset runs, if any.
    pub fn backbone(self) -> Option<Backbone> {
        match self {
            Self::MusicnnMsd => Some(Backbone::MusicnnMsd),
            Self::MusicnnMtt => Some(Backbone::MusicnnMtt),
            Self::VggMsd => Some(Backbone::VggMsd),
            Self::VggMtt => Some(Backbone::VggMtt),
            _ => None,
        }
    }

    /// The preset reading `backbone`'s embeddings.
    pub fn from_backbone(backbone: Backbone) -> Self {
        match backbone {
            Backbone::MusicnnMsd => Self::MusicnnMsd,
            Backbone::MusicnnMtt => Self::MusicnnMtt,
            Backbone::VggMsd => Self::VggMsd,
            Backbone::VggMtt => Self::VggMtt,
        }
    }
}

impl std::str::FromStr for InputPreset {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "logmel" | "log-mel" => Ok(Self::LogMel),
            "mfcc" => Ok(Self::Mfcc),
            "mfcc-chroma" | "mfcc+chroma" => Ok(Self::MfccChroma),
            "summary" => Ok(Self::Summary),
            "msd-segments" => Ok(Self::MsdSegments),
            "lyrics" => Ok(Self::Lyrics),
            other => other
                .parse::<Backbone>()
                .map(Self::from_backbone)
                .map_err(|_| Error::Config(format!("unknown input '{other}' (known: logmel, mfcc, mfcc-chroma, summary, musicnn-msd, musicnn-mtt, vgg-msd, vgg-mtt, msd-segments, lyrics)"))),
        }
    }
}

/// The input of a model: preset, rate and crop length.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InputSpec {
    /// What is computed per frame.
    pub preset: InputPreset,
    /// Analysis sample rate (every file is resampled to it).
    pub sample_rate: u32,
    /// Frames per crop (86 frames = 2 s at 22,050 Hz with hop 512); segments per series for
    /// [`InputPreset::MsdSegments`].
    pub crop_frames: usize,
    /// Values of the lyrics vector: the whole input of [`InputPreset::Lyrics`], or appended
    /// to every example of another preset (a multimodal model; 0: none). Appended values are
    /// packed row-major into `ceil(lyrics_dims / frames)` extra rows, zero-padded.
    #[serde(default)]
    pub lyrics_dims: usize,
    /// The backbone layer read by a backbone preset (the penultimate one unless said).
    #[serde(default, skip_serializing_if = "BackboneLayer::is_default")]
    pub layer: BackboneLayer,
    /// What the head reads of a track: each window (their predictions are then aggregated)
    /// or the mean of its windows' inputs.
    #[serde(default, skip_serializing_if = "TrackRows::is_default")]
    pub rows: TrackRows,
    /// Further backbones run on the same 3 s patches as the preset's: each patch's `layer`
    /// features of every backbone, side by side in one vector (the preset's first). Empty
    /// for one backbone and for presets without one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<Backbone>,
    /// Frames between the starts of two backbone patches; 0 (the default) is a patch's own
    /// length, 187 frames, for disjoint patches as musicnn's extractor cuts them. Less gives
    /// overlapping patches (93: half-overlapping, about twice the work).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub patch_hop: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// What a model's head reads of a track.
///
/// # Example
/// ```
/// use genrecast_models::TrackRows;
/// assert_eq!("mean".parse::<TrackRows>()?, TrackRows::Mean);
/// assert_eq!(TrackRows::default().name(), "windows");
/// assert!("mean+windows".parse::<TrackRows>()?.judged_by_mean());
/// assert_eq!("mean+middle".parse::<TrackRows>()?, TrackRows::MeanAndMiddle);
/// # Ok::<(), genrecast_models::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrackRows {
    /// Every window: one prediction per window, aggregated per track.
    #[default]
    Windows,
    /// One row per track, the mean of its windows' inputs: the track's prediction is the
    /// head's output on it (window predictions are still given, for segments).
    Mean,
    /// Judged as [`TrackRows::Mean`], but fitted on each track's mean *and* on each of its
    /// windows alone (tracks of one window give one row). A head fitted on means of ten
    /// windows only never sees how much a lone window varies, so on a collection whose clip
    /// lengths betray their labels (the GTZAN slice) it can learn "smooth mean, long clip".
    #[serde(rename = "mean+windows")]
    MeanAndWindows,
    /// Judged as [`TrackRows::Mean`], fitted on each track's mean and on its middle window
    /// alone (the window `eval --middle-windows 1` judges): one lone-window row beside each
    /// mean of a track of several windows, where [`TrackRows::MeanAndWindows`] gives ten.
    #[serde(rename = "mean+middle")]
    MeanAndMiddle,
}

impl TrackRows {
    /// Its name for the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Windows => "windows",
            Self::Mean => "mean",
            Self::MeanAndWindows => "mean+windows",
            Self::MeanAndMiddle => "mean+middle",
        }
    }

    /// Whether a track is judged from the mean of its windows' inputs (one row per track).
    pub fn judged_by_mean(self) -> bool {
        !matches!(self, Self::Windows)
    }

    /// Whether it is the default ([`TrackRows::Windows`]).
    pub fn is_default(&self) -> bool {
        *self == Self::Windows
    }
}

impl std::str::FromStr for TrackRows {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "windows" | "crops" => Ok(Self::Windows),
            "mean" => Ok(Self::Mean),
            "mean+windows" => Ok(Self::MeanAndWindows),
            "mean+middle" => Ok(Self::MeanAndMiddle),
            other => Err(Error::Config(format!("unknown track rows '{other}' (known: windows, mean, mean+windows, mean+middle)"))),
        }
    }
}

/// Each track's examples collapsed into one: the mean of its inputs, with its target and
/// track, in order of first appearance.
///
/// # Example
/// ```
/// use genrecast_models::{track_means, Example};
/// let e = |x: Vec<f32>, track| Example { x, target: vec![1.0], track };
/// let m = track_means(&[e(vec![1.0, 2.0], 7), e(vec![3.0, 6.0], 7), e(vec![5.0, 5.0], 2)]);
/// assert_eq!((m[0].x.clone(), m[0].track), (vec![2.0, 4.0], 7));
/// assert_eq!(m.len(), 2);
/// ```
pub fn track_means(examples: &[crate::Example]) -> Vec<crate::Example> {
    let mut order: Vec<usize> = Vec::new();
    let mut groups: std::collections::HashMap<usize, Vec<&crate::Example>> = std::collections::HashMap::new();
    for e in examples {
        groups
            .entry(e.track)
            .or_insert_with(|| {
                order.push(e.track);
                Vec::new()
            })
            .push(e);
    }
    order.into_iter().map(|t| {
        let group = &groups[&t];
        crate::Example { x: mean_row(group.iter().map(|e| e.x.as_slice())), target: group[0].target.clone(), track: t }
    }).collect()
}

/// The rows a head is fitted on, per [`TrackRows`]: every window, each track's mean, or
/// each track's mean followed by the windows (all, or the middle one) of the tracks that have
/// more than one. Where there are window rows, the first rows are the means, one per track.
/// Each track's windows are expected in time order (as [`windows`] gives them): the middle
/// one is the `(n - 1) / 2`-th.
///
/// # Example
/// ```
/// use genrecast_models::{fitting_rows, Example, TrackRows};
/// let e = |x: f32, track| Example { x: vec![x], target: vec![1.0], track };
/// let rows = vec![e(1.0, 7), e(3.0, 7), e(5.0, 2)];
/// let got = |how| fitting_rows(rows.clone(), how).iter().map(|r| (r.track, r.x[0])).collect::<Vec<_>>();
/// assert_eq!(got(TrackRows::Mean), [(7, 2.0), (2, 5.0)]);
/// // Track 2's one window is its mean already: it is not given twice.
/// assert_eq!(got(TrackRows::MeanAndWindows), [(7, 2.0), (2, 5.0), (7, 1.0), (7, 3.0)]);
/// // Of an even number of windows, the earlier of the two middle ones (as `eval --middle-windows 1`).
/// assert_eq!(got(TrackRows::MeanAndMiddle), [(7, 2.0), (2, 5.0), (7, 1.0)]);
/// assert_eq!(got(TrackRows::Windows).len(), 3);
/// ```
pub fn fitting_rows(examples: Vec<crate::Example>, rows: TrackRows) -> Vec<crate::Example> {
    match rows {
        TrackRows::Windows => examples,
        TrackRows::Mean => track_means(&examples),
        TrackRows::MeanAndWindows | TrackRows::MeanAndMiddle => {
            let mut count: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
            examples.iter().for_each(|e| *count.entry(e.track).or_default() += 1);
            let mut out = track_means(&examples);
            let mut seen: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
            out.extend(examples.into_iter().filter(|e| {
                let (n, i) = (count[&e.track], seen.entry(e.track).or_default());
                *i += 1;
                n > 1 && (rows == TrackRows::MeanAndWindows || *i - 1 == (n - 1) / 2)
            }));
            out
        }
    }
}

/// The mean of equally long rows, summed in f64 in their order (a song's mean window input,
/// computed the same way where a head is fitted and where it judges).
pub(crate) fn mean_row<'a>(rows: impl IntoIterator<Item = &'a [f32]>) -> Vec<f32> {
    let (mut sum, mut n) = (Vec::<f64>::new(), 0usize);
    for row in rows {
        sum.resize(row.len(), 0.0);
        sum.iter_mut().zip(row).for_each(|(s, &v)| *s += f64::from(v));
        n += 1;
    }
    sum.into_iter().map(|s| (s / n.max(1) as f64) as f32).collect()
}

impl InputSpec {
    /// A spec with crops of `crop_seconds` (backbone presets: one 3 s patch, whatever
    /// `crop_seconds`).
    pub fn new(preset: InputPreset, crop_seconds: f64) -> Self {
        match preset {
            _ if preset.backbone().is_some() => return Self { preset, sample_rate: MusicnnFrontEnd::SAMPLE_RATE, crop_frames: 1, lyrics_dims: 0, layer: BackboneLayer::default(), rows: TrackRows::Windows, also: Vec::new(), patch_hop: 0 },
            InputPreset::MsdSegments => return Self::segments(DEFAULT_SEGMENTS),
            InputPreset::Lyrics => return Self::lyrics(DEFAULT_LYRICS_DIMS),
            _ => {}
        }
        let sample_rate = 22_050;
        let crop_frames = ((crop_seconds * f64::from(sample_rate) / 512.0).round() as usize).max(1);
        Self { preset, sample_rate, crop_frames, lyrics_dims: 0, layer: BackboneLayer::default(), rows: TrackRows::Windows, also: Vec::new(), patch_hop: 0 }
    }

    /// The same spec with `more` backbones run beside its own, their features following its
    /// own in each patch's vector (ignored by presets without a backbone).
    ///
    /// ```
    /// use genrecast_models::{Backbone, InputPreset, InputSpec};
    /// let spec = InputSpec::new(InputPreset::MusicnnMsd, 3.0).with_also(&[Backbone::MusicnnMtt]);
    /// assert_eq!(spec.backbones(), [Backbone::MusicnnMsd, Backbone::MusicnnMtt]);
    /// assert_eq!(spec.frame_rows(), 400);
    /// ```
    pub fn with_also(mut self, more: &[Backbone]) -> Self {
        if self.preset.backbone().is_some() {
            self.also = more.to_vec();
        }
        self
    }

    /// Every backbone the input runs, the preset's first (none for presets without one).
    pub fn backbones(&self) -> Vec<Backbone> {
        self.preset.backbone().into_iter().chain(self.also.iter().copied()).collect()
    }

    /// The backbones' names joined by `+`, as `--backbone` takes them (`musicnn-msd+musicnn-mtt`).
    pub fn backbone_names(&self) -> String {
        self.backbones().iter().map(|b| b.name()).collect::<Vec<_>>().join("+")
    }

    /// The same spec reading `layer` of its backbone (ignored by other presets).
    ///
    /// ```
    /// use genrecast_models::{BackboneLayer, InputPreset, InputSpec};
    /// let spec = InputSpec::new(InputPreset::MusicnnMsd, 3.0).with_layer(BackboneLayer::MaxPool);
    /// assert_eq!(spec.frame_rows(), 753);
    /// ```
    pub fn with_layer(mut self, layer: BackboneLayer) -> Self {
        if self.preset.backbone().is_some() {
            self.layer = layer;
        }
        self
    }

    /// MSD segment series of `steps` segments (the seed uses 300).
    pub fn segments(steps: usize) -> Self {
        // The rate is the Echo Nest analysis rate; nothing is decoded at it.
        Self { preset: InputPreset::MsdSegments, sample_rate: 22_050, crop_frames: steps.max(1), lyrics_dims: 0, layer: BackboneLayer::default(), rows: TrackRows::Windows, also: Vec::new(), patch_hop: 0 }
    }

    /// Lyrics vectors of `dims` values.
    pub fn lyrics(dims: usize) -> Self {
        Self { preset: InputPreset::Lyrics, sample_rate: 22_050, crop_frames: 1, lyrics_dims: dims, layer: BackboneLayer::default(), rows: TrackRows::Windows, also: Vec::new(), patch_hop: 0 }
    }

    /// Whether the input is (or includes) lyrics, which come from a bag-of-words file keyed by
    /// track id rather than from the audio.
    pub fn reads_lyrics(&self) -> bool {
        self.lyrics_dims > 0
    }

    /// Whether the input is something other than audio (MSD segments or lyrics alone), so
    /// that it cannot be computed from a sound file.
    pub fn reads_audio(&self) -> bool {
        !matches!(self.preset, InputPreset::MsdSegments | InputPreset::Lyrics)
    }

    /// The row of the padding mask, for masked sequence inputs.
    pub fn mask_row(&self) -> Option<usize> {
        (self.preset == InputPreset::MsdSegments).then_some(MSD_SEGMENT_ROWS)
    }

    pub(crate) fn kinds(&self) -> Vec<FeatureKind> {
        use FeatureKind::*;
        match self.preset {
            InputPreset::LogMel => vec![MelDb],
            InputPreset::Mfcc => vec![Mfcc],
            InputPreset::MfccChroma => vec![Mfcc, Chroma],
            InputPreset::Summary => vec![Mfcc, Chroma, Contrast, Centroid, Bandwidth, Rolloff, Flatness, Zcr, Rms],
            InputPreset::MusicnnMsd | InputPreset::MusicnnMtt | InputPreset::VggMsd | InputPreset::VggMtt | InputPreset::MsdSegments | InputPreset::Lyrics => vec![],
        }
    }

    /// Rows of the per-frame matrix.
    pub fn frame_rows(&self) -> usize {
        match self.preset {
            InputPreset::LogMel => 128,
            InputPreset::Mfcc => 20,
            InputPreset::MfccChroma => 32,
            InputPreset::Summary => 45,
            InputPreset::MusicnnMsd | InputPreset::MusicnnMtt | InputPreset::VggMsd | InputPreset::VggMtt => self.backbones().iter().map(|b| b.layer_size(self.layer)).sum(),
            InputPreset::MsdSegments => MSD_SEGMENT_ROWS + 1,
            InputPreset::Lyrics => self.lyrics_dims,
        }
    }

    /// Seconds between two consecutive columns of the input matrix (a frame hop, or a 3 s
    /// patch for backbone presets).
    pub fn column_seconds(&self) -> f64 {
        if self.preset.backbone().is_some() {
            musicnn::PATCH_SECONDS
        } else {
            512.0 / f64::from(self.sample_rate)
        }
    }

    /// `(features, frames)` of one example's own input, without appended lyrics rows: what
    /// the normaliser fits and the network's body reads.
    pub fn feature_shape(&self) -> (usize, usize) {
        match self.preset {
            InputPreset::Summary => (2 * self.frame_rows(), 1),
            InputPreset::Lyrics => (self.lyrics_dims, 1),
            _ => (self.frame_rows(), self.crop_frames),
        }
    }

    /// Lyrics values appended after the features: `lyrics_dims`, except for lyrics alone,
    /// where the vector is the input itself.
    pub fn appended_lyrics(&self) -> usize {
        if self.preset == InputPreset::Lyrics { 0 } else { self.lyrics_dims }
    }

    /// Rows that carry appended lyrics values (0 without lyrics or for lyrics alone).
    pub fn side_rows(&self) -> usize {
        self.appended_lyrics().div_ceil(self.feature_shape().1)
    }

    /// `(rows, frames)` of one example as the network receives it: the feature rows, then
    /// any rows of appended lyrics values.
    pub fn example_shape(&self) -> (usize, usize) {
        let (f, t) = self.feature_shape();
        (f + self.side_rows(), t)
    }
}

/// Computes the per-frame matrix of each of `paths` (in parallel), through `cache` if given,
/// with any pretrained backbone running on `device`. Returns one result per path, in order; a
/// failure names its file.
///
/// On the CPU each worker thread keeps its own copy of a backbone (in the process's
/// [`Precision`](crate::Precision), int8 by default). On a GPU one copy runs in f32, fed the
/// patches of many tracks per pass (the audio is still decoded on the CPU threads). Feature
/// presets compute nothing on `device`, but it is checked all the same, so that a GPU that is
/// not there fails the run before any work.
///
/// # Errors
/// [`Error::Device`] when `device` is not there (a GPU on a build without the `cuda`
/// feature, or no such GPU): it is never replaced by the CPU.
///
/// # Example
/// ```no_run
/// use genrecast_models::{track_matrices, ComputeDevice, InputPreset, InputSpec};
/// let path = std::path::Path::new("../shared/data/gtzan/full_16k/disco/disco.00004.flac");
/// let spec = InputSpec::new(InputPreset::MusicnnMsd, 3.0);
/// let m = track_matrices(&[path], &spec, None, ComputeDevice::Cpu, &|| {})?.remove(0)?;
/// assert_eq!(m.rows, 200);
/// assert!(track_matrices(&[path], &spec, None, ComputeDevice::Cuda(9), &|| {}).is_err() || cfg!(feature = "cuda"));
/// # Ok::<(), genrecast_models::Error>(())
/// ```
pub fn track_matrices(paths: &[&Path], spec: &InputSpec, cache: Option<&FeatureCache>, device: ComputeDevice, progress: &(dyn Fn() + Sync)) -> Result<Vec<Result<Array2>>> {
    use rayon::prelude::*;
    // A device that is not there fails the whole call, before any file is read.
    device.burn_device()?;
    let fx = match FeatureExtractor::new(FeatureConfig { sr: spec.sample_rate, ..FeatureConfig::default() }) {
        Ok(fx) => fx,
        Err(e) => return Ok(paths.iter().map(|_| Err(Error::Config(e.to_string()))).collect()),
    };
    // Several backbones: each one's matrix is cached on its own (and shared with models and
    // benchmarks on that backbone alone), then the patches are joined.
    let backbones = spec.backbones();
    let parts: Vec<(InputSpec, String)> = if backbones.len() > 1 {
        backbones
            .into_iter()
            .map(|b| {
                let one = InputSpec { preset: InputPreset::from_backbone(b), also: Vec::new(), ..spec.clone() };
                let config = cache_config(&one, device);
                (one, config)
            })
            .collect()
    } else {
        vec![(spec.clone(), cache_config(spec, device))]
    };
    if device.is_gpu() && spec.preset.backbone().is_some() {
        return gpu_backbone_matrices(paths, &parts, cache, device, GPU_TRACKS, progress);
    }
    Ok(paths
        .par_iter()
        .map(|path| {
            let r = parts.iter().map(|(s, config)| matrix(path, s, &fx, cache, config, device)).collect::<Result<Vec<_>>>().map(join_patches);
            progress();
            r
        })
        .collect())
}

/// Tracks whose patches a GPU runs together (a GTZAN clip is 10 patches, so a group fills
/// more than two passes of [`crate::musicnn`]'s 64-patch GPU batch); their network inputs are
/// held in memory meanwhile (about 0.7 MB per 30 s, 86 MB per hour of audio), hence a small
/// group rather than a whole dataset.
const GPU_TRACKS: usize = 16;

/// One track's side of one backbone, on the way through [`gpu_backbone_matrices`].
enum Pending {
    Done(Result<Array2>),
    /// Not cached: to be computed, then stored under this key (if there is a cache).
    Compute(Option<CacheKey>),
}

/// [`track_matrices`] of backbone inputs on a GPU: for each group of `group` tracks, the
/// cache is read and the audio decoded and turned into network inputs on the CPU threads, then
/// each backbone (one f32 copy, on `device`) runs all their patches in full batches.
fn gpu_backbone_matrices(paths: &[&Path], parts: &[(InputSpec, String)], cache: Option<&FeatureCache>, device: ComputeDevice, group: usize, progress: &(dyn Fn() + Sync)) -> Result<Vec<Result<Array2>>> {
    use rayon::prelude::*;
    let burn = device.burn_device()?;
    let nets = parts
        .iter()
        .map(|(s, _)| {
            let backbone = s.preset.backbone().ok_or_else(|| Error::Config(format!("{:?} is no backbone input", s.preset)))?;
            Ok((backbone, shared_backbone(backbone, s.layer, device)?))
        })
        .collect::<Result<Vec<_>>>()?;
    let front = MusicnnFrontEnd::new().map_err(|e| Error::Config(e.to_string()))?;
    let mut out = Vec::with_capacity(paths.len());
    for group in paths.chunks(group.max(1)) {
        // Per track: each backbone's cached matrix or its key, and the network input if any
        // backbone needs it.
        let mut tracks: Vec<(Vec<Pending>, Option<Result<Array2>>)> = group
            .par_iter()
            .map(|path| {
                let pending: Vec<Pending> = parts
                    .iter()
                    .map(|(_, config)| {
                        let Some(cache) = cache else { return Pending::Compute(None) };
                        match CacheKey::for_file(path, config) {
                            Err(e) => Pending::Done(Err(Error::Data(e.to_string()))),
                            Ok(key) => match cache.get(&key) {
                                Ok(genrecast_datasets::CacheLookup::Hit(mut a)) if matches!(a.as_slice(), [(name, _)] if name == "input") => Pending::Done(a.pop().map(|(_, m)| m).ok_or_else(|| Error::Data(format!("{}: empty cache entry", path.display())))),
                                // Missing, damaged or unreadable entries are recomputed.
                                _ => Pending::Compute(Some(key)),
                            },
                        }
                    })
                    .collect();
                let input = pending.iter().any(|p| matches!(p, Pending::Compute(_))).then(|| {
                    let wave = load(path, &LoadOptions { sample_rate: Some(parts[0].0.sample_rate), ..LoadOptions::default() }).map_err(|e| Error::Data(e.to_string()))?;
                    if wave.samples.is_empty() {
                        return Err(Error::Data(format!("{}: no audio", path.display())));
                    }
                    Ok(front.network_input(&wave.samples))
                });
                (pending, input)
            })
            .collect();
        for (k, ((spec, _), (backbone, net))) in parts.iter().zip(&nets).enumerate() {
            let hop = if spec.patch_hop == 0 { musicnn::PATCH_FRAMES } else { spec.patch_hop };
            let todo: Vec<usize> = (0..tracks.len()).filter(|&t| matches!(tracks[t].0[k], Pending::Compute(_)) && matches!(tracks[t].1, Some(Ok(_)))).collect();
            let starts: Vec<Vec<usize>> = todo.iter().map(|&t| tracks[t].1.as_ref().and_then(|r| r.as_ref().ok()).map_or_else(Vec::new, |m| musicnn::patch_starts(m.cols, hop))).collect();
            let inputs: Vec<(&Array2, &[usize])> = todo.iter().zip(&starts).filter_map(|(&t, s)| Some((tracks[t].1.as_ref()?.as_ref().ok()?, s.as_slice()))).collect();
            let outputs = net.analyse_many(&inputs, &burn);
            for (&t, o) in todo.iter().zip(outputs) {
                let path = group[t];
                let m = embedding_matrix(*backbone, spec.layer, &o.features).map_err(|e| Error::Data(format!("{}: {e}", path.display())));
                if let (Ok(m), Some(cache), Pending::Compute(Some(key))) = (&m, cache, &tracks[t].0[k]) {
                    // As in `matrix`: a cache that cannot be written only costs time.
                    let _ = cache.put(key, &[("input".to_string(), m.clone())], path);
                }
                tracks[t].0[k] = Pending::Done(m);
            }
        }
        for (pending, input) in tracks {
            let r = pending
                .into_iter()
                .map(|p| match (p, &input) {
                    (Pending::Done(r), _) => r,
                    (Pending::Compute(_), Some(Err(e))) => Err(Error::Data(e.to_string())),
                    (Pending::Compute(_), _) => Err(Error::Data("not analysed".into())),
                })
                .collect::<Result<Vec<_>>>()
                .map(join_patches);
            progress();
            out.push(r);
        }
    }
    Ok(out)
}

/// The process's copy of a pretrained backbone on a GPU (f32, `layer` chosen), built on first
/// use and shared by every thread: a GPU runs one network on large batches, where the CPU
/// keeps a copy per thread.
fn shared_backbone(backbone: Backbone, layer: BackboneLayer, device: ComputeDevice) -> Result<std::sync::Arc<Musicnn>> {
    type Nets = Vec<((Backbone, BackboneLayer, ComputeDevice), std::sync::Arc<Musicnn>)>;
    static NETS: std::sync::Mutex<Nets> = std::sync::Mutex::new(Vec::new());
    let mut nets = NETS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, net)) = nets.iter().find(|(k, _)| *k == (backbone, layer, device)) {
        return Ok(net.clone());
    }
    let net = std::sync::Arc::new(crate::classifier::musicnn_on(backbone, device, &device.burn_device()?)?.with_layer(layer));
    nets.push(((backbone, layer, device), net.clone()));
    Ok(net)
}

/// What identifies `spec`'s matrices in the feature cache, beside the file.
///
/// Backbone entries name the precision the embeddings are computed in on `device` (int8 by
/// default on the CPU, f32 on a GPU), and a GPU's entries also say `"device": "cuda"`, since a
/// GPU's f32 sums are not the CPU's to the last bit: a CPU run never reads a GPU's entries.
/// The CPU's keys are as they were before the device was a parameter.
fn cache_config(spec: &InputSpec, device: ComputeDevice) -> String {
    let mut config = serde_json::json!({ "model-input": spec.preset, "sr": spec.sample_rate, "models": MODELS_VERSION });
    if spec.preset == InputPreset::MsdSegments {
        // The series is cut or padded to its length when it is read: the length is part of
        // what is cached. (Audio matrices are whole tracks, cropped later.)
        config["steps"] = spec.crop_frames.into();
    }
    if spec.reads_audio() && spec.preset.backbone().is_none() {
        // Feature presets follow the process's STFT precision (`--precision f64`): f32 and
        // f64 features have their own entries. (musicnn's front end is always f64.)
        config["stft"] = genrecast_features::Precision::default().name().into();
    }
    if spec.preset.backbone().is_some() {
        // int8 and f32 embeddings differ slightly: each has its own entries.
        config["precision"] = device.backbone_precision().name().into();
        if device.is_gpu() {
            config["device"] = "cuda".into();
        }
        if !spec.layer.is_default() {
            config["layer"] = spec.layer.name().into();
        }
        if !spec.also.is_empty() {
            config["also"] = serde_json::json!(spec.also);
        }
        if spec.patch_hop != 0 {
            config["patch-hop"] = spec.patch_hop.into();
        }
    }
    if genrecast_audio::strict_default() {
        // A strict run must not reuse what a lax run decoded of a file cut short.
        config["strict"] = true.into();
    }
    config.to_string()
}

/// Matrices of the same patches stacked row-wise (several backbones' features side by side
/// per patch), cut to the fewest patches any of them has.
///
/// # Example
/// ```
/// use genrecast_features::Array2;
/// let a = Array2 { rows: 1, cols: 3, data: vec![1.0, 2.0, 3.0] };
/// let b = Array2 { rows: 2, cols: 2, data: vec![4.0, 5.0, 6.0, 7.0] };
/// let j = genrecast_models::join_patches(vec![a, b]);
/// assert_eq!((j.rows, j.cols, j.data), (3, 2, vec![1.0, 2.0, 4.0, 5.0, 6.0, 7.0]));
/// ```
pub fn join_patches(mut parts: Vec<Array2>) -> Array2 {
    // One matrix (one backbone, the usual case) is returned as it is, not copied.
    if parts.len() == 1 {
        return parts.remove(0);
    }
    let cols = parts.iter().map(|m| m.cols).min().unwrap_or(0);
    let rows: usize = parts.iter().map(|m| m.rows).sum();
    let mut data = Vec::with_capacity(rows * cols);
    for m in parts {
        for r in 0..m.rows {
            data.extend_from_slice(&m.data[r * m.cols..r * m.cols + cols]);
        }
    }
    Array2 { rows, cols, data }
}

fn matrix(path: &Path, spec: &InputSpec, fx: &FeatureExtractor, cache: Option<&FeatureCache>, config: &str, device: ComputeDevice) -> Result<Array2> {
    let fail = |m: String| Error::Data(format!("{}: {m}", path.display()));
    let Some(cache) = cache else { return compute_matrix(path, spec, fx, device) };
    // The cache's I/O errors name the file already.
    let key = CacheKey::for_file(path, config).map_err(|e| Error::Data(e.to_string()))?;
    // Cache trouble only costs time here; the caller reports failures of the audio itself.
    let mut warnings = Vec::new();
    let usable = |a: &[(String, Array2)]| matches!(a, [(name, _)] if name == "input");
    let mut arrays = cache.get_or_compute(&key, path, usable, || compute_matrix(path, spec, fx, device).map(|m| vec![("input".to_string(), m)]), &mut warnings)?;
    arrays.pop().map(|(_, m)| m).ok_or_else(|| fail("empty cache entry".into()))
}

fn compute_matrix(path: &Path, spec: &InputSpec, fx: &FeatureExtractor, device: ComputeDevice) -> Result<Array2> {
    match spec.preset {
        InputPreset::MsdSegments => return msd_segment_matrix(path, spec.crop_frames),
        InputPreset::Lyrics => return Err(Error::Config(format!("{}: lyrics vectors come from a musiXmatch bag-of-words file, not from a track's file", path.display()))),
        _ => {}
    }
    let wave = load(path, &LoadOptions { sample_rate: Some(spec.sample_rate), ..LoadOptions::default() }).map_err(|e| Error::Data(e.to_string()))?;
    let m = if spec.preset.backbone().is_some() { backbone_matrix(&wave.samples, spec, device) } else { input_matrix(&wave.samples, spec, fx) };
    m.map_err(|e| Error::Data(format!("{}: {e}", path.display())))
}

/// The segment series of an MSD per-track file as a `25 x steps` matrix: 12 timbre rows, 12
/// pitch rows, the mask row.
///
/// # Errors
/// [`Error::Data`] naming the file when it is not an MSD per-track file or has no segments.
pub fn msd_segment_matrix(path: &Path, steps: usize) -> Result<Array2> {
    let track = genrecast_datasets::read_msd_track(path).map_err(|e| Error::Data(e.to_string()))?;
    if track.segments_timbre.is_empty() {
        return Err(Error::Data(format!("{}: no segments", path.display())));
    }
    let series = track.segment_series(steps);
    let rows = MSD_SEGMENT_ROWS + 1;
    let mut data = vec![0f32; rows * steps];
    for (t, (v, &m)) in series.values.iter().zip(&series.mask).enumerate() {
        for (r, &x) in v.iter().enumerate() {
            data[r * steps + t] = x;
        }
        data[MSD_SEGMENT_ROWS * steps + t] = f32::from(u8::from(m));
    }
    if !data.iter().all(|v| v.is_finite()) {
        return Err(Error::Data(format!("{}: segment values are not finite", path.display())));
    }
    Ok(Array2 { rows, cols: steps, data })
}

/// The per-frame input matrix of mono samples at `spec.sample_rate` for a feature preset:
/// features x frames, through `fx`, whose rate must be the spec's. (A backbone preset's
/// matrix comes from [`backbone_embeddings`], on a device.)
///
/// # Errors
/// [`Error::Data`] for empty audio or non-finite features; [`Error::Config`] for an input
/// that is no audio feature.
pub fn input_matrix(samples: &[f32], spec: &InputSpec, fx: &FeatureExtractor) -> Result<Array2> {
    if samples.is_empty() {
        return Err(Error::Data("no audio".into()));
    }
    if !spec.reads_audio() {
        return Err(Error::Config(format!("a model on {:?} input reads no audio", spec.preset)));
    }
    if spec.preset.backbone().is_some() {
        return Err(Error::Config(format!("{:?} input: backbone embeddings are computed on a device (backbone_embeddings)", spec.preset)));
    }
    let set = fx.extract(samples, &spec.kinds()).map_err(|e| Error::Data(e.to_string()))?;
    let cols = set.values().map(|a| a.cols).max().unwrap_or(0);
    let mut data = Vec::with_capacity(spec.frame_rows() * cols);
    for kind in spec.kinds() {
        data.extend_from_slice(&set[&kind].data);
    }
    let m = Array2 { rows: data.len() / cols.max(1), cols, data };
    if !m.data.iter().all(|v| v.is_finite()) {
        return Err(Error::Data("features are not finite".into()));
    }
    Ok(m)
}

/// Every backbone of a backbone preset over 16 kHz samples, side by side per patch.
fn backbone_matrix(samples: &[f32], spec: &InputSpec, device: ComputeDevice) -> Result<Array2> {
    if samples.is_empty() {
        return Err(Error::Data("no audio".into()));
    }
    let parts = spec.backbones().into_iter().map(|b| backbone_embeddings(b, spec.layer, spec.patch_hop, samples, device)).collect::<Result<Vec<_>>>()?;
    Ok(join_patches(parts))
}

/// The backbone's `layer` of every 3 s patch of 16 kHz samples, as a
/// [`Backbone::layer_size`]` x patches` matrix (penultimate: 200 rows for musicnn, 256 for
/// the VGG), with a patch every `patch_hop` frames (0: disjoint patches, see
/// [`InputSpec::patch_hop`]), computed on `device`.
///
/// On the CPU each thread keeps its own copy of the network (built once), in the process's
/// [`Precision`](crate::Precision) (int8 by default). On a GPU one f32 copy per backbone
/// serves every thread, with the song's patches in large batches ([`track_matrices`] also
/// batches patches across songs there).
///
/// # Errors
/// [`Error::Device`] for a device that is not there; [`Error::Data`] for audio shorter than
/// one patch or non-finite outputs.
///
/// # Example
/// ```no_run
/// use genrecast_models::{backbone_embeddings, Backbone, BackboneLayer, ComputeDevice};
/// let y16k = vec![0.01f32; 16_000 * 30];
/// let m = backbone_embeddings(Backbone::MusicnnMsd, BackboneLayer::Penultimate, 0, &y16k, ComputeDevice::Cpu)?;
/// assert_eq!((m.rows, m.cols), (200, 10));
/// # Ok::<(), genrecast_models::Error>(())
/// ```
pub fn backbone_embeddings(backbone: Backbone, layer: BackboneLayer, patch_hop: usize, y16k: &[f32], device: ComputeDevice) -> Result<Array2> {
    thread_local! {
        static NETS: std::cell::RefCell<Vec<(Backbone, Musicnn)>> = const { std::cell::RefCell::new(Vec::new()) };
        static FRONT: std::cell::OnceCell<Option<MusicnnFrontEnd>> = const { std::cell::OnceCell::new() };
    }
    let burn = device.burn_device()?;
    let input = FRONT.with(|f| f.get_or_init(|| MusicnnFrontEnd::new().ok()).as_ref().map(|f| f.network_input(y16k)));
    let input = input.ok_or_else(|| Error::Config("musicnn front end".into()))?;
    let hop = if patch_hop == 0 { crate::musicnn::PATCH_FRAMES } else { patch_hop };
    let starts = crate::musicnn::patch_starts(input.cols, hop);
    let out = if device.is_gpu() {
        shared_backbone(backbone, layer, device)?.analyse_from(&input, &burn, &starts)
    } else {
        NETS.with(|nets| -> Result<_> {
            let mut nets = nets.borrow_mut();
            if !nets.iter().any(|(b, _)| *b == backbone) {
                nets.push((backbone, crate::classifier::musicnn_on(backbone, device, &burn)?));
            }
            let net = nets.iter_mut().find(|(b, _)| *b == backbone).map(|(_, n)| n).ok_or_else(|| Error::Config("backbone".into()))?;
            net.set_layer(layer);
            Ok(net.analyse_from(&input, &burn, &starts))
        })?
    };
    embedding_matrix(backbone, layer, &out.features)
}

/// Per-patch features as a `layer size x patches` matrix.
fn embedding_matrix(backbone: Backbone, layer: BackboneLayer, features: &[Vec<f32>]) -> Result<Array2> {
    if features.is_empty() {
        return Err(Error::Data("too short for one patch".into()));
    }
    let (rows, cols) = (backbone.layer_size(layer), features.len());
    let mut data = vec![0.0; rows * cols];
    for (c, v) in features.iter().enumerate() {
        for (r, &x) in v.iter().enumerate() {
            data[r * cols + c] = x;
        }
    }
    if !data.iter().all(|v| v.is_finite()) {
        return Err(Error::Data("backbone features are not finite".into()));
    }
    Ok(Array2 { rows, cols, data })
}

/// Per-row mean and standard deviation, fitted on training examples and applied to all.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Normalizer {
    /// Mean of each feature row.
    pub mean: Vec<f32>,
    /// Standard deviation of each feature row (at least 1e-6).
    pub std: Vec<f32>,
    /// The padding mask's row, for masked series: it is left as it is, the other rows are
    /// fitted on real steps only and padding stays zero.
    #[serde(default)]
    pub mask_row: Option<usize>,
}

impl Normalizer {
    /// Fits on the examples of `spec`: its feature rows (rows beyond them, such as appended
    /// lyrics, are left alone), over real steps only when it has a mask.
    pub fn fit(examples: &[Example], spec: &InputSpec) -> Self {
        let ((f, t), mask_row) = (spec.feature_shape(), spec.mask_row());
        let mut sum = vec![0f64; f];
        let mut sq = vec![0f64; f];
        let mut n = 0usize;
        for e in examples {
            let real: Vec<bool> = (0..t).map(|i| mask_row.is_none_or(|m| e.x[m * t + i] > 0.5)).collect();
            for r in 0..f {
                for (&v, _) in e.x[r * t..(r + 1) * t].iter().zip(&real).filter(|(_, &k)| k) {
                    sum[r] += f64::from(v);
                    sq[r] += f64::from(v) * f64::from(v);
                }
            }
            n += real.iter().filter(|&&k| k).count();
        }
        let n = n.max(1) as f64;
        let mut mean: Vec<f32> = sum.iter().map(|s| (s / n) as f32).collect();
        let mut std: Vec<f32> = sq.iter().zip(&sum).map(|(q, s)| ((q / n - (s / n).powi(2)).max(0.0).sqrt().max(1e-6)) as f32).collect();
        if let Some(m) = mask_row {
            (mean[m], std[m]) = (0.0, 1.0);
        }
        Self { mean, std, mask_row }
    }

    /// Standardises `x` (`features x frames`) in place; rows beyond the fitted ones are left
    /// as they are, and masked padding is set to zero.
    pub fn apply(&self, x: &mut [f32], frames: usize) {
        let frames = frames.max(1);
        // Padding steps: those whose mask value is 0.
        let padding: Vec<bool> = self.mask_row.and_then(|m| x.get(m * frames..(m + 1) * frames)).map_or_else(Vec::new, |row| row.iter().map(|&v| v <= 0.5).collect());
        for (r, row) in x.chunks_mut(frames).enumerate().take(self.mean.len()) {
            if Some(r) == self.mask_row {
                continue;
            }
            let (m, s) = (self.mean[r], self.std[r]);
            for (i, v) in row.iter_mut().enumerate() {
                *v = if padding.get(i) == Some(&true) { 0.0 } else { (*v - m) / s };
            }
        }
    }
}

/// Appends a lyrics vector to an example's input, packed row-major into the rows that follow
/// its feature rows (see [`InputSpec::lyrics_dims`]).
pub fn append_lyrics(x: &mut Vec<f32>, lyrics: &[f32], spec: &InputSpec) {
    let (f, t) = spec.feature_shape();
    x.truncate(f * t);
    let start = x.len();
    let room = spec.side_rows() * t;
    x.resize(start + room, 0.0);
    let n = lyrics.len().min(room);
    x[start..start + n].copy_from_slice(&lyrics[..n]);
}

/// One crop of `spec.crop_frames` starting at frame `start` of `m`, as an example input (edge
/// frames repeated when the track is shorter than a crop).
pub fn crop(m: &Array2, spec: &InputSpec, start: usize) -> Vec<f32> {
    let t = spec.crop_frames;
    let mut x = Vec::with_capacity(m.rows * t);
    for r in 0..m.rows {
        let row = m.row(r);
        x.extend((0..t).map(|i| row[(start + i).min(m.cols.saturating_sub(1))]));
    }
    if spec.preset == InputPreset::Summary {
        // Mean and std of each row over the crop: [means..., stds...], by the running
        // statistics that a long song's streamed summary uses, so that both agree exactly.
        let mut stats = genrecast_features::stream::RunningStats::new(m.rows);
        let mut frame = vec![0.0; m.rows];
        for i in 0..t {
            frame.iter_mut().enumerate().for_each(|(r, v)| *v = x[r * t + i]);
            stats.push(&frame);
        }
        let mut out = stats.mean();
        out.extend(stats.std());
        return out;
    }
    x
}

/// A random crop of each track (the training draw of one epoch), `per_track` times.
pub fn random_crops(tracks: &[(usize, &Array2, Vec<f32>)], spec: &InputSpec, per_track: usize, rng: &mut ChaCha8Rng) -> Vec<Example> {
    let mut out = Vec::with_capacity(tracks.len() * per_track);
    for (track, m, target) in tracks {
        for _ in 0..per_track {
            let start = rng.random_range(0..=m.cols.saturating_sub(spec.crop_frames));
            out.push(Example { x: crop(m, spec, start), target: target.clone(), track: *track });
        }
    }
    out
}

/// Every crop of each track with 50 % overlap (the last one flush with the end): the
/// evaluation windows, whose predictions are averaged per track.
pub fn windows(tracks: &[(usize, &Array2, Vec<f32>)], spec: &InputSpec) -> Vec<Example> {
    let mut out = Vec::new();
    for (track, m, target) in tracks {
        out.extend(window_starts(m.cols, spec.crop_frames).into_iter().map(|s| Example { x: crop(m, spec, s), target: target.clone(), track: *track }));
    }
    out
}

/// First frames of the evaluation windows of a `frames`-long matrix: crops of `crop_frames`
/// every `crop_frames / 2` frames, the last one flush with the end.
pub fn window_starts(frames: usize, crop_frames: usize) -> Vec<usize> {
    let hop = (crop_frames / 2).max(1);
    let last = frames.saturating_sub(crop_frames);
    let mut starts: Vec<usize> = (0..=last).step_by(hop).collect();
    if starts.last() != Some(&last) {
        starts.push(last);
    }
    starts
}

/// The target vector of a track: one-hot over `labels` (first label) or multi-hot.
pub fn target(track: &Track, labels: &[String], multi_label: bool) -> Option<Vec<f32>> {
    let mut t = vec![0.0; labels.len()];
    let wanted: Vec<&String> = if multi_label { track.labels.iter().collect() } else { track.labels.first().into_iter().collect() };
    let mut any = false;
    for l in wanted {
        if let Some(i) = labels.iter().position(|x| x == l) {
            t[i] = 1.0;
            any = true;
        }
    }
    (any || multi_label).then_some(t)
}

/// The summary vector of a whole song: mean and standard deviation over all its frames of
/// the 45 timbral rows of [`InputPreset::Summary`] (90 values), from mono samples at the
/// extractor's rate (22,050 Hz by default). Used to index and compare songs.
///
/// # Errors
/// [`Error::Data`] for empty audio or non-finite features.
///
/// # Example
/// ```
/// use genrecast_features::{FeatureConfig, FeatureExtractor};
/// let fx = FeatureExtractor::new(FeatureConfig::default())?;
/// let y: Vec<f32> = (0..22_050).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
/// let v = genrecast_models::summary_vector(&y, &fx)?;
/// assert_eq!(v.len(), 90);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn summary_vector(samples: &[f32], fx: &FeatureExtractor) -> Result<Vec<f32>> {
    let mut spec = InputSpec::new(InputPreset::Summary, 1.0);
    let m = input_matrix(samples, &spec, fx)?;
    spec.crop_frames = m.cols.max(1);
    Ok(crop(&m, &spec, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gtzan(clips: &[&str]) -> Option<Vec<std::path::PathBuf>> {
        let shared = genrecast_testutil::shared_dir()?;
        Some(clips.iter().map(|c| shared.join(format!("data/gtzan/full_16k/{c}.flac"))).collect())
    }

    /// The CPU's cache keys are the ones written before the device was a parameter (so the
    /// feature cache and the shipped results stay valid); a GPU's name f32 and the device, so
    /// that neither reads the other's entries.
    #[test]
    fn cache_keys_name_the_device_only_off_the_cpu() {
        let spec = InputSpec::new(InputPreset::MusicnnMsd, 3.0);
        let version = MODELS_VERSION;
        let precision = crate::Precision::default().name();
        assert_eq!(cache_config(&spec, ComputeDevice::Cpu), format!(r#"{{"model-input":"musicnn-msd","models":"{version}","precision":"{precision}","sr":16000}}"#));
        assert_eq!(cache_config(&spec, ComputeDevice::Cuda(1)), format!(r#"{{"device":"cuda","model-input":"musicnn-msd","models":"{version}","precision":"f32","sr":16000}}"#));
        // Feature presets never depend on the device.
        let summary = InputSpec::new(InputPreset::Summary, 2.0);
        assert_eq!(cache_config(&summary, ComputeDevice::Cpu), cache_config(&summary, ComputeDevice::Cuda(0)));
    }

    /// A GPU that this build or machine does not have is an error naming it, from every way
    /// backbone features are asked for, never features computed on the CPU instead.
    #[test]
    fn a_missing_gpu_is_named_not_replaced_by_the_cpu() {
        let Some(paths) = gtzan(&["disco/disco.00004"]) else { return };
        let y = load(&paths[0], &LoadOptions { sample_rate: Some(16_000), ..LoadOptions::default() }).expect("clip").samples;
        let spec = InputSpec::new(InputPreset::MusicnnMsd, 3.0);
        let named = |e: Error| {
            let e = e.to_string();
            if cfg!(feature = "cuda") {
                assert!(e.contains("cuda:3"), "{e}");
            } else {
                assert!(e.contains("--features cuda"), "{e}");
            }
        };
        let calls = std::sync::atomic::AtomicUsize::new(0);
        match track_matrices(&[paths[0].as_path()], &spec, None, ComputeDevice::Cuda(3), &|| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }) {
            Err(e) => named(e),
            Ok(_) => panic!("cuda:3 must not be run on the CPU"),
        }
        assert_eq!(calls.into_inner(), 0, "no file is read for a device that is not there");
        match backbone_embeddings(Backbone::MusicnnMsd, BackboneLayer::Penultimate, 0, &y, ComputeDevice::Cuda(3)) {
            Err(e) => named(e),
            Ok(_) => panic!("cuda:3 must not be run on the CPU"),
        }
    }

    /// The GPU's bookkeeping (cache read first, audio decoded once for every backbone, all
    /// tracks' patches run together, results in order, a bad file failing alone, entries
    /// written back) gives on the CPU exactly what the per-thread path gives.
    #[test]
    fn batched_backbone_matrices_are_the_per_thread_ones() {
        let Some(mut paths) = gtzan(&["disco/disco.00004", "metal/metal.00051", "reggae/reggae.00001"]) else { return };
        paths.insert(1, std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/tests/hostile/empty.wav"));
        let paths: Vec<&Path> = paths.iter().map(std::path::PathBuf::as_path).collect();
        let spec = InputSpec::new(InputPreset::MusicnnMsd, 3.0).with_also(&[Backbone::VggMtt]);
        let parts: Vec<(InputSpec, String)> = spec
            .backbones()
            .into_iter()
            .map(|b| {
                let one = InputSpec { preset: InputPreset::from_backbone(b), also: Vec::new(), ..spec.clone() };
                let config = cache_config(&one, ComputeDevice::Cpu);
                (one, config)
            })
            .collect();
        let per_thread = track_matrices(&paths, &spec, None, ComputeDevice::Cpu, &|| {}).expect("cpu");
        let dir = tempfile::tempdir().expect("tmp");
        let cache = FeatureCache::open(dir.path()).expect("cache");
        let count = std::sync::atomic::AtomicUsize::new(0);
        let tick = || {
            count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        };
        // Groups of 3 (two clips and the bad file, then the last clip), then one group.
        let batched = gpu_backbone_matrices(&paths, &parts, Some(&cache), ComputeDevice::Cpu, 3, &tick).expect("batched");
        let cached = gpu_backbone_matrices(&paths, &parts, Some(&cache), ComputeDevice::Cpu, GPU_TRACKS, &tick).expect("from the cache");
        let through_cache = track_matrices(&paths, &spec, Some(&cache), ComputeDevice::Cpu, &|| {}).expect("cpu");
        assert_eq!(count.into_inner(), 2 * paths.len(), "one tick per track");
        for run in [&batched, &cached, &through_cache] {
            assert_eq!(run.len(), paths.len());
            for (k, (a, b)) in per_thread.iter().zip(run.iter()).enumerate() {
                match (a, b) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b, "track {k}"),
                    (Err(a), Err(b)) => assert!(a.to_string().contains("empty.wav") && b.to_string().contains("empty.wav"), "{a} / {b}"),
                    _ => panic!("track {k}: {a:?} against {b:?}"),
                }
            }
        }
        assert!(per_thread[1].is_err() && per_thread[0].as_ref().is_ok_and(|m| m.rows == 456));
        // Two backbones' entries for each of the three clips.
        assert_eq!(cache.stats().expect("stats").entries, 6);
    }
}
