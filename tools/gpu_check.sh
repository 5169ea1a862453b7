#!/usr/bin/env bash
# The GPU measurements of issue #21, in one run on a machine with an NVIDIA GPU, each beside
# the CPU path (2 threads) on the same machine. Writes $OUT/gpu.md (the table for
# docs/results/gpu.md) and the raw JSON beside it.
#
# Usage: tools/gpu_check.sh BUNDLE OUT
#   BUNDLE  a folder made by tools/gpu_bundle.sh: genrecast (built with --features cuda),
#           the example song, a few 30 s clips under clips/, a small GTZAN-layout dataset
#           under gtzan/ (train) and the musicnn reference inputs under reference/.
#   OUT     where the figures go.
#
# Needs only the binary, python3 (standard library) and the NVIDIA driver with NVRTC: the GPU
# machines have no network, so nothing is fetched here.
set -euo pipefail
BUNDLE="$(cd "$1" && pwd)"
OUT="$(mkdir -p "$2" && cd "$2" && pwd)"
G="$BUNDLE/genrecast"
CPU=(--threads 2 --device cpu)
GPU=(--device cuda:0)
export GENRECAST_NO_CACHE=1
log() { echo "== $*" | tee -a "$OUT/log.txt"; }

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader > "$OUT/gpu.txt" 2>&1 || true
"$G" --version > "$OUT/version.txt"

log "1. bench model: cnn2d training step and inference, batch 32 of 1x128x128 (losses of 50 steps)"
for d in cpu gpu; do
  if [ "$d" = cpu ]; then args=("${CPU[@]}"); else args=("${GPU[@]}"); fi
  "$G" "${args[@]}" bench model --model cnn2d --batch 32 --steps 50 --json > "$OUT/cnn2d-$d.json"
done

log "2. musicnn inference: patches/s (batch 64) and 30 s clips/s end to end"
for d in cpu gpu; do
  if [ "$d" = cpu ]; then args=("${CPU[@]}"); else args=("${GPU[@]}"); fi
  "$G" "${args[@]}" bench model --model musicnn-msd --batch 64 --steps 10 --json > "$OUT/musicnn-$d.json"
  "$G" "${args[@]}" bench model --clip "$BUNDLE/clips/$(ls "$BUNDLE/clips" | head -1)" --trained genre-gtzan --steps 10 --json > "$OUT/clip-$d.json"
  start=$(date +%s.%N)
  "$G" "${args[@]}" classify "$BUNDLE/clips" --format jsonl --quiet > "$OUT/clips-$d.jsonl"
  echo "$start $(date +%s.%N) $(ls "$BUNDLE/clips" | wc -l)" > "$OUT/clips-$d.time"
done

log "3. parity: musicnn taggrams (f32 on both) on the reference inputs"
for d in cpu gpu; do
  if [ "$d" = cpu ]; then args=("${CPU[@]}" --precision f32); else args=("${GPU[@]}"); fi
  "$G" "${args[@]}" tag "$BUNDLE/reference" --segments --max-windows 0 --format json --quiet > "$OUT/taggram-$d.json"
done

log "4. a short train of cnn2d on the GTZAN slice (3 epochs, same seed)"
for d in cpu gpu; do
  if [ "$d" = cpu ]; then args=("${CPU[@]}"); else args=("${GPU[@]}"); fi
  start=$(date +%s.%N)
  "$G" "${args[@]}" train "$BUNDLE/gtzan" --model cnn2d --split kfold:3 --epochs 3 --seed 7 --quiet --out "$OUT/train-$d" > "$OUT/train-$d.txt" 2>&1
  echo "$start $(date +%s.%N)" > "$OUT/train-$d.time"
done

log "5. the table"
python3 - "$OUT" <<'PY'
import json, sys, pathlib, statistics
out = pathlib.Path(sys.argv[1])
j = lambda n: json.loads((out / n).read_text())
gpu = (out / "gpu.txt").read_text().strip()
rows = []
c, g = j("cnn2d-cpu.json"), j("cnn2d-gpu.json")
rows.append(("cnn2d training step, batch 32 of 1x128x128 (s)", c["median_train_step_seconds"], g["median_train_step_seconds"]))
rows.append(("cnn2d inference, batch 32 (s)", c["median_inference_seconds"], g["median_inference_seconds"]))
m_c, m_g = j("musicnn-cpu.json"), j("musicnn-gpu.json")
rows.append(("musicnn-msd patches/s (batch 64; CPU int8, GPU f32)", m_c["patches_per_second"], m_g["patches_per_second"]))
k_c, k_g = j("clip-cpu.json"), j("clip-gpu.json")
rows.append(("genre-gtzan, one 30 s clip end to end (s)", k_c["median_seconds_per_file"], k_g["median_seconds_per_file"]))
def rate(name):
    a, b, n = (out / name).read_text().split()
    return int(n) / (float(b) - float(a))
rows.append(("classify a folder of 30 s clips, clips/s (process, decode included)", rate("clips-cpu.time"), rate("clips-gpu.time")))
def secs(name):
    a, b = (out / name).read_text().split()
    return float(b) - float(a)
rows.append(("train cnn2d, 3 epochs on the bundled GTZAN part (s, process)", secs("train-cpu.time"), secs("train-gpu.time")))
# Parity: every window's taggram, GPU against CPU f32.
def windows(name):
    v = j(name)
    return [[w["probabilities"][t] for t in sorted(w["probabilities"])] for f in v["files"] for w in f["segments"]]
tc, tg = windows("taggram-cpu.json"), windows("taggram-gpu.json")
taggram_diff = max(abs(a - b) for wc, wg in zip(tc, tg) for a, b in zip(wc, wg))
loss_diff = [abs(a - b) / max(abs(a), 1e-12) for a, b in zip(c["losses"], g["losses"])]
with open(out / "gpu.md", "w") as f:
    f.write(f"GPU: {gpu}. CPU: the same machine, 2 threads, burn flex backend. Command: tools/gpu_check.sh\n\n")
    f.write("| measure | CPU (2 threads) | GPU | GPU / CPU speed |\n|---|---|---|---|\n")
    for name, a, b in rows:
        speed = a / b if "(s" in name else b / a
        f.write(f"| {name} | {a:.4g} | {b:.4g} | {speed:.1f}x |\n")
    f.write(f"\nParity: musicnn-msd taggrams, {len(tc)} windows of the reference inputs, GPU against CPU f32: max abs difference {taggram_diff:.2e} (bound 1e-3).\n")
    f.write(f"cnn2d loss over the first {len(loss_diff)} training steps, same seed, inputs and initial weights: max relative difference {max(loss_diff):.2e}, at step {loss_diff.index(max(loss_diff))} (dropout masks are drawn by each backend).\n")
print((out / "gpu.md").read_text())
PY
