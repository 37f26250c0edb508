package org.flowrt.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.flowrt.backend.Backend;
import org.flowrt.backend.ConvTaps;
import org.flowrt.backend.ConvTaps.Side;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.testing.Check;
import org.flowrt.testing.Rand;
import org.junit.jupiter.api.Test;

/**
 * cuda/conv_taps.cu against index-by-index float64 references, on seeded random inputs and awkward
 * shapes (batch 1, odd sizes, 1-pixel images, kernel 5), both shift signs; gather and spread as
 * each other's adjoint; and the weight transpose.
 */
public abstract class ConvTapsSuite extends OpSuite {
  protected ConvTapsSuite(Backend be) {
    super(be);
  }

  /** {n, c, h, w, k}. */
  static final int[][] SHAPES = {{1, 1, 1, 1, 3}, {2, 3, 5, 4, 3}, {1, 2, 7, 3, 5}, {3, 5, 2, 6, 3}, {1, 4, 4, 4, 1}};

  static double[] gatherRef(double[] t, int n, int c, int h, int w, int k, int sign) {
    int kk = k * k, p = k / 2;
    double[] y = new double[n * c * h * w];
    for (int b = 0; b < n; b++)
      for (int ch = 0; ch < c; ch++)
        for (int i = 0; i < h; i++)
          for (int j = 0; j < w; j++) {
            double acc = 0;
            for (int ky = 0; ky < k; ky++)
              for (int kx = 0; kx < k; kx++) {
                int si = i + sign * (ky - p), sj = j + sign * (kx - p);
                if (si >= 0 && si < h && sj >= 0 && sj < w) acc += t[(((b * c + ch) * kk + ky * k + kx) * h + si) * w + sj];
              }
            y[((b * c + ch) * h + i) * w + j] = acc;
          }
    return y;
  }

  static double[] spreadRef(double[] y, int n, int c, int h, int w, int k, int sign) {
    int kk = k * k, p = k / 2;
    double[] t = new double[n * c * kk * h * w];
    for (int b = 0; b < n; b++)
      for (int ch = 0; ch < c; ch++)
        for (int tap = 0; tap < kk; tap++)
          for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++) {
              int si = i - sign * (tap / k - p), sj = j - sign * (tap % k - p);
              if (si >= 0 && si < h && sj >= 0 && sj < w) t[(((b * c + ch) * kk + tap) * h + i) * w + j] = y[((b * c + ch) * h + si) * w + sj];
            }
    return t;
  }

  // Data movement is exact; a gather adds ≤ K² float32 values in the reference's order (tap by tap),
  // so it is exact up to float32 rounding of ≤ 25 O(1) terms: 1e-6 relative and absolute.
  @Test
  void gatherAndSpreadMatchTheirReferences() {
    Rand r = new Rand(71);
    for (int[] s : SHAPES)
      for (Side side : Side.values()) {
        int n = s[0], c = s[1], h = s[2], w = s[3], k = s[4], kk = k * k;
        float[] t = r.normal((long) n * c * kk * h * w, 1), y = r.normal((long) n * c * h * w, 1);
        DeviceBuffer gathered = floats((long) n * c * h * w), spread = floats((long) n * c * kk * h * w);
        ConvTaps.gather(be, up(t), n, c, h, w, k, side, gathered);
        ConvTaps.spread(be, up(y), n, c, h, w, k, side, spread);
        String what = side + " " + java.util.Arrays.toString(s);
        Check.close("taps gather " + what, gatherRef(d(t), n, c, h, w, k, side.code()), down(gathered), 1e-6, 1e-6);
        Check.close("taps spread " + what, spreadRef(d(y), n, c, h, w, k, side.code()), down(spread), 0, 0);
      }
  }

  @Test
  void spreadIsTheAdjointOfGather() {
    // <gather(t), y> = <t, spread(y)>: each is the other's gradient, which the convolution relies on.
    Rand r = new Rand(72);
    int n = 2, c = 3, h = 5, w = 4, k = 3;
    for (Side side : Side.values()) {
      float[] t = r.normal((long) n * c * 9 * h * w, 1), y = r.normal((long) n * c * h * w, 1);
      DeviceBuffer g = floats((long) n * c * h * w), sp = floats((long) n * c * 9 * h * w);
      ConvTaps.gather(be, up(t), n, c, h, w, k, side, g);
      ConvTaps.spread(be, up(y), n, c, h, w, k, side, sp);
      double left = dot(d(down(g)), d(y)), right = dot(d(t), d(down(sp)));
      assertEquals(left, right, 1e-4 * (1 + Math.abs(left)), side.toString());
    }
  }

  @Test
  void transposeSwapsTheLastTwoAxes() {
    Rand r = new Rand(73);
    int b = 3, rows = 5, cols = 9;
    float[] x = r.normal((long) b * rows * cols, 1);
    DeviceBuffer y = floats(x.length);
    ConvTaps.transpose(be, up(x), b, rows, cols, y);
    double[] ref = new double[x.length];
    for (int i = 0; i < b; i++)
      for (int j = 0; j < rows; j++)
        for (int l = 0; l < cols; l++) ref[(i * cols + l) * rows + j] = x[(i * rows + j) * cols + l];
    Check.close("batched transpose", ref, down(y), 0, 0);
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  }
}
