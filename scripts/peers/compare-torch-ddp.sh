#!/usr/bin/env bash
# Data-parallel training on the CPU, flowrt against PyTorch, side by side on one protocol (that of
# compare-torch.sh: random 8-bit images, a fresh batch per step on every rank, Adamax at a constant
# lr of 1e-4, 1 warm-up step, median of 3 timed passes of 5 steps). Config A: 1×32×32, L3 K8 width
# 128, LU, global batch 64. Two ways to use this machine's 2 cores:
#   one process, 2 threads              flowrt bench-one          | glow_torch.py
#   two ranks, 1 thread each, batch 32  mpirun -np 2 flowrt ...   | mpirun -np 2 glow_torch.py (DDP, gloo)
# flowrt sums its gradients once per step after the backward (MPI_Allreduce on the CPU); PyTorch's
# DDP all-reduces buckets while the backward runs. Runs alternate between the systems.
# Usage: scripts/peers/compare-torch-ddp.sh [ROUNDS=2]   (needs Open MPI and Debian's python3-torch)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/peers/install-torch.sh"
"$root/scripts/install-mpi.sh"
rounds=${1:-2}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
common=(--channels 1 --image-size 32 --levels 3 --steps 8 --width 128 --permutation invconv-lu --steps-per-pass 5 --passes 3 --lr 1e-4)
"$root/scripts/flowrt" info >/dev/null  # build once, before anything is timed

row() {  # label, flowrt command, torch command (as strings)
  local label=$1 flowrt=$2 torch=$3 f=() t=()
  for _ in $(seq "$rounds"); do
    f+=("$(eval "$flowrt" 2>/dev/null | tail -1)")
    t+=("$(eval "$torch" 2>/dev/null | tail -1)")
  done
  python3 - "$label" "${f[@]}" "${t[@]}" <<'PY'
import json, statistics, sys
label, runs = sys.argv[1], [json.loads(r) for r in sys.argv[2:]]
half = len(runs) // 2
f, t = runs[:half], runs[half:]
med = lambda rs, k: statistics.median(r[k] for r in rs)
ft, tt = med(f, "train_images_per_s"), med(t, "train_images_per_s")
sums = [r["gradient_sum_seconds"] for r in f if "gradient_sum_seconds" in r]
s = f"{1000 * statistics.median(sums):.1f}" if sums else "–"
print(f"| {label} | {ft:.1f} | {tt:.1f} | **{ft / tt:.2f}** | {s} |")
PY
}
echo "| job (config A, global batch 64) | flowrt train img/s | PyTorch | ratio | flowrt gradient all-reduce ms/step |"
echo "| --- | --- | --- | --- | --- |"
row "one process, 2 threads" \
  "OMP_NUM_THREADS=2 '$root/scripts/flowrt' bench-one ${common[*]} --batch 64" \
  "OMP_NUM_THREADS=2 /usr/bin/python3 '$root/scripts/peers/glow_torch.py' ${common[*]} --batch 64 --threads 2"
row "2 ranks × 1 thread, batch 32 each" \
  "OMP_NUM_THREADS=1 mpirun --oversubscribe -np 2 '$root/scripts/flowrt' bench-one ${common[*]} --batch 32" \
  "OMP_NUM_THREADS=1 mpirun --oversubscribe -np 2 /usr/bin/python3 '$root/scripts/peers/glow_torch.py' ${common[*]} --batch 32 --threads 1"
