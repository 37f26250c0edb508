#!/usr/bin/env bash
# oneDNN alone on config A's convolution shapes, every pass, plain NCHW against blocked layouts and
# the 1×1 shapes as batched matmuls (scripts/bench-conv/ConvPassBench.java). Usage: scripts/bench-conv-passes.sh
exec "$(dirname "$0")/bench-conv/run-dnnl-bench.sh" ConvPassBench "$@"
