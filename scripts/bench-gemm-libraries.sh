#!/usr/bin/env bash
# Config A's coupling-network GEMMs as flowrt runs them on the CPU (one GEMM per image on NCHW, whole
# images over the threads, each GEMM single-threaded) through oneDNN's sgemm against OpenBLAS's
# (scripts/bench-gemm-libraries.cpp; docs/benchmarks.md, "Eighth round"): whether OpenBLAS would
# be the faster library for them. Built by scripts/build-dnnl-bench.sh.
# Usage: scripts/bench-gemm-libraries.sh [ROUNDS=3]   (2 threads unless OMP_NUM_THREADS is set)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$root/scripts/build-dnnl-bench.sh" "$root/scripts/bench-gemm-libraries.cpp" "$work" openblas
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} OMP_WAIT_POLICY=${OMP_WAIT_POLICY-PASSIVE}
"$work/bench" "${1:-3}"
