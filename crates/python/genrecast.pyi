"""genrecast: music genre classification, tagging and librosa-compatible features."""

import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union, final

import numpy as np
import numpy.typing as npt

_Path = Union[str, "os.PathLike[str]"]
_Samples = Union[npt.NDArray[np.float32], npt.NDArray[np.float64]]
_Audio = Union[_Path, _Samples]

__all__ = ["__version__", "DEFAULT_MODEL", "load", "features", "classify", "embed", "train", "evaluate", "bench_models", "Model"]

__version__: str
DEFAULT_MODEL: str

def load(path: _Path, sr: Optional[int] = 22050, offset: float = 0.0, duration: Optional[float] = None) -> Tuple[npt.NDArray[np.float32], int]:
    """load(path, sr=22050, offset=0.0, duration=None) -> (numpy.ndarray[float32], int)

    Decodes a file to mono float32 and resamples it to `sr` (None: the file's own rate), as
    `librosa.load(path, sr=sr)` does (soxr_hq-like resampling). Returns `(y, sr)`."""

def features(audio: _Audio, names: Optional[Sequence[str]] = None, sr: int = 22050) -> Dict[str, npt.NDArray[np.float32]]:
    """features(audio, names=None, sr=22050) -> dict[str, numpy.ndarray]

    librosa-compatible features of a file or of mono samples (a 1-D float array at `sr`):
    `{name: float32 array of shape (features, frames)}`, the arrays `genrecast features`
    writes as .npy. `names` as the CLI's `--set` (default: mel_db, mfcc, chroma, centroid,
    bandwidth, rolloff, contrast, flatness, zcr, rms, tempo); `musicnn_logmel` needs a file."""

def classify(
    audio: _Audio,
    model: str = "genre-gtzan",
    sr: int = 22050,
    *,
    top_k: int = 3,
    aggregate: str = "mean",
    max_windows: Optional[int] = 32,
    precision: str = "int8",
    segments: bool = False,
) -> Dict[str, Any]:
    """classify(audio, model="genre-gtzan", sr=22050, *, top_k=3, aggregate="mean", max_windows=32, precision="int8", segments=False) -> dict

    As `Model(model, max_windows, precision).classify(audio, sr, ...)`, with the model opened
    once and kept. `audio`: a file path, or mono samples in memory (a 1-D float32 array at `sr`
    Hz). `model`: a built-in name (`genrecast models` lists them) or a model folder."""

def embed(audio: _Audio, model: str = "genre-gtzan", sr: int = 22050, *, max_windows: Optional[int] = 32, precision: str = "int8") -> npt.NDArray[np.float32]:
    """embed(audio, model="genre-gtzan", sr=22050, *, max_windows=32, precision="int8") -> numpy.ndarray[float32]

    As `Model(model, max_windows, precision).embed(audio, sr)`. `model`: a built-in name
    (`genrecast models` lists them) or a model folder."""

def train(dataset: _Path, model: str = "mlp", split: str = "folds3", out: _Path = "model", *, device: str = "cpu", **options: Any) -> Dict[str, Any]:
    """train(dataset, model="mlp", split="folds3", out="model", *, device="cpu", **options) -> dict

    Trains as `genrecast train DATASET --model MODEL --split SPLIT --out OUT` does and returns
    `{"model": out, "metrics": {...}, "folds": [...]}`: the model folder, the held-out figures
    of the fold (as model.json keeps them; with `all_folds=True`, one dict per fold name), and
    each fold's accuracy, balanced accuracy, macro F1 and model folder. `options`: any other
    `train` flag, with `_` for `-` (`epochs=5`, `fold=2`, `all_folds=True`, `input="summary"`)."""

def evaluate(model: _Path, dataset: _Path, split: str = "filtered", fold: int = 1, *, device: str = "cpu", **options: Any) -> Dict[str, Any]:
    """evaluate(model, dataset, split="filtered", fold=1, *, device="cpu", **options) -> dict

    Scores a model folder (or a built-in model) per track on one side of a fold, as `genrecast
    eval --json` does, and returns the same figures: tracks, accuracy, balanced_accuracy,
    macro_f1, confusion, ... (a tagging model: `tagging`). `options`: `side`, `aggregate`,
    `middle_windows`, `patch_hop`, `allow_leakage`, `lyrics`."""

def bench_models(dataset: _Path, split: str = "folds3", features: Optional[Sequence[str]] = None, models: Optional[Sequence[str]] = None, *, device: str = "cpu", **options: Any) -> Any:
    """bench_models(dataset, split="folds3", features=None, models=None, *, device="cpu", **options) -> list[dict] | pandas.DataFrame

    The rows of `genrecast bench-models`: each model family on each feature set, per-fold
    accuracy, balanced accuracy and macro F1 on every fold's test side. `features` and `models`
    as the CLI's (default: summary and table; knn, logistic, svm-linear, svm-poly, svm-rbf,
    forest, boosting). A pandas DataFrame when pandas is installed, else a list of dicts.
    `options`: `grid`, `rows`, `aggregate`, `neural`, `epochs`, `seed`, `out`, ..."""

@final
class Model:
    """Model(name="genre-gtzan", max_windows=32, precision="int8", device="cpu")

    A genre model kept open: a built-in name (`genrecast models` lists them) or a model folder
    written by `genrecast train` or `genrecast models export`. Thread-safe. `max_windows`: judge
    a long song from at most this many 3 s windows spread evenly over it (0 or None: every
    window), as the CLI's `--max-windows`. `precision` is the arithmetic of the musicnn
    backbone's front end, as the CLI's `--precision`: "int8" (fast, taggrams within 0.03 of
    musicnn's) or "f32" (exact; always so on a GPU). `device`, as the CLI's `--device`: "cpu"
    or "cuda[:N]" (an NVIDIA GPU, in a build with the `cuda` feature); a GPU that is not there
    raises ValueError naming what is missing."""

    def __new__(cls, name: str = "genre-gtzan", max_windows: Optional[int] = 32, precision: str = "int8", device: str = "cpu") -> "Model": ...
    @property
    def device(self) -> str:
        """Where the model runs: "cpu" or "cuda:N"."""
    @property
    def name(self) -> str:
        """The model's name."""
    @property
    def precision(self) -> str:
        """The backbone's arithmetic: "int8" or "f32"."""
    @property
    def max_windows(self) -> Optional[int]:
        """The most windows a song is judged from (None: every window)."""
    @property
    def labels(self) -> List[str]:
        """The genres, in the order of the model's outputs."""
    @property
    def trained_on(self) -> str:
        """What the model was trained on (dataset, split, number of tracks)."""
    def classify(self, audio: _Audio, sr: int = 22050, *, top_k: int = 3, aggregate: str = "mean", segments: bool = False) -> Dict[str, Any]:
        """classify(audio, sr=22050, *, top_k=3, aggregate="mean", segments=False) -> dict

        The record `genrecast classify --format json` writes for a file: duration_s,
        probabilities {genre: p}, top (`top_k`, highest first), windows, windows_total, tags
        (the tagger backbone's five strongest, if any), warnings (if any), and with
        `segments=True` one entry per window (start_s, end_s, top, probabilities). `audio` is a
        file path (then the record has `file`) or mono samples in memory: a 1-D float32 (or
        float64) array at `sr` Hz, resampled to the model's rate as a file would be.
        `aggregate`: how window predictions become one, "mean", "vote" or "max"."""
    def embed(self, audio: _Audio, sr: int = 22050) -> npt.NDArray[np.float32]:
        """embed(audio, sr=22050) -> numpy.ndarray[float32]

        The song's embedding (similar songs lie close). `audio` as for `classify`: a file path
        or a 1-D float32 array of mono samples at `sr` Hz."""
