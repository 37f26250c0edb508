package org.flowrt.ops;

import org.flowrt.backend.Backend;
import org.flowrt.backend.ConvShape;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.Grid;
import org.flowrt.backend.Kernel;

/**
 * Dense layers on vectors [N, C] (cuda/dense.cu): y = act(W·x + b). The product is a 1×1
 * convolution of [N, C, 1, 1] through the backend's library (oneDNN GEMM kernels on the CPU,
 * cuDNN on the GPU); bias and activation are one fused launch.
 */
public final class DenseOps {
  private DenseOps() {}

  static ConvShape shape(int n, int in, int out) {
    return new ConvShape(n, in, 1, 1, out, 1);
  }

  /** y = act(W·x + b), W [out, in]. */
  public static void forward(Backend be, DeviceBuffer x, DeviceBuffer w, DeviceBuffer bias, Activation act, int n, int in,
      int out, DeviceBuffer y) {
    bias.require(DType.F32, out, "dense bias");
    be.convolution(shape(n, in, out)).forward(x, w, y);
    be.launch(Kernel.BIAS_ACT_FORWARD, be.rowwise((long) n * out), be.args().ptr(y).ptr(bias).code(act).i32(n).i32(out)
        .i32(1).ptr(y));
  }

  /** From the output y: dx (when not null), dW, db (overwritten). dy is overwritten. */
  public static void backward(Backend be, DeviceBuffer x, DeviceBuffer w, DeviceBuffer y, DeviceBuffer dy, Activation act,
      int n, int in, int out, DeviceBuffer dx, DeviceBuffer dw, DeviceBuffer dbias) {
    dy.require(DType.F32, (long) n * out, "dense output gradient");
    dbias.require(DType.F32, out, "dense bias gradient");
    int chunks = Math.min(n, be.chunks(n, out));
    try (DeviceBuffer partial = be.allocate(DType.F64, (long) chunks * out)) {
      be.launch(Kernel.BIAS_ACT_BACKWARD, Grid.of(chunks, out), be.args().ptr(y).ptr(dy).code(act).i32(n).i32(out).i32(1)
          .ptr(dy).ptr(partial));
      columnSums(be, partial, chunks, out, null, dbias);
    }
    ConvShape s = shape(n, in, out);
    be.convolution(s).backwardFilter(x, dy, dw);
    if (dx != null) be.convolution(s).backwardData(dy, w, dx);
  }

  /** Sums of the rows of a [rows, k] double array into outD (double) and/or outF (float). */
  static void columnSums(Backend be, DeviceBuffer partial, int rows, int k, DeviceBuffer outD, DeviceBuffer outF) {
    partial.require(DType.F64, (long) rows * k, "partial sums");
    be.launch(Kernel.COLUMN_SUMS, be.elementwise(k), be.args().ptr(partial).i32(rows).i32(k).ptrOrNull(outD).ptrOrNull(outF));
  }
}
