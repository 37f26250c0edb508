#!/usr/bin/env bash
# Measures the CPU convolution library choice: oneDNN (used) against OpenBLAS GEMM (best case of an
# im2col convolution). Usage: scripts/bench-conv.sh [REPEATS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mvn -q -B -DskipTests test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt
exec java -cp "target/test-classes:target/classes:$(cat target/test-classpath.txt)" org.flowrt.bench.ConvLibraryBench "$@"
