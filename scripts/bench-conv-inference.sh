#!/usr/bin/env bash
# The coupling network's inference convolutions of config A by activation layout and epilogue, with
# oneDNN's implementation for each (scripts/bench-conv/InferenceLayoutBench.java; a benchmark, not a
# test): the per-layout figures behind the nChw8c inference network tried at b68d51b (docs/benchmarks.md).
# Usage: scripts/bench-conv-inference.sh [ROUNDS=3]      (2 threads unless OMP_NUM_THREADS is set)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mvn -q -B -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
mkdir -p target/bench-classes
javac -d target/bench-classes -cp "target/classes:$(cat target/classpath.txt)" scripts/bench-conv/InferenceLayoutBench.java
OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} OMP_WAIT_POLICY=${OMP_WAIT_POLICY-PASSIVE} \
  exec java -cp "target/bench-classes:target/classes:$(cat target/classpath.txt)" org.flowrt.bench.InferenceLayoutBench "$@"
