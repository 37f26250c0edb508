package org.flowrt.ops;

import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.Grid;
import org.flowrt.backend.Kernel;
import org.flowrt.backend.KernelCode;

/** Reductions and small elementwise helpers (cuda/reduce.cu). */
public final class ReduceOps {
  private ReduceOps() {}

  /** Per-channel partial sums Σa, Σa·b (2 doubles per channel and chunk); returns the chunk count. */
  static int channelMoments(Backend be, DeviceBuffer a, DeviceBuffer b, Nchw s, DeviceBuffer partial) {
    int chunks = partialChunks(be, s);
    partial.require(DType.F64, 2L * chunks * s.c(), "channel moment partials");
    be.launch(Kernel.CHANNEL_MOMENTS, Grid.of(chunks, s.c()),
        be.args().ptr(a).ptr(b).i32(s.n()).i32(s.c()).i32(s.hw()).ptr(partial));
    return chunks;
  }

  /** Chunks of samples per channel for the per-channel reductions over N·H·W values. */
  static int partialChunks(Backend be, Nchw s) {
    return Math.min(s.n(), be.chunks((long) s.n() * s.hw(), s.c()));
  }

  /** The reductions of a whole flat buffer (codes match cuda/reduce.cu). */
  private enum FlatReduction implements KernelCode {
    SUM_SQUARES(0),
    MAX_ABS_DIFF(1);

    private final int code;

    FlatReduction(int code) {
      this.code = code;
    }

    @Override
    public int code() {
      return code;
    }
  }

  private static double flatReduce(Backend be, FlatReduction op, DeviceBuffer a, DeviceBuffer b) {
    int chunks = be.chunks(a.count(), 1);
    try (DeviceBuffer partial = be.allocate(DType.F64, chunks); DeviceBuffer total = be.allocate(DType.F64, 1)) {
      be.launch(Kernel.FLAT_REDUCE_PARTIAL, Grid.of(chunks), be.args().ptr(a).ptrOrNull(b).code(op).i64(a.count()).ptr(partial));
      be.launch(Kernel.FLAT_REDUCE_FINAL, Grid.of(1), be.args().ptr(partial).i32(chunks).code(op).ptr(total));
      return be.downloadDoubles(total)[0];
    }
  }

  /** Σ x² over the whole buffer, in double (non-finite when x holds a NaN or infinity). */
  public static double sumSquares(Backend be, DeviceBuffer x) {
    x.require(DType.F32, x.count(), "sum of squares input");
    return flatReduce(be, FlatReduction.SUM_SQUARES, x, null);
  }

  /** max |a − b| over two equal-sized buffers, in double; NaN when any difference is NaN. */
  public static double maxAbsDiff(Backend be, DeviceBuffer a, DeviceBuffer b) {
    a.require(DType.F32, a.count(), "max |a − b| input a");
    b.require(DType.F32, a.count(), "max |a − b| input b");
    return flatReduce(be, FlatReduction.MAX_ABS_DIFF, a, b);
  }

  /** y += alpha·x. */
  public static void axpy(Backend be, DeviceBuffer x, float alpha, DeviceBuffer y) {
    y.require(DType.F32, x.count(), "axpy target");
    be.launch(Kernel.AXPY, be.elementwise(x.count()), be.args().ptr(x).f32(alpha).i64(x.count()).ptr(y));
  }

  public static void fill(Backend be, DeviceBuffer y, float value) {
    y.require(DType.F32, y.count(), "fill target");
    be.launch(Kernel.FILL, be.elementwise(y.count()), be.args().f32(value).i64(y.count()).ptr(y));
  }
}
