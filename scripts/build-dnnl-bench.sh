#!/usr/bin/env bash
# Compiles one of the host benchmark programs in scripts/ that call oneDNN (bench-roofline.cpp,
# bench-gemm-layouts.cpp) against the oneDNN that flowrt's Maven build resolves (headers and library
# from its jar, unpacked under WORK), with this checkout's kernels and benchmark helpers on the include
# path; with a third argument `openblas`, also against the OpenBLAS of flowrt's test classpath
# (bench-gemm-libraries.cpp). Writes WORK/bench; WORK must outlive the run (the binary finds the
# libraries there).
# Usage: scripts/build-dnnl-bench.sh SOURCE.cpp WORK [openblas]
set -euo pipefail
source=${1:?usage: build-dnnl-bench.sh SOURCE.cpp WORK}
work=${2:?usage: build-dnnl-bench.sh SOURCE.cpp WORK}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# Maven's output (terminal resets even with -q) is shown only when it fails.
mvn -q -B dependency:build-classpath -Dmdep.outputFile="$work/classpath.txt" > "$work/mvn.log" 2>&1 \
  || { cat "$work/mvn.log" >&2; exit 1; }
jar=$(tr ':' '\n' < "$work/classpath.txt" | grep -E '/dnnl-[^/]*-linux-x86_64\.jar$' | head -1)
[ -n "$jar" ] || { echo "build-dnnl-bench.sh: no oneDNN linux-x86_64 jar on flowrt's classpath" >&2; exit 1; }
unzip -q -o "$jar" 'org/bytedeco/dnnl/linux-x86_64/*' -d "$work/dnnl"
dnnl=$work/dnnl/org/bytedeco/dnnl/linux-x86_64
extra=()
if [ "${3:-}" = openblas ]; then
  jar=$(tr ':' '\n' < "$work/classpath.txt" | grep -E '/openblas-[^/]*-linux-x86_64\.jar$' | head -1)
  [ -n "$jar" ] || { echo "build-dnnl-bench.sh: no OpenBLAS linux-x86_64 jar on flowrt's classpath" >&2; exit 1; }
  unzip -q -o "$jar" 'org/bytedeco/openblas/linux-x86_64/*' -d "$work/openblas"
  openblas=$work/openblas/org/bytedeco/openblas/linux-x86_64
  extra=(-I "$openblas/include" -L"$openblas" -l:libopenblas.so.0 -Wl,-rpath,"$openblas")
fi
g++ -std=c++17 -O3 -fopenmp -march=x86-64 -I cuda -I src/main/native -I scripts -I "$dnnl/include" \
  "$source" -o "$work/bench" -L"$dnnl" -l:libdnnl.so.3 -Wl,-rpath,"$dnnl" "${extra[@]}"
