package org.flowrt.backend.cpu;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JNI binding of the CPU backend's kernel library: cuda/all.cu compiled by g++ through
 * cuda/portable.h and src/main/native/host_runtime.h (built by the JavaCPP Maven plugin).
 */
@Platform(include = "host_runtime.h", compiler = "cpp17")
public final class HostKernels {
  static {
    Loader.load();
  }

  private HostKernels() {}

  /** The launcher of the named kernel, or 0 when the host build has no kernel of that name. */
  @Name("flowrt_host_lookup")
  public static native long lookup(String name);

  /** Runs every block of the grid on the host cores; args as for cuLaunchKernel. */
  @Name("flowrt_host_launch")
  public static native void launch(long launcher, int gridX, int gridY, int gridZ, @Cast("void**") Pointer args);

  /** Host threads a launch runs on. */
  @Name("flowrt_host_threads")
  public static native int threads();

  /** The calling thread's OpenMP default. */
  @Name("omp_get_max_threads")
  public static native int callingThreadOpenMpThreads();

  /** The calling thread's OpenMP default alone (oneDNN follows it): 1 on the convolution workers. */
  @Name("omp_set_num_threads")
  public static native void setCallingThreadOpenMpThreads(int n);

  /** Sets the threads of every launch, and the calling thread's OpenMP default (oneDNN follows it). */
  @Name("flowrt_host_set_threads")
  public static native void setThreads(int n);
}
