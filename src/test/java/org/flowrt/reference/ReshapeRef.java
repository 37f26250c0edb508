package org.flowrt.reference;

import org.flowrt.ops.Nchw;

/** Index-by-index reference of squeeze (glow-spec §2). */
public final class ReshapeRef {
  private ReshapeRef() {}

  public static float[] squeeze(float[] x, Nchw s) {
    int H2 = s.h() / 2, W2 = s.w() / 2;
    float[] y = new float[x.length];
    for (int n = 0; n < s.n(); n++)
      for (int c = 0; c < s.c(); c++)
        for (int dy = 0; dy < 2; dy++)
          for (int dx = 0; dx < 2; dx++)
            for (int i = 0; i < H2; i++)
              for (int j = 0; j < W2; j++) {
                int oc = c * 4 + 2 * dy + dx;
                y[((n * 4 * s.c() + oc) * H2 + i) * W2 + j] = x[((n * s.c() + c) * s.h() + 2 * i + dy) * s.w() + 2 * j + dx];
              }
    return y;
  }
}
