package org.flowrt.glow;

import java.util.Random;

/** Initial parameter values of glow-spec §4, from one seeded generator. */
public final class Init {
  private Init() {}

  static float[] zeros(long n) {
    return new float[Math.toIntExact(n)];
  }

  static float[] normal(Random r, long n, double std) {
    float[] v = new float[Math.toIntExact(n)];
    for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * std);
    return v;
  }

  /** Q of the QR decomposition of a standard normal C×C matrix (modified Gram–Schmidt on columns). */
  public static double[] rotation(Random r, int c) {
    double[] a = new double[c * c];
    for (int i = 0; i < a.length; i++) a[i] = r.nextGaussian();
    double[] q = new double[c * c];
    for (int col = 0; col < c; col++) {
      double[] v = new double[c];
      for (int i = 0; i < c; i++) v[i] = a[i * c + col];
      for (int prev = 0; prev < col; prev++) {
        double dot = 0;
        for (int i = 0; i < c; i++) dot += v[i] * q[i * c + prev];
        for (int i = 0; i < c; i++) v[i] -= dot * q[i * c + prev];
      }
      double norm = 0;
      for (double x : v) norm += x * x;
      norm = Math.sqrt(norm);
      for (int i = 0; i < c; i++) q[i * c + col] = v[i] / norm;
    }
    return q;
  }

  /** LU with partial pivoting of a C×C matrix: W = P·L·U with P[r, perm[r]] = 1. */
  record Lu(int[] perm, double[] lower, double[] upper, double[] sign, double[] logS) {}

  static Lu lu(double[] w, int c) {
    double[] m = w.clone();
    int[] order = new int[c];
    for (int i = 0; i < c; i++) order[i] = i;
    for (int j = 0; j < c; j++) {
      int p = j;
      for (int i = j + 1; i < c; i++) if (Math.abs(m[i * c + j]) > Math.abs(m[p * c + j])) p = i;
      if (p != j) {
        for (int k = 0; k < c; k++) {
          double t = m[j * c + k];
          m[j * c + k] = m[p * c + k];
          m[p * c + k] = t;
        }
        int t = order[j];
        order[j] = order[p];
        order[p] = t;
      }
      for (int i = j + 1; i < c; i++) {
        m[i * c + j] /= m[j * c + j];
        for (int k = j + 1; k < c; k++) m[i * c + k] -= m[i * c + j] * m[j * c + k];
      }
    }
    // Row i of L·U is row order[i] of W, so W's row r is row perm[r] of L·U with perm = order⁻¹.
    int[] perm = new int[c];
    for (int i = 0; i < c; i++) perm[order[i]] = i;
    double[] lower = new double[c * c], upper = new double[c * c], sign = new double[c], logS = new double[c];
    for (int i = 0; i < c; i++)
      for (int k = 0; k < c; k++) {
        if (k < i) lower[i * c + k] = m[i * c + k];
        else if (k > i) upper[i * c + k] = m[i * c + k];
        else {
          sign[i] = Math.signum(m[i * c + i]);
          logS[i] = Math.log(Math.abs(m[i * c + i]));
        }
      }
    return new Lu(perm, lower, upper, sign, logS);
  }

  /** The reversed order of 0..c−1, or a seeded Fisher–Yates shuffle of it. */
  public static int[] permutation(int c, boolean shuffle, Random random) {
    return permutation(c, shuffle ? Permutation.SHUFFLE : Permutation.REVERSE, random);
  }

  /** The fixed channel order of a non-learned permutation: identity (NONE), reversed, or shuffled. */
  static int[] permutation(int c, Permutation kind, Random random) {
    boolean shuffle = kind == Permutation.SHUFFLE;
    int[] p = new int[c];
    for (int i = 0; i < c; i++) p[i] = kind == Permutation.REVERSE ? c - 1 - i : i;
    if (shuffle)
      for (int i = c - 1; i > 0; i--) {
        int j = random.nextInt(i + 1), t = p[i];
        p[i] = p[j];
        p[j] = t;
      }
    return p;
  }

  static float[] toFloat(double[] v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
    return f;
  }
}
