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


def test_model_takes_the_clis_device():
    model = genrecast.Model(device="cpu")
    assert model.device == "cpu"
    assert model.classify(SONG)["probabilities"] == genrecast.Model().classify(SONG)["probabilities"]
    # This wheel is built without the `cuda` feature: asking for a GPU names what is missing
    # instead of quietly running on the CPU.
    with pytest.raises(ValueError, match="--features cuda"):
        genrecast.Model(device="cuda:0")
    with pytest.raises(ValueError, match="expected cpu, cuda or cuda:N"):
        genrecast.Model(device="gpu")


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


def test_samples_in_memory_classify_as_their_file():
    from_file = genrecast.classify(SONG)
    # At the file's own rate: resampled here as the decoder resamples a file.
    y, sr = genrecast.load(SONG, sr=None)
    assert sr != 16000 and y.dtype == np.float32 and y.ndim == 1
    # At the model's rate (16 kHz): no resampling on our side at all.
    y16, _ = genrecast.load(SONG, sr=16000)
    for samples, rate in [(y, sr), (y16, 16000), (y.astype(np.float64), sr)]:
        ours = genrecast.classify(samples, sr=rate)
        assert "file" not in ours and from_file["file"] == str(SONG)
        assert ours["probabilities"] == pytest.approx(from_file["probabilities"], rel=1e-5, abs=1e-6), rate
        assert (ours["windows"], ours["windows_total"]) == (from_file["windows"], from_file["windows_total"])
        assert ours["duration_s"] == pytest.approx(from_file["duration_s"], abs=1e-3)
    np.testing.assert_allclose(genrecast.embed(y, sr=sr), genrecast.embed(SONG), rtol=1e-5, atol=1e-6)
    model = genrecast.Model()
    np.testing.assert_allclose(model.embed(y16, 16000), model.embed(SONG), rtol=1e-5, atol=1e-6)
    # A strided view is read as the samples it shows: every other sample at half the rate.
    half = genrecast.classify(y16[::2], sr=8000)
    assert half["probabilities"] == pytest.approx(genrecast.classify(np.ascontiguousarray(y16[::2]), sr=8000)["probabilities"])


def test_analysis_keywords_match_the_clis_options():
    record = json.loads(cli("classify", "-q", SONG, "--format", "json", "--aggregate", "vote", "--max-windows", "2", "-k", "5", "--segments"))["files"][0]
    y, sr = genrecast.load(SONG, sr=None)
    ours = genrecast.classify(y, sr=sr, top_k=5, aggregate="vote", max_windows=2, segments=True)
    assert (ours["windows"], ours["windows_total"]) == (2, 10)
    # Two windows voting: every share is 0, 1/2 or 1.
    assert set(ours["probabilities"].values()) <= {0.0, 0.5, 1.0} and sum(ours["probabilities"].values()) == 1.0
    assert ours["probabilities"] == record["probabilities"]
    assert [t["label"] for t in ours["top"]] == [t["label"] for t in record["top"]] and len(ours["top"]) == 5
    assert [(s["start_s"], s["end_s"]) for s in ours["segments"]] == [(s["start_s"], s["end_s"]) for s in record["segments"]]
    for mine, theirs in zip(ours["segments"], record["segments"]):
        assert mine["probabilities"] == pytest.approx(theirs["probabilities"], rel=1e-5, abs=1e-6)
    exact = genrecast.classify(y, sr=sr, precision="f32")
    assert exact["probabilities"] == pytest.approx(genrecast.Model(precision="f32").classify(SONG)["probabilities"], rel=1e-5, abs=1e-6)
    assert genrecast.Model(max_windows=0).max_windows is None and genrecast.Model().max_windows == 32


@pytest.mark.parametrize(
    "audio, sr, error, match",
    [
        (np.zeros(16000, dtype=np.int16), 16000, TypeError, "float32"),
        (np.zeros(16000, dtype=np.complex64), 16000, TypeError, "float32"),
        ([0.0] * 16000, 16000, TypeError, "numpy.asarray"),
        (None, 16000, TypeError, "file path or a 1-D numpy array"),
        (np.zeros((2, 16000), dtype=np.float32), 16000, ValueError, r"1-D .* shape \[2, 16000\]"),
        (np.zeros(0, dtype=np.float32), 16000, ValueError, "no samples"),
        (np.zeros(16000, dtype=np.float32), 0, ValueError, "sr must be"),
        (np.zeros(16000, dtype=np.float32), -22050, ValueError, "sr must be"),
        (np.zeros(16000, dtype=np.float32), 2**40, ValueError, "sr must be"),
    ],
)
def test_bad_samples_raise_python_exceptions(audio, sr, error, match):
    model = genrecast.Model()
    for call in (lambda: genrecast.classify(audio, sr=sr), lambda: genrecast.embed(audio, sr=sr), lambda: model.classify(audio, sr), lambda: model.embed(audio, sr)):
        with pytest.raises(error, match=match):
            call()


def test_the_defaults_the_signatures_show_are_the_defaults_used():
    import inspect

    defaults = {name: p.default for name, p in inspect.signature(genrecast.classify).parameters.items()}
    assert (defaults["model"], defaults["sr"], defaults["max_windows"], defaults["top_k"]) == (genrecast.DEFAULT_MODEL, 22050, 32, 3)
    assert inspect.signature(genrecast.embed).parameters["max_windows"].default == 32
    assert inspect.signature(genrecast.Model).parameters["name"].default == genrecast.DEFAULT_MODEL
    assert inspect.signature(genrecast.load).parameters["sr"].default == 22050
    assert genrecast.load(SONG)[1] == 22050
    y16, _ = genrecast.load(SONG, sr=16000)
    # 120 s is 40 windows: by default 32 of them are judged, as the signatures say.
    long = np.tile(y16, 4)
    assert [(r["windows"], r["windows_total"]) for r in (genrecast.classify(long, sr=16000), genrecast.Model().classify(long, 16000), genrecast.classify(long, sr=16000, max_windows=None))] == [(32, 40), (32, 40), (40, 40)]
    assert len(genrecast.classify(y16, sr=16000)["top"]) == 3


def test_bad_keywords_raise_value_errors():
    y = np.zeros(16000, dtype=np.float32)
    with pytest.raises(ValueError, match="unknown aggregation 'median'"):
        genrecast.classify(y, sr=16000, aggregate="median")
    with pytest.raises(ValueError, match="unknown precision 'f16'"):
        genrecast.embed(y, sr=16000, precision="f16")
    with pytest.raises(TypeError):
        genrecast.classify(y, sr=16000, topk=5)


# --- Type stubs -------------------------------------------------------------------------------

STUB_SOURCE = REPO / "crates" / "python" / "genrecast.pyi"


def _stub_tree():
    import ast

    return ast.parse(STUB_SOURCE.read_text())


def test_the_wheel_and_the_installed_package_carry_the_stubs():
    import zipfile

    wheels = [pathlib.Path(os.environ["GENRECAST_WHEEL"])] if os.environ.get("GENRECAST_WHEEL") else sorted((REPO / "target" / "wheels").glob("genrecast-*.whl"))
    assert wheels, "no wheel built (scripts/test-python.sh builds one into target/wheels)"
    with zipfile.ZipFile(wheels[-1]) as wheel:
        names = wheel.namelist()
        assert "genrecast/py.typed" in names, names
        assert wheel.read("genrecast/__init__.pyi").decode() == STUB_SOURCE.read_text()
    installed = pathlib.Path(genrecast.__file__).parent
    assert (installed / "__init__.pyi").read_text() == STUB_SOURCE.read_text() and (installed / "py.typed").is_file()


def test_the_stubs_name_every_public_attribute_with_its_docstring():
    import ast
    import inspect

    tree = _stub_tree()
    stubbed = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            stubbed[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            stubbed[node.target.id] = node
    # The package's public names (its compiled module, genrecast.genrecast, is not one).
    public = {n for n in dir(genrecast) if not n.startswith("_") and not inspect.ismodule(getattr(genrecast, n))} | set(genrecast.__all__)
    assert "__version__" in public and "classify" in public
    assert public <= set(stubbed), public - set(stubbed)
    assert {n for n in stubbed if not n.startswith("_")} <= public
    for name in ("load", "features", "classify", "embed", "Model"):
        assert ast.get_docstring(stubbed[name]) == inspect.getdoc(getattr(genrecast, name)), name
    members = {n.name: n for n in stubbed["Model"].body if isinstance(n, ast.FunctionDef) and n.name != "__new__"}
    runtime = {n for n in vars(genrecast.Model) if not n.startswith("_")}
    assert set(members) == runtime
    for name, node in members.items():
        assert ast.get_docstring(node) == inspect.getdoc(getattr(genrecast.Model, name)), name


def test_mypy_strict_and_stubtest_accept_the_stubs(tmp_path):
    pytest.importorskip("mypy", reason="mypy is installed by scripts/test-python.sh")
    import sys

    good = tmp_path / "uses.py"
    good.write_text(
        "import numpy as np\nimport numpy.typing as npt\nimport genrecast\n\n"
        "def go() -> None:\n"
        "    y, sr = genrecast.load('song.ogg', sr=None)\n"
        "    r = genrecast.classify(y, sr=sr, top_k=5, aggregate='vote', max_windows=None)\n"
        "    v: npt.NDArray[np.float32] = genrecast.embed('song.ogg', precision='f32')\n"
        "    m = genrecast.Model(max_windows=8)\n"
        "    labels: list[str] = m.labels\n"
        "    print(r['top'], v.shape, labels, m.trained_on, m.classify(y, sr), m.embed(y, sr=sr), genrecast.__version__)\n"
    )
    bad = tmp_path / "misuses.py"
    bad.write_text("import genrecast\n\ngenrecast.classify('a.ogg', topk=5)\nn: int = genrecast.Model().labels\n")
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", str(tmp_path / "cache")]
    out = subprocess.run([*mypy, str(good)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    # The stubs are what mypy reads: a misspelt keyword and a wrong type are caught.
    out = subprocess.run([*mypy, str(bad)], capture_output=True, text=True)
    assert out.returncode == 1 and 'Unexpected keyword argument "topk"' in out.stdout and "list[str]" in out.stdout, out.stdout
    # stubtest compares the stubs with the module itself: names, parameters, defaults.
    allowlist = tmp_path / "allowlist.txt"
    allowlist.write_text("genrecast.genrecast  # the compiled module behind the package, not an API\n")
    out = subprocess.run([sys.executable, "-m", "mypy.stubtest", "genrecast", "--concise", "--allowlist", str(allowlist)], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
