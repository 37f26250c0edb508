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
 * Runs the fiber runtime's native self-test (src/test/native/fiber_selftest.cpp, built by
 * scripts/build-cuda-shim.sh): broken kernels that only it contains show that a partial barrier and
 * split barriers are errors naming kernel and line, that a missing barrier changes the result with
 * the thread order, and that block reductions are exact in every order.
 */
class FiberRuntimeTest {
  @Test
  void selfTestPasses() throws IOException, InterruptedException {
    Path natives = Path.of(System.getProperty("flowrt.testNatives", "target/cuda-shim"));
    Path program = natives.resolve("fiber-selftest");
    assertTrue(Files.isExecutable(program), program + " was not built (scripts/build-cuda-shim.sh)");
    Process p = new ProcessBuilder(program.toString()).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "self-test did not finish");
    assertEquals(0, p.exitValue(), output);
    assertTrue(output.contains("11 passed, 0 failed"), output);
  }
}
