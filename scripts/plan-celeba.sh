#!/usr/bin/env bash
# Planner table for docs/benchmarks.md: the Glow paper's CelebA-HQ architecture (K = 32, width 512,
# affine coupling, invconv, L = 6 at 256², one more level per doubling of the side) on an 80 GB GPU
# (78 GiB usable), batch 1, reversible vs stored; and the largest batch at 256². Each figure is the
# step's bound (every rebuild failing and repaired) where that applies; see `flowrt plan --help`.
set -euo pipefail
flowrt="$(cd "$(dirname "$0")" && pwd)/flowrt"
memory=${MEMORY:-78GiB}
echo "| image | levels | backward | parameters | model + optimizer | peak (healthy step) | bound (all rebuilds repaired) | fits in $memory |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for side in 256 512 1024 2048 4096; do
  levels=$((6 + $(awk -v s="$side" 'BEGIN { print int(log(s / 256) / log(2) + 0.5) }')))
  for mode in reversible stored; do
    extra=(); [ "$mode" = stored ] && extra=(--store-activations)
    out=$("$flowrt" plan --levels "$levels" --steps 32 --width 512 --n-bits 5 --image-size "$side" --batch 1 "${extra[@]}" || true)
    params=$(echo "$out" | awk '/^  parameters/ { print $2 }')
    model=$(echo "$out" | awk '/^  model/ { print $2, $3 }')
    optim=$(echo "$out" | awk '/optimizer state/ { print $3, $4 }')
    peak=$(echo "$out" | awk '/^  peak/ { print $2, $3 }')
    bound=$(echo "$out" | awk '/^  bound/ { print $2, $3 }')
    [ -z "$bound" ] && bound="= peak"
    fits=$("$flowrt" plan --levels "$levels" --steps 32 --width 512 --n-bits 5 --image-size "$side" --batch 1 "${extra[@]}" \
      --memory "$memory" > /dev/null && echo yes || echo no)
    echo "| ${side}² | $levels | $mode | $params | $model + $optim | $peak | $bound | $fits |"
  done
done
for mode in reversible stored; do
  extra=(); [ "$mode" = stored ] && extra=(--store-activations)
  b=$("$flowrt" plan --levels 6 --steps 32 --width 512 --n-bits 5 --image-size 256 "${extra[@]}" --memory "$memory" --fit-batch \
    | awk '/largest batch/ { print $NF }')
  echo
  echo "Largest batch at 256², $mode: **$b**"
done
