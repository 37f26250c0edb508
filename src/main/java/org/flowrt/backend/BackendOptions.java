package org.flowrt.backend;

/**
 * Choices a backend is opened with.
 *
 * @param convAlgorithms how the CUDA backend picks convolution algorithms
 * @param syncLaunches synchronize after every CUDA launch and name the kernel or library call whose
 *     work failed (a kernel fault otherwise surfaces at the next synchronize, under that call's
 *     name); slow, for debugging. Environment: {@code FLOWRT_SYNC_LAUNCHES=1}
 */
public record BackendOptions(ConvAlgorithms convAlgorithms, boolean syncLaunches) {
  public static final String SYNC_LAUNCHES_ENVIRONMENT = "FLOWRT_SYNC_LAUNCHES";

  public BackendOptions {
    if (convAlgorithms == null) throw new IllegalArgumentException("convAlgorithms must be given");
  }

  /** Deterministic convolutions; launches synchronized only when FLOWRT_SYNC_LAUNCHES=1. */
  public static BackendOptions defaults() {
    return new BackendOptions(ConvAlgorithms.DETERMINISTIC, "1".equals(System.getenv(SYNC_LAUNCHES_ENVIRONMENT)));
  }

  public BackendOptions withConvAlgorithms(ConvAlgorithms choice) {
    return new BackendOptions(choice, syncLaunches);
  }

  public BackendOptions withSyncLaunches(boolean sync) {
    return new BackendOptions(convAlgorithms, sync);
  }
}
