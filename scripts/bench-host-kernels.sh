#!/usr/bin/env bash
# Times the CPU backend's hottest custom kernels (scripts/bench-host-kernels.cpp) on config A's
# shapes, built with the CPU backend's flags from this checkout's kernels or, given a git revision,
# from that revision's kernels, to compare before and after a change on one machine, in one session.
# The benchmark source comes from the same revision (so each revision's kernels are launched with the
# grids its backend gave them) unless a second argument names another ('.' = this checkout): that
# compares a kernel whose launch did not change (its line is then meaningful for both revisions).
# Usage: scripts/bench-host-kernels.sh [REVISION [BENCH_REVISION]]   (2 OpenMP threads unless OMP_NUM_THREADS is set)
set -euo pipefail
shopt -s inherit_errexit  # a failed extraction inside $(sources …) stops the script
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The directory holding revision $1's cuda/, src/main/native/ and benchmark sources: this checkout
# for '.' or nothing, else the revision's files extracted under $work.
sources() {
  if [ -z "$1" ] || [ "$1" = . ]; then echo "$root"; return; fi
  mkdir -p "$work/rev/$1"
  git -C "$root" archive "$1" cuda src/main/native scripts/bench-host-kernels.cpp scripts/bench-common.h | tar -x -C "$work/rev/$1"
  echo "$work/rev/$1"
}
kernels=$(sources "${1:-}")
bench=$(sources "${2:-${1:-}}")
g++ -std=c++17 -O3 -fopenmp -march=x86-64 -I "$kernels/cuda" -I "$kernels/src/main/native" -I "$bench/scripts" \
  "$bench/scripts/bench-host-kernels.cpp" -o "$work/run"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} OMP_WAIT_POLICY=${OMP_WAIT_POLICY-PASSIVE}
echo "| kernel (${1:-working tree}) | ms, median of 21, $OMP_NUM_THREADS threads |"
echo "| --- | --- |"
"$work/run"
