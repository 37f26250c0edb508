package org.flowrt.reference;

import org.flowrt.ops.Nchw;
import org.flowrt.ops.PriorLayout;

/** float64 reference of cuda/prior.cu (glow-spec §1, §5). */
public final class PriorRef {
  private PriorRef() {}

  public static int meanIndex(PriorLayout layout, Nchw s, int n, int c, int p) {
    return layout == PriorLayout.INTERLEAVED ? (n * 2 * s.c() + 2 * c) * s.hw() + p : (n * 2 * s.c() + c) * s.hw() + p;
  }

  public static int logsIndex(PriorLayout layout, Nchw s, int n, int c, int p) {
    return layout == PriorLayout.INTERLEAVED ? meanIndex(layout, s, n, c, p) + s.hw() : meanIndex(layout, s, n, c, p) + s.c() * s.hw();
  }

  public static double[] logp(double[] z, double[] h, PriorLayout layout, Nchw s) {
    double[] out = new double[s.n()];
    for (int n = 0; n < s.n(); n++)
      for (int c = 0; c < s.c(); c++)
        for (int p = 0; p < s.hw(); p++) {
          double mean = h[meanIndex(layout, s, n, c, p)], logs = h[logsIndex(layout, s, n, c, p)];
          double d = z[(n * s.c() + c) * s.hw() + p] - mean;
          out[n] += -0.5 * (Math.log(2 * Math.PI) + 2 * logs + d * d * Math.exp(-2 * logs));
        }
    return out;
  }
}
