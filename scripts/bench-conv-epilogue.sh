#!/usr/bin/env bash
# What an actnorm (+ ReLU) epilogue costs on oneDNN's forward 1×1 convolution, plain NCHW against
# oneDNN's blocked layout (scripts/bench-conv/EpilogueBench.java; a benchmark, not a test).
# Usage: scripts/bench-conv-epilogue.sh [ROUNDS=3]      (2 threads unless OMP_NUM_THREADS is set)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mvn -q -B -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
mkdir -p target/bench-classes
javac -d target/bench-classes -cp "target/classes:$(cat target/classpath.txt)" scripts/bench-conv/EpilogueBench.java
OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} OMP_WAIT_POLICY=${OMP_WAIT_POLICY-PASSIVE} \
  exec java -cp "target/bench-classes:target/classes:$(cat target/classpath.txt)" org.flowrt.bench.EpilogueBench "$@"
