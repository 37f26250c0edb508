#!/usr/bin/env bash
# Regenerates the classic-flow pictures in docs/pictures/: density estimation on the four 2-D toy
# sets (RealNVP, plus NICE on moons) and variational inference on the four Rezende–Mohamed energies
# (planar and radial flows). Each run also writes result.json with its final numbers under runs/.
# Usage: scripts/classic-gallery.sh [TOY_ITERATIONS] [VI_ITERATIONS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
toy_iterations=${1:-1500}
vi_iterations=${2:-5000}
mkdir -p docs/pictures
for data in moons rings 8gaussians checkerboard; do
  scripts/flowrt toy --data "$data" --flow realnvp --iterations "$toy_iterations" --out "runs/toy-$data-realnvp" | tail -1
  cp "runs/toy-$data-realnvp/density.png" "docs/pictures/toy-$data-realnvp-density.png"
done
cp runs/toy-moons-realnvp/samples.png docs/pictures/toy-moons-realnvp-samples.png
cp runs/toy-moons-realnvp/grid-forward.png docs/pictures/toy-moons-realnvp-grid-forward.png
cp runs/toy-moons-realnvp/grid-inverse.png docs/pictures/toy-moons-realnvp-grid-inverse.png
scripts/flowrt toy --data moons --flow nice --layers 4 --iterations "$toy_iterations" --out runs/toy-moons-nice | tail -1
cp runs/toy-moons-nice/density.png docs/pictures/toy-moons-nice-density.png
for flow in planar radial; do
  for energy in 1 2 3 4; do
    scripts/flowrt vi --energy "$energy" --flow "$flow" --iterations "$vi_iterations" --out "runs/vi-u$energy-$flow" | tail -2 | head -1
    cp "runs/vi-u$energy-$flow/target-vs-fit.png" "docs/pictures/vi-u$energy-$flow.png"
  done
done
for f in runs/toy-*/result.json runs/vi-*/result.json; do cat "$f"; done > docs/pictures/results.jsonl
echo "pictures in docs/pictures/, numbers in docs/pictures/results.jsonl"
