package org.flowrt.ops;

import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.Grid;
import org.flowrt.backend.Kernel;

/**
 * Planar and radial flows on vectors [N, d] (cuda/planar.cu, cuda/radial.cu), in their closed-form
 * direction z → f(z) with log|det ∂f/∂z| added to logdet. Their inverses have no closed form.
 */
public final class ClassicFlowOps {
  private ClassicFlowOps() {}

  /** û from (w, u): guarantees wᵀû ≥ −1. */
  public static void planarReparam(Backend be, DeviceBuffer w, DeviceBuffer u, int d, DeviceBuffer uHat) {
    w.require(DType.F32, d, "planar w");
    u.require(DType.F32, d, "planar u");
    uHat.require(DType.F32, d, "planar û");
    be.launch(Kernel.PLANAR_REPARAM, Grid.of(1), be.args().ptr(w).ptr(u).i32(d).ptr(uHat));
  }

  /** y = z + û·tanh(wᵀz + b); logdet[n] += log|1 + (1 − t²)·wᵀû| when logdet is given. */
  public static void planarForward(Backend be, DeviceBuffer z, DeviceBuffer w, DeviceBuffer uHat, DeviceBuffer b, int n,
      int d, DeviceBuffer y, DeviceBuffer logdet) {
    z.require(DType.F32, (long) n * d, "planar input");
    y.require(DType.F32, (long) n * d, "planar output");
    b.require(DType.F32, 1, "planar b");
    if (logdet != null) logdet.require(DType.F64, n, "logdet");
    be.launch(Kernel.PLANAR_FORWARD, be.rowwise(n), be.args().ptr(z).ptr(w).ptr(uHat).ptr(b).i32(n).i32(d).ptr(y)
        .ptrOrNull(logdet));
  }

  /**
   * Gradients of Σ g·y + Σ q·logdet: dz (overwritten) and dw, du, db (overwritten) — through the
   * reparametrization û(w, u).
   */
  public static void planarBackward(Backend be, DeviceBuffer z, DeviceBuffer w, DeviceBuffer u, DeviceBuffer uHat,
      DeviceBuffer b, DeviceBuffer g, DeviceBuffer q, int n, int d, DeviceBuffer dz, DeviceBuffer dw, DeviceBuffer du,
      DeviceBuffer db) {
    g.require(DType.F32, (long) n * d, "planar output gradient");
    dz.require(DType.F32, (long) n * d, "planar input gradient");
    int k = 2 * d + 1;
    try (DeviceBuffer partial = be.allocate(DType.F64, (long) n * k); DeviceBuffer sums = be.allocate(DType.F64, k)) {
      be.launch(Kernel.PLANAR_BACKWARD, be.rowwise(n), be.args().ptr(z).ptr(w).ptr(uHat).ptr(b).ptr(g).ptrOrNull(q)
          .i32(n).i32(d).ptr(dz).ptr(partial));
      DenseOps.columnSums(be, partial, n, k, sums, null);
      be.launch(Kernel.PLANAR_REPARAM_BACKWARD, Grid.of(1), be.args().ptr(w).ptr(u).ptr(sums).i32(d).ptr(dw).ptr(du));
      try (DeviceBuffer dbSum = sums.slice(2L * d, 1)) {
        toFloat(be, dbSum, db);
      }
    }
  }

  private static void toFloat(Backend be, DeviceBuffer oneDouble, DeviceBuffer oneFloat) {
    DenseOps.columnSums(be, oneDouble, 1, 1, null, oneFloat);
  }

  /** y = z + β/(α + r)·(z − z0); params = [α̂, β̂]; logdet[n] += … when logdet is given. */
  public static void radialForward(Backend be, DeviceBuffer z, DeviceBuffer z0, DeviceBuffer params, int n, int d,
      DeviceBuffer y, DeviceBuffer logdet) {
    z.require(DType.F32, (long) n * d, "radial input");
    y.require(DType.F32, (long) n * d, "radial output");
    z0.require(DType.F32, d, "radial z0");
    params.require(DType.F32, 2, "radial (α̂, β̂)");
    if (logdet != null) logdet.require(DType.F64, n, "logdet");
    be.launch(Kernel.RADIAL_FORWARD, be.rowwise(n), be.args().ptr(z).ptr(z0).ptr(params).i32(n).i32(d).ptr(y).ptrOrNull(logdet));
  }

  /** Gradients of Σ g·y + Σ q·logdet: dz, dz0, dparams (overwritten). */
  public static void radialBackward(Backend be, DeviceBuffer z, DeviceBuffer z0, DeviceBuffer params, DeviceBuffer g,
      DeviceBuffer q, int n, int d, DeviceBuffer dz, DeviceBuffer dz0, DeviceBuffer dparams) {
    g.require(DType.F32, (long) n * d, "radial output gradient");
    dz.require(DType.F32, (long) n * d, "radial input gradient");
    dz0.require(DType.F32, d, "radial z0 gradient");
    dparams.require(DType.F32, 2, "radial parameter gradient");
    int k = d + 2;
    try (DeviceBuffer partial = be.allocate(DType.F64, (long) n * k); DeviceBuffer grads = be.allocate(DType.F32, k)) {
      be.launch(Kernel.RADIAL_BACKWARD, be.rowwise(n), be.args().ptr(z).ptr(z0).ptr(params).ptr(g).ptrOrNull(q).i32(n)
          .i32(d).ptr(dz).ptr(partial));
      DenseOps.columnSums(be, partial, n, k, null, grads);
      try (DeviceBuffer a = grads.slice(0, d); DeviceBuffer b = grads.slice(d, 2)) {
        be.copy(a, dz0);
        be.copy(b, dparams);
      }
    }
  }
}
