package org.flowrt;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.flowrt.testing.NativeSelfTest;
import org.junit.jupiter.api.Test;

/**
 * Runs the fiber runtime's native self-test (src/test/native/fiber_selftest.cpp, built by
 * scripts/build-cuda-shim.sh): broken kernels that only it contains show that a partial barrier and
 * split barriers are errors naming kernel and line, that a missing barrier changes the result with
 * the thread order, and that block reductions are exact in every order.
 */
class FiberRuntimeTest {
  @Test
  void selfTestPasses() throws IOException, InterruptedException {
    String output = NativeSelfTest.run("fiber-selftest", 60);
    assertTrue(output.contains("11 passed, 0 failed"), output);
  }
}
