#!/usr/bin/env bash
# flowrt's own CPU convolution plans on given shapes, as the model runs them (reorders, taps shifts
# and pieces included): direct oneDNN against each taps recast, alternated round after round in one
# process (scripts/bench-conv/ConvPlanBench.java). The evidence behind TapsConvolution's thresholds.
# Usage: scripts/bench-conv-plans.sh ROUNDS N,IN,OUT,SIDE,K [...]   e.g. 9 16,12,128,8,3 64,8,128,4,3
# (2 threads unless OMP_NUM_THREADS is set; threads sleep when idle unless OMP_WAIT_POLICY says otherwise)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ $# -ge 2 ] || { echo "usage: scripts/bench-conv-plans.sh ROUNDS N,IN,OUT,SIDE,K [...]" >&2; exit 2; }
mvn -q -B -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
mkdir -p target/bench-classes
javac -d target/bench-classes -cp "target/classes:$(cat target/classpath.txt)" scripts/bench-conv/ConvPlanBench.java
OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} OMP_WAIT_POLICY=${OMP_WAIT_POLICY-PASSIVE} \
  exec java -cp "target/bench-classes:target/classes:$(cat target/classpath.txt)" org.flowrt.backend.cpu.ConvPlanBench "$@"
