"""The genrecast wheel against the CLI (same files, same run) and against librosa's own arrays.

Run by scripts/test-python.sh (CI): it builds the wheel with maturin, installs it in a fresh
virtual environment, and runs pytest with GENRECAST_BIN pointing at the release CLI.
"""
import json
import os
import pathlib
import subprocess
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import genrecast

REPO = pathlib.Path(__file__).resolve().parents[3]
SONG = REPO / "examples" / "muldjord-chaos-god-excerpt.ogg"
BIN = pathlib.Path(os.environ.get("GENRECAST_BIN", REPO / "target" / "release" / "genrecast"))
SHARED = pathlib.Path(os.environ.get("GENRECAST_SHARED", REPO.parent / "shared"))
REFERENCE = SHARED / "reference" / "librosa" / "blues.00000"
needs_shared = pytest.mark.skipif(not REFERENCE.is_dir() and not os.environ.get("CI"), reason="no ../shared")


def cli(*args):
    out = subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def relative_error(ours, want):
    return float(np.linalg.norm(ours.astype(np.float64) - want) / np.linalg.norm(want))


@needs_shared
def test_load_is_librosa_load_where_no_resampling_is_needed():
    # blues.00000.au is 22,050 Hz mono: librosa.load(sr=22050) returns its samples unchanged.
    params = json.loads((REFERENCE / "params.json").read_text())
    y, sr = genrecast.load(SHARED / params["source"])
    want = np.load(REFERENCE / "y_22050.npy")
    assert sr == 22050 and y.dtype == np.float32
    np.testing.assert_array_equal(y, want)


@needs_shared
def test_features_of_librosa_samples_match_librosa():
    y = np.load(REFERENCE / "y_22050.npy")
    feats = genrecast.features(y, ["mfcc", "chroma", "centroid", "tonnetz"])
    for name, ref, tol in [("mfcc", "mfcc20", 1e-3), ("chroma", "chroma_stft", 1e-4), ("centroid", "spectral_centroid", 1e-4), ("tonnetz", "tonnetz", 1e-4)]:
        want = np.load(REFERENCE / f"{ref}.npy")
        assert feats[name].shape == want.shape, name
        assert relative_error(feats[name], want) <= tol, name
    # float64 samples are accepted too.
    np.testing.assert_array_equal(genrecast.features(y.astype(np.float64), ["mfcc"])["mfcc"], feats["mfcc"])


def test_features_equal_the_cli_arrays(tmp_path):
    names = ["mel_db", "mfcc", "chroma", "chroma_cqt", "contrast", "tempo", "musicnn_logmel"]
    cli("features", "-q", SONG, "--set", ",".join(names), "--no-cache", "--out", tmp_path)
    ours = genrecast.features(SONG, names)
    assert sorted(ours) == sorted(names)
    for name in names:
        want = np.load(tmp_path / SONG.stem / f"{name}.npy")
        assert ours[name].dtype == np.float32 and ours[name].shape == want.shape, name
        np.testing.assert_array_equal(ours[name], want, err_msg=name)


def test_classify_equals_the_cli_record():
    record = json.loads(cli("classify", "-q", SONG, "--format", "json"))["files"][0]
    ours = genrecast.classify(SONG)
    assert ours["top"][0]["label"] == record["top"][0]["label"] == "metal"
    assert ours["probabilities"].keys() == record["probabilities"].keys()
    for genre, p in record["probabilities"].items():
        assert ours["probabilities"][genre] == pytest.approx(p, rel=1e-6, abs=1e-9), genre
    assert (ours["windows"], ours["windows_total"]) == (record["windows"], record["windows_total"])
    assert abs(sum(ours["probabilities"].values()) - 1.0) < 1e-5


def test_model_embeds_and_runs_threads_in_parallel():
    model = genrecast.Model()
    assert model.labels == sorted(model.labels) and len(model.labels) == 10
    assert "gtzan" in model.trained_on
    vector = model.embed(SONG)
    assert vector.dtype == np.float32 and vector.ndim == 1 and np.isfinite(vector).all()
    np.testing.assert_array_equal(vector, genrecast.embed(SONG))
    # The GIL is released while a song is analysed: threads share one model safely.
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: model.classify(SONG)["probabilities"], range(3)))
    assert all(r == results[0] for r in results)


def test_model_takes_the_clis_precision():
    fast, exact = genrecast.Model(), genrecast.Model(precision="f32")
    assert (fast.precision, exact.precision) == ("int8", "f32")
    record = json.loads(cli("--precision", "f32", "classify", SONG, "--format", "json"))
    assert record["precision"] == "f32"
    want = record["files"][0]["probabilities"]
    ours = exact.classify(SONG)["probabilities"]
    assert ours == pytest.approx(want, abs=1e-6)
    # int8 moves the probabilities a little, not the answer.
    quick = fast.classify(SONG)["probabilities"]
    assert max(quick, key=quick.get) == max(ours, key=ours.get)
    assert max(abs(quick[k] - ours[k]) for k in ours) < 0.05
    with pytest.raises(ValueError, match="unknown precision 'f16'"):
        genrecast.Model(precision="f16")


def test_bad_input_raises_value_error_naming_the_file(tmp_path):
    with pytest.raises(ValueError, match="missing.wav"):
        genrecast.load(tmp_path / "missing.wav")
    text = tmp_path / "notes.mp3"
    text.write_text("this is not music")
    with pytest.raises(ValueError, match="notes.mp3"):
        genrecast.classify(text)
    with pytest.raises(ValueError, match="unknown feature 'loudness'"):
        genrecast.features(SONG, ["loudness"])
    with pytest.raises(ValueError, match="at least one sample"):
        genrecast.features(np.zeros(0, dtype=np.float32), ["mfcc"])
    with pytest.raises(ValueError):
        genrecast.Model("no-such-model")
