package org.flowrt.reference;

/** float64 references of planar, radial and dense layers on vectors [N, d]. */
public final class ClassicFlowRef {
  private ClassicFlowRef() {}

  static double softplus(double x) {
    return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
  }

  public static double[] planarUHat(double[] w, double[] u) {
    double wu = 0, ww = 0;
    for (int i = 0; i < w.length; i++) {
      wu += w[i] * u[i];
      ww += w[i] * w[i];
    }
    double c = (-1 + softplus(wu) - wu) / ww;
    double[] out = new double[w.length];
    for (int i = 0; i < w.length; i++) out[i] = u[i] + c * w[i];
    return out;
  }

  /** y (first N·d values) and logdet (last N values). */
  public static double[] planar(double[] z, double[] w, double[] u, double b, int n, int d) {
    double[] uh = planarUHat(w, u);
    double wu = 0;
    for (int i = 0; i < d; i++) wu += w[i] * uh[i];
    double[] out = new double[n * d + n];
    for (int s = 0; s < n; s++) {
      double a = b;
      for (int i = 0; i < d; i++) a += w[i] * z[s * d + i];
      double t = Math.tanh(a);
      for (int i = 0; i < d; i++) out[s * d + i] = z[s * d + i] + uh[i] * t;
      out[n * d + s] = Math.log(Math.abs(1 + (1 - t * t) * wu));
    }
    return out;
  }

  public static double[] radial(double[] z, double[] z0, double alphaHat, double betaHat, int n, int d) {
    double alpha = softplus(alphaHat), beta = -alpha + softplus(betaHat);
    double[] out = new double[n * d + n];
    for (int s = 0; s < n; s++) {
      double rr = 0;
      for (int i = 0; i < d; i++) rr += (z[s * d + i] - z0[i]) * (z[s * d + i] - z0[i]);
      double r = Math.sqrt(rr), h = 1 / (alpha + r), dh = -h * h;
      for (int i = 0; i < d; i++) out[s * d + i] = z[s * d + i] + beta * h * (z[s * d + i] - z0[i]);
      out[n * d + s] = (d - 1) * Math.log(1 + beta * h) + Math.log(1 + beta * h + beta * dh * r);
    }
    return out;
  }

  /** act(W·x + b) for x [n, in], W [out, in]; act 0 identity, 1 ReLU, 2 tanh. */
  public static double[] dense(double[] x, double[] w, double[] b, int act, int n, int in, int out) {
    double[] y = new double[n * out];
    for (int s = 0; s < n; s++)
      for (int o = 0; o < out; o++) {
        double v = b[o];
        for (int i = 0; i < in; i++) v += w[o * in + i] * x[s * in + i];
        y[s * out + o] = act == 1 ? Math.max(0, v) : act == 2 ? Math.tanh(v) : v;
      }
    return y;
  }
}
