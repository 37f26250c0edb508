package org.flowrt.classic;

import java.util.Random;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.glow.Param;
import org.flowrt.glow.ParameterStore;
import org.flowrt.ops.ClassicFlowOps;

/** Radial flow z → z + β/(α + r)·(z − z0): closed form (and gradients) only in the generative direction. */
final class RadialLayer extends GenerativeLayer {
  private final int dim;
  private final Param z0;
  private final Param params;

  RadialLayer(ParameterStore store, String name, int dim, Random random) {
    this.dim = dim;
    float[] c = new float[dim];
    for (int i = 0; i < dim; i++) c[i] = (float) random.nextGaussian();
    z0 = store.add(name + ".z0", new int[] {dim}, c);
    // α̂ = β̂ = 0: α = log 2 and β = −α + softplus(0) = 0, so the layer starts as the identity.
    params = store.add(name + ".alpha_beta", new int[] {2}, new float[] {0f, 0f});
  }

  @Override
  public String describe() {
    return "radial flow";
  }

  @Override
  public DeviceBuffer apply(Backend be, Direction direction, DeviceBuffer x, int n, DeviceBuffer logdet) {
    requireGenerative(direction);
    DeviceBuffer y = be.allocate(DType.F32, (long) n * dim);
    ClassicFlowOps.radialForward(be, x, z0.value(), params.value(), n, dim, y, logdet);
    return y;
  }

  @Override
  public DeviceBuffer backward(Backend be, Direction direction, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy,
      DeviceBuffer dlogdet, int n) {
    DeviceBuffer dx = be.allocate(DType.F32, (long) n * dim);
    ClassicFlowOps.radialBackward(be, x, z0.value(), params.value(), dy, dlogdet, n, dim, dx, z0.grad(), params.grad());
    return dx;
  }
}
