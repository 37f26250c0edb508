#!/usr/bin/env bash
# The coupling network's inference convolutions of config A by activation layout and epilogue, with
# oneDNN's implementation for each (scripts/bench-conv/InferenceLayoutBench.java; a benchmark, not a
# test): the per-layout figures behind the nChw8c inference network tried at b68d51b (docs/benchmarks.md).
# Usage: scripts/bench-conv-inference.sh [ROUNDS=3]      (2 threads unless OMP_NUM_THREADS is set)
exec "$(dirname "$0")/bench-conv/run-dnnl-bench.sh" InferenceLayoutBench "$@"
