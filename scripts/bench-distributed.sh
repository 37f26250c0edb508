#!/usr/bin/env bash
# Data-parallel throughput on this machine, one configuration per job, same global batch and data:
#   alone     one process, no MPI, OMP_NUM_THREADS threads (default: all cores)
#   1 rank    mpirun -np 1, one thread
#   2 ranks   mpirun -np 2, one thread each, half the batch each
# Model: Fashion-MNIST (padded to 32×32), L3 K8 width 128, LU, affine, reversible backward; global
# batch 64, lr 1e-4, STEPS steps after WARMUP untimed ones. Prints images/s (median of the timed
# steps), the median step time and the median time rank 0 spends in the gradient all-reduce per
# step (the sum itself plus any wait for the slower rank).
# Usage: scripts/bench-distributed.sh [STEPS] [WARMUP]   (needs Open MPI: scripts/install-mpi.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
steps=${1:-30}
warmup=${2:-3}
"$root/scripts/install-mpi.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
model=(--levels 3 --steps 8 --width 128 --permutation invconv-lu --lr 1e-4 --warmup-epochs 0 --max-steps $((steps + warmup))
  --eval-images 64 --samples 4 --backend cpu --checkpoint-minutes 1000)
"$root/scripts/flowrt" info >/dev/null  # builds once, before the timed jobs

summary() { # NAME RUN_DIR
  /usr/bin/env python3 - "$1" "$2/metrics.jsonl" "$warmup" <<'PY'
import json, statistics, sys
name, path, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = [json.loads(l) for l in open(path) if '"train_bpd"' in l]
times = [b["seconds"] - a["seconds"] for a, b in zip(rows, rows[1:])][warmup:]
sums = [r["gradient_sum_seconds"] for r in rows[warmup + 1:] if "gradient_sum_seconds" in r]
step = statistics.median(times)
if sums:
    s = statistics.median(sums)
    print(f"| {name} | {64 / step:.1f} | {1000 * step:.0f} | {1000 * s:.1f} | {100 * s / step:.1f} % |")
else:  # alone: no sum at all
    print(f"| {name} | {64 / step:.1f} | {1000 * step:.0f} | – | – |")
PY
}

echo "| job | images/s | step (ms) | gradient all-reduce (ms) | all-reduce / step |"
echo "| --- | --- | --- | --- | --- |"
"$root/scripts/flowrt" train "${model[@]}" --batch 64 --out "$out/alone" >/dev/null 2>&1
summary "alone, $(nproc) threads (no MPI)" "$out/alone"
OMP_NUM_THREADS=1 mpirun -np 1 "$root/scripts/flowrt" train "${model[@]}" --batch 64 --out "$out/one" >/dev/null 2>&1
summary "mpirun -np 1, 1 thread" "$out/one"
OMP_NUM_THREADS=1 mpirun --oversubscribe -np 2 "$root/scripts/flowrt" train "${model[@]}" --batch 32 --out "$out/two" >/dev/null 2>&1
summary "mpirun -np 2, 1 thread each" "$out/two"
