package org.flowrt.testing;

import org.flowrt.backend.Backend;
import org.flowrt.backend.cpu.CpuBackend;
import org.flowrt.backend.cuda.CudaBackend;

/** One backend of each kind per test JVM, opened on first use. */
public final class TestBackends {
  private static Backend cpu;
  private static Backend cuda;

  private TestBackends() {}

  public static synchronized Backend cpu() {
    if (cpu == null) cpu = new CpuBackend();
    return cpu;
  }

  /** Callers check CudaProbe.available() first (the GPU test classes assume it). */
  public static synchronized Backend cuda() {
    if (cuda == null) cuda = new CudaBackend(0);
    return cuda;
  }
}
