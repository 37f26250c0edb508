package org.flowrt;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.flowrt.testing.NativeSelfTest;
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
    String output = NativeSelfTest.run("host-pool-selftest", 120);
    assertTrue(output.contains("600000 launches, 0 errors"), output);
  }
}
