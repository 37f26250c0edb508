package org.flowrt.glow;

import org.flowrt.backend.Backend;
import org.flowrt.backend.ConvShape;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.ops.ConvOps;
import org.flowrt.ops.Nchw;

/** A zero-initialized 3×3 convolution with exp(3·logs) output scale (glow-spec §4), as the priors use it. */
final class ZeroConvLayer {
  private final int in;
  private final int out;
  private final Param weight;
  private final Param edge;
  private final Param bias;
  private final Param logs;

  ZeroConvLayer(ParameterStore store, String name, int in, int out, boolean edgeBias) {
    this.in = in;
    this.out = out;
    weight = store.add(name + ".weight", new int[] {out, in, 3, 3}, () -> Init.zeros(9L * out * in));
    edge = edgeBias ? store.add(name + ".edge_weight", new int[] {out, 1, 3, 3}, () -> Init.zeros(9L * out)) : null;
    bias = store.add(name + ".bias", new int[] {out}, () -> Init.zeros(out));
    logs = store.add(name + ".logs", new int[] {out}, () -> Init.zeros(out));
  }

  private ConvShape shape(Nchw s) {
    return new ConvShape(s.n(), in, s.h(), s.w(), out, 3);
  }

  void forward(Backend be, DeviceBuffer x, Nchw s, DeviceBuffer y) {
    ConvOps.zeroConvForward(be, shape(s), x, weight.value(), edge == null ? null : edge.value(), bias.value(), logs.value(), y);
  }

  /** dy is overwritten; dx may be null. */
  void backward(Backend be, DeviceBuffer x, Nchw s, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx) {
    ConvOps.zeroConvBackward(be, shape(s), x, weight.value(), bias.value(), logs.value(), y, dy, dx, weight.grad(),
        edge == null ? null : edge.grad(), bias.grad(), logs.grad());
  }
}
