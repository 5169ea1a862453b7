"""genrecast.train, genrecast.evaluate and genrecast.bench_models on the shared GTZAN slice,
with small settings (an MLP on the summary features for a few epochs; k-NN on one feature
set), checked against the split's own lists and against each other.

Run by scripts/test-python.sh; skipped without ../shared (as the CLI's tests are).
"""
import csv
import math
import os
import pathlib

import pytest

import genrecast

REPO = pathlib.Path(__file__).resolve().parents[3]
SHARED = pathlib.Path(os.environ.get("GENRECAST_SHARED", REPO.parent / "shared"))
GTZAN = SHARED / "data" / "gtzan"
needs_gtzan = pytest.mark.skipif(not (GTZAN / "labels.csv").is_file() and not os.environ.get("CI"), reason="no ../shared/data/gtzan")


def held_out_tracks(fold):
    """Tracks of labels.csv whose clip Foleis' list puts on the evaluation side of `fold`."""
    listed = GTZAN / "splits" / "sturm_filter_3folds_foleiss" / f"f{fold}_evaluate.txt"
    clips = {line.split()[0].removeprefix("./").removesuffix(".wav").replace("_", ".") for line in listed.read_text().splitlines() if line.strip()}
    with open(GTZAN / "labels.csv", newline="") as f:
        return sum(1 for row in csv.DictReader(f) if row["clip"] in clips)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("mlp") / "model"
    return out, genrecast.train(GTZAN, model="mlp", split="folds3", out=out, epochs=3, patience=0)


@needs_gtzan
def test_train_scores_the_whole_held_out_side_and_writes_the_model(trained):
    out, result = trained
    assert pathlib.Path(result["model"]) == out and (out / "model.json").is_file() and (out / "model.safetensors").is_file()
    metrics = result["metrics"]
    assert metrics["side"] == "test"
    assert metrics["tracks"] == held_out_tracks(1)
    for name in ["accuracy", "balanced_accuracy", "macro_f1"]:
        assert 0.0 <= metrics[name] <= 1.0, name
    # The confusion matrix counts every scored track once.
    assert sum(map(sum, metrics["confusion"])) == metrics["tracks"]
    [fold] = result["folds"]
    assert fold["fold"] == "folds3/1" and math.isclose(fold["accuracy"], metrics["accuracy"])


@needs_gtzan
def test_evaluate_reproduces_the_held_out_figure_of_train(trained):
    out, result = trained
    figures = genrecast.evaluate(out, GTZAN, split="folds3", fold=1)
    assert figures["tracks"] == result["metrics"]["tracks"] == held_out_tracks(1)
    assert math.isclose(figures["accuracy"], result["metrics"]["accuracy"], abs_tol=1e-9)
    assert math.isclose(figures["balanced_accuracy"], result["metrics"]["balanced_accuracy"], abs_tol=1e-9)
    assert figures["confusion"] == result["metrics"]["confusion"]


@needs_gtzan
def test_options_are_checked_by_name():
    with pytest.raises(ValueError, match="unknown option 'epoch'"):
        genrecast.train(GTZAN, out="never-written", epoch=3)
    with pytest.raises(ValueError, match="fold"):
        genrecast.evaluate("never-read", GTZAN, split="folds3", fold=1, sides="test")


@needs_gtzan
def test_bench_models_gives_one_row_per_model_and_feature_set(tmp_path):
    table = genrecast.bench_models(GTZAN, split="folds3", features=["summary"], models=["knn"], out=str(tmp_path))
    rows = table.to_dict("records") if hasattr(table, "to_dict") else table
    [row] = rows
    assert (row["model"], row["features"]) == ("knn", "summary")
    assert row["tracks"] == [held_out_tracks(k) for k in (1, 2, 3)]
    for name in ["accuracy", "balanced_accuracy", "macro_f1"]:
        assert len(row[name]) == 3 and all(0.0 <= v <= 1.0 for v in row[name]), name
