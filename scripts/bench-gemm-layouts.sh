#!/usr/bin/env bash
# Config A's coupling-network GEMMs per image (flowrt's NCHW) against one GEMM for the whole batch
# (a channel-major layout), through oneDNN's sgemm (scripts/bench-gemm-layouts.cpp; docs/benchmarks.md,
# "Sixth round"), built by scripts/build-dnnl-bench.sh.
# Usage: scripts/bench-gemm-layouts.sh   (2 threads unless OMP_NUM_THREADS is set)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$root/scripts/build-dnnl-bench.sh" "$root/scripts/bench-gemm-layouts.cpp" "$work"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} OMP_WAIT_POLICY=${OMP_WAIT_POLICY-PASSIVE} OMP_MAX_ACTIVE_LEVELS=1
"$work/bench"
