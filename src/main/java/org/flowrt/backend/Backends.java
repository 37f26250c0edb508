package org.flowrt.backend;

import org.flowrt.backend.cpu.CpuBackend;
import org.flowrt.backend.cuda.CudaBackend;
import org.flowrt.backend.cuda.CudaProbe;

/**
 * Chooses and opens a backend: CUDA when its natives load and a device is present, else CPU. The
 * choice can be forced with the system property {@code flowrt.backend} or the environment variable
 * {@code FLOWRT_BACKEND} (cpu or cuda); forcing cuda where it cannot run is an error that says why.
 */
public final class Backends {
  public static final String PROPERTY = "flowrt.backend";
  public static final String ENVIRONMENT = "FLOWRT_BACKEND";

  private Backends() {}

  /** The backend the environment asks for, or the best available. */
  public static Backend open() {
    return open(BackendOptions.defaults());
  }

  public static Backend open(BackendOptions options) {
    String forced = System.getProperty(PROPERTY, System.getenv(ENVIRONMENT));
    if (forced != null && !forced.isBlank() && !forced.equalsIgnoreCase("auto")) return open(BackendKind.parse(forced), options);
    return open(CudaProbe.available() ? BackendKind.CUDA : BackendKind.CPU, options);
  }

  public static Backend open(BackendKind kind) {
    return open(kind, BackendOptions.defaults());
  }

  public static Backend open(BackendKind kind, BackendOptions options) {
    return switch (kind) {
      case CPU -> new CpuBackend();
      case CUDA -> {
        CudaProbe.Result probe = CudaProbe.probe();
        if (!probe.available()) throw new IllegalStateException("the CUDA backend was requested but cannot run: " + probe.reason());
        yield new CudaBackend(device(options.localRank(), probe.deviceCount()), options);
      }
    };
  }

  /**
   * The GPU of the process with this local rank: the only one it sees (a launcher that gives each
   * rank its own GPU through CUDA_VISIBLE_DEVICES), else GPU localRank.
   */
  static int device(int localRank, int deviceCount) {
    if (deviceCount == 1) return 0;
    if (localRank >= deviceCount)
      throw new IllegalArgumentException("local rank " + localRank + " has no GPU of its own: this machine has " + deviceCount
          + " GPUs; start at most " + deviceCount + " ranks per machine");
    return localRank;
  }
}
