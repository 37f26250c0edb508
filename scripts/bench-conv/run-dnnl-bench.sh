#!/usr/bin/env bash
# Builds flowrt, compiles the oneDNN benchmarks in scripts/bench-conv/ (with DnnlBench, their shared
# helpers) and runs one: scripts/bench-conv/run-dnnl-bench.sh CLASS [ARGS...] (2 threads unless
# OMP_NUM_THREADS is set; threads sleep when idle unless OMP_WAIT_POLICY says otherwise).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
main=${1:?usage: run-dnnl-bench.sh CLASS [ARGS...]}
shift
mvn -q -B -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
mkdir -p target/bench-classes
javac -d target/bench-classes -cp "target/classes:$(cat target/classpath.txt)" scripts/bench-conv/DnnlBench.java \
  scripts/bench-conv/EpilogueBench.java scripts/bench-conv/InferenceLayoutBench.java scripts/bench-conv/ConvPassBench.java
OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} OMP_WAIT_POLICY=${OMP_WAIT_POLICY-PASSIVE} \
  exec java -cp "target/bench-classes:target/classes:$(cat target/classpath.txt)" "org.flowrt.bench.$main" "$@"
