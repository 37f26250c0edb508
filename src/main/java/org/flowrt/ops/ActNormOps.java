package org.flowrt.ops;

import java.util.function.Consumer;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.Grid;
import org.flowrt.backend.Kernel;

/**
 * ActNorm (glow-spec §4): y = (x + bias)·exp(k·logs) per channel, logdet += H·W·k·Σ logs, with
 * k = {@link #LOGSCALE_FACTOR}. With relu it is the coupling network's fused "actnorm + ReLU"; with
 * a null logdet it is also the zero-conv's bias-and-scale output stage (cuda/actnorm.cu).
 */
public final class ActNormOps {
  /** Stored logs are multiplied by this (glow-spec: logscale_factor = 3). */
  public static final float LOGSCALE_FACTOR = 3f;

  private ActNormOps() {}

  private static void checkParams(DeviceBuffer bias, DeviceBuffer logs, Nchw s) {
    bias.require(DType.F32, s.c(), "actnorm bias");
    logs.require(DType.F32, s.c(), "actnorm logs");
  }

  /** y = (x + bias)·exp(k·logs), then ReLU if asked; logdet[n] += H·W·k·Σ logs when logdet is given. */
  public static void forward(Backend be, DeviceBuffer x, DeviceBuffer bias, DeviceBuffer logs, float k, boolean relu,
      Nchw s, DeviceBuffer y, DeviceBuffer logdet) {
    forward(be, x, null, bias, logs, k, relu, s, y, logdet);
  }

  /**
   * As above with x the output of a 3×3 'same' convolution whose edge-bias channel (weights wEdge
   * [C, 1, 3, 3], may be null) is added in the same pass: y = (x + edge + bias)·exp(k·logs). The
   * edge is added in place, so with wEdge, y must be x.
   */
  public static void forward(Backend be, DeviceBuffer x, DeviceBuffer wEdge, DeviceBuffer bias, DeviceBuffer logs,
      float k, boolean relu, Nchw s, DeviceBuffer y, DeviceBuffer logdet) {
    x.require(DType.F32, s.count(), "actnorm input " + s);
    y.require(DType.F32, s.count(), "actnorm output " + s);
    if (wEdge != null) {
      wEdge.require(DType.F32, 9L * s.c(), "edge-bias weights [" + s.c() + ", 1, 3, 3]");
      if (y != x) throw new IllegalArgumentException("actnorm with the edge bias runs in place: its output must be its input");
    }
    checkParams(bias, logs, s);
    if (logdet != null) logdet.require(DType.F64, s.n(), "logdet");
    be.launch(Kernel.ACTNORM_FORWARD, be.rowwise((long) s.n() * s.c()), be.args().ptr(x).ptrOrNull(wEdge).ptr(bias)
        .ptr(logs).f32(k).flag(relu).i32(s.n()).i32(s.c()).i32(s.h()).i32(s.w()).ptr(y).ptrOrNull(logdet));
  }

  /** x = y·exp(−k·logs) − bias; logdet[n] −= H·W·k·Σ logs when logdet is given. */
  public static void inverse(Backend be, DeviceBuffer y, DeviceBuffer bias, DeviceBuffer logs, float k, Nchw s,
      DeviceBuffer x, DeviceBuffer logdet) {
    y.require(DType.F32, s.count(), "actnorm input " + s);
    x.require(DType.F32, s.count(), "actnorm output " + s);
    checkParams(bias, logs, s);
    if (logdet != null) logdet.require(DType.F64, s.n(), "logdet");
    be.launch(Kernel.ACTNORM_INVERSE, be.rowwise((long) s.n() * s.c()), be.args().ptr(y).ptr(bias).ptr(logs).f32(k)
        .i32(s.n()).i32(s.c()).i32(s.hw()).ptr(x).ptrOrNull(logdet));
  }

  /**
   * Backward from the layer's OUTPUT y: dx (may alias dy), dbias, dlogs (overwritten). When
   * xRebuilt is given (it may alias y) the input is rebuilt into it in the same pass — the
   * reversible backward. dlogdet (per sample, may be null) is the objective's weight on logdet.
   */
  public static void backward(Backend be, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer bias, DeviceBuffer logs,
      float k, boolean relu, Nchw s, DeviceBuffer dx, DeviceBuffer xRebuilt, DeviceBuffer dlogdet, DeviceBuffer dbias,
      DeviceBuffer dlogs) {
    y.require(DType.F32, s.count(), "actnorm output " + s);
    dy.require(DType.F32, s.count(), "actnorm output gradient " + s);
    dx.require(DType.F32, s.count(), "actnorm input gradient " + s);
    if (xRebuilt != null) xRebuilt.require(DType.F32, s.count(), "actnorm rebuilt input " + s);
    if (dlogdet != null) dlogdet.require(DType.F64, s.n(), "logdet gradient");
    checkParams(bias, logs, s);
    checkParams(dbias, dlogs, s);
    Grid blocks = be.planeBlocks(s.n(), s.c(), s.hw());
    int chunks = blocks.x();
    try (DeviceBuffer partial = be.allocate(DType.F64, 2L * chunks * s.c())) {
      be.launch(Kernel.ACTNORM_BACKWARD, blocks, be.args().ptr(y).ptr(dy).ptr(bias).ptr(logs).f32(k)
          .flag(relu).i32(s.n()).i32(s.c()).i32(s.hw()).ptr(dx).ptrOrNull(xRebuilt).ptr(partial));
      be.launch(Kernel.ACTNORM_PARAM_GRAD, be.elementwise(s.c()), be.args().ptr(partial).i32(chunks).i32(s.c())
          .ptr(logs).f32(k).ptrOrNull(dlogdet).i32(s.n()).i32(s.hw()).ptr(dbias).ptr(dlogs));
    }
  }

  /** Data-dependent init (glow-spec §4): bias = −mean, logs = log(1/(std + 1e-6))/k over (N, H, W). */
  public static void initialize(Backend be, DeviceBuffer x, Nchw s, float k, DeviceBuffer bias, DeviceBuffer logs) {
    initialize(be, x, s, k, bias, logs, values -> {});
  }

  /**
   * The init over the union of several processes' batches: each channel's Σx, Σx² and the value
   * count are summed in float64 across them by `sumAcrossRanks` (in place; a no-op for one process)
   * before the mean and variance are formed, so every process sets the same parameters, those of
   * one process holding all the data. The per-chunk partials are added on the host in the order
   * the kernel would add them.
   */
  public static void initialize(Backend be, DeviceBuffer x, Nchw s, float k, DeviceBuffer bias, DeviceBuffer logs,
      Consumer<double[]> sumAcrossRanks) {
    x.require(DType.F32, s.count(), "actnorm init data " + s);
    checkParams(bias, logs, s);
    int chunks = ReduceOps.partialChunks(be, s), c = s.c();
    double[] partial;
    try (DeviceBuffer p = be.allocate(DType.F64, 2L * chunks * c)) {
      ReduceOps.channelMoments(be, x, x, s, p);
      partial = be.downloadDoubles(p);
    }
    double[] moments = new double[2 * c + 1];
    for (int ch = 0; ch < c; ch++)
      for (int j = 0; j < chunks; j++) {
        moments[2 * ch] += partial[(ch * chunks + j) * 2];
        moments[2 * ch + 1] += partial[(ch * chunks + j) * 2 + 1];
      }
    moments[2 * c] = (double) s.n() * s.hw();
    sumAcrossRanks.accept(moments);
    long count = (long) moments[2 * c];
    try (DeviceBuffer total = be.uploadNew(java.util.Arrays.copyOf(moments, 2 * c))) {
      be.launch(Kernel.ACTNORM_INIT_FROM_MOMENTS, be.elementwise(c), be.args().ptr(total).i32(1).i32(c).i64(count).f32(k)
          .ptr(bias).ptr(logs));
    }
  }
}
