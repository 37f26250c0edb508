#!/usr/bin/env bash
# How soon a data-parallel job ends when one rank dies: starts `mpirun -np 2 flowrt train` (a small
# model on Fashion-MNIST, CPU), waits until it has logged STEPS steps, kills rank 1 with SIGKILL and
# prints the seconds until mpirun has exited, with its exit code, over ROUNDS rounds. (The test
# DistributedTrainingTest checks that the job ends and the checkpoint survives; the time is measured
# here.) Usage: scripts/kill-rank-check.sh [ROUNDS=3] [STEPS=5]   (needs Open MPI: scripts/install-mpi.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-3}
steps=${2:-5}
"$root/scripts/install-mpi.sh"
"$root/scripts/flowrt" info >/dev/null  # build and install the data before anything is timed
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for round in $(seq "$rounds"); do
  out="$work/run$round"
  mpirun --oversubscribe -np 2 "$root/scripts/flowrt" train --levels 2 --steps 2 --width 16 --batch 16 --max-steps 1000000 \
    --backend cpu --out "$out" >"$work/log$round" 2>&1 &
  job=$!
  until [ -f "$out/metrics.jsonl" ] && [ "$(grep -c train_bpd "$out/metrics.jsonl")" -ge "$steps" ]; do
    kill -0 "$job" 2>/dev/null || { echo "round $round: the job ended before training" >&2; cat "$work/log$round" >&2; exit 1; }
    sleep 0.1
  done
  rank1=""
  for pid in $(pgrep -f "org.flowrt.cli.Main train .*--out $out"); do
    if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=1; then rank1=$pid; fi
  done
  [ -n "$rank1" ] || { echo "round $round: rank 1 not found" >&2; exit 1; }
  start=$(date +%s.%N)
  kill -9 "$rank1"
  code=0
  wait "$job" || code=$?
  end=$(date +%s.%N)
  left=$(pgrep -fc "org.flowrt.cli.Main train .*--out $out" || true)
  awk -v r="$round" -v a="$start" -v b="$end" -v c="$code" -v l="$left" \
    'BEGIN { printf "round %d: the job ended %.2f s after kill -9 of rank 1 (mpirun exit %d, %d ranks left)\n", r, b - a, c, l }'
done
