package org.flowrt.reference;

import org.flowrt.ops.Nchw;
import org.flowrt.testing.Linalg;

/** float64 reference of cuda/invconv.cu. */
public final class InvConvRef {
  private InvConvRef() {}

  /** y[n,c,p] = Σ_k w[c,k]·x[n,k,p]. */
  public static double[] forward(double[] x, double[] w, Nchw s) {
    int C = s.c(), HW = s.hw();
    double[] y = new double[x.length];
    for (int n = 0; n < s.n(); n++)
      for (int c = 0; c < C; c++)
        for (int p = 0; p < HW; p++) {
          double acc = 0;
          for (int k = 0; k < C; k++) acc += w[c * C + k] * x[(n * C + k) * HW + p];
          y[(n * C + c) * HW + p] = acc;
        }
    return y;
  }

  public static double logdet(double[] w, Nchw s) {
    return s.hw() * Linalg.logAbsDet(w, s.c());
  }

  /** W = P·L·(U + diag(sign·exp(logS))) with P[r, perm[r]] = 1. */
  public static double[] luCompose(int[] perm, double[] lower, double[] upper, double[] sign, double[] logS, int C) {
    double[] m = new double[C * C];
    for (int i = 0; i < C; i++)
      for (int k = 0; k < C; k++) {
        double s = 0;
        for (int j = 0; j <= Math.min(i, k); j++) {
          double l = i == j ? 1 : lower[i * C + j];
          double u = j == k ? sign[j] * Math.exp(logS[j]) : upper[j * C + k];
          s += l * u;
        }
        m[i * C + k] = s;
      }
    double[] w = new double[C * C];
    for (int r = 0; r < C; r++) System.arraycopy(m, perm[r] * C, w, r * C, C);
    return w;
  }
}
