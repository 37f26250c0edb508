#!/usr/bin/env bash
# Config A's coupling-network GEMMs per image (flowrt's NCHW) against one GEMM for the whole batch
# (a channel-major layout), through oneDNN's sgemm (scripts/bench-gemm-layouts.cpp; docs/benchmarks.md,
# "Sixth round"). Builds against the oneDNN that flowrt's Maven build resolves (headers and library
# from its jar). Usage: scripts/bench-gemm-layouts.sh   (2 threads unless OMP_NUM_THREADS is set)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
mvn -q -B dependency:build-classpath -Dmdep.outputFile="$work/classpath.txt" >/dev/null
jar=$(tr ':' '\n' < "$work/classpath.txt" | grep -E '/dnnl-[^/]*-linux-x86_64\.jar$' | head -1)
[ -n "$jar" ] || { echo "bench-gemm-layouts.sh: no oneDNN linux-x86_64 jar on flowrt's classpath" >&2; exit 1; }
unzip -q "$jar" 'org/bytedeco/dnnl/linux-x86_64/*' -d "$work/dnnl"
dnnl=$work/dnnl/org/bytedeco/dnnl/linux-x86_64
g++ -std=c++17 -O3 -fopenmp -march=x86-64 -I scripts -I "$dnnl/include" scripts/bench-gemm-layouts.cpp -o "$work/bench" \
  -L"$dnnl" -l:libdnnl.so.3 -Wl,-rpath,"$dnnl"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} OMP_WAIT_POLICY=${OMP_WAIT_POLICY-PASSIVE} OMP_MAX_ACTIVE_LEVELS=1
"$work/bench"
