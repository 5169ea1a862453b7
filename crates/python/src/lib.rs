//! Python bindings of genrecast (pyo3, abi3: one wheel for CPython 3.9 and later).
//!
//! ```python
//! import genrecast
//! y, sr = genrecast.load("song.mp3")                # mono float32 at 22,050 Hz, as librosa.load
//! feats = genrecast.features("song.mp3", ["mfcc", "chroma"])   # {"mfcc": (20, frames), ...}
//! result = genrecast.classify("song.mp3")           # {"probabilities": {...}, "top": [...], ...}
//! result = genrecast.classify(y, sr=sr, top_k=5)    # samples in memory: a 1-D float32 array
//! vector = genrecast.embed(y, sr=sr)                # the model's song embedding
//! model = genrecast.Model("genre-gtzan")            # keep one open for many songs
//! run = genrecast.train("gtzan/", model="mlp", split="folds3", out="m", epochs=5)
//! figures = genrecast.evaluate("m", "gtzan/", split="folds3")   # as `genrecast eval --json`
//! table = genrecast.bench_models("gtzan/", features=["summary"], models=["knn"])
//! ```
//!
//! The work runs without the GIL, so Python threads (and Ray or Dask workers) run songs in
//! parallel. Errors are `ValueError`s naming the file and the cause; audio of the wrong type
//! (an int16 array, a list) is a `TypeError`. `genrecast.pyi` beside this crate gives editors
//! and type checkers the signatures; a test keeps its docstrings equal to these.

mod experiments;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use genrecast_audio::LoadOptions;
use genrecast_features::{FeatureConfig, FeatureExtractor, FeatureKind, MusicnnFrontEnd};
use genrecast_models::{Aggregation, Classifier, Prediction};
use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArrayDescrMethods, PyArrayMethods, PyReadonlyArray1, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// Audio given to [`features`]: a file, or mono samples already in memory.
#[derive(FromPyObject)]
enum Audio<'py> {
    Samples(PyReadonlyArray1<'py, f32>),
    Samples64(PyReadonlyArray1<'py, f64>),
    Path(PathBuf),
}

/// load(path, sr=22050, offset=0.0, duration=None) -> (numpy.ndarray[float32], int)
///
/// Decodes a file to mono float32 and resamples it to `sr` (None: the file's own rate), as
/// `librosa.load(path, sr=sr)` does (soxr_hq-like resampling). Returns `(y, sr)`.
#[pyfunction]
#[pyo3(signature = (path, sr=Some(22_050), offset=0.0, duration=None), text_signature = "(path, sr=22050, offset=0.0, duration=None)")]
fn load<'py>(py: Python<'py>, path: PathBuf, sr: Option<u32>, offset: f64, duration: Option<f64>) -> PyResult<(Bound<'py, PyArray1<f32>>, u32)> {
    let opts = LoadOptions { sample_rate: sr, offset, duration, ..Default::default() };
    let wave = py.detach(|| genrecast_audio::load(&path, &opts)).map_err(value_error)?;
    Ok((wave.samples.into_pyarray(py), wave.sample_rate))
}

/// features(audio, names=None, sr=22050) -> dict[str, numpy.ndarray]
///
/// librosa-compatible features of a file or of mono samples (a 1-D float array at `sr`):
/// `{name: float32 array of shape (features, frames)}`, the arrays `genrecast features`
/// writes as .npy. `names` as the CLI's `--set` (default: mel_db, mfcc, chroma, centroid,
/// bandwidth, rolloff, contrast, flatness, zcr, rms, tempo); `musicnn_logmel` needs a file.
#[pyfunction]
#[pyo3(signature = (audio, names=None, sr=22_050))]
fn features<'py>(py: Python<'py>, audio: Audio<'py>, names: Option<Vec<String>>, sr: u32) -> PyResult<Bound<'py, PyDict>> {
    let names = names.unwrap_or_else(|| ["mel_db", "mfcc", "chroma", "centroid", "bandwidth", "rolloff", "contrast", "flatness", "zcr", "rms", "tempo"].map(String::from).to_vec());
    let musicnn = names.iter().any(|n| n == "musicnn_logmel");
    let kinds: Vec<FeatureKind> = names.iter().filter(|n| *n != "musicnn_logmel").map(|n| n.parse()).collect::<Result<_, _>>().map_err(value_error)?;
    let (samples, path) = match audio {
        Audio::Samples(a) => (a.as_slice().map_err(value_error)?.to_vec(), None),
        Audio::Samples64(a) => (a.as_slice().map_err(value_error)?.iter().map(|&v| v as f32).collect(), None),
        Audio::Path(p) => (Vec::new(), Some(p)),
    };
    let computed = py.detach(|| -> Result<Vec<(String, genrecast_features::Array2)>, String> {
        let fx = extractor(sr)?;
        let y = match &path {
            Some(p) => genrecast_audio::load(p, &LoadOptions { sample_rate: Some(sr), ..Default::default() }).map_err(|e| e.to_string())?.samples,
            None => samples,
        };
        let named = |e: genrecast_features::Error| path.as_ref().map_or_else(|| e.to_string(), |p| format!("{}: {e}", p.display()));
        let mut out: Vec<(String, genrecast_features::Array2)> = fx.extract(&y, &kinds).map_err(named)?.into_iter().map(|(k, a)| (k.name().to_owned(), a)).collect();
        if musicnn {
            let Some(p) = &path else { return Err("musicnn_logmel needs a file (it decodes at 16 kHz)".into()) };
            let y16 = genrecast_audio::load(p, &LoadOptions { sample_rate: Some(MusicnnFrontEnd::SAMPLE_RATE), ..Default::default() }).map_err(|e| e.to_string())?;
            let front = MUSICNN.get_or_init(MusicnnFrontEnd::new).as_ref().map_err(|e| e.to_string())?;
            out.push(("musicnn_logmel".into(), front.logmel(&y16.samples)));
        }
        Ok(out)
    });
    let dict = PyDict::new(py);
    for (name, a) in computed.map_err(PyValueError::new_err)? {
        let array = Array2::from_shape_vec((a.rows, a.cols), a.data).map_err(value_error)?;
        dict.set_item(name, array.into_pyarray(py))?;
    }
    Ok(dict)
}

/// Feature extractors by sample rate, built once and shared by every call (their FFT plans,
/// filterbanks and DCT are the costly part of a short file).
static EXTRACTORS: Mutex<Vec<(u32, Arc<FeatureExtractor>)>> = Mutex::new(Vec::new());

/// musicnn's front end (one configuration), built once.
static MUSICNN: OnceLock<Result<MusicnnFrontEnd, genrecast_features::Error>> = OnceLock::new();

/// Audio given to `classify` and `embed`: a file (decoded at the model's rate), or mono
/// samples in memory with their rate.
enum Input {
    File(PathBuf),
    Samples(Vec<f32>, u32),
}

impl Input {
    /// `audio` as a path or a 1-D float32/float64 array at `sr` Hz. A wrong type or dtype is a
    /// `TypeError`; a wrong shape, no samples or a rate that is not positive a `ValueError`.
    fn from_py(audio: &Bound<'_, PyAny>, sr: i64) -> PyResult<Self> {
        let Ok(array) = audio.cast::<PyUntypedArray>() else {
            return audio.extract::<PathBuf>().map(Self::File).map_err(|_| {
                let kind = audio.get_type().name().map_or_else(|_| "?".to_owned(), |n| n.to_string());
                PyTypeError::new_err(format!("audio must be a file path or a 1-D numpy array of mono samples (float32), not {kind}; for a list use numpy.asarray(y, dtype=numpy.float32)"))
            });
        };
        if array.ndim() != 1 {
            return Err(value_error(format!("audio must be a 1-D array of mono samples, not an array of shape {:?}; mix channels down first (e.g. y.mean(axis=0))", array.shape())));
        }
        let py = audio.py();
        let dtype = array.dtype();
        let samples: Vec<f32> = if dtype.is_equiv_to(&numpy::dtype::<f32>(py)) {
            audio.cast::<PyArray1<f32>>()?.readonly().as_array().iter().copied().collect()
        } else if dtype.is_equiv_to(&numpy::dtype::<f64>(py)) {
            audio.cast::<PyArray1<f64>>()?.readonly().as_array().iter().map(|&v| v as f32).collect()
        } else {
            return Err(PyTypeError::new_err(format!("audio samples must be float32 (or float64) in [-1, 1], not {dtype}; for integer PCM divide by its full scale, e.g. y.astype(numpy.float32) / 32768")));
        };
        if samples.is_empty() {
            return Err(value_error("audio holds no samples (an empty array)"));
        }
        let sr = u32::try_from(sr).ok().filter(|&r| r > 0).ok_or_else(|| value_error(format!("sr must be the samples' rate in Hz, a positive whole number, not {sr}")))?;
        Ok(Self::Samples(samples, sr))
    }

    /// The file's name, for a result that says which file it is.
    fn file(&self) -> Option<&std::path::Path> {
        match self {
            Self::File(p) => Some(p),
            Self::Samples(..) => None,
        }
    }
}

fn extractor(sr: u32) -> Result<Arc<FeatureExtractor>, String> {
    let mut built = EXTRACTORS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, fx)) = built.iter().find(|(rate, _)| *rate == sr) {
        return Ok(Arc::clone(fx));
    }
    let fx = Arc::new(FeatureExtractor::new(FeatureConfig { sr, ..Default::default() }).map_err(|e| e.to_string())?);
    built.push((sr, Arc::clone(&fx)));
    Ok(fx)
}

/// Model(name="genre-gtzan", max_windows=32, precision="int8", device="cpu")
///
/// A genre model kept open: a built-in name (`genrecast models` lists them) or a model folder
/// written by `genrecast train` or `genrecast models export`. Thread-safe. `max_windows`: judge
/// a long song from at most this many 3 s windows spread evenly over it (0 or None: every
/// window), as the CLI's `--max-windows`. `precision` is the arithmetic of the musicnn
/// backbone's front end, as the CLI's `--precision`: "int8" (fast, taggrams within 0.03 of
/// musicnn's) or "f32" (exact; always so on a GPU). `device`, as the CLI's `--device`: "cpu"
/// or "cuda[:N]" (an NVIDIA GPU, in a build with the `cuda` feature); a GPU that is not there
/// raises ValueError naming what is missing.
#[pyclass(frozen)]
struct Model {
    name: String,
    labels: Vec<String>,
    tag_names: Vec<String>,
    trained_on: String,
    precision: genrecast_models::Precision,
    device: genrecast_models::ComputeDevice,
    max_windows: Option<usize>,
    inner: Mutex<Classifier>,
}

#[pymethods]
impl Model {
    #[new]
    #[pyo3(signature = (name=genrecast_models::DEFAULT_MODEL.to_owned(), max_windows=Some(genrecast_models::DEFAULT_MAX_WINDOWS), precision="int8", device="cpu"), text_signature = "(name='genre-gtzan', max_windows=32, precision='int8', device='cpu')")]
    fn new(py: Python<'_>, name: String, max_windows: Option<usize>, precision: &str, device: &str) -> PyResult<Self> {
        let precision: genrecast_models::Precision = precision.parse().map_err(value_error)?;
        let device: genrecast_models::ComputeDevice = device.parse().map_err(value_error)?;
        let mut classifier = py.detach(|| Classifier::open_on(&name, device)).map_err(value_error)?;
        classifier.set_precision(precision);
        // What it computes in: f32 on a GPU, whatever was asked.
        let precision = if device.is_gpu() { genrecast_models::Precision::F32 } else { precision };
        // 0 or None: every window, as the CLI's --max-windows 0.
        let max_windows = max_windows.filter(|&m| m > 0);
        classifier.set_max_windows(max_windows);
        let trained_on = classifier.card().trained_on.to_string();
        let labels = classifier.labels().to_vec();
        let tag_names = classifier.tag_names().map(<[String]>::to_vec).unwrap_or_default();
        Ok(Self { name, labels, tag_names, trained_on, precision, device, max_windows, inner: Mutex::new(classifier) })
    }

    /// The model's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// The backbone's arithmetic: "int8" or "f32".
    #[getter]
    fn precision(&self) -> &'static str {
        self.precision.name()
    }

    /// Where the model runs: "cpu" or "cuda:N".
    #[getter]
    fn device(&self) -> String {
        self.device.to_string()
    }

    /// The most windows a song is judged from (None: every window).
    #[getter]
    fn max_windows(&self) -> Option<usize> {
        self.max_windows
    }

    /// The genres, in the order of the model's outputs.
    #[getter]
    fn labels(&self) -> Vec<String> {
        self.labels.clone()
    }

    /// What the model was trained on (dataset, split, number of tracks).
    #[getter]
    fn trained_on(&self) -> &str {
        &self.trained_on
    }

    /// classify(audio, sr=22050, *, top_k=3, aggregate="mean", segments=False) -> dict
    ///
    /// The record `genrecast classify --format json` writes for a file: duration_s,
    /// probabilities {genre: p}, top (`top_k`, highest first), windows, windows_total, tags
    /// (the tagger backbone's five strongest, if any), warnings (if any), and with
    /// `segments=True` one entry per window (start_s, end_s, top, probabilities). `audio` is a
    /// file path (then the record has `file`) or mono samples in memory: a 1-D float32 (or
    /// float64) array at `sr` Hz, resampled to the model's rate as a file would be.
    /// `aggregate`: how window predictions become one, "mean", "vote" or "max".
    #[pyo3(signature = (audio, sr=22_050, *, top_k=3, aggregate="mean", segments=false))]
    fn classify<'py>(&self, py: Python<'py>, audio: &Bound<'py, PyAny>, sr: i64, top_k: usize, aggregate: &str, segments: bool) -> PyResult<Bound<'py, PyDict>> {
        let aggregation: Aggregation = aggregate.parse().map_err(value_error)?;
        let input = Input::from_py(audio, sr)?;
        let p = self.predict(py, &input, aggregation)?;
        let out = PyDict::new(py);
        if let Some(path) = input.file() {
            out.set_item("file", path.display().to_string())?;
        }
        out.set_item("duration_s", p.duration)?;
        out.set_item("probabilities", self.named(py, &p.probabilities)?)?;
        out.set_item("top", ranked(py, &p.probabilities, &self.labels, top_k, "label")?)?;
        out.set_item("windows", p.windows.len())?;
        out.set_item("windows_total", p.windows_total.max(p.windows.len()))?;
        if let Some(tags) = &p.tags {
            out.set_item("tags", ranked(py, tags, &self.tag_names, 5, "tag")?)?;
        }
        if !p.warnings.is_empty() {
            out.set_item("warnings", p.warnings.clone())?;
        }
        if segments {
            let rows = p
                .windows
                .iter()
                .map(|w| {
                    let d = PyDict::new(py);
                    d.set_item("start_s", w.start)?;
                    d.set_item("end_s", w.end)?;
                    d.set_item("top", ranked(py, &w.probabilities, &self.labels, top_k, "label")?)?;
                    d.set_item("probabilities", self.named(py, &w.probabilities)?)?;
                    Ok(d)
                })
                .collect::<PyResult<Vec<_>>>()?;
            out.set_item("segments", rows)?;
        }
        Ok(out)
    }

    /// embed(audio, sr=22050) -> numpy.ndarray[float32]
    ///
    /// The song's embedding (similar songs lie close). `audio` as for `classify`: a file path
    /// or a 1-D float32 array of mono samples at `sr` Hz.
    #[pyo3(signature = (audio, sr=22_050))]
    fn embed<'py>(&self, py: Python<'py>, audio: &Bound<'py, PyAny>, sr: i64) -> PyResult<Bound<'py, PyArray1<f32>>> {
        let input = Input::from_py(audio, sr)?;
        Ok(self.predict(py, &input, Aggregation::Mean)?.embedding.into_pyarray(py))
    }

    fn __repr__(&self) -> String {
        format!("genrecast.Model({:?}: {} genres, trained on {})", self.name, self.labels.len(), self.trained_on)
    }
}

impl Model {
    fn predict(&self, py: Python<'_>, input: &Input, aggregation: Aggregation) -> PyResult<Prediction> {
        py.detach(|| {
            let model = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            match input {
                Input::File(path) => model.classify_file(path, aggregation),
                Input::Samples(samples, sr) => {
                    // The resampler a file decoded at the model's rate goes through.
                    let y = genrecast_audio::resample(samples, *sr, model.sample_rate(), genrecast_audio::ResampleQuality::High).map_err(|e| genrecast_models::Error::Data(format!("resampling {sr} Hz samples: {e}")))?;
                    model.classify_samples(&y, aggregation)
                }
            }
        })
        .map_err(value_error)
    }

    /// `{label: p}` in the model's label order.
    fn named<'py>(&self, py: Python<'py>, values: &[f32]) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (label, &v) in self.labels.iter().zip(values) {
            d.set_item(label, f64::from(v))?;
        }
        Ok(d)
    }
}

/// The `k` highest values as `[{key: name, "probability": p}, ...]`.
fn ranked<'py>(py: Python<'py>, values: &[f32], names: &[String], k: usize, key: &str) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let values = &values[..values.len().min(names.len())];
    genrecast_eval::top_indices(values, k)
        .into_iter()
        .map(|i| {
            let d = PyDict::new(py);
            d.set_item(key, &names[i])?;
            d.set_item("probability", f64::from(values[i]))?;
            Ok(d)
        })
        .collect()
}

// The text signatures spell out the defaults that pyo3 shows as `...` (any that is not a
// literal): the stubs and editors show them, and pytest checks them against the behaviour.

/// Models opened by the module-level functions, by name and settings, kept for later calls.
static OPEN: Mutex<Vec<Py<Model>>> = Mutex::new(Vec::new());

fn model_named(py: Python<'_>, name: &str, max_windows: Option<usize>, precision: &str) -> PyResult<Py<Model>> {
    let max_windows = max_windows.filter(|&m| m > 0);
    let mut open = OPEN.lock().unwrap_or_else(|p| p.into_inner());
    // The module-level functions run on the CPU; a GPU is asked for with `Model(device=...)`.
    if let Some(m) = open.iter().find(|m| (m.get().name.as_str(), m.get().max_windows, m.get().precision.name(), m.get().device) == (name, max_windows, precision, genrecast_models::ComputeDevice::Cpu)) {
        return Ok(m.clone_ref(py));
    }
    let m = Py::new(py, Model::new(py, name.to_owned(), max_windows, precision, "cpu")?)?;
    open.push(m.clone_ref(py));
    Ok(m)
}

/// classify(audio, model="genre-gtzan", sr=22050, *, top_k=3, aggregate="mean", max_windows=32, precision="int8", segments=False) -> dict
///
/// As `Model(model, max_windows, precision).classify(audio, sr, ...)`, with the model opened
/// once and kept. `audio`: a file path, or mono samples in memory (a 1-D float32 array at `sr`
/// Hz). `model`: a built-in name (`genrecast models` lists them) or a model folder.
#[pyfunction]
#[pyo3(
    signature = (audio, model=genrecast_models::DEFAULT_MODEL.to_owned(), sr=22_050, *, top_k=3, aggregate="mean", max_windows=Some(genrecast_models::DEFAULT_MAX_WINDOWS), precision="int8", segments=false),
    text_signature = "(audio, model='genre-gtzan', sr=22050, *, top_k=3, aggregate='mean', max_windows=32, precision='int8', segments=False)"
)]
#[allow(clippy::too_many_arguments)]
fn classify<'py>(py: Python<'py>, audio: &Bound<'py, PyAny>, model: String, sr: i64, top_k: usize, aggregate: &str, max_windows: Option<usize>, precision: &str, segments: bool) -> PyResult<Bound<'py, PyDict>> {
    model_named(py, &model, max_windows, precision)?.get().classify(py, audio, sr, top_k, aggregate, segments)
}

/// embed(audio, model="genre-gtzan", sr=22050, *, max_windows=32, precision="int8") -> numpy.ndarray[float32]
///
/// As `Model(model, max_windows, precision).embed(audio, sr)`. `model`: a built-in name
/// (`genrecast models` lists them) or a model folder.
#[pyfunction]
#[pyo3(
    signature = (audio, model=genrecast_models::DEFAULT_MODEL.to_owned(), sr=22_050, *, max_windows=Some(genrecast_models::DEFAULT_MAX_WINDOWS), precision="int8"),
    text_signature = "(audio, model='genre-gtzan', sr=22050, *, max_windows=32, precision='int8')"
)]
fn embed<'py>(py: Python<'py>, audio: &Bound<'py, PyAny>, model: String, sr: i64, max_windows: Option<usize>, precision: &str) -> PyResult<Bound<'py, PyArray1<f32>>> {
    model_named(py, &model, max_windows, precision)?.get().embed(py, audio, sr)
}

/// genrecast: music genre classification, tagging and librosa-compatible features.
#[pymodule]
fn genrecast(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DEFAULT_MODEL", genrecast_models::DEFAULT_MODEL)?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(features, m)?)?;
    m.add_function(wrap_pyfunction!(classify, m)?)?;
    m.add_function(wrap_pyfunction!(embed, m)?)?;
    m.add_function(wrap_pyfunction!(experiments::train, m)?)?;
    m.add_function(wrap_pyfunction!(experiments::evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(experiments::bench_models, m)?)?;
    m.add_class::<Model>()?;
    Ok(())
}
