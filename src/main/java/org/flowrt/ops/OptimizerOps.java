package org.flowrt.ops;

import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.Kernel;

/** Adam, Adamax and Polyak averaging over a flat parameter array (cuda/optimizer.cu). */
public final class OptimizerOps {
  private OptimizerOps() {}

  /** Hyper-parameters shared by Adam and Adamax. */
  public record Hyper(float learningRate, float beta1, float beta2, float epsilon) {
    public Hyper {
      if (!(learningRate >= 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(epsilon > 0))
        throw new IllegalArgumentException("invalid optimizer settings: " + this);
    }
  }

  private static void check(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, long step) {
    long n = param.count();
    param.require(DType.F32, n, "parameters");
    grad.require(DType.F32, n, "gradients");
    m.require(DType.F32, n, "first moments");
    v.require(DType.F32, n, "second moments");
    if (step < 1) throw new IllegalArgumentException("optimizer step counts from 1, got " + step);
  }

  /** One Adam step t (1-based); the gradient is multiplied by gradScale first (clipping). */
  public static void adam(Backend be, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, long step,
      Hyper h, float gradScale) {
    check(param, grad, m, v, step);
    float c1 = (float) (1 - Math.pow(h.beta1(), step));
    float c2 = (float) (1 - Math.pow(h.beta2(), step));
    be.launch(Kernel.ADAM_UPDATE, be.elementwise(param.count()), be.args().ptr(param).ptr(grad).ptr(m).ptr(v)
        .i64(param.count()).f32(h.learningRate()).f32(h.beta1()).f32(h.beta2()).f32(h.epsilon()).f32(c1).f32(c2)
        .f32(gradScale));
  }

  /** One Adamax step t (1-based). */
  public static void adamax(Backend be, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer u, long step,
      Hyper h, float gradScale) {
    check(param, grad, m, u, step);
    float c1 = (float) (1 - Math.pow(h.beta1(), step));
    be.launch(Kernel.ADAMAX_UPDATE, be.elementwise(param.count()), be.args().ptr(param).ptr(grad).ptr(m).ptr(u)
        .i64(param.count()).f32(h.learningRate()).f32(h.beta1()).f32(h.beta2()).f32(h.epsilon()).f32(c1)
        .f32(gradScale));
  }

  /** average = decay·average + (1 − decay)·param. */
  public static void polyak(Backend be, DeviceBuffer param, float decay, DeviceBuffer average) {
    average.require(DType.F32, param.count(), "Polyak average");
    be.launch(Kernel.POLYAK_UPDATE, be.elementwise(param.count()), be.args().ptr(param).i64(param.count()).f32(decay)
        .ptr(average));
  }
}
