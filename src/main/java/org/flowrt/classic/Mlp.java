package org.flowrt.classic;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.glow.Param;
import org.flowrt.glow.ParameterStore;
import org.flowrt.ops.Activation;
import org.flowrt.ops.DenseOps;

/** A ReLU MLP in → hidden (×depth) → out; the last layer starts at zero so couplings start as identities. */
final class Mlp {
  private final int[] sizes;
  private final Param[] weights;
  private final Param[] biases;

  Mlp(ParameterStore store, String name, int in, int hidden, int depth, int out, Random random) {
    sizes = new int[depth + 2];
    sizes[0] = in;
    for (int i = 1; i <= depth; i++) sizes[i] = hidden;
    sizes[depth + 1] = out;
    weights = new Param[depth + 1];
    biases = new Param[depth + 1];
    for (int l = 0; l <= depth; l++) {
      int a = sizes[l], b = sizes[l + 1];
      float[] w = new float[a * b];
      if (l < depth) for (int i = 0; i < w.length; i++) w[i] = (float) (random.nextGaussian() / Math.sqrt(a));
      weights[l] = store.add(name + ".dense" + l + ".weight", new int[] {b, a}, w);
      biases[l] = store.add(name + ".dense" + l + ".bias", new int[] {b}, new float[b]);
    }
  }

  private Activation act(int layer) {
    return layer < weights.length - 1 ? Activation.RELU : Activation.IDENTITY;
  }

  /** Every layer's output; the last is the network output. Caller closes them. */
  List<DeviceBuffer> forward(Backend be, DeviceBuffer x, int n) {
    List<DeviceBuffer> outs = new ArrayList<>();
    DeviceBuffer in = x;
    for (int l = 0; l < weights.length; l++) {
      DeviceBuffer y = be.allocate(DType.F32, (long) n * sizes[l + 1]);
      DenseOps.forward(be, in, weights[l].value(), biases[l].value(), act(l), n, sizes[l], sizes[l + 1], y);
      outs.add(y);
      in = y;
    }
    return outs;
  }

  /** From the outputs of forward and the output gradient (overwritten): returns dx (new buffer). */
  DeviceBuffer backward(Backend be, DeviceBuffer x, List<DeviceBuffer> outs, DeviceBuffer dOut, int n) {
    DeviceBuffer grad = dOut;
    for (int l = weights.length - 1; l >= 0; l--) {
      DeviceBuffer in = l == 0 ? x : outs.get(l - 1);
      DeviceBuffer dIn = be.allocate(DType.F32, (long) n * sizes[l]);
      DenseOps.backward(be, in, weights[l].value(), outs.get(l), grad, act(l), n, sizes[l], sizes[l + 1], dIn,
          weights[l].grad(), biases[l].grad());
      if (grad != dOut) grad.close();
      grad = dIn;
    }
    return grad;
  }
}
