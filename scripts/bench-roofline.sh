#!/usr/bin/env bash
# The machine's FMA peak and memory bandwidth beside config A's coupling-network forward, whole batch
# against depth-first pieces (scripts/bench-roofline.cpp; docs/benchmarks.md, "Fifth round"). Builds
# against the oneDNN that flowrt's Maven build resolves and this checkout's kernels
# (scripts/build-dnnl-bench.sh). Usage: scripts/bench-roofline.sh   (2 threads unless OMP_NUM_THREADS is set)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$root/scripts/build-dnnl-bench.sh" "$root/scripts/bench-roofline.cpp" "$work"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} OMP_WAIT_POLICY=${OMP_WAIT_POLICY-PASSIVE}
"$work/bench"
