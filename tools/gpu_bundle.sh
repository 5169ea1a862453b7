#!/usr/bin/env bash
# Builds genrecast with burn's CUDA backend on this (CPU) machine and packs what
# tools/gpu_check.sh needs on a GPU machine that has no network: the stripped binary, the
# example song, the musicnn reference clips, and a small GTZAN-layout part of the shared slice
# (PER_GENRE clips of each genre, full_22k). GTZAN is research-only: the bundle is a scratch
# folder, never committed (put it under a path .git/info/exclude ignores).
#
# Usage: tools/gpu_bundle.sh BUNDLE [PER_GENRE=4] [SHARED=../shared]
# The build needs network access to github.com once (see docs/gpu.md: cubecl-cuda's LLVM).
set -euo pipefail
cd "$(dirname "$0")/.."
BUNDLE="$1"; PER_GENRE="${2:-4}"; SHARED="${3:-../shared}"
mkdir -p "$BUNDLE/clips" "$BUNDLE/reference" "$BUNDLE/gtzan"
CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_STRIP=symbols \
  cargo build --release -p genrecast-cli --features cuda
cp target/release/genrecast "$BUNDLE/"
cp examples/muldjord-chaos-god-excerpt.ogg "$BUNDLE/clips/"
# The musicnn reference inputs: the clips named by ../shared/reference/musicnn.
for clip in $(ls "$SHARED/reference/musicnn"); do
  find "$SHARED/data" -path "*full_*" -name "$clip.*" | head -1 | xargs -r -I{} cp {} "$BUNDLE/reference/"
done
# A small dataset in the slice's own layout (labels.csv + audio), for `train --split kfold:3`.
python3 - "$SHARED/data/gtzan" "$BUNDLE/gtzan" "$PER_GENRE" "$BUNDLE/clips" <<'PY'
import csv, shutil, sys, pathlib
src, dst, per, clips = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3]), pathlib.Path(sys.argv[4])
rows = [r for r in csv.DictReader(open(src / "labels.csv")) if r["variant"] == "full_22k"]
kept, count = [], {}
for r in rows:
    if count.get(r["genre"], 0) < per:
        count[r["genre"]] = count.get(r["genre"], 0) + 1
        kept.append(r)
        (dst / r["path"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src / r["path"], dst / r["path"])
        if count[r["genre"]] == 1:
            shutil.copy(src / r["path"], clips / pathlib.Path(r["path"]).name)
with open(dst / "labels.csv", "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=rows[0].keys()); w.writeheader(); w.writerows(kept)
PY
du -sh "$BUNDLE"
