package org.flowrt.testing;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Element-wise comparison with a stated tolerance: passes when |actual − expected| ≤ atol + rtol·|expected|
 * everywhere (a NaN reference fails, infinities must match exactly); on failure names the worst element, its values
 * and the tolerance.
 */
public final class Check {
  private Check() {}

  public static void close(String what, double[] expected, float[] actual, double rtol, double atol) {
    double[] a = new double[actual.length];
    for (int i = 0; i < a.length; i++) a[i] = actual[i];
    close(what, expected, a, rtol, atol);
  }

  public static void close(String what, double[] expected, double[] actual, double rtol, double atol) {
    if (expected.length != actual.length) fail(what + ": length " + actual.length + ", expected " + expected.length);
    int worst = -1;
    double worstRatio = 0;
    for (int i = 0; i < expected.length; i++) {
      double ratio;
      if (Double.isNaN(expected[i])) {
        fail(what + ": expected value " + i + " is NaN: the reference is broken, so the comparison would prove nothing");
        return;
      } else if (Double.isNaN(actual[i]) || Double.isInfinite(expected[i]) || Double.isInfinite(actual[i])) {
        // A NaN result never passes by being "within tolerance" (comparisons with NaN are false);
        // infinities match only the same infinity.
        ratio = expected[i] == actual[i] ? 0 : Double.POSITIVE_INFINITY;
      } else {
        ratio = Math.abs(actual[i] - expected[i]) / (atol + rtol * Math.abs(expected[i]));
      }
      if (ratio > worstRatio) {
        worstRatio = ratio;
        worst = i;
      }
    }
    if (worstRatio > 1)
      fail(String.format("%s: element %d is %.9g, expected %.9g (|error| %.3g > %.3g allowed: rtol %.1g, atol %.1g)",
          what, worst, actual[worst], expected[worst], Math.abs(actual[worst] - expected[worst]),
          atol + rtol * Math.abs(expected[worst]), rtol, atol));
  }

  public static double maxAbs(double[] v) {
    double m = 0;
    for (double x : v) m = Math.max(m, Math.abs(x));
    return m;
  }

  public static void exact(String what, float[] expected, float[] actual) {
    if (expected.length != actual.length) fail(what + ": length " + actual.length + ", expected " + expected.length);
    for (int i = 0; i < expected.length; i++)
      if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i]))
        fail(what + ": element " + i + " is " + actual[i] + ", expected exactly " + expected[i]);
  }
}
