#!/usr/bin/env bash
# The first-light check on a GPU node, from the JDK-free distribution (scripts/dist.sh). Unpacks it,
# puts NVIDIA's CUDA 13 / cuDNN 9 libraries from pip wheels on LD_LIBRARY_PATH when it finds them
# (site-packages/nvidia/*/lib), then, with logs in OUTDIR:
#   info.log        `flowrt info` with the CUDA backend forced (names the GPU)
#   gpu-tests.log   every GPU-tagged suite (CudaBackendTest, CudaShimTest skips) with FLOWRT_REQUIRE_GPU=1
#   cpu-tests.log   the CPU suites from the same distribution
#   sanitizer-*.log compute-sanitizer memcheck and racecheck over a few training steps, when present
#   bench.json      `flowrt bench` of the README model
# Usage: scripts/gpu-check.sh OUTDIR [DIST_TARBALL]   (default target/flowrt-dist.tar.xz)
set -uo pipefail
out=${1:?usage: gpu-check.sh OUTDIR [DIST_TARBALL]}
root=$(cd "$(dirname "$0")/.." && pwd)
tarball=${2:-$root/target/flowrt-dist.tar.xz}
mkdir -p "$out"
work=$(mktemp -d)
tar -C "$work" -xJf "$tarball" || { echo "cannot unpack $tarball"; exit 2; }
dist="$work/flowrt"
libs=$(python3 -c 'import site,glob;print(":".join(sorted({p for s in site.getsitepackages() for p in glob.glob(s+"/nvidia/*/lib")})))' 2>/dev/null || true)
export LD_LIBRARY_PATH="${libs:+$libs:}${LD_LIBRARY_PATH:-}"
echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH" | tee "$out/environment.log"
nvidia-smi >> "$out/environment.log" 2>&1 || true
status=0
step() { # NAME COMMAND...: runs, logs to OUTDIR/NAME.log, remembers a failure
  local name=$1; shift
  echo "== $name: $*"
  "$@" > "$out/$name.log" 2>&1; local rc=$?
  tail -n 5 "$out/$name.log"
  [ $rc -eq 0 ] || { echo "== $name failed (exit $rc)"; status=1; }
}
step info env FLOWRT_BACKEND=cuda "$dist/bin/flowrt" info
step gpu-tests env FLOWRT_REQUIRE_GPU=1 "$dist/bin/flowrt-test" --select-class org.flowrt.CudaBackendTest \
  --select-class org.flowrt.backend.cuda.CudaShimTest
step cpu-tests "$dist/bin/flowrt-test" --select-class org.flowrt.CpuBackendTest --select-class org.flowrt.FiberOpsTest
if command -v compute-sanitizer > /dev/null; then
  for tool in memcheck racecheck; do
    # A few training steps of a small model: the sanitizers slow kernels down a hundredfold.
    step "sanitizer-$tool" compute-sanitizer --tool "$tool" --error-exitcode 3 --target-processes all \
      env FLOWRT_BACKEND=cuda "$dist/bin/flowrt" bench --iterations 2 --batch 4 --width 32 --sweep 2 --out "$out/sanitizer-$tool.json"
  done
fi
step bench env FLOWRT_BACKEND=cuda "$dist/bin/flowrt" bench --out "$out/bench.json"
rm -rf "$work"
exit $status
