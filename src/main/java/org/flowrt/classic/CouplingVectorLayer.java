package org.flowrt.classic;

import java.util.List;
import java.util.Random;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.glow.ParameterStore;
import org.flowrt.ops.CouplingKind;
import org.flowrt.ops.CouplingMask;
import org.flowrt.ops.CouplingOps;
import org.flowrt.ops.Nchw;

/**
 * NICE (additive) or RealNVP (affine, exp(tanh) scale) coupling on vectors with an MLP coupling
 * function; parity alternates which half conditions the other. Closed form both ways; gradients in
 * the normalizing direction.
 */
final class CouplingVectorLayer extends NormalizingLayer {
  private final CouplingOps.Spec spec;
  private final int dim;
  private final Mlp mlp;

  CouplingVectorLayer(ParameterStore store, String name, int dim, CouplingKind kind, int parity, int hidden, int depth,
      Random random) {
    if (dim < 2) throw new IllegalArgumentException("a coupling layer needs dimension ≥ 2, got " + dim);
    this.spec = new CouplingOps.Spec(CouplingMask.CHANNEL, parity, kind);
    this.dim = dim;
    Nchw s = shape(1);
    mlp = new Mlp(store, name + ".mlp", spec.conditioner(s).c(), hidden, depth, spec.networkOutput(s).c(), random);
  }

  private Nchw shape(int n) {
    return new Nchw(n, dim, 1, 1);
  }

  @Override
  public String describe() {
    return (spec.kind() == CouplingKind.ADDITIVE ? "NICE additive" : "RealNVP affine") + " coupling";
  }

  @Override
  public DeviceBuffer apply(Backend be, Direction direction, DeviceBuffer x, int n, DeviceBuffer logdet) {
    Nchw s = shape(n);
    DeviceBuffer y = be.allocate(DType.F32, s.count());
    be.copy(x, y);
    try (DeviceBuffer cond = be.allocate(DType.F32, spec.conditioner(s).count())) {
      CouplingOps.conditioner(be, spec, x, s, cond);
      List<DeviceBuffer> outs = mlp.forward(be, cond, n);
      DeviceBuffer h = outs.get(outs.size() - 1);
      if (direction == Direction.NORMALIZING) CouplingOps.forward(be, spec, y, h, s, logdet);
      else CouplingOps.inverse(be, spec, y, h, s, logdet);
      outs.forEach(DeviceBuffer::close);
    }
    return y;
  }

  @Override
  public DeviceBuffer backward(Backend be, Direction direction, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy,
      DeviceBuffer dlogdet, int n) {
    requireTrainable(direction);
    Nchw s = shape(n);
    DeviceBuffer dx = be.allocate(DType.F32, s.count());
    be.copy(dy, dx);
    try (DeviceBuffer cond = be.allocate(DType.F32, spec.conditioner(s).count());
        DeviceBuffer yCopy = be.allocate(DType.F32, s.count());
        DeviceBuffer dh = be.allocate(DType.F32, spec.networkOutput(s).count())) {
      CouplingOps.conditioner(be, spec, x, s, cond);
      List<DeviceBuffer> outs = mlp.forward(be, cond, n);
      be.copy(y, yCopy);
      CouplingOps.backward(be, spec, yCopy, dx, outs.get(outs.size() - 1), false, s, dlogdet, dh);
      try (DeviceBuffer dcond = mlp.backward(be, cond, outs, dh, n)) {
        CouplingOps.conditionerBackward(be, spec, dcond, s, dx);
      }
      outs.forEach(DeviceBuffer::close);
    }
    return dx;
  }
}
