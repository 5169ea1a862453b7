//! `genrecast.train`, `genrecast.evaluate` and `genrecast.bench_models`: the experiment layer
//! (`genrecast_experiments`) as Python functions. Options cross as JSON: keyword arguments
//! become the fields of the library's options structs (the CLI's long flag names with `_`),
//! and results come back as the dicts `json.loads` makes.

use std::path::PathBuf;

use genrecast_datasets::FeatureCache;
use genrecast_experiments::{DatasetSource, Runtime, Stderr};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::value_error;

/// Python values to JSON and back, through the standard `json` module.
fn to_json(py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<serde_json::Value> {
    let text: String = py.import("json")?.call_method1("dumps", (v,))?.extract()?;
    serde_json::from_str(&text).map_err(value_error)
}

fn from_json<'py>(py: Python<'py>, v: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (v.to_string(),))
}

/// `T`'s defaults with `fields` set over them (unknown fields are refused).
fn options<T: Default + serde::Serialize + serde::de::DeserializeOwned>(py: Python<'_>, fields: serde_json::Map<String, serde_json::Value>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<T> {
    let mut value = serde_json::to_value(T::default()).map_err(value_error)?;
    let serde_json::Value::Object(map) = &mut value else { return Err(value_error("options are not a table")) };
    let extra = match kwargs {
        Some(k) => match to_json(py, k.as_any())? {
            serde_json::Value::Object(m) => m,
            _ => serde_json::Map::new(),
        },
        None => serde_json::Map::new(),
    };
    for (key, v) in fields.into_iter().chain(extra) {
        if !map.contains_key(&key) {
            return Err(value_error(format!("unknown option '{key}' (known: {})", map.keys().cloned().collect::<Vec<_>>().join(", "))));
        }
        map.insert(key, v);
    }
    serde_json::from_value(value).map_err(value_error)
}

/// The feature cache as the CLI's default: `$GENRECAST_CACHE` or the user cache folder, none
/// when `$GENRECAST_NO_CACHE` is set.
fn default_cache() -> PyResult<Option<FeatureCache>> {
    if std::env::var_os("GENRECAST_NO_CACHE").is_some_and(|v| !v.is_empty() && v != "0" && v != "false") {
        return Ok(None);
    }
    FeatureCache::open(&FeatureCache::default_dir()).map(Some).map_err(value_error)
}

/// Runs `work` without the GIL on `device`, news to stderr.
fn run<T: Send>(py: Python<'_>, device: &str, work: impl FnOnce(&Runtime) -> genrecast_experiments::Result<T> + Send) -> PyResult<T> {
    let device: genrecast_models::ComputeDevice = device.parse().map_err(value_error)?;
    let cache = default_cache()?;
    py.detach(|| work(&Runtime { device, cache: cache.as_ref(), progress: &Stderr })).map_err(|e| value_error(genrecast_experiments::error_chain(&e)))
}

/// train(dataset, model="mlp", split="folds3", out="model", *, device="cpu", **options) -> dict
///
/// Trains as `genrecast train DATASET --model MODEL --split SPLIT --out OUT` does and returns
/// `{"model": out, "metrics": {...}, "folds": [...]}`: the model folder, the held-out figures
/// of the fold (as model.json keeps them; with `all_folds=True`, one dict per fold name), and
/// each fold's accuracy, balanced accuracy, macro F1 and model folder. `options`: any other
/// `train` flag, with `_` for `-` (`epochs=5`, `fold=2`, `all_folds=True`, `input="summary"`).
#[pyfunction]
#[pyo3(signature = (dataset, model="mlp", split="folds3", out=PathBuf::from("model"), *, device="cpu", **options), text_signature = "(dataset, model='mlp', split='folds3', out='model', *, device='cpu', **options)")]
pub fn train<'py>(py: Python<'py>, dataset: PathBuf, model: &str, split: &str, out: PathBuf, device: &str, options: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyDict>> {
    let mut fields = serde_json::Map::new();
    fields.insert("model".into(), model.into());
    fields.insert("split".into(), split.into());
    fields.insert("out".into(), out.to_string_lossy().into_owned().into());
    let opts: genrecast_experiments::TrainOptions = self::options(py, fields, options)?;
    let source = DatasetSource::new(dataset);
    let report = run(py, device, |rt| genrecast_experiments::train(&source, &opts, rt, &mut |_| std::ops::ControlFlow::Continue(())))?;
    let metrics = match &report.folds[..] {
        [one] => one.metrics.clone(),
        folds => folds.iter().map(|f| (f.fold.clone(), f.metrics.clone())).collect::<serde_json::Map<_, _>>().into(),
    };
    let result = PyDict::new(py);
    result.set_item("model", out)?;
    result.set_item("metrics", from_json(py, &metrics)?)?;
    result.set_item("folds", from_json(py, &serde_json::to_value(&report.folds).map_err(value_error)?)?)?;
    Ok(result)
}

/// evaluate(model, dataset, split="filtered", fold=1, *, device="cpu", **options) -> dict
///
/// Scores a model folder (or a built-in model) per track on one side of a fold, as `genrecast
/// eval --json` does, and returns the same figures: tracks, accuracy, balanced_accuracy,
/// macro_f1, confusion, ... (a tagging model: `tagging`). `options`: `side`, `aggregate`,
/// `middle_windows`, `each_window`, `patch_hop`, `allow_leakage`, `lyrics`.
#[pyfunction]
#[pyo3(signature = (model, dataset, split="filtered", fold=1, *, device="cpu", **options), text_signature = "(model, dataset, split='filtered', fold=1, *, device='cpu', **options)")]
pub fn evaluate<'py>(py: Python<'py>, model: PathBuf, dataset: PathBuf, split: &str, fold: usize, device: &str, options: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
    let mut fields = serde_json::Map::new();
    fields.insert("split".into(), split.into());
    fields.insert("fold".into(), fold.into());
    let opts: genrecast_experiments::EvalOptions = self::options(py, fields, options)?;
    let source = DatasetSource::new(dataset);
    let report = run(py, device, |rt| genrecast_experiments::evaluate(&model, &source, &opts, rt))?;
    from_json(py, &report.to_json())
}

/// bench_models(dataset, split="folds3", features=None, models=None, *, device="cpu", **options) -> list[dict] | pandas.DataFrame
///
/// The rows of `genrecast bench-models`: each model family on each feature set, per-fold
/// accuracy, balanced accuracy and macro F1 on every fold's test side. `features` and `models`
/// as the CLI's (default: summary and table; knn, logistic, svm-linear, svm-poly, svm-rbf,
/// forest, boosting). A pandas DataFrame when pandas is installed, else a list of dicts.
/// `options`: `grid`, `rows`, `aggregate`, `neural`, `epochs`, `seed`, `out`, ...
#[pyfunction]
#[pyo3(signature = (dataset, split="folds3", features=None, models=None, *, device="cpu", **options), text_signature = "(dataset, split='folds3', features=None, models=None, *, device='cpu', **options)")]
pub fn bench_models<'py>(py: Python<'py>, dataset: PathBuf, split: &str, features: Option<Vec<String>>, models: Option<Vec<String>>, device: &str, options: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
    let mut fields = serde_json::Map::new();
    fields.insert("split".into(), split.into());
    if let Some(f) = features {
        fields.insert("features".into(), f.into());
    }
    if let Some(m) = models {
        fields.insert("models".into(), m.into());
    }
    let opts: genrecast_experiments::BenchModelsOptions = self::options(py, fields, options)?;
    let source = DatasetSource::new(dataset);
    let bench = run(py, device, |rt| genrecast_experiments::bench_models(&source, &opts, rt))?;
    if let Some(f) = bench.failures.first() {
        return Err(value_error(format!("{} rows failed, e.g. {f}", bench.failures.len())));
    }
    let rows = from_json(py, &serde_json::to_value(&bench.rows).map_err(value_error)?)?;
    match py.import("pandas") {
        Ok(pandas) => pandas.call_method1("DataFrame", (rows,)),
        Err(_) => Ok(rows),
    }
}
