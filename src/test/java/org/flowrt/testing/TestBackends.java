package org.flowrt.testing;

import org.flowrt.backend.Backend;
import java.util.EnumMap;
import java.util.Map;
import org.flowrt.backend.cpu.CpuBackend;
import org.flowrt.backend.cpu.FiberOrder;
import org.flowrt.backend.cpu.HostGeometry;
import org.flowrt.backend.cuda.CudaBackend;

/** One backend of each kind per test JVM, opened on first use. */
public final class TestBackends {
  private static Backend cpu;
  private static Backend cuda;
  private static final Map<FiberOrder, Backend> fibers = new EnumMap<>(FiberOrder.class);

  private TestBackends() {}

  public static synchronized Backend cpu() {
    if (cpu == null) cpu = new CpuBackend();
    return cpu;
  }

  /** The CPU backend with the GPU's block geometry, threads taking turns in the given order. */
  public static synchronized Backend fibers(FiberOrder order) {
    return fibers.computeIfAbsent(order, o -> new CpuBackend(HostGeometry.GPU_BLOCKS, o));
  }

  /** The order chosen for this test run: system property flowrt.fiberOrder, ascending by default. */
  public static FiberOrder fiberOrder() {
    return FiberOrder.parse(System.getProperty(FiberOrder.PROPERTY, "ascending"));
  }

  /**
   * True for backends that run GPU-sized blocks on the CPU (the fiber build, the CUDA host shim):
   * correct but slow, so the longest suites shrink their runs there.
   */
  public static boolean emulatesGpuBlocks(Backend be) {
    return be.threadsPerBlock() > 1 && (be.kind() == org.flowrt.backend.BackendKind.CPU || be.description().contains("host shim"));
  }

  /** Callers check CudaProbe.available() first (the GPU test classes assume it). */
  public static synchronized Backend cuda() {
    if (cuda == null) cuda = new CudaBackend(0);
    return cuda;
  }
}
