package org.flowrt.ops;

import static org.flowrt.ops.ActNormSuite.toF;
import static org.flowrt.testing.FiniteDifference.dot;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleSupplier;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.reference.PriorRef;
import org.flowrt.testing.Check;
import org.flowrt.testing.FiniteDifference;
import org.flowrt.testing.Rand;
import org.junit.jupiter.api.Test;

/** cuda/prior.cu against the float64 reference; sampling checked by its moments. */
public abstract class PriorSuite extends OpSuite {
  static final List<Nchw> SHAPES = List.of(new Nchw(1, 6, 5, 7), new Nchw(3, 3, 4, 4), new Nchw(2, 48, 2, 3));

  protected PriorSuite(Backend be) {
    super(be);
  }

  @Test
  void logDensityMatchesReference() {
    Rand r = new Rand(61);
    for (PriorLayout layout : PriorLayout.values())
      for (Nchw s : SHAPES) {
        float[] z = r.normal(s.count(), 1), h = r.normal(2 * s.count(), 0.5);
        DeviceBuffer logp = up(perSample(s, 2.0));
        PriorOps.logp(be, up(z), up(h), layout, s, logp);
        double[] ref = PriorRef.logp(d(z), d(h), layout, s);
        for (int n = 0; n < s.n(); n++) ref[n] += 2.0;
        // Summed in double from float inputs; each term's float→double path is exact but exp: 1e-9 relative.
        Check.close("gaussian logp " + layout + " " + s, ref, downD(logp), 1e-9, 1e-9);
      }
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    Rand r = new Rand(62);
    Nchw s = new Nchw(2, 3, 2, 3);
    for (PriorLayout layout : PriorLayout.values()) {
      double[] z = d(r.normal(s.count(), 1)), h = d(r.normal(2 * s.count(), 0.5)), q = d(r.normal(s.n(), 1));
      DoubleSupplier objective = () -> dot(q, PriorRef.logp(z, h, layout, s));
      DeviceBuffer dz = floats(s.count()), dh = floats(2 * s.count());
      PriorOps.backward(be, up(toF(z)), up(toF(h)), layout, s, up(q), dz, dh);
      // A few float32 products per element, |values| ≲ 20 with logs ~ N(0, 0.5).
      Check.close("prior dz " + layout, FiniteDifference.gradient(z, objective), down(dz), 1e-5, 1e-5);
      Check.close("prior dh " + layout, FiniteDifference.gradient(h, objective), down(dh), 1e-5, 1e-5);
    }
  }

  @Test
  void samplesHaveTheRequestedMomentsAndAreReproducible() {
    Rand r = new Rand(63);
    Nchw s = new Nchw(2, 4, 64, 64);
    float[] h = r.normal(2 * s.count(), 0.5);
    DeviceBuffer hb = up(h), z = floats(s.count()), again = floats(s.count()), other = floats(s.count());
    float temperature = 0.7f;
    PriorOps.sample(be, hb, PriorLayout.HALVES, s, temperature, 1234L, z);
    PriorOps.sample(be, hb, PriorLayout.HALVES, s, temperature, 1234L, again);
    PriorOps.sample(be, hb, PriorLayout.HALVES, s, temperature, 1235L, other);
    float[] zs = down(z);
    assertArrayEquals(zs, down(again), "same seed, same samples");
    assertFalse(Arrays.equals(zs, down(other)), "another seed gives other samples");
    double sum = 0, sumSq = 0;
    for (int n = 0; n < s.n(); n++)
      for (int c = 0; c < s.c(); c++)
        for (int p = 0; p < s.hw(); p++) {
          double mean = h[PriorRef.meanIndex(PriorLayout.HALVES, s, n, c, p)];
          double std = temperature * Math.exp(h[PriorRef.logsIndex(PriorLayout.HALVES, s, n, c, p)]);
          double eps = (zs[(int) ((n * s.c() + c) * s.hw() + p)] - mean) / std;
          sum += eps;
          sumSq += eps * eps;
        }
    long m = s.count();
    double mean = sum / m, var = sumSq / m - mean * mean;
    // 32768 standard normals: the standard error of the mean is 0.0055, of the variance 0.0078; 5 σ.
    assertTrue(Math.abs(mean) < 0.03, "standardized sample mean " + mean);
    assertTrue(Math.abs(var - 1) < 0.04, "standardized sample variance " + var);
  }
}
