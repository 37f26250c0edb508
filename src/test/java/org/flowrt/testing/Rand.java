package org.flowrt.testing;

import java.util.Random;

/** Seeded random test data (never zeros): normal or uniform values, as float32-representable doubles. */
public final class Rand {
  private final Random random;

  public Rand(long seed) {
    random = new Random(seed);
  }

  /** Normal(0, scale²) values, rounded to float so the backend and the reference see the same inputs. */
  public float[] normal(long n, double scale) {
    float[] out = new float[Math.toIntExact(n)];
    for (int i = 0; i < out.length; i++) out[i] = (float) (random.nextGaussian() * scale);
    return out;
  }

  public float[] uniform(long n, double lo, double hi) {
    float[] out = new float[Math.toIntExact(n)];
    for (int i = 0; i < out.length; i++) out[i] = (float) (lo + (hi - lo) * random.nextDouble());
    return out;
  }

  public double[] normalDoubles(int n, double scale) {
    double[] out = new double[n];
    for (int i = 0; i < n; i++) out[i] = random.nextGaussian() * scale;
    return out;
  }

  public int[] permutation(int n) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) p[i] = i;
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** A well-conditioned, non-orthogonal C×C matrix: a random rotation plus a small perturbation. */
  public float[] invertibleMatrix(int c, double perturbation) {
    double[] q = org.flowrt.glow.Init.rotation(random, c);
    float[] out = new float[c * c];
    for (int i = 0; i < c * c; i++) out[i] = (float) (q[i] + perturbation * random.nextGaussian() / Math.sqrt(c));
    return out;
  }

  public Random random() {
    return random;
  }
}
