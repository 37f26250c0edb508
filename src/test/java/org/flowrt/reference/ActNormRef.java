package org.flowrt.reference;

import org.flowrt.ops.Nchw;

/** float64 reference of cuda/actnorm.cu (glow-spec §4). */
public final class ActNormRef {
  private ActNormRef() {}

  public static double[] forward(double[] x, double[] bias, double[] logs, double k, boolean relu, Nchw s) {
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      int c = (int) ((i / s.hw()) % s.c());
      double v = (x[i] + bias[c]) * Math.exp(k * logs[c]);
      y[i] = relu && v < 0 ? 0 : v;
    }
    return y;
  }

  /** Per-sample logdet: H·W·k·Σ logs (the same for every sample). */
  public static double logdet(double[] logs, double k, Nchw s) {
    double sum = 0;
    for (double l : logs) sum += l;
    return (double) s.hw() * k * sum;
  }

  /** {bias, storedLogs} from data-dependent init. */
  public static double[][] init(double[] x, Nchw s, double k) {
    double[] bias = new double[s.c()], logs = new double[s.c()];
    long count = (long) s.n() * s.hw();
    for (int c = 0; c < s.c(); c++) {
      double sum = 0;
      for (int n = 0; n < s.n(); n++) for (int p = 0; p < s.hw(); p++) sum += x[(n * s.c() + c) * s.hw() + p];
      double mean = sum / count, sq = 0;
      for (int n = 0; n < s.n(); n++)
        for (int p = 0; p < s.hw(); p++) {
          double d = x[(n * s.c() + c) * s.hw() + p] - mean;
          sq += d * d;
        }
      bias[c] = -mean;
      logs[c] = Math.log(1 / (Math.sqrt(sq / count) + 1e-6)) / k;
    }
    return new double[][] {bias, logs};
  }
}
