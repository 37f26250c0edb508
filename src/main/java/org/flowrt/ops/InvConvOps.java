package org.flowrt.ops;

import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.Grid;
import org.flowrt.backend.Kernel;

/**
 * Invertible 1×1 convolution (glow-spec §4, cuda/invconv.cu): y = W·x at every pixel with
 * logdet += H·W·log|det W| computed in float64 in the same launch; the inverse pass runs the same
 * kernel with W⁻¹. The LU parametrization composes W = P·L·(U + diag(sign·exp(log_s))) on the
 * device, and its backward chains dW into dL, dU, dlog_s; its log-det is H·W·Σ log_s (no
 * determinant) and its inverse comes from the triangular factors over the whole grid.
 */
public final class InvConvOps {
  private InvConvOps() {}

  /**
   * From this many channels on, the plain invconv's log|det W| and W⁻¹ run as Gauss–Jordan with
   * each column's elimination over the whole grid (2C launches) instead of in one block (one
   * launch): the one-block kernels' C steps each update C·2C entries with one block's threads, ~100
   * ms for C = 384 on an H100 (docs/benchmarks.md), while 2C launches cost a few microseconds each.
   * Below it the single launch wins. The grid version has not yet been timed on a GPU.
   */
  static final int GRID_GAUSS_JORDAN_CHANNELS = 128;

  /** The most output channels one GPU work item of the 1×1 mix takes. */
  static final int MAX_MIX_GROUP = 16;

  /**
   * Output channels per work item of the 1×1 mix (`group` in cuda/invconv.cu). On the GPU's block
   * geometry: as few as keep about half of the device's thread slots busy (one pixel and one channel
   * per thread on a layer of many channels and few pixels), at most 16. On the one-thread host build
   * every channel: an item there is a run of 8 pixels on one core, with work enough.
   */
  static int mixGroup(Backend be, Nchw s) {
    if (be.threadsPerBlock() == 1) return s.c();
    long work = (long) s.n() * s.hw() * s.c();
    long threads = Math.max(1, (long) be.parallelism() * be.threadsPerBlock() / 2);
    return (int) Math.max(1, Math.min(Math.min(MAX_MIX_GROUP, s.c()), (work + threads - 1) / threads));
  }

  private static Grid mixGrid(Backend be, Nchw s, int group) {
    long items = (long) s.n() * s.hw() * ((s.c() + group - 1) / group);
    long blocks = (items + be.threadsPerBlock() - 1) / be.threadsPerBlock();
    return Grid.of((int) Math.max(1, Math.min(blocks, (long) be.parallelism() * 4)));
  }

  private static void checkWeight(DeviceBuffer w, int c, String what) {
    w.require(DType.F32, (long) c * c, what + " (" + c + "×" + c + ")");
  }

  /** y = W·x per pixel; logdet[n] += H·W·log|det W| (float64) when logdet is given. y must not alias x. */
  public static void forward(Backend be, DeviceBuffer x, DeviceBuffer w, Nchw s, DeviceBuffer y, DeviceBuffer logdet) {
    forward(be, x, w, s, y, logdet, mixGroup(be, s));
  }

  /** {@link #forward} with a given mix group (tests: every group size on the GPU's geometry). */
  static void forward(Backend be, DeviceBuffer x, DeviceBuffer w, Nchw s, DeviceBuffer y, DeviceBuffer logdet, int group) {
    x.require(DType.F32, s.count(), "1×1 conv input " + s);
    y.require(DType.F32, s.count(), "1×1 conv output " + s);
    checkWeight(w, s.c(), "1×1 conv weight");
    if (logdet != null) logdet.require(DType.F64, s.n(), "logdet");
    boolean gridDeterminant = logdet != null && s.c() >= GRID_GAUSS_JORDAN_CHANNELS;
    DeviceBuffer launchLogdet = gridDeterminant ? null : logdet;
    // The one-block determinant's LU scratch, only when that determinant runs in this launch.
    try (DeviceBuffer scratch = launchLogdet == null ? null : be.allocate(DType.F64, (long) s.c() * s.c())) {
      be.launch(Kernel.INVCONV_FORWARD, mixGrid(be, s, group), be.args().ptr(x).ptr(w).i32(s.n())
          .i32(s.c()).i32(s.hw()).i32(group).ptr(y).ptrOrNull(launchLogdet).ptrOrNull(scratch));
    }
    if (gridDeterminant) gridGaussJordan(be, w, s.c(), null, logdet, s.n(), s.hw());
  }

  /**
   * Gauss–Jordan in float64 with each column's elimination over the grid: W⁻¹ into wInv when given
   * (on [W | I]), else only the pivots, for logdet[n] += hw·log|det W| (on [W], rows below the pivot).
   */
  private static void gridGaussJordan(Backend be, DeviceBuffer w, int c, DeviceBuffer wInv, DeviceBuffer logdet, int n,
      int hw) {
    boolean inverse = wInv != null;
    int width = inverse ? 2 * c : c;
    try (DeviceBuffer a = be.allocate(DType.F64, (long) c * width); DeviceBuffer logAbs = be.allocate(DType.F64, 1)) {
      be.launch(Kernel.INVCONV_GJ_LOAD, be.elementwise((long) c * width), be.args().ptr(w).i32(c).i32(width).ptr(a));
      for (int j = 0; j < c; j++) {
        be.launch(Kernel.INVCONV_GJ_PIVOT, Grid.of(1), be.args().ptr(a).i32(c).i32(width).i32(j).flag(inverse)
            .ptr(logAbs).ptrOrNull(logdet).i32(n).i32(hw));
        long entries = (long) (inverse ? c : c - j - 1) * (width - j - 1);
        if (entries > 0)
          be.launch(Kernel.INVCONV_GJ_ELIMINATE, be.elementwise(entries), be.args().ptr(a).i32(c).i32(width).i32(j)
              .flag(inverse));
      }
      if (inverse) be.launch(Kernel.INVCONV_GJ_STORE, be.elementwise((long) c * c), be.args().ptr(a).i32(c).ptr(wInv));
    }
  }

  /** W⁻¹ by Gauss–Jordan in float64 (one block; over the grid from GRID_GAUSS_JORDAN_CHANNELS on). */
  public static void invert(Backend be, DeviceBuffer w, int c, DeviceBuffer wInv) {
    checkWeight(w, c, "1×1 conv weight");
    checkWeight(wInv, c, "1×1 conv inverse weight");
    if (c >= GRID_GAUSS_JORDAN_CHANNELS) {
      gridGaussJordan(be, w, c, wInv, null, 0, 0);
      return;
    }
    try (DeviceBuffer scratch = be.allocate(DType.F64, 2L * c * c)) {
      be.launch(Kernel.INVCONV_INVERT, Grid.of(1), be.args().ptr(w).i32(c).ptr(scratch).ptr(wInv));
    }
  }

  /** Inverse pass: x = W⁻¹·y, logdet −= H·W·log|det W| (as + log|det W⁻¹|). */
  public static void inverse(Backend be, DeviceBuffer y, DeviceBuffer wInv, Nchw s, DeviceBuffer x, DeviceBuffer logdet) {
    forward(be, y, wInv, s, x, logdet);
  }

  /** dx = Wᵀ·dy. dx must not alias dy. */
  public static void backwardData(Backend be, DeviceBuffer dy, DeviceBuffer w, Nchw s, DeviceBuffer dx) {
    dy.require(DType.F32, s.count(), "1×1 conv output gradient " + s);
    dx.require(DType.F32, s.count(), "1×1 conv input gradient " + s);
    checkWeight(w, s.c(), "1×1 conv weight");
    int group = mixGroup(be, s);
    be.launch(Kernel.INVCONV_BACKWARD_DATA, mixGrid(be, s, group), be.args().ptr(dy).ptr(w).i32(s.n())
        .i32(s.c()).i32(s.hw()).i32(group).ptr(dx));
  }

  /**
   * dW = Σ_{n,p} dy·xᵀ + H·W·(Σ_n dlogdet[n])·W⁻ᵀ (overwrites dw). With wInv and dlogdet both null,
   * the first term alone (the LU parametrization's log-det does not go through W).
   */
  public static void weightGrad(Backend be, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer wInv, DeviceBuffer dlogdet,
      Nchw s, DeviceBuffer dw) {
    x.require(DType.F32, s.count(), "1×1 conv input " + s);
    dy.require(DType.F32, s.count(), "1×1 conv output gradient " + s);
    if ((wInv == null) != (dlogdet == null)) throw new IllegalArgumentException("wInv and dlogdet are given together");
    if (wInv != null) {
      checkWeight(wInv, s.c(), "1×1 conv inverse weight");
      dlogdet.require(DType.F64, s.n(), "logdet gradient");
    }
    checkWeight(dw, s.c(), "1×1 conv weight gradient");
    int pairs = s.c() * s.c();
    int chunks = Math.min(s.n(), be.chunks((long) s.n() * s.hw(), pairs));
    try (DeviceBuffer partial = be.allocate(DType.F64, (long) pairs * chunks)) {
      // Pairs on x: C² passes y's 65,535-block limit from C = 256.
      be.launch(Kernel.CHANNEL_GRAM, Grid.of(pairs, chunks), be.args().ptr(dy).ptr(x).i32(s.n()).i32(s.c())
          .i32(s.hw()).ptr(partial));
      be.launch(Kernel.INVCONV_WEIGHT_GRAD, be.elementwise(pairs), be.args().ptr(partial).i32(chunks).i32(s.c())
          .ptrOrNull(wInv).ptrOrNull(dlogdet).i32(s.n()).i32(s.hw()).ptr(dw));
    }
  }

  /** W = P·L·(U + diag(sign·exp(logS))) with P[r, perm[r]] = 1. */
  public static void luCompose(Backend be, DeviceBuffer perm, DeviceBuffer lower, DeviceBuffer upper,
      DeviceBuffer sign, DeviceBuffer logS, int c, DeviceBuffer w) {
    checkLu(perm, lower, upper, sign, logS, c);
    checkWeight(w, c, "1×1 conv weight");
    be.launch(Kernel.INVCONV_LU_COMPOSE, be.elementwise((long) c * c), be.args().ptr(perm).ptr(lower).ptr(upper)
        .ptr(sign).ptr(logS).i32(c).ptr(w));
  }

  /** Chains dW into dlower (strict lower), dupper (strict upper), dlogS; overwrites all three. */
  public static void luComposeBackward(Backend be, DeviceBuffer inversePerm, DeviceBuffer lower, DeviceBuffer upper,
      DeviceBuffer sign, DeviceBuffer logS, DeviceBuffer dw, int c, DeviceBuffer dlower, DeviceBuffer dupper,
      DeviceBuffer dlogS) {
    checkLu(inversePerm, lower, upper, sign, logS, c);
    checkWeight(dw, c, "1×1 conv weight gradient");
    checkWeight(dlower, c, "LU lower gradient");
    checkWeight(dupper, c, "LU upper gradient");
    dlogS.require(DType.F32, c, "LU log_s gradient");
    be.launch(Kernel.INVCONV_LU_COMPOSE_BACKWARD, be.elementwise((long) c * c), be.args().ptr(inversePerm).ptr(lower)
        .ptr(upper).ptr(sign).ptr(logS).ptr(dw).i32(c).ptr(dlower).ptr(dupper).ptr(dlogS));
  }

  /**
   * W⁻¹ = U'⁻¹·L⁻¹·Pᵀ of W = P·L·U' in float64 (U' = U + diag(sign·exp(logS))), from the factors: the
   * 2C triangular columns one block each, then the product over the grid. On an H100, Gauss–Jordan
   * of the composed W in one block ({@link #invert}) took ~100 ms at C = 384 (docs/benchmarks.md).
   */
  public static void luInvert(Backend be, DeviceBuffer perm, DeviceBuffer lower, DeviceBuffer upper, DeviceBuffer sign,
      DeviceBuffer logS, int c, DeviceBuffer wInv) {
    checkLu(perm, lower, upper, sign, logS, c);
    checkWeight(wInv, c, "1×1 conv inverse weight");
    long cc = (long) c * c;
    try (DeviceBuffer lt = be.allocate(DType.F64, cc); DeviceBuffer ut = be.allocate(DType.F64, cc)) {
      be.launch(Kernel.INVCONV_LU_TRIANGULAR_INVERSE, Grid.of((int) Math.min(2L * c, (long) be.parallelism() * 8)),
          be.args().ptr(lower).ptr(upper).ptr(sign).ptr(logS).i32(c).ptr(lt).ptr(ut));
      be.launch(Kernel.INVCONV_LU_INVERSE_PRODUCT, be.elementwise(cc), be.args().ptr(perm).ptr(lt).ptr(ut).i32(c).ptr(wInv));
    }
  }

  /** logdet[n] += scale·Σ logS (float64): the LU parametrization's log-det with scale = ±H·W. */
  public static void luLogdet(Backend be, DeviceBuffer logS, int c, int scale, DeviceBuffer logdet, int n) {
    logS.require(DType.F32, c, "LU log_s");
    logdet.require(DType.F64, n, "logdet");
    be.launch(Kernel.INVCONV_LU_LOGDET, Grid.of(1), be.args().ptr(logS).i32(c).i32(scale).i32(n).ptr(logdet));
  }

  /** dlogS[c] += scale·Σ_n dlogdet[n]: the backward of {@link #luLogdet}. */
  public static void luLogdetBackward(Backend be, DeviceBuffer dlogdet, int n, int scale, int c, DeviceBuffer dlogS) {
    dlogdet.require(DType.F64, n, "logdet gradient");
    dlogS.require(DType.F32, c, "LU log_s gradient");
    be.launch(Kernel.INVCONV_LU_LOGDET_BACKWARD, be.elementwise(c), be.args().ptr(dlogdet).i32(n).i32(scale).i32(c).ptr(dlogS));
  }

  private static void checkLu(DeviceBuffer perm, DeviceBuffer lower, DeviceBuffer upper, DeviceBuffer sign,
      DeviceBuffer logS, int c) {
    perm.require(DType.I32, c, "LU permutation");
    checkWeight(lower, c, "LU lower factor");
    checkWeight(upper, c, "LU upper factor");
    sign.require(DType.F32, c, "LU diagonal signs");
    logS.require(DType.F32, c, "LU log_s");
  }
}
