"""examples/ray_classify.py on a local Ray cluster of 2 workers: its Parquet equals the CLI's
classify and feature summaries on the same files, and an unreadable file keeps its row with
the cause while the others are done."""
import csv
import json
import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest

from test_genrecast import BIN, REPO, SONG, cli

if os.environ.get("CI"):
    import pyarrow.parquet as pq  # CI installs ray[data]: there a missing pyarrow fails the test
else:
    pq = pytest.importorskip("pyarrow.parquet", reason="pip install 'ray[data]' to run the Ray test")


def test_ray_job_equals_the_cli(tmp_path):
    songs = tmp_path / "songs"
    songs.mkdir()
    shutil.copy(SONG, songs / "example.ogg")
    for name in ["good.flac", "good.mp3", "good_pcm16_mono.wav"]:
        shutil.copy(REPO / "crates/cli/tests/hostile" / name, songs / name)
    (songs / "broken.mp3").write_text("this is not music")
    out = tmp_path / "parquet"
    job = subprocess.run([sys.executable, str(REPO / "examples/ray_classify.py"), str(songs), str(out), "--num-cpus", "2", "--features", "mfcc", "--batch-size", "2"], capture_output=True, text=True, timeout=600)
    assert job.returncode == 0, job.stderr[-3000:]
    assert "5 songs on 2 CPUs, 1 could not be read" in job.stdout, job.stdout
    rows = {pathlib.Path(r["path"]).name: r for r in pq.read_table(out).to_pylist()}
    assert sorted(rows) == ["broken.mp3", "example.ogg", "good.flac", "good.mp3", "good_pcm16_mono.wav"]
    assert "broken.mp3" in rows["broken.mp3"]["error"]

    # The CLI on the same files: genres and MFCC means.
    listed = subprocess.run([str(BIN), "classify", "-q", str(songs), "--format", "json"], capture_output=True, text=True)
    records = {pathlib.Path(r["file"]).name: r for r in json.loads(listed.stdout)["files"]}
    assert "probabilities" not in records.pop("broken.mp3"), "the CLI fails it too"
    summary_dir = tmp_path / "summary"
    subprocess.run([str(BIN), "features", "-q", str(songs), "--set", "mfcc", "--summary", "--no-frames", "--no-cache", "--out", str(summary_dir)], capture_output=True)
    with open(summary_dir / "summary.csv") as f:
        summaries = {pathlib.Path(r["path"]).name: r for r in csv.DictReader(f)}
    for name, record in records.items():
        row = rows[name]
        assert row["error"] == "", row["error"]
        assert row["top_label"] == record["top"][0]["label"], name
        for genre, p in record["probabilities"].items():
            assert row[f"p_{genre}"] == pytest.approx(p, rel=1e-6, abs=1e-9), (name, genre)
        want = np.array([float(summaries[name][f"mfcc/mean/{i:02d}"]) for i in range(1, 21)])
        np.testing.assert_allclose(np.array(row["mfcc_mean"], dtype=np.float64), want, rtol=1e-5, atol=1e-4, err_msg=name)
    assert sorted(records) == sorted(n for n in rows if n != "broken.mp3")
