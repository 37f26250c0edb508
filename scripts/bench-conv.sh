#!/usr/bin/env bash
# Measures the CPU convolution library choice: oneDNN (used) against OpenBLAS GEMM (best case of an
# im2col convolution). The benchmark program lives beside this script, not among the tests: it
# times things, and timing belongs to benchmarks. Usage: scripts/bench-conv.sh [REPEATS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mvn -q -B -DskipTests package dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt
mkdir -p target/bench-classes
javac -d target/bench-classes -cp "target/classes:$(cat target/test-classpath.txt)" scripts/bench-conv/ConvLibraryBench.java
exec java -cp "target/bench-classes:target/classes:$(cat target/test-classpath.txt)" org.flowrt.bench.ConvLibraryBench "$@"
