#!/usr/bin/env bash
# Builds the GPU kernels: cuda/all.cu → one fatbin with SASS for sm_80 and sm_90 and PTX for
# compute_90 (JIT for newer GPUs), written where the jar picks it up. ptxas's --resource-usage
# report is kept in target/cuda/resource-usage.txt, and any register spill fails the build.
# Without nvcc this prints why and exits 0: the build then has the CPU backend only.
# Usage: scripts/build-fatbin.sh OUTPUT_DIR
set -euo pipefail
out_dir=${1:?usage: build-fatbin.sh OUTPUT_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
nvcc=${NVCC:-$(command -v nvcc || true)}
[ -n "$nvcc" ] || nvcc=/usr/local/cuda/bin/nvcc
if [ ! -x "$nvcc" ]; then
  echo "[flowrt] nvcc not found (set NVCC or install the CUDA toolkit): building without GPU kernels, CPU backend only"
  exit 0
fi
fatbin="$out_dir/flowrt.fatbin"
report="$root/target/cuda/resource-usage.txt"
mkdir -p "$out_dir" "$(dirname "$report")"
if [ -f "$fatbin" ] && [ -f "$report" ] && [ -z "$(find "$root/cuda" -newer "$fatbin" -type f)" ]; then
  echo "[flowrt] $fatbin is up to date"
  exit 0
fi
echo "[flowrt] nvcc: cuda/all.cu → $fatbin (sm_80, sm_90, compute_90)"
"$nvcc" -fatbin -O3 -std=c++17 --resource-usage \
  -gencode arch=compute_80,code=sm_80 \
  -gencode arch=compute_90,code=sm_90 \
  -gencode arch=compute_90,code=compute_90 \
  -o "$fatbin.tmp" "$root/cuda/all.cu" > "$report" 2>&1 || { cat "$report"; rm -f "$fatbin.tmp"; exit 1; }
if grep -qE '[1-9][0-9]* bytes spill (stores|loads)' "$report"; then
  grep -B3 -E '[1-9][0-9]* bytes spill' "$report"
  echo "[flowrt] a kernel spills registers (see $report)"
  rm -f "$fatbin.tmp"
  exit 1
fi
mv "$fatbin.tmp" "$fatbin"
echo "[flowrt] fatbin built; register use per kernel in $report"
