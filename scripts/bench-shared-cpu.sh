#!/usr/bin/env bash
# Training throughput alone and beside busy processes, with libgomp's default wait (spin a while,
# then sleep; OMP_WAIT_POLICY set but empty keeps it), with threads that spin (ACTIVE) and with
# threads that sleep at once (PASSIVE, flowrt's launcher default). With B busy single-threaded processes on C cores, a fair share gives flowrt's T threads
# C·T/(T+B) cores, so throughput that degrades "proportionally to the load" is alone × C/(T+B)·(T/C).
# Usage: scripts/bench-shared-cpu.sh [BUSY=3] [STEPS=12] [POLICY...]   (POLICY: default, ACTIVE, PASSIVE;
#        all three unless given)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
busy_count=${1:-3}
steps=${2:-12}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
run() {
  rm -rf "$work/run"
  OMP_WAIT_POLICY=$1 "$root/scripts/flowrt" train --levels 3 --steps 8 --width 128 --batch 64 --permutation invconv-lu \
    --max-steps "$steps" --warmup-epochs 0.05 --out "$work/run" --eval-images 64 --samples 4 2>&1 \
    | grep -o "[0-9.]* images/s" | head -1 | cut -d' ' -f1
}
cores=$(nproc)
echo "| OpenMP wait policy | alone (images/s) | beside $busy_count busy processes | slowdown | proportional slowdown |"
echo "| --- | --- | --- | --- | --- |"
policies=("${@:3}")
[ ${#policies[@]} -gt 0 ] || policies=(default ACTIVE PASSIVE)
for policy in "${policies[@]}"; do
  [ "$policy" = default ] && policy=""
  alone=$(run "$policy")
  pids=()
  for _ in $(seq "$busy_count"); do (while :; do :; done) & pids+=($!); done
  sleep 1
  loaded=$(run "$policy")
  kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null
  awk -v p="${policy:-libgomp default}" -v a="$alone" -v l="$loaded" -v b="$busy_count" -v c="$cores" 'BEGIN {
    t = c; fair = (t + b) / t; if (fair < 1) fair = 1
    printf "| %s | %.1f | %.1f | %.2f× | %.2f× |\n", p, a, l, a / l, fair }'
done
