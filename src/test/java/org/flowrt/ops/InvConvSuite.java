package org.flowrt.ops;

import static org.flowrt.ops.ActNormSuite.toF;
import static org.flowrt.testing.FiniteDifference.dot;

import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleSupplier;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.reference.InvConvRef;
import org.flowrt.testing.Check;
import org.flowrt.testing.FiniteDifference;
import org.flowrt.testing.Linalg;
import org.flowrt.testing.Rand;
import org.junit.jupiter.api.Test;

/** cuda/invconv.cu against the float64 reference. */
public abstract class InvConvSuite extends OpSuite {
  // C = 130: more rows than a GPU block has threads in a warp-multiple-free count, so the block-wide
  // pivot search and elimination of the determinant and the inverse run with uneven shares.
  static final List<Nchw> SHAPES = List.of(new Nchw(1, 3, 5, 7), new Nchw(2, 6, 3, 3), new Nchw(3, 12, 4, 2),
      new Nchw(2, 48, 3, 3), new Nchw(1, 96, 2, 3), new Nchw(1, 130, 1, 3));

  protected InvConvSuite(Backend be) {
    super(be);
  }

  @Test
  void forwardAndLogdetMatchReference() {
    Rand r = new Rand(21);
    for (Nchw s : SHAPES) {
      float[] x = r.normal(s.count(), 1.0), w = r.invertibleMatrix(s.c(), 0.3);
      DeviceBuffer y = floats(s.count()), logdet = up(perSample(s, -1.5));
      InvConvOps.forward(be, up(x), up(w), s, y, logdet);
      // Dot products of C float32 terms of size O(1): error ≲ C·ulp·|terms|; 1e-5·√C relative plus
      // an absolute floor for outputs that cancel to near zero.
      double atol = 2e-6 * Math.sqrt(s.c());
      Check.close("1×1 conv " + s, InvConvRef.forward(d(x), d(w), s), down(y), 1e-5, atol);
      // log|det W| in float64 from the same float W: agrees with the Java LU to rounding.
      Check.close("1×1 conv logdet " + s, perSample(s, -1.5 + InvConvRef.logdet(d(w), s)), downD(logdet), 1e-10, 1e-9);
    }
  }

  @Test
  void everyMixGroupGivesTheSameProduct() {
    // The GPU splits a pixel's C outputs into groups of 1…16 by the layer's size (mixGroup; the host
    // takes all C in one). Every build honours the group it is given, and each size must give the
    // reference product, with a last group shorter than the others (20 = 6·3 + 2).
    Rand r = new Rand(29);
    Nchw s = new Nchw(2, 20, 3, 5);
    float[] x = r.normal(s.count(), 1.0), w = r.invertibleMatrix(s.c(), 0.3);
    double[] want = InvConvRef.forward(d(x), d(w), s);
    for (int group : new int[] {1, 3, 16, 20}) {
      DeviceBuffer y = floats(s.count());
      InvConvOps.forward(be, up(x), up(w), s, y, null, group);
      // The same float32 dot products as forwardAndLogdetMatchReference.
      Check.close("1×1 conv, groups of " + group, want, down(y), 1e-5, 2e-6 * Math.sqrt(s.c()));
    }
  }

  @Test
  void inverseUndoesForward() {
    Rand r = new Rand(22);
    for (Nchw s : SHAPES) {
      float[] x = r.normal(s.count(), 1.0), w = r.invertibleMatrix(s.c(), 0.3);
      DeviceBuffer wb = up(w), wInv = floats((long) s.c() * s.c());
      InvConvOps.invert(be, wb, s.c(), wInv);
      // Gauss–Jordan in float64; only the final float rounding differs from the Java inverse.
      Check.close("1×1 conv inverse weight C=" + s.c(), Linalg.inverse(d(w), s.c()), down(wInv), 1e-5, 1e-6);
      DeviceBuffer y = floats(s.count()), back = floats(s.count()), logdet = doubles(s.n());
      InvConvOps.forward(be, up(x), wb, s, y, logdet);
      InvConvOps.inverse(be, y, wInv, s, back, logdet);
      // Two matrix products in float32 with a condition number ≲ 10: 1e-4 relative of the O(1) values.
      Check.close("1×1 conv inverse(forward(x)) " + s, d(x), down(back), 1e-4, 1e-4);
      // log|det W⁻¹| from the float-rounded inverse: −log|det W| up to ~C·1e-7 per pixel.
      Check.close("1×1 conv logdet after forward+inverse " + s, new double[s.n()], downD(logdet), 0, 2e-6 * s.hw() * s.c());
    }
  }

  @Test
  void logdetMatchesBruteForceJacobian() {
    Rand r = new Rand(23);
    Nchw s = new Nchw(2, 3, 2, 2);
    float[] x = r.normal(s.count(), 1.0), w = r.invertibleMatrix(s.c(), 0.5);
    DeviceBuffer logdet = doubles(s.n());
    InvConvOps.forward(be, up(x), up(w), s, floats(s.count()), logdet);
    Nchw one = new Nchw(1, s.c(), s.h(), s.w());
    double[] got = downD(logdet);
    for (int n = 0; n < s.n(); n++) {
      double[] xn = Arrays.copyOfRange(d(x), (int) (n * s.perSample()), (int) ((n + 1) * s.perSample()));
      double brute = FiniteDifference.logAbsDetJacobian(v -> InvConvRef.forward(v, d(w), one), xn);
      Check.close("1×1 conv logdet vs brute-force Jacobian", new double[] {brute}, new double[] {got[n]}, 1e-6, 1e-6);
    }
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    Rand r = new Rand(24);
    Nchw s = new Nchw(2, 5, 3, 2);
    double[] x = d(r.normal(s.count(), 1.0)), w = d(r.invertibleMatrix(s.c(), 0.4));
    double[] g = d(r.normal(s.count(), 1.0)), q = d(r.normal(s.n(), 1.0));
    DoubleSupplier objective = () -> dot(g, InvConvRef.forward(x, w, s)) + InvConvRef.logdet(w, s) * Arrays.stream(q).sum();
    DeviceBuffer wb = up(toF(w)), wInv = floats((long) s.c() * s.c()), dyb = up(toF(g));
    DeviceBuffer y = floats(s.count()), rebuilt = floats(s.count()), dx = floats(s.count()), dw = floats((long) s.c() * s.c());
    InvConvOps.forward(be, up(toF(x)), wb, s, y, null);
    InvConvOps.invert(be, wb, s.c(), wInv);
    // The reversible backward: rebuild x from y, then the gradients.
    InvConvOps.inverse(be, y, wInv, s, rebuilt, null);
    InvConvOps.backwardData(be, dyb, wb, s, dx);
    InvConvOps.weightGrad(be, rebuilt, dyb, wInv, up(q), s, dw);
    // float32 against float64 finite differences; the weight gradient sums N·H·W = 12 products.
    Check.close("1×1 conv dx", FiniteDifference.gradient(x, objective), down(dx), 1e-4, 1e-5);
    Check.close("1×1 conv dW", FiniteDifference.gradient(w, objective), down(dw), 1e-4, 1e-4);
  }

  @Test
  void weightGradientForMoreChannelsThanAGridSideHolds() {
    // C = 257: C² = 66,049 channel pairs, more than CUDA's 65,535 blocks in grid y (a 256² model
    // at L = 6 has C ≥ 256). Small N·H·W keeps the reference cheap.
    Rand r = new Rand(26);
    Nchw s = new Nchw(1, 257, 1, 2);
    int c = s.c();
    double[] x = d(r.normal(s.count(), 1.0)), dy = d(r.normal(s.count(), 1.0)), wInv = d(r.normal((long) c * c, 0.1));
    double[] q = {0.7};
    double[] want = new double[c * c];
    for (int i = 0; i < c; i++)
      for (int k = 0; k < c; k++) {
        double g = 0;
        for (int p = 0; p < s.hw(); p++) g += dy[i * s.hw() + p] * x[k * s.hw() + p];
        want[i * c + k] = g + s.hw() * q[0] * wInv[k * c + i];
      }
    DeviceBuffer dw = floats((long) c * c);
    InvConvOps.weightGrad(be, up(toF(x)), up(toF(dy)), up(toF(wInv)), up(q), s, dw);
    // Two float32 products summed in double, one rounding to float: float32 epsilon.
    Check.close("1×1 conv dW, C=257", want, down(dw), 1e-6, 1e-6);
  }

  @Test
  void luParametrizationComposesAndDifferentiates() {
    Rand r = new Rand(25);
    for (int c : new int[] {3, 6, 12}) {
      int[] perm = r.permutation(c);
      double[] lower = d(r.normal((long) c * c, 0.3)), upper = d(r.normal((long) c * c, 0.3));
      double[] logS = d(r.normal(c, 0.3)), sign = new double[c];
      for (int i = 0; i < c; i++) sign[i] = r.random().nextBoolean() ? 1 : -1;
      DeviceBuffer pb = up(perm), lb = up(toF(lower)), ub = up(toF(upper)), sb = up(toF(sign)), lsb = up(toF(logS));
      DeviceBuffer w = floats((long) c * c);
      InvConvOps.luCompose(be, pb, lb, ub, sb, lsb, c, w);
      double[] wRef = InvConvRef.luCompose(perm, lower, upper, sign, logS, c);
      Check.close("LU compose C=" + c, wRef, down(w), 1e-5, 1e-6);
      // Spec: logdet = H·W·Σ log_s; the forward kernel's float64 LU of the composed W agrees.
      Nchw s = new Nchw(1, c, 2, 3);
      DeviceBuffer logdet = doubles(1);
      InvConvOps.forward(be, up(r.normal(s.count(), 1)), w, s, floats(s.count()), logdet);
      Check.close("LU logdet = H·W·Σ log_s, C=" + c, new double[] {s.hw() * Arrays.stream(logS).sum()}, downD(logdet), 1e-5, 1e-5);

      double[] gw = d(r.normal((long) c * c, 1.0));
      DoubleSupplier objective = () -> dot(gw, InvConvRef.luCompose(perm, lower, upper, sign, logS, c));
      DeviceBuffer dl = floats((long) c * c), du = floats((long) c * c), dls = floats(c);
      InvConvOps.luComposeBackward(be, up(ReshapeOps.inversePermutation(perm)), lb, ub, sb, lsb, up(toF(gw)), c, dl, du, dls);
      double[] fdL = FiniteDifference.gradient(lower, objective), fdU = FiniteDifference.gradient(upper, objective);
      // Only the strict triangles are parameters; the kernel writes 0 elsewhere.
      for (int i = 0; i < c; i++)
        for (int j = 0; j < c; j++) {
          if (j >= i) fdL[i * c + j] = 0;
          if (j <= i) fdU[i * c + j] = 0;
        }
      Check.close("LU dlower C=" + c, fdL, down(dl), 1e-4, 1e-5);
      Check.close("LU dupper C=" + c, fdU, down(du), 1e-4, 1e-5);
      Check.close("LU dlog_s C=" + c, FiniteDifference.gradient(logS, objective), down(dls), 1e-4, 1e-5);
    }
  }

  /** Random LU parameters whose product is well conditioned: strict triangles of scale 0.3/√C. */
  private record LuParams(int[] perm, double[] lower, double[] upper, double[] sign, double[] logS) {
    static LuParams random(Rand r, int c) {
      double[] sign = new double[c];
      for (int i = 0; i < c; i++) sign[i] = r.random().nextBoolean() ? 1 : -1;
      double scale = 0.3 / Math.sqrt(c);
      return new LuParams(r.permutation(c), d(r.normal((long) c * c, scale)), d(r.normal((long) c * c, scale)), sign,
          d(r.normal(c, 0.3)));
    }
  }

  @Test
  void luInverseMatchesReference() {
    Rand r = new Rand(27);
    // C = 1: the triangles are empty; 13 and 130: columns that do not fill a warp or a block evenly,
    // and more columns (2C = 260) than some grids have blocks, so a block takes several.
    for (int c : new int[] {1, 3, 13, 48, 130}) {
      LuParams p = LuParams.random(r, c);
      DeviceBuffer wInv = floats((long) c * c);
      InvConvOps.luInvert(be, up(p.perm()), up(toF(p.lower())), up(toF(p.upper())), up(toF(p.sign())), up(toF(p.logS())), c,
          wInv);
      double[] w = InvConvRef.luCompose(p.perm(), p.lower(), p.upper(), p.sign(), p.logS(), c);
      // Substitutions and the product in float64 from the same float parameters: only the final
      // rounding to float differs from the Java inverse of the float64 composition.
      Check.close("LU inverse C=" + c, Linalg.inverse(w, c), down(wInv), 1e-5, 1e-6);
    }
  }

  @Test
  void luLogdetIsHwTimesSumOfLogS() {
    Rand r = new Rand(28);
    for (int c : new int[] {1, 5, 130}) {
      int n = c == 5 ? 3 : 1;
      double[] logS = d(r.normal(c, 0.7)), start = d(r.normal(n, 2.0)), q = d(r.normal(n, 1.0));
      double sum = Arrays.stream(logS).sum(), qSum = Arrays.stream(q).sum();
      DeviceBuffer logdet = up(start);
      InvConvOps.luLogdet(be, up(toF(logS)), c, -6, logdet, n);
      double[] want = start.clone();
      for (int i = 0; i < n; i++) want[i] -= 6 * sum;
      // float64 sums of the same float values: only the summation order differs.
      Check.close("LU logdet C=" + c, want, downD(logdet), 1e-12, 1e-12);
      double[] g0 = d(r.normal(c, 1.0));
      DeviceBuffer dlogS = up(toF(g0));
      InvConvOps.luLogdetBackward(be, up(q), n, 6, c, dlogS);
      double[] wantG = new double[c];
      for (int i = 0; i < c; i++) wantG[i] = (float) g0[i] + 6 * qSum;
      // Accumulated in double, rounded once to float.
      Check.close("LU dlog_s C=" + c, wantG, down(dlogS), 1e-6, 1e-6);
    }
  }
}
