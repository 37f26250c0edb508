package org.flowrt.testing;

/** Small float64 dense linear algebra for references and brute-force checks (row-major). */
public final class Linalg {
  private Linalg() {}

  /** log|det A| by LU with partial pivoting. */
  public static double logAbsDet(double[] a, int n) {
    double[] m = a.clone();
    double logAbs = 0;
    for (int j = 0; j < n; j++) {
      int p = j;
      for (int i = j + 1; i < n; i++) if (Math.abs(m[i * n + j]) > Math.abs(m[p * n + j])) p = i;
      if (p != j)
        for (int k = 0; k < n; k++) {
          double t = m[j * n + k];
          m[j * n + k] = m[p * n + k];
          m[p * n + k] = t;
        }
      double pivot = m[j * n + j];
      logAbs += Math.log(Math.abs(pivot));
      for (int i = j + 1; i < n; i++) {
        double f = m[i * n + j] / pivot;
        for (int k = j; k < n; k++) m[i * n + k] -= f * m[j * n + k];
      }
    }
    return logAbs;
  }

  /** A⁻¹ by Gauss–Jordan with partial pivoting. */
  public static double[] inverse(double[] a, int n) {
    double[] m = a.clone();
    double[] inv = new double[n * n];
    for (int i = 0; i < n; i++) inv[i * n + i] = 1;
    for (int j = 0; j < n; j++) {
      int p = j;
      for (int i = j + 1; i < n; i++) if (Math.abs(m[i * n + j]) > Math.abs(m[p * n + j])) p = i;
      swapRows(m, n, j, p);
      swapRows(inv, n, j, p);
      double pivot = m[j * n + j];
      for (int k = 0; k < n; k++) {
        m[j * n + k] /= pivot;
        inv[j * n + k] /= pivot;
      }
      for (int i = 0; i < n; i++) {
        if (i == j) continue;
        double f = m[i * n + j];
        for (int k = 0; k < n; k++) {
          m[i * n + k] -= f * m[j * n + k];
          inv[i * n + k] -= f * inv[j * n + k];
        }
      }
    }
    return inv;
  }

  private static void swapRows(double[] m, int n, int a, int b) {
    if (a == b) return;
    for (int k = 0; k < n; k++) {
      double t = m[a * n + k];
      m[a * n + k] = m[b * n + k];
      m[b * n + k] = t;
    }
  }

  public static double[] toDouble(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) d[i] = f[i];
    return d;
  }
}
