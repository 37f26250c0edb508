package org.flowrt.ops;

import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.Grid;
import org.flowrt.backend.Kernel;

/** Diagonal Gaussian priors with parameters from a tensor h of 2C channels (cuda/prior.cu). */
public final class PriorOps {
  private PriorOps() {}

  private static void check(DeviceBuffer z, DeviceBuffer h, Nchw s) {
    z.require(DType.F32, s.count(), "prior variable " + s);
    h.require(DType.F32, 2 * s.count(), "prior parameters " + s.withChannels(2 * s.c()));
  }

  /** logp[n] += Σ log N(z; mean, exp(logs)²) over the sample's elements. */
  public static void logp(Backend be, DeviceBuffer z, DeviceBuffer h, PriorLayout layout, Nchw s, DeviceBuffer logp) {
    check(z, h, s);
    logp.require(DType.F64, s.n(), "log-density accumulator");
    int chunks = Math.min(s.c(), be.chunks(s.perSample(), s.n()));
    be.launch(Kernel.GAUSSIAN_LOGP, Grid.of(chunks, s.n()), be.args().ptr(z).ptr(h).code(layout).i32(s.n()).i32(s.c())
        .i32(s.hw()).ptr(logp));
  }

  /** Gradients of Σ_n dlogp[n]·logp[n]: dz and dh (both overwritten). */
  public static void backward(Backend be, DeviceBuffer z, DeviceBuffer h, PriorLayout layout, Nchw s,
      DeviceBuffer dlogp, DeviceBuffer dz, DeviceBuffer dh) {
    check(z, h, s);
    check(dz, dh, s);
    dlogp.require(DType.F64, s.n(), "log-density gradient");
    be.launch(Kernel.GAUSSIAN_LOGP_BACKWARD, be.rowwise((long) s.n() * s.c()), be.args().ptr(z).ptr(h).code(layout)
        .i32(s.n()).i32(s.c()).i32(s.hw()).ptr(dlogp).ptr(dz).ptr(dh));
  }

  /** z = mean + temperature·exp(logs)·ε, ε ~ N(0, 1) drawn from (seed, element index). */
  public static void sample(Backend be, DeviceBuffer h, PriorLayout layout, Nchw s, float temperature, long seed,
      DeviceBuffer z) {
    check(z, h, s);
    if (!(temperature >= 0f) || Float.isInfinite(temperature))
      throw new IllegalArgumentException("sampling temperature must be a finite number ≥ 0, got " + temperature);
    be.launch(Kernel.GAUSSIAN_SAMPLE, be.rowwise((long) s.n() * s.c()), be.args().ptr(h).code(layout).i32(s.n()).i32(s.c())
        .i32(s.hw()).f32(temperature).i64(seed).ptr(z));
  }
}
