package org.flowrt.glow;

import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.dist.Collective;
import org.flowrt.ops.ActNormOps;
import org.flowrt.ops.ConvOps;
import org.flowrt.ops.Nchw;

/** ActNorm with its two parameters; `relu` makes it the coupling network's fused actnorm + ReLU. */
final class ActNormLayer {
  private static final float K = ActNormOps.LOGSCALE_FACTOR;
  private final Param bias;
  private final Param logs;
  private final boolean relu;

  ActNormLayer(ParameterStore store, String name, int channels, boolean relu) {
    bias = store.add(name + ".bias", new int[] {channels}, () -> Init.zeros(channels));
    logs = store.add(name + ".logs", new int[] {channels}, () -> Init.zeros(channels));
    this.relu = relu;
  }

  /**
   * y = actnorm(x) (y may be x). With init (null otherwise), the parameters are first set from the
   * statistics of x on every rank of init together: the data-dependent init of the global batch.
   */
  void forward(Backend be, DeviceBuffer x, Nchw s, DeviceBuffer y, DeviceBuffer logdet, Collective init) {
    forward(be, x, null, s, y, logdet, init);
  }

  /**
   * As above with x a 3×3 convolution's output whose edge-bias channel (wEdge, may be null) this
   * pass adds first, in place (y must be x then). The data-dependent init must see the edge-biased
   * values, so while initializing the edge is added in a pass of its own before the statistics.
   */
  void forward(Backend be, DeviceBuffer x, DeviceBuffer wEdge, Nchw s, DeviceBuffer y, DeviceBuffer logdet,
      Collective init) {
    DeviceBuffer edgeInPass = wEdge;
    if (init != null) {
      if (wEdge != null) ConvOps.edgeBiasForward(be, s, wEdge, x);
      edgeInPass = null;
      ActNormOps.initialize(be, x, s, K, bias.value(), logs.value(), init::sum);
    }
    ActNormOps.forward(be, x, edgeInPass, bias.value(), logs.value(), K, relu, s, y, relu ? null : logdet);
  }

  void inverse(Backend be, DeviceBuffer y, Nchw s, DeviceBuffer x, DeviceBuffer logdet) {
    ActNormOps.inverse(be, y, bias.value(), logs.value(), K, s, x, logdet);
  }

  /** From the output y: dx (may alias dy); rebuilds the input into xRebuilt (may alias y) when given. */
  void backward(Backend be, DeviceBuffer y, DeviceBuffer dy, Nchw s, DeviceBuffer dx, DeviceBuffer xRebuilt,
      DeviceBuffer dlogdet) {
    ActNormOps.backward(be, y, dy, bias.value(), logs.value(), K, relu, s, dx, xRebuilt, relu ? null : dlogdet,
        bias.grad(), logs.grad());
  }
}
