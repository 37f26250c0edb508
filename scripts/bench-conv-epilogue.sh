#!/usr/bin/env bash
# What an actnorm (+ ReLU) epilogue costs on oneDNN's forward 1×1 convolution, plain NCHW against
# oneDNN's blocked layout (scripts/bench-conv/EpilogueBench.java; a benchmark, not a test).
# Usage: scripts/bench-conv-epilogue.sh [ROUNDS=3]      (2 threads unless OMP_NUM_THREADS is set)
exec "$(dirname "$0")/bench-conv/run-dnnl-bench.sh" EpilogueBench "$@"
