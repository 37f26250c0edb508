package org.flowrt.dist;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JNI binding of src/main/native/flowrt_mpi.h, the MPI calls flowrt makes (built by the JavaCPP
 * Maven plugin where Open MPI's headers are installed, linked against libmpi.so.40). Loading it is
 * deferred to {@link Mpi#start()}: a run without MPI never touches it.
 */
@Platform(include = "flowrt_mpi.h", link = "mpi@.40")
final class MpiLibrary {
  private MpiLibrary() {}

  /** Loads the native library; throws UnsatisfiedLinkError where it was not built or libmpi is missing. */
  static void load() {
    Loader.load(MpiLibrary.class);
  }

  @Name("flowrt_mpi_init")
  static native int init();

  @Name("flowrt_mpi_finalize")
  static native int finish();

  @Name("flowrt_mpi_rank")
  static native int rank();

  @Name("flowrt_mpi_size")
  static native int size();

  @Name("flowrt_mpi_sum_f32")
  static native int sumFloats(long address, long count);

  @Name("flowrt_mpi_sum_f64")
  static native int sumDoubles(double[] data, long count);

  @Name("flowrt_mpi_min_i64")
  static native int minLongs(@Cast("long long*") long[] data, long count);

  @Name("flowrt_mpi_max_i64")
  static native int maxLongs(@Cast("long long*") long[] data, long count);

  @Name("flowrt_mpi_broadcast")
  static native int broadcast(long address, int bytes, int root);

  @Name("flowrt_mpi_barrier")
  static native int barrier();

  @Name("flowrt_mpi_abort")
  static native int abort(int code);

  @Name("flowrt_mpi_error_string")
  static native String errorString(int status);
}
