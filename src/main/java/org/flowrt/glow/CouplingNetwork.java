package org.flowrt.glow;

import java.util.Random;
import org.flowrt.backend.Backend;
import org.flowrt.backend.ConvShape;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.dist.Collective;
import org.flowrt.ops.ConvOps;
import org.flowrt.ops.Nchw;

/**
 * NN(x1) of glow-spec §4: conv3×3(Cin → width) → actnorm → ReLU → conv1×1(width → width) → actnorm →
 * ReLU → zeroconv3×3(width → nOut), edge bias on the 3×3 convolutions when enabled.
 */
final class CouplingNetwork {
  private static final double WEIGHT_STD = 0.05;
  private final int in;
  private final int width;
  private final int out;
  private final Param w1;
  private final Param w1Edge;
  private final ActNormLayer norm1;
  private final Param w2;
  private final ActNormLayer norm2;
  private final Param w3;
  private final Param w3Edge;
  private final Param bias3;
  private final Param logs3;

  CouplingNetwork(ParameterStore store, String name, int in, int width, int out, boolean edgeBias, Random random) {
    this.in = in;
    this.width = width;
    this.out = out;
    w1 = store.add(name + ".conv1.weight", new int[] {width, in, 3, 3}, () -> Init.normal(random, 9L * width * in, WEIGHT_STD));
    w1Edge = edgeBias ? store.add(name + ".conv1.edge_weight", new int[] {width, 1, 3, 3}, () -> Init.normal(random, 9L * width, WEIGHT_STD)) : null;
    norm1 = new ActNormLayer(store, name + ".actnorm1", width, true);
    w2 = store.add(name + ".conv2.weight", new int[] {width, width, 1, 1}, () -> Init.normal(random, (long) width * width, WEIGHT_STD));
    norm2 = new ActNormLayer(store, name + ".actnorm2", width, true);
    w3 = store.add(name + ".conv3.weight", new int[] {out, width, 3, 3}, () -> Init.zeros(9L * out * width));
    w3Edge = edgeBias ? store.add(name + ".conv3.edge_weight", new int[] {out, 1, 3, 3}, () -> Init.zeros(9L * out)) : null;
    bias3 = store.add(name + ".conv3.bias", new int[] {out}, () -> Init.zeros(out));
    logs3 = store.add(name + ".conv3.logs", new int[] {out}, () -> Init.zeros(out));
  }

  /** The activations a backward pass needs: both ReLU outputs and the output h. */
  static final class Activations implements AutoCloseable {
    final DeviceBuffer hidden1;
    final DeviceBuffer hidden2;
    final DeviceBuffer h;

    Activations(DeviceBuffer hidden1, DeviceBuffer hidden2, DeviceBuffer h) {
      this.hidden1 = hidden1;
      this.hidden2 = hidden2;
      this.h = h;
    }

    @Override
    public void close() {
      hidden1.close();
      hidden2.close();
      h.close();
    }
  }

  private static DeviceBuffer edge(Param p) {
    return p == null ? null : p.value();
  }

  private static DeviceBuffer edgeGrad(Param p) {
    return p == null ? null : p.grad();
  }

  /** Runs the network on the conditioner (shape [N, in, H, W]). */
  Activations forward(Backend be, DeviceBuffer cond, Nchw cs, Collective init) {
    Nchw hs = cs.withChannels(width);
    DeviceBuffer a1 = be.allocate(DType.F32, hs.count());
    DeviceBuffer a2 = be.allocate(DType.F32, hs.count());
    DeviceBuffer h = be.allocate(DType.F32, cs.withChannels(out).count());
    // The first convolution's edge bias rides on the actnorm's pass over its output.
    ConvOps.forward(be, new ConvShape(cs.n(), in, cs.h(), cs.w(), width, 3), cond, w1.value(), null, a1);
    norm1.forward(be, a1, edge(w1Edge), hs, a1, null, init);
    ConvOps.forward(be, new ConvShape(cs.n(), width, cs.h(), cs.w(), width, 1), a1, w2.value(), null, a2);
    norm2.forward(be, a2, hs, a2, null, init);
    ConvOps.zeroConvForward(be, new ConvShape(cs.n(), width, cs.h(), cs.w(), out, 3), a2, w3.value(), edge(w3Edge),
        bias3.value(), logs3.value(), h);
    return new Activations(a1, a2, h);
  }

  /** Parameter gradients, and the conditioner's gradient in a new buffer. dh is overwritten. */
  DeviceBuffer backward(Backend be, DeviceBuffer cond, Nchw cs, Activations act, DeviceBuffer dh) {
    Nchw hs = cs.withChannels(width);
    DeviceBuffer dcond = be.allocate(DType.F32, cs.count());
    try (DeviceBuffer d2 = be.allocate(DType.F32, hs.count()); DeviceBuffer d1 = be.allocate(DType.F32, hs.count())) {
      ConvOps.zeroConvBackward(be, new ConvShape(cs.n(), width, cs.h(), cs.w(), out, 3), act.hidden2, w3.value(),
          bias3.value(), logs3.value(), act.h, dh, d2, w3.grad(), edgeGrad(w3Edge), bias3.grad(), logs3.grad());
      norm2.backward(be, act.hidden2, d2, hs, d2, null, null);
      ConvOps.backward(be, new ConvShape(cs.n(), width, cs.h(), cs.w(), width, 1), act.hidden1, w2.value(), d2, d1,
          w2.grad(), null);
      norm1.backward(be, act.hidden1, d1, hs, d1, null, null);
      ConvOps.backward(be, new ConvShape(cs.n(), in, cs.h(), cs.w(), width, 3), cond, w1.value(), d1, dcond, w1.grad(),
          edgeGrad(w1Edge));
    } catch (RuntimeException e) {
      dcond.close();
      throw e;
    }
    return dcond;
  }
}
