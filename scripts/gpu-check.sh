#!/usr/bin/env bash
# The first-light check on a GPU node, from the JDK-free distribution (scripts/dist.sh). Unpacks it,
# puts NVIDIA's CUDA 13 / cuDNN 9 libraries from pip wheels on LD_LIBRARY_PATH when it finds them
# (site-packages/nvidia/*/lib), then, with logs in OUTDIR:
#   environment.log  the library path and nvidia-smi
#   info.log         `flowrt info` with the CUDA backend forced (names the GPU)
#   gpu-tests.log    every GPU-tagged suite (CudaBackendTest, CudaShimTest skips) with FLOWRT_REQUIRE_GPU=1
#   losses.log       with DATA=an IDX folder (Fashion-MNIST, or a subset cut by scripts/idx-subset.py
#                    to travel to a node without network): the first 5 training steps
#                    of the README model on the CPU and on the GPU from the same seed, side by side
#   sanitizer-*.log  compute-sanitizer memcheck and racecheck over a few training steps of the
#                    README model, when compute-sanitizer is present (racecheck also with every
#                    kernel excluded, a control whose speed shows the filter took flowrt's kernels)
#   bench.json       `flowrt bench-one` of the README model on random images
# Each step has a time limit, so one hung step cannot eat a short GPU lease. The CPU suites are not
# run here: CI runs them from the same distribution.
# Usage: [DATA=FOLDER] scripts/gpu-check.sh OUTDIR [DIST_TARBALL]   (default target/flowrt-dist.tar.xz)
set -uo pipefail
out=${1:?usage: gpu-check.sh OUTDIR [DIST_TARBALL]}
root=$(cd "$(dirname "$0")/.." && pwd)
DIST=${2:-${DIST:-}}
mkdir -p "$out"
out=$(cd "$out" && pwd)
. "$root/scripts/gpu-dist.sh"
echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH" | tee "$out/environment.log"
nvidia-smi >> "$out/environment.log" 2>&1 || true
status=0
step() { # NAME SECONDS COMMAND...: runs with a time limit, logs to OUTDIR/NAME.log, remembers a failure
  local name=$1 limit=$2; shift 2
  echo "== $name: $*"
  local t0=$SECONDS
  timeout "$limit" "$@" > "$out/$name.log" 2>&1; local rc=$?
  tail -n 8 "$out/$name.log"
  echo "== $name: exit $rc after $((SECONDS - t0)) s"
  [ $rc -eq 0 ] || status=1
}
# The README model (README.md's first command) without its time budget.
readme_model=(--channels 1 --levels 3 --steps 8 --width 128 --permutation invconv-lu)

step info 60 env FLOWRT_BACKEND=cuda "$flowrt" info
step gpu-tests 420 env FLOWRT_REQUIRE_GPU=1 "$dist/bin/flowrt-test" --select-class org.flowrt.CudaBackendTest \
  --select-class org.flowrt.backend.cuda.CudaShimTest
if [ -n "${DATA:-}" ]; then
  for backend in cpu cuda; do
    step "train-$backend" 180 "$flowrt" train --backend "$backend" --data "$DATA" "${readme_model[@]}" \
      --batch 64 --max-steps 5 --warmup-epochs 0.05 --seed 1 --eval-images 256 --out "$out/run-$backend"
  done
  # Step 1 differs only by the order of float32 sums (cuDNN's against oneDNN's): ~1e-6 relative.
  # Later steps add Adamax updates of gradients that differ the same way; 1e-4 relative leaves room
  # for that growth over 4 steps while a wrong kernel (an error of 1e-2 or more) cannot pass.
  step losses 30 python3 - "$out/run-cpu/metrics.jsonl" "$out/run-cuda/metrics.jsonl" <<'PY'
import json, sys
rows = [[json.loads(l) for l in open(f) if '"train_bpd"' in l] for f in sys.argv[1:]]
worst = 0.0
print("| step | CPU train bpd | GPU train bpd | relative difference |\n| --- | --- | --- | --- |")
for c, g in zip(*rows):
    d = abs(c["train_bpd"] - g["train_bpd"]) / abs(c["train_bpd"])
    worst = max(worst, d)
    print(f'| {c["step"]} | {c["train_bpd"]:.6f} | {g["train_bpd"]:.6f} | {d:.2e} |')
ok = len(rows[0]) == len(rows[1]) == 5 and worst <= 1e-4
print(f"worst relative difference {worst:.2e} (tolerance 1e-4): {'same model' if ok else 'MISMATCH'}")
sys.exit(0 if ok else 1)
PY
fi
if command -v compute-sanitizer > /dev/null; then
  # Training steps and a sample of the README model at batch 8: the sanitizers slow kernels down a
  # hundredfold. memcheck checks every kernel, cuDNN's too. racecheck checks flowrt's own kernels
  # (cuda/*.cu): over cuDNN's algorithm search as well it had not finished after 150 s on an H100.
  step sanitizer-memcheck 150 compute-sanitizer --tool memcheck --error-exitcode 3 --target-processes all \
    "$flowrt" bench-one --backend cuda "${readme_model[@]}" --batch 8 --warmup-steps 1 --passes 1 \
    --steps-per-pass 2 --out "$out/sanitizer-memcheck.json"
  # The filter's key is `regex` (a regular expression searched in the kernel's name; `kns`, a
  # substring, would take "^(…)$" literally and match no kernel). As a control, the same run with
  # every kernel excluded: racecheck's instrumented kernels make the checked run the slower one.
  step sanitizer-racecheck 120 compute-sanitizer --tool racecheck --error-exitcode 3 --target-processes all \
    --kernel-name "regex=^($flowrt_kernels)\$" "$flowrt" bench-one --backend cuda "${readme_model[@]}" --batch 8 \
    --warmup-steps 1 --passes 1 --steps-per-pass 1 --out "$out/sanitizer-racecheck.json"
  step sanitizer-racecheck-control 120 compute-sanitizer --tool racecheck --error-exitcode 3 --target-processes all \
    --kernel-name-exclude "regex=." "$flowrt" bench-one --backend cuda "${readme_model[@]}" --batch 8 \
    --warmup-steps 1 --passes 1 --steps-per-pass 1 --out "$out/sanitizer-racecheck-control.json"
fi
step bench 180 "$flowrt" bench-one --backend cuda "${readme_model[@]}" --batch 64 --lr 1e-4 --out "$out/bench.json"
exit $status
