package org.flowrt.ops;

import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.Grid;
import org.flowrt.backend.Kernel;

/**
 * Additive and affine coupling with channel or checkerboard masks (glow-spec §4,
 * cuda/coupling.cu). h is the coupling network's output for the conditioner
 * ({@link #conditioner}); forward and inverse work in place on z with the per-sample log-det sum
 * fused in.
 */
public final class CouplingOps {
  private CouplingOps() {}

  /** The layout of one coupling: mask, checkerboard parity, transform. */
  public record Spec(CouplingMask mask, int parity, CouplingKind kind) {
    public Spec {
      if (parity != 0 && parity != 1) throw new IllegalArgumentException("checkerboard parity must be 0 or 1, got " + parity);
    }

    public Nchw networkOutput(Nchw s) {
      return s.withChannels(kind.networkOutputs(mask.transformedChannels(s.c())));
    }

    public Nchw conditioner(Nchw s) {
      return s.withChannels(mask.conditionerChannels(s.c()));
    }

    void check(Nchw s) {
      if (mask == CouplingMask.CHANNEL && s.c() < 2)
        throw new IllegalArgumentException("a channel-mask coupling needs at least 2 channels, got " + s);
    }
  }

  private static void checkIo(Spec spec, DeviceBuffer z, DeviceBuffer h, Nchw s) {
    spec.check(s);
    z.require(DType.F32, s.count(), "coupling input " + s);
    h.require(DType.F32, spec.networkOutput(s).count(), "coupling network output " + spec.networkOutput(s));
  }

  /** z ← coupling(z) in place; logdet[n] += Σ log scale (affine) when logdet is given. */
  public static void forward(Backend be, Spec spec, DeviceBuffer z, DeviceBuffer h, Nchw s, DeviceBuffer logdet) {
    apply(be, Kernel.COUPLING_FORWARD, spec, z, h, s, logdet);
  }

  /** z ← coupling⁻¹(z) in place; logdet[n] −= Σ log scale (affine) when logdet is given (null: not computed). */
  public static void inverse(Backend be, Spec spec, DeviceBuffer z, DeviceBuffer h, Nchw s, DeviceBuffer logdet) {
    apply(be, Kernel.COUPLING_INVERSE, spec, z, h, s, logdet);
  }

  private static void apply(Backend be, Kernel kernel, Spec spec, DeviceBuffer z, DeviceBuffer h, Nchw s,
      DeviceBuffer logdet) {
    checkIo(spec, z, h, s);
    if (logdet != null) logdet.require(DType.F64, s.n(), "logdet");
    int transformed = spec.mask().transformedChannels(s.c());
    int chunks = Math.min(transformed, be.chunks((long) transformed * s.hw(), s.n()));
    be.launch(kernel, Grid.of(chunks, s.n()), be.args().ptr(z).ptr(h).code(spec.mask()).i32(spec.parity())
        .code(spec.kind()).i32(s.n()).i32(s.c()).i32(s.h()).i32(s.w()).ptrOrNull(logdet));
  }

  /**
   * Backward from the output y: dy becomes dx in place for the transformed elements (the kept ones
   * pass through; add the network's conditioner gradient with {@link #conditionerBackward}); dh is
   * written whole. With rebuild, y becomes the input x in place (reversible backward).
   */
  public static void backward(Backend be, Spec spec, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer h, boolean rebuild,
      Nchw s, DeviceBuffer dlogdet, DeviceBuffer dh) {
    checkIo(spec, y, h, s);
    dy.require(DType.F32, s.count(), "coupling output gradient " + s);
    dh.require(DType.F32, spec.networkOutput(s).count(), "coupling network output gradient");
    dlogdet.require(DType.F64, s.n(), "logdet gradient");
    be.launch(Kernel.COUPLING_BACKWARD, be.rowwise((long) s.n() * s.c()), be.args().ptr(y).ptr(dy).ptr(h).code(spec.mask())
        .i32(spec.parity()).code(spec.kind()).flag(rebuild).i32(s.n()).i32(s.c()).i32(s.h()).i32(s.w()).ptr(dlogdet)
        .ptr(dh));
  }

  /** The coupling network's input: x1 (channel mask) or b⊙z (checkerboard). */
  public static void conditioner(Backend be, Spec spec, DeviceBuffer z, Nchw s, DeviceBuffer cond) {
    spec.check(s);
    z.require(DType.F32, s.count(), "coupling input " + s);
    cond.require(DType.F32, spec.conditioner(s).count(), "coupling conditioner " + spec.conditioner(s));
    be.launch(Kernel.COUPLING_CONDITIONER, be.rowwise((long) s.n() * spec.conditioner(s).c()), be.args().ptr(z)
        .code(spec.mask()).i32(spec.parity()).i32(s.n()).i32(s.c()).i32(s.h()).i32(s.w()).ptr(cond));
  }

  /** dz += the conditioner's gradient, at the positions the conditioner copied. */
  public static void conditionerBackward(Backend be, Spec spec, DeviceBuffer dcond, Nchw s, DeviceBuffer dz) {
    spec.check(s);
    dz.require(DType.F32, s.count(), "coupling input gradient " + s);
    dcond.require(DType.F32, spec.conditioner(s).count(), "coupling conditioner gradient");
    be.launch(Kernel.COUPLING_CONDITIONER_BACKWARD, be.rowwise((long) s.n() * spec.conditioner(s).c()), be.args().ptr(dcond)
        .code(spec.mask()).i32(spec.parity()).i32(s.n()).i32(s.c()).i32(s.h()).i32(s.w()).ptr(dz));
  }
}
