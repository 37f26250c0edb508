package org.flowrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs the stress test of the CPU backend's launcher pool (src/test/native/host_pool_selftest.cpp,
 * built by scripts/build-cuda-shim.sh): 600,000 launches of 0–9 blocks on 2–3 threads and two callers
 * at once, each launch checked to run every block of its grid exactly once. The pool's first version
 * failed it within a thousand launches (a late helper claimed a block against the next launch's
 * total); the kernel suites would rarely meet that race.
 */
class HostPoolTest {
  @Test
  void everyLaunchRunsEachBlockOnce() throws IOException, InterruptedException {
    Path natives = Path.of(System.getProperty("flowrt.testNatives", "target/cuda-shim"));
    Path program = natives.resolve("host-pool-selftest");
    assertTrue(Files.isExecutable(program), program + " was not built (scripts/build-cuda-shim.sh)");
    Process p = new ProcessBuilder(program.toString()).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "self-test did not finish (a lost block hangs a launch)");
    assertEquals(0, p.exitValue(), output);
    assertTrue(output.contains("600000 launches, 0 errors"), output);
  }
}
