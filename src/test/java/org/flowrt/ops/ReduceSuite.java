package org.flowrt.ops;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.testing.Check;
import org.flowrt.testing.Rand;
import org.junit.jupiter.api.Test;

/** cuda/reduce.cu: sums of squares, axpy, fill. */
public abstract class ReduceSuite extends OpSuite {
  protected ReduceSuite(Backend be) {
    super(be);
  }

  @Test
  void sumOfSquaresIsAccurateAndSeesNaN() {
    Rand r = new Rand(81);
    for (int n : new int[] {1, 7, 1000, 123457}) {
      float[] x = r.normal(n, 3);
      double expected = 0;
      for (float v : x) expected += (double) v * v;
      // Accumulated in double: only summation-order rounding, ~1e-15 relative.
      Check.close("sum of squares n=" + n, new double[] {expected}, new double[] {ReduceOps.sumSquares(be, up(x))}, 1e-12, 0);
      for (int at : new int[] {0, n / 2, n - 1}) {
        float[] c = x.clone();
        c[at] = Float.NaN;
        assertTrue(Double.isNaN(ReduceOps.sumSquares(be, up(c))), "a NaN at " + at + " must show in the sum of squares");
      }
    }
  }

  @Test
  void maxAbsDifferenceIsExactAndSeesNaN() {
    Rand r = new Rand(83);
    for (int n : new int[] {1, 9, 4097, 100003}) {
      float[] a = r.normal(n, 1), b = r.normal(n, 1);
      double expected = 0;
      for (int i = 0; i < n; i++) expected = Math.max(expected, Math.abs((double) a[i] - b[i]));
      org.junit.jupiter.api.Assertions.assertEquals(expected, ReduceOps.maxAbsDiff(be, up(a), up(b)), 0.0, "n=" + n);
      // A NaN anywhere (first, middle, last element: later finite values must not hide it).
      for (int at : new int[] {0, n / 2, n - 1}) {
        float[] c = b.clone();
        c[at] = Float.NaN;
        assertTrue(Double.isNaN(ReduceOps.maxAbsDiff(be, up(a), up(c))), "a NaN difference at " + at + " of " + n + " must show");
      }
    }
  }

  @Test
  void axpyAndFill() {
    Rand r = new Rand(82);
    float[] x = r.normal(999, 1), y = r.normal(999, 1);
    DeviceBuffer yb = up(y);
    ReduceOps.axpy(be, up(x), -0.75f, yb);
    double[] expected = new double[999];
    for (int i = 0; i < 999; i++) expected[i] = y[i] + (double) (-0.75f * x[i]);
    Check.close("axpy", expected, down(yb), 1e-7, 1e-7);
    ReduceOps.fill(be, yb, 2.5f);
    double[] twos = new double[999];
    java.util.Arrays.fill(twos, 2.5);
    Check.close("fill", twos, down(yb), 0, 0);
  }
}
