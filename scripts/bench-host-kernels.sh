#!/usr/bin/env bash
# Times the CPU backend's hottest custom kernels (scripts/bench-host-kernels.cpp) on config A's
# shapes, built with the CPU backend's flags from this checkout's kernels or, given a git revision,
# from that revision's kernels and benchmark (so each revision's kernels are launched with the grids
# its backend gave them), to compare before and after a change on one machine, in one session.
# Usage: scripts/bench-host-kernels.sh [REVISION]      (2 OpenMP threads unless OMP_NUM_THREADS is set)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src=$root
if [ -n "${1:-}" ]; then
  src=$work/src
  mkdir -p "$src"
  git -C "$root" archive "$1" cuda src/main/native scripts/bench-host-kernels.cpp scripts/bench-common.h | tar -x -C "$src"
fi
g++ -std=c++17 -O3 -fopenmp -march=x86-64 -I "$src/cuda" -I "$src/src/main/native" -I "$src/scripts" \
  "$src/scripts/bench-host-kernels.cpp" -o "$work/bench"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} OMP_WAIT_POLICY=${OMP_WAIT_POLICY-PASSIVE}
echo "| kernel (${1:-working tree}) | ms, median of 21, $OMP_NUM_THREADS threads |"
echo "| --- | --- |"
"$work/bench"
