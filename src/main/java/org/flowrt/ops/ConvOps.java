package org.flowrt.ops;

import org.flowrt.backend.Backend;
import org.flowrt.backend.ConvShape;
import org.flowrt.backend.Convolution;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.Grid;
import org.flowrt.backend.Kernel;

/**
 * The coupling network's convolutions (glow-spec §4): 'same' k×k convolutions through the backend's
 * library (oneDNN / cuDNN), with the optional edge-bias channel added at the border by
 * cuda/edge_bias.cu, and the zero-initialized output convolution whose bias-then-exp(3·logs) scale
 * is actnorm's kernel without log-det.
 */
public final class ConvOps {
  private ConvOps() {}

  /** y = conv(x, w) (+ edge-bias channel when wEdge is given: [out, 1, 3, 3]). */
  public static void forward(Backend be, ConvShape shape, DeviceBuffer x, DeviceBuffer w, DeviceBuffer wEdge,
      DeviceBuffer y) {
    Convolution conv = be.convolution(shape);
    conv.forward(x, w, y);
    if (wEdge != null) edgeBiasForward(be, shape, wEdge, y);
  }

  /** Gradients of conv (+ edge bias): dx (when not null), dw, dwEdge (when wEdge is used). */
  public static void backward(Backend be, ConvShape shape, DeviceBuffer x, DeviceBuffer w, DeviceBuffer dy,
      DeviceBuffer dx, DeviceBuffer dw, DeviceBuffer dwEdge) {
    Convolution conv = be.convolution(shape);
    conv.backwardFilter(x, dy, dw);
    if (dx != null) conv.backwardData(dy, w, dx);
    if (dwEdge != null) edgeBiasBackward(be, shape, dy, dwEdge);
  }

  private static void checkEdge(ConvShape shape) {
    if (shape.kernelSize() != 3) throw new IllegalArgumentException("edge bias applies to 3×3 convolutions, not " + shape);
  }

  /** y[n,o,i,j] += Σ over taps falling in the padding of wEdge[o, tap]. */
  public static void edgeBiasForward(Backend be, ConvShape shape, DeviceBuffer wEdge, DeviceBuffer y) {
    checkEdge(shape);
    edgeBiasForward(be, outShape(shape), wEdge, y);
  }

  /** The same on y, the [N, O, H, W] output of a 3×3 'same' convolution. */
  public static void edgeBiasForward(Backend be, Nchw out, DeviceBuffer wEdge, DeviceBuffer y) {
    wEdge.require(DType.F32, 9L * out.c(), "edge-bias weights [" + out.c() + ", 1, 3, 3]");
    y.require(DType.F32, out.count(), "edge-bias output");
    be.launch(Kernel.EDGE_BIAS_FORWARD, be.rowwise((long) out.n() * out.c()), be.args()
        .ptr(wEdge).i32(out.n()).i32(out.c()).i32(out.h()).i32(out.w()).ptr(y));
  }

  /** dwEdge (overwritten) from dy. */
  public static void edgeBiasBackward(Backend be, ConvShape shape, DeviceBuffer dy, DeviceBuffer dwEdge) {
    checkEdge(shape);
    dwEdge.require(DType.F32, 9L * shape.outChannels(), "edge-bias weight gradient");
    dy.require(DType.F32, shape.outputCount(), "edge-bias output gradient");
    be.launch(Kernel.EDGE_BIAS_BACKWARD, Grid.of(shape.outChannels()), be.args().ptr(dy).i32(shape.batch())
        .i32(shape.outChannels()).i32(shape.height()).i32(shape.width()).ptr(dwEdge));
  }

  /** Zero-conv: y = (conv(x) [+ edge] + bias)·exp(3·logs) per output channel; the edge is added by the scale's pass. */
  public static void zeroConvForward(Backend be, ConvShape shape, DeviceBuffer x, DeviceBuffer w, DeviceBuffer wEdge,
      DeviceBuffer bias, DeviceBuffer logs, DeviceBuffer y) {
    if (wEdge != null) checkEdge(shape);
    forward(be, shape, x, w, null, y);
    ActNormOps.forward(be, y, wEdge, bias, logs, ActNormOps.LOGSCALE_FACTOR, false, outShape(shape), y, null);
  }

  /**
   * Zero-conv backward from its output y: dx (when not null), dw, dwEdge, dbias, dlogs. dy is
   * overwritten with the gradient of the convolution's raw output.
   */
  public static void zeroConvBackward(Backend be, ConvShape shape, DeviceBuffer x, DeviceBuffer w, DeviceBuffer bias,
      DeviceBuffer logs, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, DeviceBuffer dw, DeviceBuffer dwEdge,
      DeviceBuffer dbias, DeviceBuffer dlogs) {
    ActNormOps.backward(be, y, dy, bias, logs, ActNormOps.LOGSCALE_FACTOR, false, outShape(shape), dy, null, null,
        dbias, dlogs);
    backward(be, shape, x, w, dy, dx, dw, dwEdge);
  }

  public static Nchw outShape(ConvShape s) {
    return new Nchw(s.batch(), s.outChannels(), s.height(), s.width());
  }
}
