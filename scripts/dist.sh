#!/usr/bin/env bash
# Builds target/flowrt-dist.tar.xz: flowrt for a machine with no JDK (a GPU node, say).
#   runtime/          a jlink'd Java runtime (only the modules flowrt and its libraries use)
#   lib/              the flowrt jar (fatbin, host kernel libraries, MPI binding) and the jars it
#                     runs on; of the CUDA presets' 27 JNI libraries only cudart, cublas (which the
#                     cuDNN preset loads), cudnn and nccl are kept
#   test/             the test classes, the JUnit console launcher and the fiber self-test
#   bin/flowrt        the command line (as scripts/flowrt)
#   bin/flowrt-test   JUnit's console launcher over the test classes: no arguments runs every
#                     suite; JUnit options select (--select-class org.flowrt.CudaBackendTest, ...)
# On a GPU node the CUDA 13 and cuDNN 9 libraries come from the system or from NVIDIA's pip wheels:
# put their folders on LD_LIBRARY_PATH (site-packages/nvidia/*/lib; scripts/gpu-check.sh does).
# Usage: scripts/dist.sh            (builds the project first; writes target/flowrt-dist.tar.xz)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
modules=java.base,java.desktop,java.logging,java.management,java.sql,jdk.unsupported,jdk.zipfs
junit_console=org.junit.platform:junit-platform-console-standalone:1.11.4
cuda_jni_kept='libjnicudart.so|libjnicublas.so|libjnicudnn.so|libjninccl.so'

echo "[flowrt] building the jar, the test classes and the test natives" >&2
# `package` compiles the tests and builds the test natives too (exec test-natives, process-test-classes).
mvn -q -B -DskipTests package dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile=target/classpath.txt \
  dependency:copy -Dartifact="$junit_console" -DoutputDirectory=target/dist-tools >&2
mvn -q -B dependency:build-classpath -DincludeScope=test -Dmdep.outputFile=target/test-classpath.txt >&2

stage=target/dist/flowrt
rm -rf target/dist && mkdir -p "$stage"/{bin,lib,test}
echo "[flowrt] jlink: $modules" >&2
jlink --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=2 --output "$stage/runtime"

cp target/flowrt-0.1.0-SNAPSHOT.jar "$stage/lib/flowrt.jar"
IFS=: read -r -a jars < target/classpath.txt || true  # no trailing newline
for jar in "${jars[@]}"; do
  name=$(basename "$jar")
  case "$name" in
    *-linux-x86_64.jar)
      # Native jars are stored uncompressed (zip -0) so that xz compresses the libraries themselves:
      # the tarball shrinks by ~10 MB (oneDNN's jar: 26.7 MB deflated, ~16 MB under xz). Of the CUDA
      # presets' libraries, keep only the JNI libraries the CUDA backend loads.
      tmp=$(mktemp -d)
      (cd "$tmp" && unzip -q "$jar" &&
        if [[ $name == cuda-* ]]; then find . -name 'libjni*.so' | grep -vE "/($cuda_jni_kept)\$" | xargs rm -f; fi &&
        zip -q -0 -r "$root/$stage/lib/$name" .)
      rm -rf "$tmp" ;;
    *) cp "$jar" "$stage/lib/" ;;
  esac
done

# Test-only jars: what the test classes use beyond the runtime (JUnit comes with the console launcher).
IFS=: read -r -a test_jars < target/test-classpath.txt || true
for jar in "${test_jars[@]}"; do
  name=$(basename "$jar")
  case "$name" in
    junit-*|opentest4j-*|apiguardian-*) ;;
    openblas-*) ;;  # only scripts/bench-conv.sh uses OpenBLAS
    *) [ -f "$stage/lib/$name" ] || cp "$jar" "$stage/test/" ;;
  esac
done
(cd target/test-classes && zip -q -r "$root/$stage/test/flowrt-tests.jar" .)
cp target/dist-tools/junit-platform-console-standalone-*.jar "$stage/test/junit-console.jar"
mkdir -p "$stage/test/natives"
cp target/cuda-shim/fiber-selftest target/cuda-shim/host-pool-selftest "$stage/test/natives/"

cp scripts/crash-log-dir "$stage/bin/"
cat > "$stage/bin/flowrt" <<'EOF'
#!/bin/sh
# flowrt command line, with the bundled Java runtime. Usage: flowrt COMMAND [OPTIONS]
home=$(cd "$(dirname "$0")/.." && pwd)
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY-PASSIVE}  # OpenMP threads sleep while they wait (shared CPUs)
crash_dir=$("$home/bin/crash-log-dir" "$@")
exec "$home/runtime/bin/java" -Xss8m "-XX:ErrorFile=$crash_dir/hs_err_pid%p.log" ${FLOWRT_JAVA_OPTS:-} -cp "$home/lib/*" org.flowrt.cli.Main "$@"
EOF
cat > "$stage/bin/flowrt-test" <<'EOF'
#!/bin/sh
# flowrt's test suites with the bundled Java runtime (JUnit console launcher). No arguments: every
# test class; otherwise JUnit's selectors, e.g. --select-class org.flowrt.CudaBackendTest.
# FLOWRT_REQUIRE_GPU=1 makes the GPU suites fail instead of skip where the GPU cannot be used.
home=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -eq 0 ]; then set -- --scan-class-path "$home/test/flowrt-tests.jar"; fi
classpath=""
for jar in "$home"/lib/*.jar "$home"/test/*.jar; do  # JUnit's --class-path takes no wildcards
  case "$jar" in */junit-console.jar) ;; *) classpath="$classpath${classpath:+:}$jar" ;; esac
done
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY-PASSIVE}
# flowrt.testClasspath: the classpath of the JVMs that process tests start (JUnit's own is its jar).
exec "$home/runtime/bin/java" -Xss8m -Dflowrt.testNatives="$home/test/natives" -Dflowrt.testClasspath="$classpath" \
  -jar "$home/test/junit-console.jar" execute --disable-banner --details=summary --details-theme=ascii \
  --class-path "$classpath" "$@"
EOF
chmod +x "$stage/bin/flowrt" "$stage/bin/flowrt-test"
cp README.md "$stage/"
tar -C target/dist -cJf target/flowrt-dist.tar.xz flowrt
echo "[flowrt] target/flowrt-dist.tar.xz: $(du -h target/flowrt-dist.tar.xz | cut -f1) ($(du -sh "$stage" | cut -f1) unpacked)" >&2
