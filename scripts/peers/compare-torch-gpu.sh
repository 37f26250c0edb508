#!/usr/bin/env bash
# flowrt against the PyTorch port (scripts/peers/glow_torch.py) on one GPU, side by side on one
# protocol: random 8-bit images made on the host and copied to the GPU each step, Adamax at a
# constant lr of 1e-4, 2 untimed warm-up steps, the median of 5 timed passes of 20 steps, then a
# sample of one batch per pass (T = 0.7). flowrt runs from the JDK-free distribution, reversible and
# stored-activation backward; PyTorch eager and torch.compile, cuDNN benchmark mode on, autograd
# (stored activations). Runs alternate between the systems, one configuration per process.
# Peak device memory: flowrt's allocator peak, PyTorch's torch.cuda.max_memory_allocated.
# Writes OUTDIR/compare.jsonl (one line per run, labelled) and prints a markdown table.
# Usage: scripts/peers/compare-torch-gpu.sh OUTDIR [MODEL...]   models: readme cifar 256 (default all)
#        environment: ROUNDS (default 1), COMPILE=0 skips torch.compile, STORED=0 skips flowrt stored,
#        TF32=1 adds flowrt with --tf32 and PyTorch eager with --no-tf32 (the two conv maths swapped:
#        PyTorch's default is TF32 tensor cores, flowrt's float32 FMA), DIST (scripts/gpu-dist.sh)
set -uo pipefail
out=${1:?usage: compare-torch-gpu.sh OUTDIR [MODEL...]}; shift
root=$(cd "$(dirname "$0")/../.." && pwd)
models=("$@"); [ ${#models[@]} -gt 0 ] || models=(readme cifar 256)
mkdir -p "$out"; out=$(cd "$out" && pwd)
. "$root/scripts/gpu-dist.sh"
protocol=(--lr 1e-4 --warmup-steps 2 --passes 5 --steps-per-pass 20)
model_options() {
  case $1 in
    readme) echo --channels 1 --image-size 32 --levels 3 --steps 8 --width 128 --batch 64 --permutation invconv-lu ;;
    cifar) echo --channels 3 --image-size 32 --levels 3 --steps 16 --width 256 --batch 64 --permutation invconv-lu ;;
    256) echo --channels 3 --image-size 256 --levels 6 --steps 8 --width 256 --batch 8 --permutation invconv-lu ;;
    *) echo "unknown model $1" >&2; exit 2 ;;
  esac
}
run() { # MODEL LABEL COMMAND...: one run, its last JSON line labelled into compare.jsonl
  local model=$1 label=$2; shift 2
  echo "== $model $label: $*" >&2
  local line
  line=$(timeout 300 "$@" 2> "$out/$model-$label.err" | tail -1)
  if [ -z "$line" ] || [ "${line:0:1}" != "{" ]; then echo "   failed; $out/$model-$label.err:" >&2; tail -5 "$out/$model-$label.err" >&2; return; fi
  echo "$line" | python3 -c 'import json,sys; r=json.load(sys.stdin); r["model"], r["label"] = sys.argv[1], sys.argv[2]; print(json.dumps(r))' "$model" "$label" >> "$out/compare.jsonl"
}
for model in "${models[@]}"; do
  read -r -a options <<< "$(model_options "$model")"
  for _ in $(seq "${ROUNDS:-1}"); do
    run "$model" flowrt-reversible "$flowrt" bench-one --backend cuda "${options[@]}" "${protocol[@]}"
    run "$model" torch-eager python3 "$root/scripts/peers/glow_torch.py" --device cuda "${options[@]}" "${protocol[@]}"
    [ "${STORED:-1}" = 0 ] || run "$model" flowrt-stored "$flowrt" bench-one --backend cuda --store-activations "${options[@]}" "${protocol[@]}"
    if [ "${TF32:-0}" = 1 ]; then
      run "$model" flowrt-reversible-tf32 "$flowrt" bench-one --backend cuda --tf32 "${options[@]}" "${protocol[@]}"
      run "$model" torch-eager-fp32 python3 "$root/scripts/peers/glow_torch.py" --device cuda --no-tf32 "${options[@]}" "${protocol[@]}"
    fi
    [ "${COMPILE:-1}" = 0 ] || run "$model" torch-compile python3 "$root/scripts/peers/glow_torch.py" --device cuda --compile "${options[@]}" "${protocol[@]}"
  done
done
python3 - "$out/compare.jsonl" <<'PY'
import collections, json, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    r = json.loads(line); runs[r["model"], r["label"]].append(r)
med = lambda rs, k: statistics.median(r[k] for r in rs if r.get(k) is not None) if any(r.get(k) is not None for r in rs) else float("nan")
peak = lambda r: r.get("peak_device_bytes") or r.get("peak_allocator_bytes")
print("| model | system | train img/s | sample img/s | peak device MiB | runs |\n| --- | --- | --- | --- | --- | --- |")
for (model, label), rs in runs.items():
    p = statistics.median(peak(r) or float("nan") for r in rs)
    print(f"| {model} | {label} | {med(rs, 'train_images_per_s'):.1f} | {med(rs, 'sample_images_per_s'):.1f} | {p / 2**20:.0f} | {len(rs)} |")
PY
