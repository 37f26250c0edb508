package org.flowrt.ops;

import static org.flowrt.ops.ActNormSuite.toF;
import static org.flowrt.testing.FiniteDifference.dot;

import java.util.function.DoubleSupplier;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.testing.Check;
import org.flowrt.testing.FiniteDifference;
import org.flowrt.testing.Rand;
import org.junit.jupiter.api.Test;

/** cuda/conditional.cu against float64 references written from glow-spec §5. */
public abstract class ConditionalSuite extends OpSuite {
  protected ConditionalSuite(Backend be) {
    super(be);
  }

  /** h + (W[:, y] + b)·exp(3·logs) broadcast over hw. */
  static double[] priorRef(int[] y, double[] w, double[] b, double[] logs, double[] h, int n, int c2, int hw, int k) {
    double[] out = h.clone();
    for (int s = 0; s < n; s++)
      for (int c = 0; c < c2; c++)
        for (int p = 0; p < hw; p++) out[(s * c2 + c) * hw + p] += (w[c * k + y[s]] + b[c]) * Math.exp(3 * logs[c]);
    return out;
  }

  /** Per-sample cross-entropy of softmax((W·mean(z) + b)·exp(3·logs)). */
  static double[] headRef(double[] z, double[] w, double[] b, double[] logs, int[] y, int n, int c, int hw, int k) {
    double[] ce = new double[n];
    for (int s = 0; s < n; s++) {
      double[] logit = new double[k];
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < k; j++) {
        double u = b[j];
        for (int ch = 0; ch < c; ch++) {
          double mean = 0;
          for (int p = 0; p < hw; p++) mean += z[(s * c + ch) * hw + p];
          u += w[j * c + ch] * mean / hw;
        }
        logit[j] = u * Math.exp(3 * logs[j]);
        max = Math.max(max, logit[j]);
      }
      double sum = 0;
      for (double l : logit) sum += Math.exp(l - max);
      ce[s] = max + Math.log(sum) - logit[y[s]];
    }
    return ce;
  }

  @Test
  void labelEmbeddingOfTheTopPrior() {
    Rand r = new Rand(101);
    int n = 5, c2 = 6, hw = 4, k = 3;
    int[] y = {2, 0, 1, 2, 2};
    double[] w = d(r.normal((long) c2 * k, 0.5)), b = d(r.normal(c2, 0.5)), logs = d(r.normal(c2, 0.2));
    double[] h = d(r.normal((long) n * c2 * hw, 1)), g = d(r.normal((long) n * c2 * hw, 1));
    DeviceBuffer yb = up(y), wb = up(toF(w)), bb = up(toF(b)), lb = up(toF(logs)), hb = up(toF(h));
    ConditionalOps.priorAdd(be, yb, wb, bb, lb, n, c2, hw, k, hb);
    Check.close("class prior", priorRef(y, w, b, logs, h, n, c2, hw, k), down(hb), 1e-5, 1e-6);
    DoubleSupplier objective = () -> dot(g, priorRef(y, w, b, logs, h, n, c2, hw, k));
    DeviceBuffer dw = floats((long) c2 * k), db = floats(c2), dl = floats(c2);
    ConditionalOps.priorBackward(be, yb, wb, bb, lb, up(toF(g)), n, c2, hw, k, dw, db, dl);
    Check.close("class prior dW", FiniteDifference.gradient(w, objective), down(dw), 1e-4, 1e-5);
    Check.close("class prior db", FiniteDifference.gradient(b, objective), down(db), 1e-4, 1e-5);
    Check.close("class prior dlogs", FiniteDifference.gradient(logs, objective), down(dl), 1e-4, 1e-5);
  }

  @Test
  void classifierHead() {
    Rand r = new Rand(102);
    int n = 4, c = 5, hw = 3, k = 3;
    int[] y = {1, 0, 2, 1};
    double[] z = d(r.normal((long) n * c * hw, 1)), w = d(r.normal((long) k * c, 0.5)), b = d(r.normal(k, 0.5));
    double[] logs = d(r.normal(k, 0.2)), q = d(r.normal(n, 1));
    DeviceBuffer zb = up(toF(z)), yb = up(y), wb = up(toF(w)), bb = up(toF(b)), lb = up(toF(logs));
    DeviceBuffer logits = floats((long) n * k), ce = doubles(n);
    ConditionalOps.headForward(be, zb, wb, bb, lb, yb, n, c, hw, k, logits, ce);
    // Float32 logits, float64 log-sum-exp.
    Check.close("classifier cross-entropy", headRef(z, w, b, logs, y, n, c, hw, k), downD(ce), 1e-5, 1e-6);
    DoubleSupplier objective = () -> dot(q, headRef(z, w, b, logs, y, n, c, hw, k));
    float[] base = r.normal((long) n * c * hw, 1);
    DeviceBuffer dz = up(base), grads = floats((long) k * c + 2L * k);
    ConditionalOps.headBackward(be, zb, wb, lb, yb, logits, up(q), n, c, hw, k, dz, grads.slice(0, (long) k * c),
        grads.slice((long) k * c, k), grads.slice((long) k * c + k, k));
    double[] expected = FiniteDifference.gradient(z, objective);
    for (int i = 0; i < expected.length; i++) expected[i] += base[i];
    Check.close("classifier dz (added)", expected, down(dz), 1e-4, 1e-5);
    double[] fd = new double[k * c + 2 * k];
    System.arraycopy(FiniteDifference.gradient(w, objective), 0, fd, 0, k * c);
    System.arraycopy(FiniteDifference.gradient(b, objective), 0, fd, k * c, k);
    System.arraycopy(FiniteDifference.gradient(logs, objective), 0, fd, k * c + k, k);
    Check.close("classifier dW, db, dlogs", fd, down(grads), 1e-4, 1e-5);
  }
}
