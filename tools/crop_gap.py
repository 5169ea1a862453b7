#!/usr/bin/env python3
"""Per-variant accuracy as is against every window alone, with a bootstrap interval.

The GTZAN slice's README asks for results under a uniform-crop protocol, per variant, because
a clip's length betrays its genre. `genrecast eval --each-window` judges every 3 s window of
every track on its own; `eval` without it judges each track whole. This script pairs the two
runs' `--predictions` CSVs (the same model, the same tracks, one or several folds) and gives,
per variant, the change from "as is" to "every window alone" (accuracy, not balanced
accuracy) with a 95 % percentile interval from a bootstrap over artists (over clips where
the data names no artist): an artist's tracks, and a track's windows, are drawn together,
since they are not independent of each other. A variant of 20 or 34 tracks moves by 0.03 to 0.05 a track, so the point figure
alone cannot say whether a loss is over an allowance.

    for F in 1 2 3; do
      genrecast eval --model DIR/fold-$F DATA --split folds3 --fold $F --predictions asis-$F.csv
      genrecast eval --model DIR/fold-$F DATA --split folds3 --fold $F --each-window \\
        --predictions windows-$F.csv
    done
    python3 tools/crop_gap.py --as-is asis-*.csv --each-window windows-*.csv --allowance 0.05

Standard library only; the draws are seeded (`--seed`), so a rerun prints the same figures.
"""

import argparse
import csv
import random
import sys
from collections import defaultdict


COLUMNS = ["file", "clip", "artist", "variant", "window", "truth", "predicted"]


def read(paths, windowed):
    """The rows of `eval --predictions` CSVs; `windowed`: whether they are per window."""
    rows = []
    for path in paths:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                sys.exit(f"{path}: not an `eval --predictions` file (no column {', '.join(missing)})")
            for r in reader:
                if bool(r["window"]) != windowed:
                    which = "--each-window" if windowed else "--as-is"
                    sys.exit(f"{path}: {r['file']} is {'judged whole' if not r['window'] else 'a window'}, but the file was given to {which}")
                rows.append(r)
    return rows


def pair(as_is_rows, window_rows):
    """Per variant: one (cluster, as-is correct 0/1, windows correct, windows) per track.

    The cluster is the track's artist where the data names one, else its clip: tracks of one
    artist are not independent draws, so they are resampled together.
    """
    whole = {}
    for r in as_is_rows:
        if r["file"] in whole:
            sys.exit(f"{r['file']} is judged twice in the as-is files (one model, one fold per track)")
        whole[r["file"]] = r
    windows = defaultdict(lambda: [0, 0])
    seen = set()
    for r in window_rows:
        key = (r["file"], r["window"])
        if key in seen:
            sys.exit(f"{r['file']} window {r['window']} is judged twice in the every-window files")
        seen.add(key)
        if r["file"] in whole and (whole[r["file"]]["variant"], whole[r["file"]]["truth"]) != (r["variant"], r["truth"]):
            sys.exit(f"{r['file']}: the two runs disagree on its variant or label: not the same dataset")
        w = windows[r["file"]]
        w[0] += int(r["truth"] == r["predicted"])
        w[1] += 1
    missing = sorted(set(whole) ^ set(windows))
    if missing:
        sys.exit(f"{len(missing)} files are in one run but not the other (e.g. {missing[0]}): pair runs of the same tracks")
    by_variant = defaultdict(list)
    for file, r in sorted(whole.items()):
        cluster = r["artist"] or r["clip"] or file
        by_variant[r["variant"]].append((cluster, int(r["truth"] == r["predicted"]), *windows[file]))
    return by_variant


def gap(tracks):
    """Every-window accuracy (pooled over windows, as `eval --each-window` counts) minus as is."""
    as_is = sum(t[1] for t in tracks) / len(tracks)
    each = sum(t[2] for t in tracks) / sum(t[3] for t in tracks)
    return as_is, each, each - as_is


def interval(tracks, draws, rng, level=0.95):
    """Percentile interval of the gap over draws of whole clusters (artists), with replacement."""
    clusters = defaultdict(list)
    for t in tracks:
        clusters[t[0]].append(t)
    groups = list(clusters.values())
    gaps = []
    for _ in range(draws):
        drawn = [t for _ in groups for t in rng.choice(groups)]
        gaps.append(gap(drawn)[2])
    gaps.sort()
    at = lambda q: gaps[round(q * (draws - 1))]
    return at((1 - level) / 2), at((1 + level) / 2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--as-is", nargs="+", required=True, help="eval --predictions CSVs, tracks judged whole")
    ap.add_argument("--each-window", nargs="+", required=True, help="eval --each-window --predictions CSVs of the same tracks")
    ap.add_argument("--allowance", type=float, default=0.05, help="largest loss allowed (default 0.05)")
    ap.add_argument("--draws", type=int, default=2000, help="bootstrap draws (default 2000)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    by_variant = pair(read(args.as_is, False), read(args.each_window, True))
    print("| variant | tracks (artists) | as is | every window alone (windows) | difference | 95 % interval | within the allowance |")
    print("|---|---|---|---|---|---|---|")
    for variant, tracks in sorted(by_variant.items()):
        as_is, each, d = gap(tracks)
        # Each variant its own seeded draws: its interval does not depend on the others.
        lo, hi = interval(tracks, args.draws, random.Random(f"{args.seed}:{variant}"))
        if d >= -args.allowance - 1e-12:
            verdict = "yes" if lo >= -args.allowance else "yes (interval reaches below)"
        else:
            verdict = "no (interval reaches above)" if hi >= -args.allowance else "no"
        windows = sum(t[3] for t in tracks)
        artists = len({t[0] for t in tracks})
        print(f"| {variant} | {len(tracks)} ({artists}) | {as_is:.3f} | {each:.3f} ({windows}) | {d:+.3f} | {lo:+.3f} to {hi:+.3f} | {verdict} |")


if __name__ == "__main__":
    main()
