package org.flowrt.classic;

import java.util.Random;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.glow.Param;
import org.flowrt.glow.ParameterStore;
import org.flowrt.ops.ClassicFlowOps;

/** Planar flow z → z + û·tanh(wᵀz + b): closed form (and gradients) only in the generative direction. */
final class PlanarLayer extends GenerativeLayer {
  private final int dim;
  private final Param w;
  private final Param u;
  private final Param b;

  PlanarLayer(ParameterStore store, String name, int dim, Random random) {
    this.dim = dim;
    // Start near the identity: û = u + (m(wᵀu) − wᵀu)·w/‖w‖² is 0 when u = α·w/‖w‖² with
    // m(α) = 0, i.e. α = log(e − 1); then only a small random part of u remains in û.
    float[] wi = new float[dim], ui = new float[dim];
    double ww = 0;
    for (int i = 0; i < dim; i++) {
      wi[i] = (float) random.nextGaussian();
      ww += (double) wi[i] * wi[i];
    }
    double alpha = Math.log(Math.E - 1);
    for (int i = 0; i < dim; i++) ui[i] = (float) (alpha * wi[i] / ww + 0.01 * random.nextGaussian());
    w = store.add(name + ".w", new int[] {dim}, wi);
    u = store.add(name + ".u", new int[] {dim}, ui);
    b = store.add(name + ".b", new int[] {1}, new float[1]);
  }

  @Override
  public String describe() {
    return "planar flow";
  }

  private DeviceBuffer uHat(Backend be) {
    DeviceBuffer uh = be.allocate(DType.F32, dim);
    ClassicFlowOps.planarReparam(be, w.value(), u.value(), dim, uh);
    return uh;
  }

  @Override
  public DeviceBuffer apply(Backend be, Direction direction, DeviceBuffer x, int n, DeviceBuffer logdet) {
    requireGenerative(direction);
    DeviceBuffer y = be.allocate(DType.F32, (long) n * dim);
    try (DeviceBuffer uh = uHat(be)) {
      ClassicFlowOps.planarForward(be, x, w.value(), uh, b.value(), n, dim, y, logdet);
    }
    return y;
  }

  @Override
  public DeviceBuffer backward(Backend be, Direction direction, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy,
      DeviceBuffer dlogdet, int n) {
    DeviceBuffer dx = be.allocate(DType.F32, (long) n * dim);
    try (DeviceBuffer uh = uHat(be)) {
      ClassicFlowOps.planarBackward(be, x, w.value(), u.value(), uh, b.value(), dy, dlogdet, n, dim, dx, w.grad(), u.grad(), b.grad());
    }
    return dx;
  }
}
