//! Python bindings of genrecast (pyo3, abi3: one wheel for CPython 3.9 and later).
//!
//! ```python
//! import genrecast
//! y, sr = genrecast.load("song.mp3")                # mono float32 at 22,050 Hz, as librosa.load
//! feats = genrecast.features("song.mp3", ["mfcc", "chroma"])   # {"mfcc": (20, frames), ...}
//! result = genrecast.classify("song.mp3")           # {"probabilities": {...}, "top": [...], ...}
//! vector = genrecast.embed("song.mp3")              # the model's song embedding
//! model = genrecast.Model("genre-gtzan")            # keep one open for many songs
//! ```
//!
//! The work runs without the GIL, so Python threads (and Ray or Dask workers) run songs in
//! parallel. Errors are `ValueError`s naming the file and the cause.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use genrecast_audio::LoadOptions;
use genrecast_features::{FeatureConfig, FeatureExtractor, FeatureKind, MusicnnFrontEnd};
use genrecast_models::{Aggregation, Classifier, Prediction};
use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
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
#[pyo3(signature = (path, sr=Some(22_050), offset=0.0, duration=None))]
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

fn extractor(sr: u32) -> Result<Arc<FeatureExtractor>, String> {
    let mut built = EXTRACTORS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, fx)) = built.iter().find(|(rate, _)| *rate == sr) {
        return Ok(Arc::clone(fx));
    }
    let fx = Arc::new(FeatureExtractor::new(FeatureConfig { sr, ..Default::default() }).map_err(|e| e.to_string())?);
    built.push((sr, Arc::clone(&fx)));
    Ok(fx)
}

/// Model(name="genre-gtzan", max_windows=DEFAULT, precision="int8")
///
/// A genre model kept open: a built-in name (see `genrecast models`) or a model folder written
/// by `genrecast train`. Thread-safe; each call decodes and judges one file. `precision` is the
/// arithmetic of the musicnn backbone's front end, as the CLI's `--precision`: "int8" (fast,
/// taggrams within 0.03 of musicnn's) or "f32" (exact).
#[pyclass(frozen)]
struct Model {
    name: String,
    labels: Vec<String>,
    tag_names: Vec<String>,
    trained_on: String,
    precision: genrecast_models::Precision,
    inner: Mutex<Classifier>,
}

#[pymethods]
impl Model {
    #[new]
    #[pyo3(signature = (name=genrecast_models::DEFAULT_MODEL.to_owned(), max_windows=Some(genrecast_models::DEFAULT_MAX_WINDOWS), precision="int8"))]
    fn new(py: Python<'_>, name: String, max_windows: Option<usize>, precision: &str) -> PyResult<Self> {
        let precision: genrecast_models::Precision = precision.parse().map_err(value_error)?;
        let mut classifier = py.detach(|| Classifier::open(&name)).map_err(value_error)?;
        classifier.set_precision(precision);
        // 0 or None: every window, as the CLI's --max-windows 0.
        classifier.set_max_windows(max_windows.filter(|&m| m > 0));
        let trained_on = classifier.card().trained_on.to_string();
        let labels = classifier.labels().to_vec();
        let tag_names = classifier.tag_names().map(<[String]>::to_vec).unwrap_or_default();
        Ok(Self { name, labels, tag_names, trained_on, precision, inner: Mutex::new(classifier) })
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

    /// classify(path) -> dict: the record `genrecast classify --format json` writes for the
    /// file: duration_s, probabilities {genre: p}, top (3, highest first), windows,
    /// windows_total, tags (the tagger backbone's five strongest, if any).
    fn classify<'py>(&self, py: Python<'py>, path: PathBuf) -> PyResult<Bound<'py, PyDict>> {
        let p = self.predict(py, &path)?;
        let out = PyDict::new(py);
        out.set_item("file", path.display().to_string())?;
        out.set_item("duration_s", p.duration)?;
        let probabilities = PyDict::new(py);
        for (label, &v) in self.labels.iter().zip(&p.probabilities) {
            probabilities.set_item(label, f64::from(v))?;
        }
        out.set_item("probabilities", probabilities)?;
        out.set_item("top", ranked(py, &p.probabilities, &self.labels, 3, "label")?)?;
        out.set_item("windows", p.windows.len())?;
        out.set_item("windows_total", p.windows_total.max(p.windows.len()))?;
        if let Some(tags) = &p.tags {
            out.set_item("tags", ranked(py, tags, &self.tag_names, 5, "tag")?)?;
        }
        if !p.warnings.is_empty() {
            out.set_item("warnings", p.warnings.clone())?;
        }
        Ok(out)
    }

    /// embed(path) -> numpy.ndarray[float32]: the song's embedding (similar songs lie close).
    fn embed<'py>(&self, py: Python<'py>, path: PathBuf) -> PyResult<Bound<'py, PyArray1<f32>>> {
        Ok(self.predict(py, &path)?.embedding.into_pyarray(py))
    }

    fn __repr__(&self) -> String {
        format!("genrecast.Model({:?}: {} genres, trained on {})", self.name, self.labels.len(), self.trained_on)
    }
}

impl Model {
    fn predict(&self, py: Python<'_>, path: &std::path::Path) -> PyResult<Prediction> {
        py.detach(|| {
            let model = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            model.classify_file(path, Aggregation::Mean)
        })
        .map_err(value_error)
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

/// Models opened by the module-level functions, by name, kept for later calls.
static OPEN: Mutex<Vec<Py<Model>>> = Mutex::new(Vec::new());

fn model_named(py: Python<'_>, name: &str) -> PyResult<Py<Model>> {
    let mut open = OPEN.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(m) = open.iter().find(|m| m.get().name == name) {
        return Ok(m.clone_ref(py));
    }
    let m = Py::new(py, Model::new(py, name.to_owned(), Some(genrecast_models::DEFAULT_MAX_WINDOWS), genrecast_models::Precision::default().name())?)?;
    open.push(m.clone_ref(py));
    Ok(m)
}

/// classify(path, model="genre-gtzan") -> dict: as `Model(model).classify(path)`, with the
/// model opened once and kept.
#[pyfunction]
#[pyo3(signature = (path, model=genrecast_models::DEFAULT_MODEL.to_owned()))]
fn classify<'py>(py: Python<'py>, path: PathBuf, model: String) -> PyResult<Bound<'py, PyDict>> {
    model_named(py, &model)?.get().classify(py, path)
}

/// embed(path, model="genre-gtzan") -> numpy.ndarray[float32]: as `Model(model).embed(path)`.
#[pyfunction]
#[pyo3(signature = (path, model=genrecast_models::DEFAULT_MODEL.to_owned()))]
fn embed<'py>(py: Python<'py>, path: PathBuf, model: String) -> PyResult<Bound<'py, PyArray1<f32>>> {
    model_named(py, &model)?.get().embed(py, path)
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
    m.add_class::<Model>()?;
    Ok(())
}
