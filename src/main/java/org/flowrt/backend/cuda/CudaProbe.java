package org.flowrt.backend.cuda;

import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.cudnn;
import org.bytedeco.javacpp.Loader;

/**
 * Whether the CUDA backend can run here: every native library it needs loads (the driver
 * {@code libcuda.so.1} and CUDA runtime behind the cudart preset; cuDNN 9, which pulls in cuBLAS),
 * the driver initializes, a device exists and this build has GPU kernels. Loading a preset class on a
 * machine without its libraries throws from its static initializer and leaves the class unusable for
 * the rest of the JVM's life, so the probe runs once, catches everything, and caches its answer.
 *
 * <p>When a library does not load, the reason names the file the dynamic loader could not find or
 * use (for example {@code libcuda.so.1: cannot open shared object file}), not JavaCPP's outer
 * "no jnicudart in java.library.path".
 */
public final class CudaProbe {
  /** Set to 1 to make the GPU test suites fail, instead of skip, where the CUDA backend cannot run. */
  public static final String REQUIRE_GPU_ENVIRONMENT = "FLOWRT_REQUIRE_GPU";

  private static Result result;

  private CudaProbe() {}

  /**
   * The probe's answer: available, or the reason why not; the first device's name and cuDNN's
   * version when they could be read.
   */
  public record Result(boolean available, int deviceCount, String deviceName, long cudnnVersion, String reason) {}

  public static synchronized Result probe() {
    if (result == null) result = run();
    return result;
  }

  public static boolean available() {
    return probe().available();
  }

  /** True when FLOWRT_REQUIRE_GPU=1: GPU suites must run, not skip. */
  public static boolean required() {
    return "1".equals(System.getenv(REQUIRE_GPU_ENVIRONMENT));
  }

  private static Result run() {
    String stage = "the CUDA driver and runtime libraries (cudart preset)";
    try {
      Loader.load(cudart.class);
      int status = cudart.cuInit(0);
      if (status != cudart.CUDA_SUCCESS) return unavailable(0, "", 0, "cuInit returned " + status + " (no usable driver)");
      int[] count = new int[1];
      status = cudart.cuDeviceGetCount(count);
      if (status != cudart.CUDA_SUCCESS) return unavailable(0, "", 0, "cuDeviceGetCount returned " + status);
      if (count[0] == 0) return unavailable(0, "", 0, "the CUDA driver reports no device");
      String name = deviceName();
      stage = "cuDNN 9 (and the cuBLAS libraries its preset loads)";
      Loader.load(cudnn.class);
      long version = cudnn.cudnnGetVersion();
      if (Fatbin.load() == null)
        return unavailable(count[0], name, version, "this build has no GPU kernels (nvcc was not found when it was built)");
      return new Result(true, count[0], name, version, "");
    } catch (Throwable t) {
      return unavailable(0, "", 0, stage + " did not load: " + rootCause(t));
    }
  }

  private static Result unavailable(int devices, String name, long version, String reason) {
    return new Result(false, devices, name, version, reason);
  }

  private static String deviceName() {
    int[] device = new int[1];
    byte[] bytes = new byte[256];
    if (cudart.cuDeviceGet(device, 0) != cudart.CUDA_SUCCESS
        || cudart.cuDeviceGetName(bytes, bytes.length, device[0]) != cudart.CUDA_SUCCESS) return "";
    int end = 0;
    while (end < bytes.length && bytes[end] != 0) end++;
    return new String(bytes, 0, end).trim();
  }

  /**
   * The most specific message in a loading failure's cause chain: the dynamic loader's own words
   * ("libX.so.N: cannot open shared object file", "undefined symbol", "version ... not found")
   * rather than the wrapper's "no jniX in java.library.path".
   */
  static String rootCause(Throwable t) {
    String best = null;
    for (Throwable x = t; x != null; x = x.getCause()) {
      String m = x.getMessage();
      if (m == null) continue;
      if (m.contains("cannot open shared object file") || m.contains("undefined symbol") || m.contains("not found (required by")
          || m.contains("version `")) {
        best = loaderWords(m);
      }
    }
    return best != null ? best : String.valueOf(t);
  }

  /** "/cache/.../libjnicudart.so: libcuda.so.1: cannot open ..." → "libcuda.so.1: cannot open ... (needed by libjnicudart.so)". */
  private static String loaderWords(String message) {
    int colon = message.indexOf(": ");
    if (colon < 0 || !message.substring(0, colon).endsWith(".so")) return message;
    String loader = message.substring(0, colon);
    String file = loader.substring(loader.lastIndexOf('/') + 1);
    return message.substring(colon + 2) + " (needed by " + file + ")";
  }
}
