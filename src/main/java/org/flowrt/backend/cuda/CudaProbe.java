package org.flowrt.backend.cuda;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.cuda.global.cudart;

/**
 * Whether the CUDA backend can run here: its natives load, the driver initializes and a device
 * exists. Loading {@code org.bytedeco.cuda.global.cudart} on a machine without a driver throws from
 * its static initializer and leaves the class unusable for the rest of the JVM's life, so the probe
 * runs once, catches everything, and caches its answer.
 */
public final class CudaProbe {
  private static Result result;

  private CudaProbe() {}

  /** The probe's answer: available, or the reason why not. */
  public record Result(boolean available, int deviceCount, String reason) {}

  public static synchronized Result probe() {
    if (result == null) result = run();
    return result;
  }

  public static boolean available() {
    return probe().available();
  }

  private static Result run() {
    try {
      Loader.load(cudart.class);
      int status = cudart.cuInit(0);
      if (status != cudart.CUDA_SUCCESS) return new Result(false, 0, "cuInit returned " + status + " (no usable driver)");
      int[] count = new int[1];
      status = cudart.cuDeviceGetCount(count);
      if (status != cudart.CUDA_SUCCESS) return new Result(false, 0, "cuDeviceGetCount returned " + status);
      if (count[0] == 0) return new Result(false, 0, "the CUDA driver reports no device");
      if (Fatbin.load() == null) return new Result(false, count[0], "this build has no GPU kernels (nvcc was not found when it was built)");
      return new Result(true, count[0], "");
    } catch (Throwable t) {
      return new Result(false, 0, "CUDA natives did not load: " + t);
    }
  }
}
