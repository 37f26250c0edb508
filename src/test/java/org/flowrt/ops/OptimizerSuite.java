package org.flowrt.ops;

import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.testing.Check;
import org.flowrt.testing.Rand;
import org.junit.jupiter.api.Test;

/** cuda/optimizer.cu against float64 references over several steps with changing gradients. */
public abstract class OptimizerSuite extends OpSuite {
  static final int N = 1001;
  static final int STEPS = 5;
  static final OptimizerOps.Hyper HYPER = new OptimizerOps.Hyper(1e-2f, 0.9f, 0.999f, 1e-8f);

  protected OptimizerSuite(Backend be) {
    super(be);
  }

  @Test
  void adamMatchesReference() {
    run(false);
  }

  @Test
  void adamaxMatchesReference() {
    run(true);
  }

  private void run(boolean adamax) {
    Rand r = new Rand(adamax ? 71 : 72);
    float[] p0 = r.normal(N, 1);
    double[] p = d(p0), m = new double[N], v = new double[N];
    DeviceBuffer pb = up(p0), gb = floats(N), mb = floats(N), vb = floats(N);
    float scale = 0.5f;
    for (int t = 1; t <= STEPS; t++) {
      float[] g = r.normal(N, 1);
      be.upload(g, gb);
      if (adamax) OptimizerOps.adamax(be, pb, gb, mb, vb, t, HYPER, scale);
      else OptimizerOps.adam(be, pb, gb, mb, vb, t, HYPER, scale);
      double b1 = HYPER.beta1(), b2 = HYPER.beta2();
      for (int i = 0; i < N; i++) {
        double gi = g[i] * (double) scale;
        m[i] = b1 * m[i] + (1 - b1) * gi;
        if (adamax) {
          v[i] = Math.max(b2 * v[i], Math.abs(gi));
          p[i] -= HYPER.learningRate() * (m[i] / (1 - Math.pow(b1, t))) / (v[i] + HYPER.epsilon());
        } else {
          v[i] = b2 * v[i] + (1 - b2) * gi * gi;
          p[i] -= HYPER.learningRate() * (m[i] / (1 - Math.pow(b1, t))) / (Math.sqrt(v[i] / (1 - Math.pow(b2, t))) + HYPER.epsilon());
        }
      }
    }
    // Each step moves a parameter by ≈ lr = 1e-2 computed in float32 (≈ 1e-8 error per step); the
    // parameter itself is rounded to float32 (6e-8 relative).
    Check.close(adamax ? "adamax parameters" : "adam parameters", p, down(pb), 1e-6, 1e-7);
    Check.close(adamax ? "adamax first moments" : "adam first moments", m, down(mb), 1e-5, 1e-7);
    // Adam's v ≈ Σ (1 − β2)·β2^k·g² is ~1e-3 and Adamax's max-norm ~1 here; float32 rounding of
    // each of the 5 updates gives a few ulps (1e-7 relative), so 1e-5 relative is loose but still
    // catches a wrong β2, a missing square or a missing max.
    Check.close(adamax ? "adamax infinity norms" : "adam second moments", v, down(vb), 1e-5, 1e-12);
  }

  @Test
  void polyakAveraging() {
    Rand r = new Rand(73);
    float[] p = r.normal(N, 1), a = r.normal(N, 1);
    DeviceBuffer avg = up(a);
    OptimizerOps.polyak(be, up(p), 0.99f, avg);
    double[] expected = new double[N];
    for (int i = 0; i < N; i++) expected[i] = 0.99f * (double) a[i] + (1 - 0.99f) * (double) p[i];
    Check.close("polyak average", expected, down(avg), 1e-6, 1e-7);
  }
}
