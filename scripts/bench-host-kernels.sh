#!/usr/bin/env bash
# Times the CPU backend's hottest custom kernels (scripts/bench-host-kernels.cpp) on config A's
# shapes, built with the CPU backend's flags from this checkout's kernels or, given a git revision,
# from that revision's kernels, to compare before and after a change on one machine, in one session.
# The benchmark source comes from the same revision (so each revision's kernels are launched with the
# grids its backend gave them) unless a second argument names another ('.' = this checkout): that
# compares a kernel whose launch did not change (its line is then meaningful for both revisions).
# Usage: scripts/bench-host-kernels.sh [REVISION [BENCH_REVISION]]   (2 OpenMP threads unless OMP_NUM_THREADS is set)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Extracts cuda/, src/main/native/ and the benchmark's sources of revision $1 ('.' or empty: the checkout) to $2.
sources() {
  if [ -z "$1" ] || [ "$1" = . ]; then
    mkdir -p "$2" && cp -r "$root/cuda" "$2/" && mkdir -p "$2/src/main" "$2/scripts" && cp -r "$root/src/main/native" "$2/src/main/" \
      && cp "$root/scripts/bench-host-kernels.cpp" "$root/scripts/bench-common.h" "$2/scripts/"
  else
    mkdir -p "$2" && git -C "$root" archive "$1" cuda src/main/native scripts/bench-host-kernels.cpp scripts/bench-common.h | tar -x -C "$2"
  fi
}
sources "${1:-}" "$work/kernels"
sources "${2:-${1:-}}" "$work/bench"
g++ -std=c++17 -O3 -fopenmp -march=x86-64 -I "$work/kernels/cuda" -I "$work/kernels/src/main/native" -I "$work/bench/scripts" \
  "$work/bench/scripts/bench-host-kernels.cpp" -o "$work/bench/run"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} OMP_WAIT_POLICY=${OMP_WAIT_POLICY-PASSIVE}
echo "| kernel (${1:-working tree}) | ms, median of 21, $OMP_NUM_THREADS threads |"
echo "| --- | --- |"
"$work/bench/run"
