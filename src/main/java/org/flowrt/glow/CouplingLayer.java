package org.flowrt.glow;

import java.util.Random;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.dist.Collective;
import org.flowrt.ops.CouplingOps;
import org.flowrt.ops.CouplingOps.Spec;
import org.flowrt.ops.Nchw;

/** Affine or additive coupling with its network; works in place on z. */
final class CouplingLayer {
  private final Spec spec;
  private final CouplingNetwork network;

  CouplingLayer(ParameterStore store, String name, int channels, int width, Spec spec, boolean edgeBias, Random random) {
    this.spec = spec;
    int in = spec.mask().conditionerChannels(channels);
    int out = spec.kind().networkOutputs(spec.mask().transformedChannels(channels));
    network = new CouplingNetwork(store, name + ".nn", in, width, out, edgeBias, random);
  }

  /** What the stored-activation mode keeps of one coupling: the conditioner and the network's activations. */
  record Stored(DeviceBuffer cond, CouplingNetwork.Activations activations) implements AutoCloseable {
    @Override
    public void close() {
      cond.close();
      activations.close();
    }
  }

  private DeviceBuffer conditioner(Backend be, DeviceBuffer z, Nchw s) {
    DeviceBuffer cond = be.allocate(DType.F32, spec.conditioner(s).count());
    CouplingOps.conditioner(be, spec, z, s, cond);
    return cond;
  }

  /** z ← coupling(z); returns what the stored mode keeps when `keep`, else null. */
  Stored forward(Backend be, DeviceBuffer z, Nchw s, DeviceBuffer logdet, Collective init, boolean keep) {
    DeviceBuffer cond = conditioner(be, z, s);
    CouplingNetwork.Activations act = network.forward(be, cond, spec.conditioner(s), init);
    CouplingOps.forward(be, spec, z, act.h, s, logdet);
    if (keep) return new Stored(cond, act);
    act.close();
    cond.close();
    return null;
  }

  void inverse(Backend be, DeviceBuffer z, Nchw s, DeviceBuffer logdet) {
    try (DeviceBuffer cond = conditioner(be, z, s);
        CouplingNetwork.Activations act = network.forward(be, cond, spec.conditioner(s), null)) {
      CouplingOps.inverse(be, spec, z, act.h, s, logdet);
    }
  }

  /**
   * y → x in place and dy → dx in place. Reversible mode (stored == null) recomputes the network
   * from the kept part of y, which the coupling does not change.
   */
  void backward(Backend be, DeviceBuffer y, DeviceBuffer dy, Nchw s, DeviceBuffer dlogdet, Stored stored) {
    DeviceBuffer cond = stored != null ? stored.cond() : conditioner(be, y, s);
    CouplingNetwork.Activations act = stored != null ? stored.activations() : network.forward(be, cond, spec.conditioner(s), null);
    try (DeviceBuffer dh = be.allocate(DType.F32, spec.networkOutput(s).count())) {
      // Stored mode has the input already; rebuilding it (y/scale) would only risk 0/0 where scales underflow.
      CouplingOps.backward(be, spec, y, dy, act.h, stored == null, s, dlogdet, dh);
      try (DeviceBuffer dcond = network.backward(be, cond, spec.conditioner(s), act, dh)) {
        CouplingOps.conditionerBackward(be, spec, dcond, s, dy);
      }
    } finally {
      if (stored == null) {
        act.close();
        cond.close();
      }
    }
  }
}
