package org.flowrt.classic;

import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.glow.Param;
import org.flowrt.glow.ParameterStore;
import org.flowrt.ops.ActNormOps;
import org.flowrt.ops.Nchw;

/**
 * Per-dimension affine map y = (x + b)·exp(s), log-det Σ s. With {@code scaleOnly} it is NICE's final
 * diagonal scaling layer (no bias: b stays 0); otherwise an actnorm with data-dependent init.
 * Closed form both ways; gradients in the normalizing direction.
 */
final class ActNormVectorLayer extends NormalizingLayer {
  private final int dim;
  private final boolean scaleOnly;
  private final Param bias;
  private final Param logs;

  ActNormVectorLayer(ParameterStore store, String name, int dim, boolean scaleOnly) {
    this.dim = dim;
    this.scaleOnly = scaleOnly;
    this.bias = scaleOnly ? null : store.add(name + ".bias", new int[] {dim}, new float[dim]);
    this.logs = store.add(name + ".logs", new int[] {dim}, new float[dim]);
  }

  private Nchw shape(int n) {
    return new Nchw(n, dim, 1, 1);
  }

  @Override
  public String describe() {
    return scaleOnly ? "diagonal scaling" : "actnorm";
  }

  /** A zero bias for the scale-only layer (its gradient goes to a scratch buffer). */
  private DeviceBuffer biasOf(Backend be) {
    return bias != null ? bias.value().slice(0, dim) : be.zeros(DType.F32, dim);
  }

  @Override
  public void initialize(Backend be, DeviceBuffer x, int n) {
    if (!scaleOnly) ActNormOps.initialize(be, x, shape(n), 1f, bias.value(), logs.value());
  }

  @Override
  public DeviceBuffer apply(Backend be, Direction direction, DeviceBuffer x, int n, DeviceBuffer logdet) {
    DeviceBuffer y = be.allocate(DType.F32, (long) n * dim);
    try (DeviceBuffer b = biasOf(be)) {
      if (direction == Direction.NORMALIZING) ActNormOps.forward(be, x, b, logs.value(), 1f, false, shape(n), y, logdet);
      else ActNormOps.inverse(be, x, b, logs.value(), 1f, shape(n), y, logdet);
    }
    return y;
  }

  @Override
  public DeviceBuffer backward(Backend be, Direction direction, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy,
      DeviceBuffer dlogdet, int n) {
    requireTrainable(direction);
    DeviceBuffer dx = be.allocate(DType.F32, (long) n * dim);
    try (DeviceBuffer b = biasOf(be); DeviceBuffer scratch = bias == null ? be.allocate(DType.F32, dim) : null) {
      ActNormOps.backward(be, y, dy, b, logs.value(), 1f, false, shape(n), dx, null, dlogdet,
          bias != null ? bias.grad() : scratch, logs.grad());
    }
    return dx;
  }
}
