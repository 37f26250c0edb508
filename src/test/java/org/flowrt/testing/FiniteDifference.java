package org.flowrt.testing;

import java.util.function.DoubleSupplier;

/**
 * Central finite differences of a float64 objective, and brute-force log-determinants of a
 * float64 map's Jacobian built column by column.
 */
public final class FiniteDifference {
  /** Step: the objectives here are smooth float64 functions of O(1) inputs; the O(h²) error is ~1e-10. */
  public static final double STEP = 1e-5;

  private FiniteDifference() {}

  /** ∂objective/∂v[i] for every i, perturbing v in place (restored afterwards). */
  public static double[] gradient(double[] v, DoubleSupplier objective) {
    double[] g = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      double keep = v[i];
      v[i] = keep + STEP;
      double up = objective.getAsDouble();
      v[i] = keep - STEP;
      double down = objective.getAsDouble();
      v[i] = keep;
      g[i] = (up - down) / (2 * STEP);
    }
    return g;
  }

  /** A float64 map from R^d to R^d. */
  public interface VectorMap {
    double[] apply(double[] x);
  }

  /** log|det J| of the map at x, J built column by column by central differences. */
  public static double logAbsDetJacobian(VectorMap f, double[] x) {
    int d = x.length;
    double[] jac = new double[d * d];
    double[] probe = x.clone();
    for (int col = 0; col < d; col++) {
      probe[col] = x[col] + STEP;
      double[] up = f.apply(probe);
      probe[col] = x[col] - STEP;
      double[] down = f.apply(probe);
      probe[col] = x[col];
      if (up.length != d) throw new IllegalArgumentException("map is not square: " + up.length + " outputs for " + d + " inputs");
      for (int row = 0; row < d; row++) jac[row * d + col] = (up[row] - down[row]) / (2 * STEP);
    }
    return Linalg.logAbsDet(jac, d);
  }

  public static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  }
}
