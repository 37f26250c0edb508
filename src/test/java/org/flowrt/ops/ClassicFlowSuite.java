package org.flowrt.ops;

import static org.flowrt.ops.ActNormSuite.toF;
import static org.flowrt.testing.FiniteDifference.dot;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.function.DoubleSupplier;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.reference.ClassicFlowRef;
import org.flowrt.testing.Check;
import org.flowrt.testing.FiniteDifference;
import org.flowrt.testing.Rand;
import org.junit.jupiter.api.Test;

/** cuda/planar.cu, cuda/radial.cu and cuda/dense.cu against float64 references. */
public abstract class ClassicFlowSuite extends OpSuite {
  static final int[][] SHAPES = {{1, 2}, {7, 2}, {5, 3}, {3, 5}, {4, 33}};

  protected ClassicFlowSuite(Backend be) {
    super(be);
  }

  private static double[] y(double[] out, int n, int d) {
    return Arrays.copyOf(out, n * d);
  }

  private static double[] logdet(double[] out, int n, int d) {
    return Arrays.copyOfRange(out, n * d, n * d + n);
  }

  @Test
  void planarMatchesReferenceAndStaysInvertible() {
    Rand r = new Rand(91);
    for (int[] nd : SHAPES) {
      int n = nd[0], d = nd[1];
      double[] z = d(r.normal((long) n * d, 1)), w = d(r.normal(d, 1)), u = d(r.normal(d, 1));
      // Adversarial u: pointing against w, so wᵀu < −1 before the reparametrization.
      if (d == 3) for (int i = 0; i < d; i++) u[i] = -3 * w[i];
      double b = 0.3;
      DeviceBuffer wb = up(toF(w)), ub = up(toF(u)), uh = floats(d), bb = up(new float[] {(float) b});
      ClassicFlowOps.planarReparam(be, wb, ub, d, uh);
      double[] uhRef = ClassicFlowRef.planarUHat(d(toF(w)), d(toF(u)));
      Check.close("planar û d=" + d, uhRef, down(uh), 1e-5, 1e-6);
      double wu = dot(d(toF(w)), d(down(uh)));
      assertTrue(wu >= -1 - 1e-5, "wᵀû = " + wu + " must be ≥ −1 (invertibility)");
      DeviceBuffer y = floats((long) n * d), ld = up(perSample(new Nchw(n, 1, 1, 1), 0.5));
      ClassicFlowOps.planarForward(be, up(toF(z)), wb, uh, bb, n, d, y, ld);
      double[] ref = ClassicFlowRef.planar(d(toF(z)), d(toF(w)), d(toF(u)), (float) b, n, d);
      Check.close("planar y n=" + n + " d=" + d, y(ref, n, d), down(y), 1e-5, 1e-6);
      double[] ldRef = logdet(ref, n, d);
      for (int i = 0; i < n; i++) ldRef[i] += 0.5;
      // One float32 tanh feeds the log-det: 1e-6 relative of |1 + (1−t²)wᵀû| ≳ 1e-3 in the worst case.
      Check.close("planar logdet", ldRef, downD(ld), 1e-5, 1e-5);
    }
  }

  @Test
  void planarLogdetMatchesBruteForceJacobian() {
    Rand r = new Rand(92);
    int d = 3;
    double[] z = d(r.normal(d, 1)), w = d(r.normal(d, 1)), u = d(r.normal(d, 1));
    double brute = FiniteDifference.logAbsDetJacobian(v -> y(ClassicFlowRef.planar(v, w, u, 0.1, 1, d), 1, d), z);
    DeviceBuffer uh = floats(d), ld = doubles(1);
    DeviceBuffer wb = up(toF(w));
    ClassicFlowOps.planarReparam(be, wb, up(toF(u)), d, uh);
    ClassicFlowOps.planarForward(be, up(toF(z)), wb, uh, up(new float[] {0.1f}), 1, d, floats(d), ld);
    Check.close("planar logdet vs brute-force Jacobian", new double[] {brute}, downD(ld), 1e-5, 1e-5);
  }

  @Test
  void planarGradientsMatchFiniteDifferences() {
    Rand r = new Rand(93);
    for (int[] nd : new int[][] {{3, 2}, {2, 5}}) {
      int n = nd[0], d = nd[1];
      double[] z = d(r.normal((long) n * d, 1)), w = d(r.normal(d, 1)), u = d(r.normal(d, 1)), b = {0.2};
      double[] g = d(r.normal((long) n * d, 1)), q = d(r.normal(n, 1));
      DoubleSupplier objective = () -> {
        double[] o = ClassicFlowRef.planar(z, w, u, b[0], n, d);
        return dot(g, y(o, n, d)) + dot(q, logdet(o, n, d));
      };
      DeviceBuffer wb = up(toF(w)), ub = up(toF(u)), uh = floats(d), bb = up(toF(b));
      ClassicFlowOps.planarReparam(be, wb, ub, d, uh);
      DeviceBuffer dz = floats((long) n * d), dw = floats(d), du = floats(d), db = floats(1);
      ClassicFlowOps.planarBackward(be, up(toF(z)), wb, ub, uh, bb, up(toF(g)), up(q), n, d, dz, dw, du, db);
      // float32 inputs, float64 accumulation in the kernel: 1e-4 relative of O(1) gradients.
      Check.close("planar dz", FiniteDifference.gradient(z, objective), down(dz), 1e-4, 1e-5);
      Check.close("planar dw", FiniteDifference.gradient(w, objective), down(dw), 1e-4, 1e-5);
      Check.close("planar du", FiniteDifference.gradient(u, objective), down(du), 1e-4, 1e-5);
      Check.close("planar db", FiniteDifference.gradient(b, objective), down(db), 1e-4, 1e-5);
    }
  }

  @Test
  void radialMatchesReferenceJacobianAndFiniteDifferences() {
    Rand r = new Rand(94);
    for (int[] nd : SHAPES) {
      int n = nd[0], d = nd[1];
      double[] z = d(r.normal((long) n * d, 1)), z0 = d(r.normal(d, 0.5)), p = {0.3, -1.2};
      DeviceBuffer y = floats((long) n * d), ld = doubles(n), zb = up(toF(z)), z0b = up(toF(z0)), pb = up(toF(p));
      ClassicFlowOps.radialForward(be, zb, z0b, pb, n, d, y, ld);
      double[] ref = ClassicFlowRef.radial(z, z0, p[0], p[1], n, d);
      Check.close("radial y n=" + n + " d=" + d, y(ref, n, d), down(y), 1e-5, 1e-6);
      Check.close("radial logdet n=" + n + " d=" + d, logdet(ref, n, d), downD(ld), 1e-5, 1e-6);
      double brute = FiniteDifference.logAbsDetJacobian(
          v -> y(ClassicFlowRef.radial(v, z0, p[0], p[1], 1, d), 1, d), Arrays.copyOf(z, d));
      Check.close("radial logdet vs brute-force Jacobian d=" + d, new double[] {brute}, new double[] {downD(ld)[0]}, 1e-5, 1e-5);

      double[] g = d(r.normal((long) n * d, 1)), q = d(r.normal(n, 1));
      DoubleSupplier objective = () -> {
        double[] o = ClassicFlowRef.radial(z, z0, p[0], p[1], n, d);
        return dot(g, y(o, n, d)) + dot(q, logdet(o, n, d));
      };
      DeviceBuffer dz = floats((long) n * d), dz0 = floats(d), dp = floats(2);
      ClassicFlowOps.radialBackward(be, zb, z0b, pb, up(toF(g)), up(q), n, d, dz, dz0, dp);
      Check.close("radial dz", FiniteDifference.gradient(z, objective), down(dz), 1e-4, 1e-5);
      Check.close("radial dz0", FiniteDifference.gradient(z0, objective), down(dz0), 1e-4, 1e-5);
      Check.close("radial d(α̂, β̂)", FiniteDifference.gradient(p, objective), down(dp), 1e-4, 1e-5);
    }
  }

  @Test
  void radialStaysInvertibleForAnyParameters() {
    // β = −α + softplus(β̂) ≥ −α for every β̂, so 1 + βh > 0 and the log-det is finite.
    DeviceBuffer ld = doubles(2);
    ClassicFlowOps.radialForward(be, up(new float[] {0.01f, 0f, 5f, 5f}), up(new float[] {0f, 0f}),
        up(new float[] {2f, -30f}), 2, 2, floats(4), ld);
    for (double v : downD(ld)) assertTrue(Double.isFinite(v), "radial log-det " + v);
  }

  @Test
  void denseLayersMatchReferenceAndFiniteDifferences() {
    Rand r = new Rand(95);
    for (Activation act : Activation.values())
      for (int[] s : new int[][] {{1, 2, 3}, {5, 3, 7}, {4, 7, 2}}) {
        int n = s[0], in = s[1], out = s[2];
        double[] x = d(r.normal((long) n * in, 1)), w = d(r.normal((long) out * in, 0.5)), b = d(r.normal(out, 0.5));
        double[] g = d(r.normal((long) n * out, 1));
        DeviceBuffer xb = up(toF(x)), wb = up(toF(w)), bb = up(toF(b)), y = floats((long) n * out);
        DenseOps.forward(be, xb, wb, bb, act, n, in, out, y);
        Check.close("dense " + act, ClassicFlowRef.dense(x, w, b, act.code(), n, in, out), down(y), 1e-5, 1e-6);
        DoubleSupplier objective = () -> dot(g, ClassicFlowRef.dense(x, w, b, act.code(), n, in, out));
        DeviceBuffer dx = floats((long) n * in), dw = floats((long) out * in), db = floats(out);
        DenseOps.backward(be, xb, wb, y, up(toF(g)), act, n, in, out, dx, dw, db);
        Check.close("dense dx " + act, FiniteDifference.gradient(x, objective), down(dx), 1e-4, 1e-5);
        Check.close("dense dW " + act, FiniteDifference.gradient(w, objective), down(dw), 1e-4, 1e-5);
        Check.close("dense db " + act, FiniteDifference.gradient(b, objective), down(db), 1e-4, 1e-5);
      }
  }
}
