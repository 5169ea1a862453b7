#!/usr/bin/env bash
# Fits the fixed scale of the library's `summary` embedding on the files of the shared GTZAN
# slice whose clips the default model was trained on (its card's `trained_on.clips`: Sturm's
# artist-filtered train + valid lists), and writes crates/models/pretrained/summary-scale.json.
# Run from the repository root: tools/fit_summary_scale.sh [SHARED_DATA_DIR]
set -euo pipefail
data="${1:-../shared/data}"
card=crates/models/pretrained/genre-gtzan/model.json
python3 - "$card" "$data/gtzan" > /tmp/summary-scale-files.txt <<'PY'
import json, os, sys
card, root = sys.argv[1], sys.argv[2]
clips = set(json.load(open(card))["trained_on"]["clips"])
for variant in sorted(os.listdir(root)):
    for dirpath, _, names in sorted(os.walk(os.path.join(root, variant))):
        for n in sorted(names):
            stem = n.rsplit(".", 1)[0]
            if stem in clips and n.rsplit(".", 1)[-1] in ("wav", "au", "flac", "mp3", "ogg"):
                print(os.path.join(dirpath, n))
PY
echo "$(wc -l < /tmp/summary-scale-files.txt) files" >&2
cargo run --release -q -p genrecast-models --example fit_summary_scale -- crates/models/pretrained/summary-scale.json \
  "GTZAN (shared slice, every variant): the files of the clips genre-gtzan was trained on (Sturm's artist-filtered train+valid lists); made by tools/fit_summary_scale.sh" \
  < /tmp/summary-scale-files.txt
