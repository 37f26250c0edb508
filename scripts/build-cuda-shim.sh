#!/usr/bin/env bash
# Builds the test-only native programs into OUTPUT_DIR (run by Maven before the tests):
#   - the host shim of the CUDA libraries the CUDA backend loads, so CI runs the real JavaCPP
#     bindings and the real CudaBackend without a GPU (see src/test/native/*_shim.cpp):
#       libcuda.so.1            the driver calls, kernels on the fiber build (unversioned symbols,
#                               as in NVIDIA's driver)
#       libcudnn_{graph,ops,cnn,adv}.so.9
#                               cuDNN's calls, each library exporting its functions under the version
#                               node the JavaCPP binding links against (cuDNN 9 versions its symbols)
#       libnccl.so.2            NCCL's communicator and all-reduce, ranks as threads of one process
#       libcudart.so.13, libcublas.so.13, libcublasLt.so.13
#                               only their version nodes: the bindings link against them, flowrt
#                               calls nothing in them, and the bindings resolve functions lazily
#   - fiber-selftest, the fiber runtime's own checks (FiberRuntimeTest runs it).
#   - host-pool-selftest, the stress test of the CPU launcher's thread pool (HostPoolTest runs it).
# Usage: scripts/build-cuda-shim.sh OUTPUT_DIR
set -euo pipefail
out=${1:?usage: build-cuda-shim.sh OUTPUT_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
native="$root/src/test/native"
mkdir -p "$out"
stamp="$out/.built"
if [ -f "$stamp" ] && [ -z "$(find "$native" "$root/cuda" "$root/src/main/native" "$0" -newer "$stamp" -type f -print -quit)" ]; then
  echo "[flowrt] host shim and native self-tests are up to date in $out"
  exit 0
fi
cxx=${CXX:-g++}
flags=(-std=c++17 -O2 -fPIC -fopenmp -fvisibility=hidden -Wall -Wno-unused-function -Wno-unused-variable
  -I "$root/cuda" -I "$root/src/main/native")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A library whose exported symbols all belong to one version node.
versioned() { # NAME SOURCE SYMBOLS... (extra link arguments after --)
  local name=$1 source=$2
  shift 2
  local symbols=() link=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do symbols+=("$1"); shift; done
  [ $# -gt 0 ] && shift && link=("$@")
  { echo "$name {"; echo "  global:"; for s in "${symbols[@]}"; do echo "    $s;"; done; echo "  local: *;"; echo "};"; } > "$tmp/$name.map"
  "$cxx" "${flags[@]}" -shared -Wl,-soname,"$name" -Wl,--version-script="$tmp/$name.map" -o "$out/$name" "$source" "${link[@]}"
}

echo "[flowrt] building the CUDA host shim and the fiber self-test into $out"
"$cxx" "${flags[@]}" -shared -Wl,-soname,libcuda.so.1 -o "$out/libcuda.so.1" "$native/cuda_driver_shim.cpp"
echo 'extern "C" __attribute__((visibility("default"))) int flowrt_shim_stub() { return 0; }' > "$tmp/stub.cpp"
for lib in libcudart.so.13 libcublas.so.13 libcublasLt.so.13; do versioned "$lib" "$tmp/stub.cpp" flowrt_shim_stub; done
link=(-- -L"$out" -l:libcuda.so.1)
versioned libcudnn_graph.so.9 "$native/cudnn_shim.cpp" cudnnGetVersion cudnnGetErrorString cudnnCreate cudnnDestroy \
  cudnnSetStream "${link[@]}"
versioned libcudnn_ops.so.9 "$native/cudnn_shim.cpp" cudnnCreateTensorDescriptor cudnnDestroyTensorDescriptor \
  cudnnSetTensor4dDescriptor cudnnCreateFilterDescriptor cudnnDestroyFilterDescriptor cudnnSetFilter4dDescriptor "${link[@]}"
versioned libcudnn_cnn.so.9 "$native/cudnn_shim.cpp" cudnnCreateConvolutionDescriptor cudnnDestroyConvolutionDescriptor \
  cudnnSetConvolution2dDescriptor cudnnSetConvolutionMathType cudnnFindConvolutionForwardAlgorithm \
  cudnnFindConvolutionBackwardDataAlgorithm cudnnFindConvolutionBackwardFilterAlgorithm cudnnConvolutionForward \
  cudnnConvolutionBackwardData cudnnConvolutionBackwardFilter "${link[@]}"
versioned libcudnn_adv.so.9 "$native/cudnn_shim.cpp" flowrt_shim_cudnn_adv "${link[@]}"
"$cxx" "${flags[@]}" -shared -Wl,-soname,libnccl.so.2 -o "$out/libnccl.so.2" "$native/nccl_shim.cpp" -L"$out" -l:libcuda.so.1
"$cxx" "${flags[@]}" -o "$out/fiber-selftest" "$native/fiber_selftest.cpp"
"$cxx" "${flags[@]}" -o "$out/host-pool-selftest" "$native/host_pool_selftest.cpp"
touch "$stamp"
echo "[flowrt] host shim built (libcuda.so.1, cuDNN 9, NCCL 2, cudart/cuBLAS stubs), fiber-selftest and host-pool-selftest"
