package org.flowrt.backend;

/**
 * Choices a backend is opened with.
 *
 * @param convAlgorithms how the CUDA backend picks convolution algorithms
 * @param convMath which arithmetic the CUDA backend's convolutions may use
 * @param syncLaunches synchronize after every CUDA launch and name the kernel or library call whose
 *     work failed (a kernel fault otherwise surfaces at the next synchronize, under that call's
 *     name); slow, for debugging. Environment: {@code FLOWRT_SYNC_LAUNCHES=1}
 * @param localRank this process's index among the processes of a data-parallel job on the same
 *     machine (0 alone): the CUDA backend takes GPU localRank, or the only GPU the process can see
 */
public record BackendOptions(ConvAlgorithms convAlgorithms, ConvMath convMath, boolean syncLaunches, int localRank) {
  public static final String SYNC_LAUNCHES_ENVIRONMENT = "FLOWRT_SYNC_LAUNCHES";

  public BackendOptions {
    if (convAlgorithms == null) throw new IllegalArgumentException("convAlgorithms must be given");
    if (convMath == null) throw new IllegalArgumentException("convMath must be given");
    if (localRank < 0) throw new IllegalArgumentException("local rank must be ≥ 0, got " + localRank);
  }

  /** Deterministic float32 convolutions; launches synchronized only when FLOWRT_SYNC_LAUNCHES=1. */
  public static BackendOptions defaults() {
    return new BackendOptions(ConvAlgorithms.DETERMINISTIC, ConvMath.FP32, "1".equals(System.getenv(SYNC_LAUNCHES_ENVIRONMENT)), 0);
  }

  public BackendOptions withConvAlgorithms(ConvAlgorithms choice) {
    return new BackendOptions(choice, convMath, syncLaunches, localRank);
  }

  public BackendOptions withConvMath(ConvMath math) {
    return new BackendOptions(convAlgorithms, math, syncLaunches, localRank);
  }

  public BackendOptions withSyncLaunches(boolean sync) {
    return new BackendOptions(convAlgorithms, convMath, sync, localRank);
  }

  public BackendOptions withLocalRank(int rank) {
    return new BackendOptions(convAlgorithms, convMath, syncLaunches, rank);
  }
}
