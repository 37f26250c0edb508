package org.flowrt.backend;

/**
 * Launcher of cuda/reduce.cu's sum_slices: the CPU backend's weight gradients computed in pieces of
 * the batch, one slice a piece, are added here in a fixed order, so the result does not depend on
 * which thread ran which piece.
 */
public final class SliceSums {
  private SliceSums() {}

  /** out = Σ_j slices[j·n … (j + 1)·n) over `count` slices of out's length n, added in float64 in order j = 0, 1, …. */
  public static void sum(Backend be, DeviceBuffer slices, int count, DeviceBuffer out) {
    long n = out.count();
    out.require(DType.F32, n, "sum of slices output");
    slices.require(DType.F32, (long) count * n, count + " slices of " + n + " values");
    be.launch(Kernel.SUM_SLICES, be.elementwise(n), be.args().ptr(slices).i32(count).i64(n).ptr(out));
  }
}
