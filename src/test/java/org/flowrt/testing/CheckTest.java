package org.flowrt.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** The comparison every kernel test relies on must fail where it should, NaN included. */
class CheckTest {
  @Test
  void passesWithinTheToleranceOnly() {
    Check.close("ok", new double[] {1, -2}, new double[] {1 + 1e-7, -2}, 1e-6, 0);
    assertThrows(AssertionFailedError.class, () -> Check.close("off", new double[] {1, -2}, new double[] {1 + 1e-5, -2}, 1e-6, 0));
  }

  @Test
  void aNanOnEitherSideFails() {
    // NaN comparisons are always false, so "error ≤ tolerance" must not be how NaN is judged.
    assertThrows(AssertionFailedError.class, () -> Check.close("nan reference", new double[] {Double.NaN}, new double[] {0.5}, 1e-3, 1e-3));
    assertThrows(AssertionFailedError.class, () -> Check.close("nan result", new double[] {0.5}, new double[] {Double.NaN}, 1e-3, 1e-3));
    assertThrows(AssertionFailedError.class, () -> Check.close("both nan", new double[] {Double.NaN}, new float[] {Float.NaN}, 1e-3, 1e-3));
  }

  @Test
  void infinitiesMatchOnlyTheSameInfinity() {
    Check.close("same", new double[] {Double.POSITIVE_INFINITY}, new double[] {Double.POSITIVE_INFINITY}, 1e-3, 1e-3);
    assertThrows(AssertionFailedError.class,
        () -> Check.close("opposite", new double[] {Double.POSITIVE_INFINITY}, new double[] {Double.NEGATIVE_INFINITY}, 1e-3, 1e-3));
    assertThrows(AssertionFailedError.class, () -> Check.close("finite vs inf", new double[] {1e300}, new double[] {Double.POSITIVE_INFINITY}, 1e-3, 1e-3));
  }
}
