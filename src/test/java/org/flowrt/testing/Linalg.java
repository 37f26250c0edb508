package org.flowrt.testing;

import java.util.Random;

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

  /** Q of the QR decomposition (Gram–Schmidt) of a standard normal n×n matrix. */
  public static double[] randomRotation(int n, Random random) {
    double[] a = new double[n * n];
    for (int i = 0; i < n * n; i++) a[i] = random.nextGaussian();
    double[] q = new double[n * n];
    for (int col = 0; col < n; col++) {
      double[] v = new double[n];
      for (int i = 0; i < n; i++) v[i] = a[i * n + col];
      for (int prev = 0; prev < col; prev++) {
        double dot = 0;
        for (int i = 0; i < n; i++) dot += v[i] * q[i * n + prev];
        for (int i = 0; i < n; i++) v[i] -= dot * q[i * n + prev];
      }
      double norm = 0;
      for (double x : v) norm += x * x;
      norm = Math.sqrt(norm);
      for (int i = 0; i < n; i++) q[i * n + col] = v[i] / norm;
    }
    return q;
  }

  public static double[] toDouble(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) d[i] = f[i];
    return d;
  }
}
