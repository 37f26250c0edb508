package org.flowrt.backend;

/**
 * Launchers of cuda/conv_taps.cu: the shifts that recast a K×K convolution with few channels on one
 * side as a 1×1 convolution with K² times those channels (the CPU backend's TapsConvolution).
 * Channel c·K² + tap of a taps tensor [N, C·K², H, W] holds channel c shifted by sign·off(tap),
 * off(tap) = (ky − K/2, kx − K/2).
 */
public final class ConvTaps {
  private ConvTaps() {}

  /** Which side's channels are multiplied by K²: the shift's sign. */
  public enum Side implements KernelCode {
    /** Few output channels: y = gather(conv1×1(W′, x)). */
    OUTPUT(1),
    /** Few input channels: spread(x) is im2col. */
    INPUT(-1);

    private final int sign;

    Side(int sign) {
      this.sign = sign;
    }

    @Override
    public int code() {
      return sign;
    }
  }

  /** y[n, c, q] = Σ_tap t[n, c·K² + tap, q + sign·off(tap)]; y is [n, c, h, w], t [n, c·K², h, w]. */
  public static void gather(Backend be, DeviceBuffer t, int n, int c, int h, int w, int k, Side side, DeviceBuffer y) {
    long count = (long) n * c * h * w;
    y.require(DType.F32, count, "taps gather output");
    t.require(DType.F32, count * k * k, "taps gather input");
    be.launch(Kernel.TAPS_GATHER, be.rowwise((long) n * c), be.args().ptr(t).i32(n).i32(c).i32(h).i32(w).i32(k).code(side).ptr(y));
  }

  /** t[n, c·K² + tap, q] = y[n, c, q − sign·off(tap)], zero outside the image: the adjoint of gather. */
  public static void spread(Backend be, DeviceBuffer y, int n, int c, int h, int w, int k, Side side, DeviceBuffer t) {
    long count = (long) n * c * h * w;
    y.require(DType.F32, count, "taps spread input");
    t.require(DType.F32, count * k * k, "taps spread output");
    be.launch(Kernel.TAPS_SPREAD, be.rowwise((long) n * c * k * k), be.args().ptr(y).i32(n).i32(c).i32(h).i32(w).i32(k).code(side).ptr(t));
  }

  /** y[b, j, i] = x[b, i, j] for x [batches, rows, cols]. */
  public static void transpose(Backend be, DeviceBuffer x, int batches, int rows, int cols, DeviceBuffer y) {
    long count = (long) batches * rows * cols;
    x.require(DType.F32, count, "transpose input");
    y.require(DType.F32, count, "transpose output");
    be.launch(Kernel.BATCHED_TRANSPOSE, be.elementwise(count), be.args().ptr(x).i32(batches).i32(rows).i32(cols).ptr(y));
  }
}
