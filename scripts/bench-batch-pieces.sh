#!/usr/bin/env bash
# Coupling networks run in pieces of the batch (the CPU default) against the whole batch, interleaved
# in one process (scripts/bench-batch-pieces/BatchPiecesBench.java; docs/benchmarks.md, "Fifth round").
# Usage: scripts/bench-batch-pieces.sh [ROUNDS=16] [CHANNELS=1] [BATCH=64]   (2 threads unless OMP_NUM_THREADS is set)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mvn -q -B -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
mkdir -p target/bench-classes
javac -d target/bench-classes -cp "target/classes:$(cat target/classpath.txt)" scripts/bench-batch-pieces/BatchPiecesBench.java
OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} OMP_WAIT_POLICY=${OMP_WAIT_POLICY-PASSIVE} \
  exec java -Xss8m -cp "target/bench-classes:target/classes:$(cat target/classpath.txt)" org.flowrt.cli.BatchPiecesBench \
  "${2:-1}" "${3:-64}" "${1:-16}"
