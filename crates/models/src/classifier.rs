//! Classifying audio with a trained model: the input pipeline of its card (features or a
//! pretrained backbone), window predictions over the whole song, and their aggregate.
//!
//! Models come from a directory written by `genrecast train` or from the models compiled into
//! the binary ([`BUILTIN_MODELS`]; [`DEFAULT_MODEL`] is a GTZAN genre head on musicnn-msd and the MSD VGG).
//!
//! # Example
//! ```
//! use genrecast_models::{Aggregation, Classifier, DEFAULT_MODEL};
//! let classifier = Classifier::open(DEFAULT_MODEL)?;
//! // 4 s of a 440 Hz tone at 16 kHz, the rate this model reads.
//! let y: Vec<f32> = (0..64_000).map(|i| (i as f32 * 440.0 * std::f32::consts::TAU / 16_000.0).sin() * 0.3).collect();
//! let p = classifier.classify_samples(&y, Aggregation::Mean)?;
//! assert_eq!(p.probabilities.len(), classifier.labels().len());
//! assert!((p.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-4);
//! # Ok::<(), genrecast_models::Error>(())
//! ```

use std::path::Path;

use burn::tensor::{Device, Tensor, TensorData};
use genrecast_audio::{load, LoadOptions};
use genrecast_features::{FeatureConfig, FeatureExtractor, MusicnnFrontEnd};

use crate::checkpoint::{load as load_dir, load_bytes, ModelCard};
use crate::inputs::{crop, input_matrix, window_starts};
use crate::musicnn::{Backbone, Musicnn, Precision, PATCH_SECONDS};
use crate::network::GenreNet;
use crate::train::{probabilities, Task};
use crate::{ComputeDevice, Error, Result};

/// A model compiled into the binary.
#[derive(Clone, Copy, Debug)]
pub struct BuiltinModel {
    /// Its name for `--model`.
    pub name: &'static str,
    /// One line on what it is.
    pub description: &'static str,
    card: &'static [u8],
    weights: &'static [u8],
}

impl BuiltinModel {
    /// Its card's and weights' bytes, as compiled in.
    pub(crate) fn bytes(&self) -> (&'static [u8], &'static [u8]) {
        (self.card, self.weights)
    }

    /// Loads it onto `device`.
    ///
    /// # Errors
    /// As [`load_bytes`] (never for a model that passed the tests).
    pub fn load(&self, device: &Device) -> Result<(GenreNet, ModelCard)> {
        load_bytes(self.card, self.weights, &format!("<built-in {}>", self.name), device)
    }

    /// Its model card (labels, input, what it was trained on), without loading the weights.
    ///
    /// # Example
    /// ```
    /// let m = genrecast_models::BUILTIN_MODELS[0];
    /// assert_eq!(m.card()?.labels.len(), 10);
    /// # Ok::<(), genrecast_models::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Checkpoint`] for a card that does not parse (never for a model that passed
    /// the tests).
    pub fn card(&self) -> Result<ModelCard> {
        serde_json::from_slice(self.card).map_err(|e| Error::Checkpoint { path: format!("<built-in {}>/model.json", self.name).into(), message: e.to_string() })
    }

    /// Writes it to `dir` (created if needed) as the model folder `genrecast train` writes:
    /// `model.safetensors` (the weights, byte for byte) and `model.json` (the card, with the
    /// training dataset named rather than given as the path it had on the machine that trained
    /// it). Each file is written atomically; `Classifier::open(dir)` then gives the same
    /// predictions as `Classifier::open(name)`.
    ///
    /// # Example
    /// ```
    /// let dir = std::env::temp_dir().join(format!("genrecast-doc-export-{}", std::process::id()));
    /// genrecast_models::BUILTIN_MODELS[0].write_folder(&dir)?;
    /// let c = genrecast_models::Classifier::open(dir.to_str().unwrap())?;
    /// assert_eq!(c.card().trained_on.dataset, "gtzan");
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), genrecast_models::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Io`] / [`Error::Checkpoint`] naming the file that could not be written.
    pub fn write_folder(&self, dir: &Path) -> Result<()> {
        let mut card = self.card()?;
        card.trained_on.dataset = card.trained_on.dataset_name();
        crate::checkpoint::save_files(dir, self.weights, &card)
    }
}

/// The models compiled into the binary.
pub const BUILTIN_MODELS: &[BuiltinModel] = &[
    BuiltinModel {
        name: "genre-gtzan",
        description: "10 GTZAN genres: an RBF SVM on the mean of a song's musicnn-msd and MSD VGG embeddings, trained on GTZAN (Sturm's artist-filtered train+valid lists)",
        card: include_bytes!("../pretrained/genre-gtzan/model.json"),
        weights: include_bytes!("../pretrained/genre-gtzan/model.safetensors"),
    },
];

/// The card of a built-in model (by name) or of a model directory, read without its weights:
/// what it was trained on, its labels, its embedding scale.
///
/// # Example
/// ```
/// let card = genrecast_models::model_card(genrecast_models::DEFAULT_MODEL)?;
/// assert_eq!(card.labels.len(), 10);
/// # Ok::<(), genrecast_models::Error>(())
/// ```
///
/// # Errors
/// [`Error::Config`] for a name that is neither, [`Error::Checkpoint`] for a card that cannot
/// be read or parsed, or whose embedding scale is unusable.
pub fn model_card(name_or_dir: &str) -> Result<ModelCard> {
    let dir = match find_model(name_or_dir)? {
        ModelSource::Builtin(m) => return m.card(),
        ModelSource::Dir(dir) => dir,
    };
    let path = dir.join("model.json");
    let card: ModelCard = serde_json::from_slice(&crate::checkpoint::read_card(&path)?).map_err(|e| Error::Checkpoint { path: path.clone(), message: format!("not a genrecast model card: {e}") })?;
    if let Some(scale) = &card.embedding_scale {
        scale.validate(&path.display().to_string())?;
    }
    Ok(card)
}

/// Where a model named by the user is.
pub(crate) enum ModelSource<'a> {
    /// Compiled into the binary.
    Builtin(&'static BuiltinModel),
    /// A model directory.
    Dir(&'a Path),
}

/// Finds `name_or_dir`: a built-in model's name first, then a directory.
///
/// # Errors
/// [`Error::Config`] naming the built-in models when it is neither.
pub(crate) fn find_model(name_or_dir: &str) -> Result<ModelSource<'_>> {
    if let Some(m) = BUILTIN_MODELS.iter().find(|m| m.name == name_or_dir) {
        return Ok(ModelSource::Builtin(m));
    }
    let dir = Path::new(name_or_dir);
    if dir.is_dir() {
        return Ok(ModelSource::Dir(dir));
    }
    let known: Vec<&str> = BUILTIN_MODELS.iter().map(|m| m.name).collect();
    if let Some(now) = retired_model(name_or_dir) {
        return Err(Error::Config(format!("no model '{name_or_dir}': {now}")));
    }
    Err(Error::Config(format!("no model '{name_or_dir}': neither a built-in model ({}) nor a model directory", known.join(", "))))
}

/// What became of a built-in model `name` that is gone, for the error that names it (`None`
/// for any other name).
///
/// ```
/// assert!(genrecast_models::retired_model("genre-gtzan-large").is_some_and(|s| s.contains("use genre-gtzan")));
/// assert!(genrecast_models::retired_model("genre-gtzan").is_none());
/// ```
pub fn retired_model(name: &str) -> Option<&'static str> {
    RETIRED_MODELS.iter().find(|(n, _)| *n == name).map(|(_, now)| *now)
}

/// Built-in names that are gone, with what a user of each should know.
const RETIRED_MODELS: &[(&str, &str)] = &[(
    "genre-gtzan-large",
    "it was retired on 2026-12-07, when genre-gtzan became the same recipe (an RBF SVM on musicnn-msd+vgg-msd features) once the VGG ran in int8: use genre-gtzan",
)];

/// The model `genrecast classify` uses unless told otherwise.
pub const DEFAULT_MODEL: &str = "genre-gtzan";

/// How window predictions become one per song.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Aggregation {
    /// Mean of the window probabilities; for a model fitted on song means
    /// (any [`crate::TrackRows`] judged by the mean, as the default model is), the model's judgement of the
    /// mean of the windows' inputs.
    #[default]
    Mean,
    /// Share of windows whose top class each class is.
    Vote,
    /// Per class, the largest window probability (renormalised to sum to 1).
    Max,
}

impl std::str::FromStr for Aggregation {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "mean" => Ok(Self::Mean),
            "vote" => Ok(Self::Vote),
            "max" => Ok(Self::Max),
            o => Err(Error::Config(format!("unknown aggregation '{o}' (known: mean, vote, max)"))),
        }
    }
}

/// One window's prediction.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WindowPrediction {
    /// Start, in seconds from the beginning of the audio.
    pub start: f64,
    /// End, in seconds.
    pub end: f64,
    /// Probability of each label.
    pub probabilities: Vec<f32>,
}

/// A song's prediction.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Prediction {
    /// Aggregated probability of each label, in the model's label order.
    pub probabilities: Vec<f32>,
    /// The windows, in time order.
    pub windows: Vec<WindowPrediction>,
    /// Mean tag probabilities of the backbone (for models on a pretrained tagger).
    pub tags: Option<Vec<f32>>,
    /// The song's embedding: the model's embedding layer (for a linear head, its normalised
    /// input) averaged over the windows. Similar songs lie close in it.
    pub embedding: Vec<f32>,
    /// Seconds of audio analysed.
    pub duration: f64,
    /// Windows the song has; more than `windows.len()` when a long song was judged from an
    /// even spread of them (see [`Classifier::set_max_windows`]).
    #[serde(default)]
    pub windows_total: usize,
    /// Why this prediction may say little about the song (digital silence, NaN samples read
    /// as silence, audio shorter than one window), one sentence each; empty when all is well.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

pub(crate) const SILENCE_WARNING: &str = "the audio is digital silence: the prediction says nothing about the music";

/// Warnings about the audio itself, for [`Prediction::warnings`]: a model always answers,
/// even for silence, so the answer says when there was nothing to hear.
fn audio_warnings(samples: &[f32], rate: u32, window_seconds: f64) -> Vec<String> {
    let mut out = Vec::new();
    if samples.iter().all(|&v| v == 0.0) {
        out.push(SILENCE_WARNING.to_owned());
    }
    let seconds = samples.len() as f64 / f64::from(rate.max(1));
    if seconds < window_seconds {
        out.push(format!("only {} samples ({seconds:.3} s) of audio, shorter than one {window_seconds:.1} s window: they were repeated to fill one", samples.len()));
    }
    out
}

/// Windows analysed per song by default: an even spread of 32 (96 s of audio) over a longer
/// song, every window of a shorter one.
///
/// Set from measured agreement with every window (`genrecast bench classify`, the 34 full
/// songs of `shared/peers/make_test_audio.sh`, int8): 32 windows keep the top genre of 33/34
/// songs with a mean absolute probability difference of 0.0044; 48 keep 34/34 (0.0033) and 16
/// keep 33/34 (0.0075) but 4 keep only 27/34.
pub const DEFAULT_MAX_WINDOWS: usize = 32;

/// `max` indices spread evenly over `0..n` (the middle of `max` equal parts), or all of
/// them when there are no more than `max` (or `max` is `None` or 0): which windows of a long
/// song to judge, which crops of a long clip to train on.
///
/// # Example
/// ```
/// assert_eq!(genrecast_models::spread(10, Some(2)), vec![2, 7]);
/// assert_eq!(genrecast_models::spread(3, Some(5)), vec![0, 1, 2]);
/// ```
pub fn spread(n: usize, max: Option<usize>) -> Vec<usize> {
    match max {
        Some(m) if m > 0 && n > m => (0..m).map(|k| (2 * k + 1) * n / (2 * m)).collect(),
        _ => (0..n).collect(),
    }
}

/// Windows per forward pass of a [`GenreNet`]: bounds the activations of a long song.
const FORWARD_BATCH: usize = 64;

/// A shipped musicnn on `device`: f32 on a GPU, where the int8 front end (a CPU kernel) would
/// send every patch back to the host.
pub(crate) fn musicnn_on(backbone: Backbone, on: ComputeDevice, device: &Device) -> Result<Musicnn> {
    let mut net = Musicnn::pretrained(backbone, device)?;
    net.set_precision(on.backbone_precision());
    Ok(net)
}

/// A loaded model with its input pipeline.
pub struct Classifier {
    net: GenreNet,
    card: ModelCard,
    name: String,
    device: Device,
    features: Option<FeatureExtractor>,
    /// The pretrained backbones (one, or several side by side) and their shared front end.
    backbone: Option<(Vec<Musicnn>, MusicnnFrontEnd)>,
    max_windows: Option<usize>,
    stream_above: f64,
    seek: bool,
}

impl Classifier {
    /// A built-in model by name, or a model directory.
    ///
    /// # Errors
    /// [`Error::Checkpoint`] for a directory that is not a valid model, [`Error::Config`] for a
    /// name that is neither.
    pub fn open(name_or_dir: &str) -> Result<Self> {
        Self::open_on(name_or_dir, ComputeDevice::Cpu)
    }

    /// As [`open`](Self::open), with the network on `on`. On a GPU a musicnn backbone computes
    /// in f32 (the int8 front end is a CPU kernel) and takes its patches in larger batches.
    ///
    /// # Errors
    /// As [`open`](Self::open), and [`Error::Device`] for a device that is not there.
    pub fn open_on(name_or_dir: &str, on: ComputeDevice) -> Result<Self> {
        let device = on.burn_device()?;
        let (net, card) = match find_model(name_or_dir)? {
            ModelSource::Builtin(m) => m.load(&device)?,
            ModelSource::Dir(dir) => load_dir(dir, &device)?,
        };
        let spec = &card.input;
        if !spec.reads_audio() || spec.reads_lyrics() {
            let what = match (spec.preset, spec.reads_lyrics()) {
                (crate::InputPreset::Lyrics, _) => "lyrics",
                (crate::InputPreset::MsdSegments, true) => "MSD segment series and lyrics",
                (crate::InputPreset::MsdSegments, false) => "MSD segment series",
                _ => "audio and lyrics",
            };
            return Err(Error::Config(format!(
                "model '{name_or_dir}' reads {what}, not audio alone: score it with `genrecast eval` on its dataset{}",
                if spec.reads_lyrics() { " and --lyrics" } else { "" }
            )));
        }
        let backbone = match card.input.backbones().as_slice() {
            [] => None,
            backbones => {
                let nets = backbones.iter().map(|&b| Ok(musicnn_on(b, on, &device)?.with_layer(card.input.layer))).collect::<Result<Vec<_>>>()?;
                Some((nets, MusicnnFrontEnd::new().map_err(|e| Error::Config(e.to_string()))?))
            }
        };
        let features = if backbone.is_none() {
            Some(FeatureExtractor::new(FeatureConfig { sr: card.input.sample_rate, ..FeatureConfig::default() }).map_err(|e| Error::Config(e.to_string()))?)
        } else {
            None
        };
        Ok(Self { net, card, name: name_or_dir.to_owned(), device, features, backbone, max_windows: Some(DEFAULT_MAX_WINDOWS), stream_above: crate::STREAM_ABOVE_SECONDS, seek: crate::seek_default() })
    }

    /// Files declared longer than `seconds` are analysed as they decode, in flat memory, with
    /// the same result as a whole-file decode (models on a musicnn backbone; others always
    /// decode whole). Default: [`STREAM_ABOVE_SECONDS`](crate::STREAM_ABOVE_SECONDS).
    pub fn set_stream_above(&mut self, seconds: f64) {
        self.stream_above = seconds;
    }

    /// Whether a long file judged from some of its windows (models on a musicnn backbone) is
    /// read by seeking to them, decoding only what they need, or decoded from start to end;
    /// the result is the same. Default: [`seek_default`](crate::seek_default) when opened.
    pub fn set_seek(&mut self, seek: bool) {
        self.seek = seek;
    }

    /// Judges a song from at most `max` windows spread evenly over it (`None`: every
    /// window). Default: [`DEFAULT_MAX_WINDOWS`].
    pub fn set_max_windows(&mut self, max: Option<usize>) {
        self.max_windows = max;
    }

    /// Sets the arithmetic of the backbone's front end (default [`Precision::Int8`]); models
    /// without a pretrained backbone, and every model on a GPU, compute in f32 whatever this
    /// says.
    pub fn set_precision(&mut self, precision: Precision) {
        if !crate::device::is_cpu(&self.device) {
            return;
        }
        if let Some((nets, _)) = &mut self.backbone {
            nets.iter_mut().for_each(|net| net.set_precision(precision));
        }
    }

    /// The arithmetic of the backbone's front end (`None` for models without a backbone).
    pub fn precision(&self) -> Option<Precision> {
        self.backbone.as_ref().and_then(|(nets, _)| nets.first()).map(Musicnn::precision)
    }

    /// The model's card (labels, input, what it was trained on).
    pub fn card(&self) -> &ModelCard {
        &self.card
    }

    /// The model's output labels.
    pub fn labels(&self) -> &[String] {
        &self.card.labels
    }

    /// The name or directory it was opened from.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Tag names of the backbone (the first, for several), for models on a pretrained tagger.
    pub fn tag_names(&self) -> Option<&[String]> {
        self.backbone.as_ref().and_then(|(nets, _)| nets.first()).map(Musicnn::tags)
    }

    /// Sample rate the model reads.
    pub fn sample_rate(&self) -> u32 {
        self.card.input.sample_rate
    }

    /// Decodes `path` (any rate and channel count) and classifies it.
    ///
    /// # Errors
    /// [`Error::Data`] naming the file for audio that cannot be read or holds no samples.
    pub fn classify_file(&self, path: &Path, aggregation: Aggregation) -> Result<Prediction> {
        if let Some((nets, front)) = &self.backbone {
            if let Some(a) = crate::streamed::analyse_file(nets, front, path, &self.device, self.max_windows, self.stream_above, self.seek)? {
                let spans = a.windows.iter().map(|w| (w.start, w.end)).collect();
                let tags = Some(aggregate_windows(&a.windows, Aggregation::Mean, Task::MultiLabel));
                return self.head(a.penultimate, spans, tags, a.total, a.duration, a.warnings, aggregation).map_err(|e| Error::Data(format!("{}: {e}", path.display())));
            }
        }
        if let Some(fx) = &self.features {
            if let Some(w) = crate::streamed::feature_windows_file(fx, &self.card.input, path, self.max_windows, self.stream_above)? {
                return self.head(w.inputs, w.spans, None, w.total, w.duration, w.warnings, aggregation).map_err(|e| Error::Data(format!("{}: {e}", path.display())));
            }
        }
        let wave = load_wave(path, self.sample_rate())?;
        let mut p = self.classify_samples(&wave.samples, aggregation).map_err(|e| Error::Data(format!("{}: {e}", path.display())))?;
        p.warnings.splice(0..0, wave.warnings);
        Ok(p)
    }

    /// Classifies mono samples at [`sample_rate`](Self::sample_rate).
    ///
    /// # Errors
    /// [`Error::Data`] for empty input.
    pub fn classify_samples(&self, samples: &[f32], aggregation: Aggregation) -> Result<Prediction> {
        if samples.is_empty() {
            return Err(Error::Data("no audio".into()));
        }
        let duration = samples.len() as f64 / f64::from(self.sample_rate());
        let spec = &self.card.input;
        // Window inputs (normalised) and their time spans.
        let (mut inputs, mut spans, mut tags, mut windows_total) = (Vec::new(), Vec::new(), None, 0);
        if let Some((nets, front)) = &self.backbone {
            let (penultimate, tag_windows, total) = backbone_windows(nets, front, samples, duration, &self.device, self.max_windows)?;
            spans.extend(tag_windows.iter().map(|w| (w.start, w.end)));
            inputs = penultimate;
            windows_total = total;
            tags = Some(aggregate_windows(&tag_windows, Aggregation::Mean, Task::MultiLabel));
        } else if let Some(fx) = &self.features {
            let m = input_matrix(samples, spec, fx)?;
            let col = spec.column_seconds();
            let starts = window_starts(m.cols, spec.crop_frames);
            windows_total = starts.len();
            for i in spread(starts.len(), self.max_windows) {
                let start = starts[i];
                inputs.push(crop(&m, spec, start));
                spans.push((start as f64 * col, ((start + spec.crop_frames) as f64 * col).min(duration)));
            }
        }
        let window_seconds = if self.backbone.is_some() { PATCH_SECONDS } else { spec.crop_frames as f64 * spec.column_seconds() };
        let warnings = audio_warnings(samples, self.sample_rate(), window_seconds);
        self.head(inputs, spans, tags, windows_total, duration, warnings, aggregation)
    }

    /// The model's head over window inputs (penultimate backbone features, or feature
    /// crops): window predictions, their aggregate and the song embedding.
    #[allow(clippy::too_many_arguments)]
    fn head(&self, mut inputs: Vec<Vec<f32>>, spans: Vec<(f64, f64)>, tags: Option<Vec<f32>>, windows_total: usize, duration: f64, warnings: Vec<String>, aggregation: Aggregation) -> Result<Prediction> {
        let shape = self.card.input.example_shape();
        if inputs.is_empty() {
            return Err(Error::Data("too short to analyse".into()));
        }
        for x in &mut inputs {
            self.card.normalizer.apply(x, shape.1);
        }
        let n = inputs.len();
        let c = self.card.labels.len();
        let (mut flat, mut embedding) = (Vec::with_capacity(n * c), Vec::new());
        let to_vec = |t: Tensor<2>| t.into_data().convert::<f32>().try_into_vec::<f32>().map_err(|e| Error::Data(format!("{e:?}")));
        for batch in inputs.chunks(FORWARD_BATCH) {
            let x = Tensor::<3>::from_data(TensorData::new(batch.concat(), [batch.len(), shape.0, shape.1]), &self.device);
            let (logits, emb) = self.net.forward(x);
            let emb = to_vec(emb)?;
            let dim = emb.len() / batch.len();
            embedding.resize(dim, 0.0f32);
            for row in emb.chunks(dim.max(1)) {
                embedding.iter_mut().zip(row).for_each(|(e, v)| *e += v / n as f32);
            }
            flat.extend(to_vec(probabilities(self.card.task, logits))?);
        }
        let windows: Vec<WindowPrediction> = flat.chunks(c).zip(spans).map(|(p, (start, end))| WindowPrediction { start, end, probabilities: p.to_vec() }).collect();
        let probabilities = match (self.card.input.rows, aggregation) {
            // The head was fitted on each track's mean input: it judges the song from that.
            // `vote` and `max` still read the windows, each judged on its own.
            (rows, Aggregation::Mean) if rows.judged_by_mean() => {
                let mean = crate::inputs::mean_row(inputs.iter().map(Vec::as_slice));
                let x = Tensor::<3>::from_data(TensorData::new(mean, [1, shape.0, shape.1]), &self.device);
                to_vec(probabilities(self.card.task, self.net.forward(x).0))?
            }
            _ => aggregate_windows(&windows, aggregation, self.card.task),
        };
        // Never a NaN shown as a genre: a model that gives one is broken, and says so.
        if !probabilities.iter().chain(&embedding).all(|v| v.is_finite()) {
            return Err(Error::Config(format!("model '{}' gave non-finite outputs (NaN or infinite): the model is broken, not the audio", self.name)));
        }
        Ok(Prediction { probabilities, windows, tags, duration, embedding, windows_total, warnings })
    }
}

/// Decodes `path` to mono samples at `rate`, with the decoder's warnings.
fn load_wave(path: &Path, rate: u32) -> Result<genrecast_audio::Waveform> {
    load(path, &LoadOptions { sample_rate: Some(rate), ..LoadOptions::default() }).map_err(|e| Error::Data(e.to_string()))
}

/// Runs backbones over the 3 s patches of 16 kHz samples (all of them, or `max` spread
/// evenly): the features of each patch (the layer the nets are set to read, side by side),
/// the first net's tag probabilities as a window spanning the patch, and how many patches
/// the song has.
fn backbone_windows(nets: &[Musicnn], front: &MusicnnFrontEnd, samples: &[f32], duration: f64, device: &Device, max: Option<usize>) -> Result<(Vec<Vec<f32>>, Vec<WindowPrediction>, usize)> {
    let input = front.network_input(samples);
    // One rule with `features`: audio whose spectrogram overflows is refused, not judged.
    if !input.data.iter().all(|v| v.is_finite()) {
        return Err(Error::Data(spectrogram_overflow(samples)));
    }
    let total = crate::musicnn::patch_count(&input);
    let which = spread(total, max);
    let out = crate::musicnn::analyse_stack(nets, &input, device, &which);
    Ok((out.features, patch_windows(out.taggram, &which, duration), total))
}

/// Why audio whose spectrogram overflowed is refused (one rule with `features`).
pub(crate) fn spectrogram_overflow(samples: &[f32]) -> String {
    let peak = samples.iter().fold(0f32, |m, v| m.max(v.abs()));
    format!("the spectrogram is not finite: samples reach {peak:e}, far outside [-1, 1]")
}

/// The windows of patches `which` (3 s each) of a song of `duration` seconds, with their tag
/// probabilities. A song shorter than a patch is repeated to fill it: its one window is the
/// whole patch.
pub(crate) fn patch_windows(taggram: Vec<Vec<f32>>, which: &[usize], duration: f64) -> Vec<WindowPrediction> {
    let end = duration.max(PATCH_SECONDS);
    taggram.into_iter().zip(which).map(|(p, &i)| WindowPrediction { start: i as f64 * PATCH_SECONDS, end: ((i + 1) as f64 * PATCH_SECONDS).min(end), probabilities: p }).collect()
}

/// A pretrained tagger (musicnn) over whole songs: tag probabilities per 3 s patch and their
/// aggregate.
///
/// # Example
/// ```
/// use genrecast_models::{Aggregation, Backbone, Tagger};
/// let tagger = Tagger::open(Backbone::MusicnnMtt)?;
/// let p = tagger.tag_samples(&vec![0.0; 16_000 * 4], Aggregation::Mean)?;
/// assert_eq!(p.probabilities.len(), tagger.tags().len());
/// assert_eq!(p.windows.len(), 1);
/// # Ok::<(), genrecast_models::Error>(())
/// ```
pub struct Tagger {
    net: Musicnn,
    front: MusicnnFrontEnd,
    device: Device,
    max_windows: Option<usize>,
    stream_above: f64,
    seek: bool,
}

impl Tagger {
    /// One of the shipped taggers.
    ///
    /// # Errors
    /// Never for the shipped weights.
    pub fn open(backbone: Backbone) -> Result<Self> {
        Self::open_on(backbone, ComputeDevice::Cpu)
    }

    /// As [`open`](Self::open), with the network on `on` (f32 on a GPU, as for
    /// [`Classifier::open_on`]).
    ///
    /// # Errors
    /// [`Error::Device`] for a device that is not there.
    pub fn open_on(backbone: Backbone, on: ComputeDevice) -> Result<Self> {
        let device = on.burn_device()?;
        Ok(Self { net: musicnn_on(backbone, on, &device)?, front: MusicnnFrontEnd::new().map_err(|e| Error::Config(e.to_string()))?, device, max_windows: Some(DEFAULT_MAX_WINDOWS), stream_above: crate::STREAM_ABOVE_SECONDS, seek: crate::seek_default() })
    }

    /// Files declared longer than `seconds` are tagged as they decode, in flat memory, with
    /// the same result as a whole-file decode. Default:
    /// [`STREAM_ABOVE_SECONDS`](crate::STREAM_ABOVE_SECONDS).
    pub fn set_stream_above(&mut self, seconds: f64) {
        self.stream_above = seconds;
    }

    /// Whether a long file tagged from some of its patches is read by seeking to them,
    /// decoding only what they need, or decoded from start to end; the result is the same.
    /// Default: [`seek_default`](crate::seek_default) when opened.
    pub fn set_seek(&mut self, seek: bool) {
        self.seek = seek;
    }

    /// Judges a song from at most `max` patches spread evenly over it (`None`: every
    /// patch). Default: [`DEFAULT_MAX_WINDOWS`].
    pub fn set_max_windows(&mut self, max: Option<usize>) {
        self.max_windows = max;
    }

    /// Sets the arithmetic of the front end (default [`Precision::Int8`]; always f32 on a GPU).
    pub fn set_precision(&mut self, precision: Precision) {
        if !crate::device::is_cpu(&self.device) {
            return;
        }
        self.net.set_precision(precision);
    }

    /// The arithmetic of the front end.
    pub fn precision(&self) -> Precision {
        self.net.precision()
    }

    /// Tag names, in output order.
    pub fn tags(&self) -> &[String] {
        self.net.tags()
    }

    /// What the tagger was trained on.
    pub fn trained_on(&self) -> &str {
        self.net.trained_on()
    }

    /// Decodes `path` and tags it.
    ///
    /// # Errors
    /// [`Error::Data`] naming the file for audio that cannot be read or holds no samples.
    pub fn tag_file(&self, path: &Path, aggregation: Aggregation) -> Result<Prediction> {
        if let Some(a) = crate::streamed::analyse_file(std::slice::from_ref(&self.net), &self.front, path, &self.device, self.max_windows, self.stream_above, self.seek)? {
            return Ok(tag_prediction(a.penultimate, a.windows, a.total, a.duration, a.warnings, aggregation));
        }
        let wave = load_wave(path, MusicnnFrontEnd::SAMPLE_RATE)?;
        let mut p = self.tag_samples(&wave.samples, aggregation).map_err(|e| Error::Data(format!("{}: {e}", path.display())))?;
        p.warnings.splice(0..0, wave.warnings);
        Ok(p)
    }

    /// Tags mono samples at 16 kHz.
    ///
    /// # Errors
    /// [`Error::Data`] for empty input.
    pub fn tag_samples(&self, samples: &[f32], aggregation: Aggregation) -> Result<Prediction> {
        if samples.is_empty() {
            return Err(Error::Data("no audio".into()));
        }
        let duration = samples.len() as f64 / f64::from(MusicnnFrontEnd::SAMPLE_RATE);
        let (penultimate, windows, windows_total) = backbone_windows(std::slice::from_ref(&self.net), &self.front, samples, duration, &self.device, self.max_windows)?;
        let warnings = audio_warnings(samples, MusicnnFrontEnd::SAMPLE_RATE, PATCH_SECONDS);
        Ok(tag_prediction(penultimate, windows, windows_total, duration, warnings, aggregation))
    }
}

/// A tagger's prediction from its patches; its embedding is the penultimate features
/// averaged over them.
fn tag_prediction(penultimate: Vec<Vec<f32>>, windows: Vec<WindowPrediction>, windows_total: usize, duration: f64, warnings: Vec<String>, aggregation: Aggregation) -> Prediction {
    let probabilities = aggregate_windows(&windows, aggregation, Task::MultiLabel);
    let mut embedding = vec![0.0f32; penultimate.first().map_or(0, Vec::len)];
    for row in &penultimate {
        embedding.iter_mut().zip(row).for_each(|(e, v)| *e += v / penultimate.len() as f32);
    }
    Prediction { probabilities, windows, tags: None, duration, embedding, windows_total, warnings }
}

/// Aggregates window predictions into one per song (as `Classifier` does).
pub fn aggregate_windows(windows: &[WindowPrediction], how: Aggregation, task: Task) -> Vec<f32> {
    let c = windows.first().map_or(0, |w| w.probabilities.len());
    let n = windows.len().max(1) as f32;
    let mut out = vec![0f32; c];
    match how {
        Aggregation::Mean => windows.iter().for_each(|w| out.iter_mut().zip(&w.probabilities).for_each(|(o, p)| *o += p / n)),
        Aggregation::Vote => windows.iter().for_each(|w| out[crate::train::argmax(&w.probabilities)] += 1.0 / n),
        Aggregation::Max => {
            windows.iter().for_each(|w| out.iter_mut().zip(&w.probabilities).for_each(|(o, p)| *o = o.max(*p)));
            // Single-label outputs stay a distribution; tag probabilities are independent.
            let sum: f32 = out.iter().sum();
            if task == Task::SingleLabel && sum > 0.0 {
                out.iter_mut().for_each(|o| *o /= sum);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_even_unique_and_complete_when_short() {
        assert_eq!(spread(5, Some(200)), vec![0, 1, 2, 3, 4]);
        assert_eq!(spread(5, None), vec![0, 1, 2, 3, 4]);
        assert_eq!(spread(10, Some(2)), vec![2, 7]);
        let s = spread(3600, Some(200));
        assert_eq!(s.len(), 200);
        assert!(s.windows(2).all(|w| w[1] - w[0] == 18), "{s:?}");
        assert_eq!((s[0], s[199]), (9, 3591));
    }
}
