package org.flowrt.train;

import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.glow.ParameterStore;
import org.flowrt.ops.OptimizerOps;

/**
 * Adam or Adamax state over a whole {@link ParameterStore}: moment buffers and the step count, one
 * launch per update. Shared by the image-model {@link Trainer} and the vector flows.
 */
public final class Optimizer implements AutoCloseable {
  private static final float EPSILON = 1e-8f;
  private final Backend be;
  private final ParameterStore store;
  private final OptimizerKind kind;
  private final float beta1;
  private final float beta2;
  private final DeviceBuffer moment1;
  private final DeviceBuffer moment2;
  private long step;

  public Optimizer(Backend be, ParameterStore store, OptimizerKind kind, float beta1, float beta2) {
    this.be = be;
    this.store = store;
    this.kind = kind;
    this.beta1 = beta1;
    this.beta2 = beta2;
    moment1 = be.zeros(DType.F32, store.values().count());
    moment2 = be.zeros(DType.F32, store.values().count());
  }

  /** The factor that scales a gradient of norm `gradNorm` down to `clip` (1 when clip is 0 or not exceeded). */
  public static float clipScale(double gradNorm, float clip) {
    return clip > 0 && gradNorm > clip ? (float) (clip / gradNorm) : 1f;
  }

  /** One update from the gradients in the store, multiplied by gradScale first. */
  public void apply(float learningRate, float gradScale) {
    OptimizerOps.Hyper hyper = new OptimizerOps.Hyper(learningRate, beta1, beta2, EPSILON);
    step++;
    if (kind == OptimizerKind.ADAMAX) OptimizerOps.adamax(be, store.values(), store.grads(), moment1, moment2, step, hyper, gradScale);
    else OptimizerOps.adam(be, store.values(), store.grads(), moment1, moment2, step, hyper, gradScale);
  }

  /** Updates applied so far (the bias-correction step count). */
  public long step() {
    return step;
  }

  public DeviceBuffer firstMoments() {
    return moment1;
  }

  /** Adam's second moments or Adamax's infinity norms. */
  public DeviceBuffer secondMoments() {
    return moment2;
  }

  /** Restores moments and step count (resuming from a checkpoint). */
  public void restore(float[] m, float[] v, long steps) {
    be.upload(m, moment1);
    be.upload(v, moment2);
    step = steps;
  }

  @Override
  public void close() {
    moment1.close();
    moment2.close();
  }
}
