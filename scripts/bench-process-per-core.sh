#!/usr/bin/env bash
# Config A's training and sampling images/s from one process on every core (batch 64) against one
# single-threaded process per core, each pinned to its core with a share of the batch, run at the
# same time and summed (what splitting the batch across the cores, instead of every op across them,
# could gain; docs/benchmarks.md, "Fifth round"). Alternates the two, ROUNDS times.
# Usage: scripts/bench-process-per-core.sh [ROUNDS=2]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-2}
cores=$(nproc)
batch=64
(( batch % cores == 0 )) || { echo "bench-process-per-core.sh: $cores cores do not divide batch $batch" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
config=(--channels 1 --image-size 32 --levels 3 --steps 8 --width 128 --permutation invconv-lu --steps-per-pass 5
  --passes 3 --lr 1e-4)
figures() {  # the summed train and sample images/s of the JSON lines in the given files
  python3 -c 'import json, sys
rs = [json.loads(open(f).read().strip().splitlines()[-1]) for f in sys.argv[1:]]
print("%.1f | %.1f" % (sum(r["train_images_per_s"] for r in rs), sum(r["sample_images_per_s"] for r in rs)))' "$@"
}
echo "| run | processes × threads, batch each | train images/s | sample images/s |"
echo "| --- | --- | --- | --- |"
for round in $(seq "$rounds"); do
  OMP_WAIT_POLICY=PASSIVE "$root/scripts/flowrt" bench-one "${config[@]}" --batch "$batch" > "$work/all.json"
  echo "| $round | 1 × $cores, $batch | $(figures "$work/all.json") |"
  files=()
  for core in $(seq 0 $((cores - 1))); do
    OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE taskset -c "$core" "$root/scripts/flowrt" bench-one "${config[@]}" \
      --batch $((batch / cores)) > "$work/core$core.json" &
    files+=("$work/core$core.json")
  done
  wait
  echo "| $round | $cores × 1, $((batch / cores)) | $(figures "${files[@]}") |"
done
