package org.flowrt.train;

import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.glow.ParameterStore;
import org.flowrt.ops.OptimizerOps;

/** Adam state over a whole {@link ParameterStore} (one launch per step). */
public final class Adam implements AutoCloseable {
  private final Backend be;
  private final ParameterStore store;
  private final DeviceBuffer m;
  private final DeviceBuffer v;
  private final OptimizerOps.Hyper hyper;
  private long step;

  public Adam(Backend be, ParameterStore store, float learningRate) {
    this.be = be;
    this.store = store;
    this.hyper = new OptimizerOps.Hyper(learningRate, 0.9f, 0.999f, 1e-8f);
    m = be.zeros(DType.F32, store.values().count());
    v = be.zeros(DType.F32, store.values().count());
  }

  /** Applies the gradients in the store, clipped to a norm of `clip` (0 = no clipping). */
  public void apply(double gradNorm, float clip) {
    float scale = clip > 0 && gradNorm > clip ? (float) (clip / gradNorm) : 1f;
    OptimizerOps.adam(be, store.values(), store.grads(), m, v, ++step, hyper, scale);
  }

  public long step() {
    return step;
  }

  @Override
  public void close() {
    m.close();
    v.close();
  }
}
