package org.flowrt.backend.cpu;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JNI binding of the geometry-checking kernel library: cuda/all.cu compiled by g++ with
 * FLOWRT_FIBERS through cuda/portable.h and src/main/native/fiber_runtime.h, where each block runs
 * its real number of threads as fibers (built by the JavaCPP Maven plugin).
 */
@Platform(include = "fiber_runtime.h", define = "FLOWRT_FIBERS", compiler = "cpp17")
public final class FiberKernels {
  static {
    Loader.load();
  }

  private FiberKernels() {}

  /** The kernel's registry entry, or 0 when the library has no kernel of that name. */
  @Name("flowrt_fiber_lookup")
  public static native long lookup(String name);

  /**
   * Runs the grid with `block` threads per block taking turns in `order` (a {@link FiberOrder}
   * code); returns 0 or a status whose message is {@link #error()}.
   */
  @Name("flowrt_fiber_launch")
  public static native int launch(long entry, int gridX, int gridY, int gridZ, int block, int order,
      @Cast("void**") Pointer args);

  /** The calling thread's last launch error message. */
  @Name("flowrt_fiber_error")
  public static native @Cast("const char*") String error();

  @Name("flowrt_fiber_threads")
  public static native int threads();
}
