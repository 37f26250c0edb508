#!/usr/bin/env bash
# flowrt against the PyTorch port (scripts/peers/glow_torch.py), side by side on one protocol:
# random 8-bit images, a fresh batch per step, Adamax at a constant lr of 1e-4 (at 1e-3 without
# warm-up both systems diverge on K = 32 after one step), 1 warm-up step, the median of timed
# passes; 2 threads each; runs alternate between the systems, one configuration per process.
# flowrt uses its default reversible backward, PyTorch autograd (stored activations). The ratio is
# of the medians over the rounds, with the range of the rounds' own ratios beside it.
# Usage: scripts/peers/compare-torch.sh [ROUNDS=3]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/peers/install-torch.sh"
rounds=${1:-3}
export OMP_NUM_THREADS=2
row() {  # label, then the shared options
  local label=$1; shift
  local f=() t=()
  for _ in $(seq "$rounds"); do
    f+=("$("$root/scripts/flowrt" bench-one "$@" 2>/dev/null | tail -1)")
    t+=("$(/usr/bin/python3 "$root/scripts/peers/glow_torch.py" "$@" --threads 2 | tail -1)")
  done
  python3 - "$label" "${f[@]}" "${t[@]}" <<'PY'
import json, statistics, sys
label, runs = sys.argv[1], [json.loads(r) for r in sys.argv[2:]]
half = len(runs) // 2
f, t = runs[:half], runs[half:]
med = lambda rs, k: statistics.median(r[k] for r in rs)
ft, tt = med(f, "train_images_per_s"), med(t, "train_images_per_s")
fs, ts = med(f, "sample_images_per_s"), med(t, "sample_images_per_s")
fr, tr = med(f, "peak_rss_bytes"), med(t, "peak_rss_bytes")
healthy = all(r.get("skipped_steps", 0) == 0 for r in f) and all(r["last_train_bpd"] == r["last_train_bpd"] for r in t)
label += "" if healthy else " (DIVERGED: a non-finite loss; figures not comparable)"
# Each round's own ratio (flowrt's run against the PyTorch run right after it): their range shows
# how far the machine's drift moves the ratio within one row.
spread = lambda k: "{:.2f}–{:.2f}".format(*(lambda v: (min(v), max(v)))([a[k] / b[k] for a, b in zip(f, t)]))
print(f"| {label} | {ft:.1f} | {tt:.1f} | **{ft / tt:.2f}** ({spread('train_images_per_s')}) | {fs:.1f} | {ts:.1f} | "
      f"{fs / ts:.2f} ({spread('sample_images_per_s')}) | {fr / 2**20:.0f} | {tr / 2**20:.0f} | {fr / tr:.2f} |")
PY
}
echo "| configuration | flowrt train img/s | PyTorch | ratio (rounds' range) | flowrt sample img/s | PyTorch | ratio (rounds' range) | flowrt peak RSS MiB | PyTorch | ratio |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
common=(--levels 3 --width 128 --permutation invconv-lu --steps-per-pass 5 --passes 3 --lr 1e-4)
row "A: 1×32×32 L3 K8 w128 LU, batch 64" --channels 1 --image-size 32 --steps 8 --batch 64 "${common[@]}"
for k in ${SWEEP:-4 8 16 32}; do
  row "3×32×32 L3 K$k w128 LU, batch 16" --channels 3 --image-size 32 --steps "$k" --batch 16 "${common[@]}"
done
