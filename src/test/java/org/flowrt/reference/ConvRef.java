package org.flowrt.reference;

import org.flowrt.backend.ConvShape;

/**
 * float64 'same' convolution, optionally with Glow's edge-bias channel built the literal way: the
 * input padded explicitly, plus one channel that is 0 inside and 1 in the padding.
 */
public final class ConvRef {
  private ConvRef() {}

  /** y = conv(x, w) [+ edge channel with weights wEdge [O, 1, k, k]]; wEdge may be null. */
  public static double[] forward(double[] x, double[] w, double[] wEdge, ConvShape s) {
    int N = s.batch(), Ci = s.inChannels(), H = s.height(), W = s.width(), O = s.outChannels(), K = s.kernelSize();
    int P = s.padding();
    double[] y = new double[(int) s.outputCount()];
    for (int n = 0; n < N; n++)
      for (int o = 0; o < O; o++)
        for (int i = 0; i < H; i++)
          for (int j = 0; j < W; j++) {
            double acc = 0;
            for (int kh = 0; kh < K; kh++)
              for (int kw = 0; kw < K; kw++) {
                int a = i + kh - P, b = j + kw - P;
                boolean inside = a >= 0 && a < H && b >= 0 && b < W;
                if (inside)
                  for (int c = 0; c < Ci; c++) acc += w[((o * Ci + c) * K + kh) * K + kw] * x[((n * Ci + c) * H + a) * W + b];
                else if (wEdge != null) acc += wEdge[(o * K + kh) * K + kw];
              }
            y[((n * O + o) * H + i) * W + j] = acc;
          }
    return y;
  }
}
