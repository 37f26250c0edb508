package org.flowrt.glow;

import java.util.Map;
import java.util.Random;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.dist.Collective;
import org.flowrt.ops.CouplingOps.Spec;
import org.flowrt.ops.Nchw;

/** One flow step, actnorm → permutation → coupling (glow-spec §4), forward and inverse side by side. */
final class FlowStep {
  private final ActNormLayer actnorm;
  private final PermutationLayer permutation;
  private final CouplingLayer coupling;
  private final String name;

  FlowStep(ParameterStore store, String name, int channels, GlowConfig cfg, Spec spec, Random random) {
    this.name = name;
    actnorm = new ActNormLayer(store, name + ".actnorm", channels, false);
    permutation = new PermutationLayer(store, name + ".permutation", channels, cfg.permutation(), random);
    coupling = new CouplingLayer(store, name + ".coupling", channels, cfg.hiddenWidth(), spec, cfg.edgeBias(), random);
  }

  String name() {
    return name;
  }

  /** What the stored-activation mode keeps of one step. */
  record Stored(DeviceBuffer permutationInput, CouplingLayer.Stored coupling) implements AutoCloseable {
    @Override
    public void close() {
      permutationInput.close();
      coupling.close();
    }
  }

  /**
   * z (consumed) → returned buffer; logdet accumulates. When `stored` is given (stored-activation
   * mode) the step keeps its activations there under itself.
   */
  DeviceBuffer forward(Backend be, DeviceBuffer z, Nchw s, DeviceBuffer logdet, Collective init, Map<FlowStep, Stored> stored,
      LayerProbe probe) {
    actnorm.forward(be, z, s, z, logdet, init);
    if (probe != null) probe.after(name + ".actnorm", z, logdet);
    DeviceBuffer y = be.allocate(DType.F32, s.count());
    CouplingLayer.Stored c;
    try {
      permutation.forward(be, z, s, y, logdet);
      if (probe != null) probe.after(name + ".permutation", y, logdet);
      c = coupling.forward(be, y, s, logdet, init, stored != null);
      if (probe != null) probe.after(name + ".coupling", y, logdet);
    } catch (RuntimeException e) {
      y.close();
      throw e;
    }
    if (stored != null) stored.put(this, new Stored(z, c));
    else z.close();
    return y;
  }

  /** z (consumed) → returned buffer: the step inverted; logdet decreases (when given: may be null). */
  DeviceBuffer inverse(Backend be, DeviceBuffer z, Nchw s, DeviceBuffer logdet, LayerProbe probe) {
    coupling.inverse(be, z, s, logdet);
    if (probe != null) probe.after(name + ".coupling (inverse)", z, null);
    DeviceBuffer x = be.allocate(DType.F32, s.count());
    try {
      permutation.inverse(be, z, s, x, logdet);
      if (probe != null) probe.after(name + ".permutation (inverse)", x, null);
      actnorm.inverse(be, x, s, x, logdet);
      if (probe != null) probe.after(name + ".actnorm (inverse)", x, null);
    } catch (RuntimeException e) {
      x.close();
      throw e;
    } finally {
      z.close();
    }
    return x;
  }

  /**
   * Backward through the step from its output: y and dy are consumed; returns {x, dx}. With
   * `stored` null the input is rebuilt from the output (reversible recomputation).
   */
  DeviceBuffer[] backward(Backend be, DeviceBuffer y, DeviceBuffer dy, Nchw s, DeviceBuffer dlogdet, Stored stored) {
    coupling.backward(be, y, dy, s, dlogdet, stored == null ? null : stored.coupling());
    DeviceBuffer x = be.allocate(DType.F32, s.count());
    DeviceBuffer dx = be.allocate(DType.F32, s.count());
    permutation.backward(be, y, dy, s, x, dx, dlogdet, stored == null ? null : stored.permutationInput());
    y.close();
    dy.close();
    actnorm.backward(be, x, dx, s, dx, x, dlogdet);
    return new DeviceBuffer[] {x, dx};
  }
}
