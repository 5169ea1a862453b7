"""tools/crop_gap.py on hand-made `eval --predictions` files: the per-variant figures are
computed by hand here, and inputs that cannot be paired are refused."""

import csv
import pathlib
import subprocess
import sys

TOOL = pathlib.Path(__file__).resolve().parents[3] / "tools" / "crop_gap.py"
HEADER = ["file", "clip", "artist", "variant", "window", "truth", "predicted", "truth_probability"]


def write(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)
    return str(path)


def run(*args):
    return subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True)


def fixture(tmp_path):
    # Two full clips by two artists, both right as is; windows: 8 of 10 and 6 of 10 right.
    whole = write(tmp_path / "whole.csv", [
        ["a.flac", "a", "X", "full", "", "jazz", "jazz", "0.9"],
        ["b.flac", "b", "Y", "full", "", "rock", "rock", "0.8"],
    ])
    windows = [[f, c, ar, "full", str(k), t, t if k < right else "pop", "0.5"]
               for f, c, ar, t, right in [("a.flac", "a", "X", "jazz", 8), ("b.flac", "b", "Y", "rock", 6)]
               for k in range(10)]
    return whole, windows


def test_gap_is_the_pooled_window_accuracy_minus_as_is(tmp_path):
    whole, windows = fixture(tmp_path)
    out = run("--as-is", whole, "--each-window", write(tmp_path / "w.csv", windows))
    assert out.returncode == 0, out.stderr
    row = [line for line in out.stdout.splitlines() if line.startswith("| full |")][0]
    cells = [c.strip() for c in row.strip("|").split("|")]
    # 2 tracks of 2 artists; 1.000 as is; 14 of 20 windows = 0.700; -0.300.
    assert cells[1:5] == ["2 (2)", "1.000", "0.700 (20)", "-0.300"]
    # Drawing both artists' halves: the gap lies between -0.4 (b twice) and -0.2 (a twice).
    lo, hi = (float(v) for v in cells[5].split(" to "))
    assert -0.4 <= lo <= -0.3 <= hi <= -0.2
    assert cells[6] == "no"
    # Seeded: the same figures twice.
    assert run("--as-is", whole, "--each-window", str(tmp_path / "w.csv")).stdout == out.stdout


def test_inputs_that_cannot_be_paired_are_refused(tmp_path):
    whole, windows = fixture(tmp_path)
    # The same window twice (a file listed twice, or a track in two folds).
    dup = write(tmp_path / "dup.csv", windows + windows[:1])
    out = run("--as-is", whole, "--each-window", dup)
    assert out.returncode != 0 and "judged twice" in out.stderr
    # The two lists swapped.
    out = run("--as-is", write(tmp_path / "w.csv", windows), "--each-window", whole)
    assert out.returncode != 0 and "given to --as-is" in out.stderr
    # A track in one run only.
    out = run("--as-is", whole, "--each-window", write(tmp_path / "a.csv", windows[:10]))
    assert out.returncode != 0 and "one run but not the other" in out.stderr
    # Not a predictions file.
    bad = tmp_path / "bad.csv"
    bad.write_text("file,label\na.flac,jazz\n")
    out = run("--as-is", str(bad), "--each-window", whole)
    assert out.returncode != 0 and "not an `eval --predictions` file" in out.stderr
