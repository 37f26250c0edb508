package org.flowrt.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Runs one of the native self-test programs that scripts/build-cuda-shim.sh builds (beside the host
 * shim, in target/cuda-shim or the distribution's test/natives) and checks it exits 0.
 */
public final class NativeSelfTest {
  private NativeSelfTest() {}

  /** The program's output (stdout and stderr), after asserting it was built, finished in time and exited 0. */
  public static String run(String program, long timeoutSeconds) throws IOException, InterruptedException {
    Path natives = Path.of(System.getProperty("flowrt.testNatives", "target/cuda-shim"));
    Path path = natives.resolve(program);
    assertTrue(Files.isExecutable(path), path + " was not built (scripts/build-cuda-shim.sh)");
    Process p = new ProcessBuilder(path.toString()).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(timeoutSeconds, TimeUnit.SECONDS), program + " did not finish within " + timeoutSeconds + " s");
    assertEquals(0, p.exitValue(), output);
    return output;
  }
}
