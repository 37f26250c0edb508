package org.flowrt.data;

import java.util.SplittableRandom;

/**
 * Pixels to model inputs (glow-spec §1): x = floor(p / 2^(8−nBits)) / nBins − 0.5, plus uniform
 * dequantization noise in [0, 1/nBins) when asked; and back to pixels for pictures.
 */
public final class Preprocess {
  private Preprocess() {}

  public static void toModel(byte[] pixels, int count, int nBits, SplittableRandom noise, float[] out, int offset) {
    int shift = 8 - nBits;
    double bins = 1 << nBits;
    for (int i = 0; i < count; i++) {
      int p = (pixels[i] & 0xff) >> shift;
      double u = noise == null ? 0 : noise.nextDouble() / bins;
      out[offset + i] = (float) (p / bins - 0.5 + u);
    }
  }

  /** Model output → 8-bit pixel: the bin x falls in, scaled back to 0..255. */
  public static int toPixel(float x, int nBits) {
    double bins = 1 << nBits;
    int bin = (int) Math.floor((x + 0.5) * bins);
    bin = Math.max(0, Math.min((int) bins - 1, bin));
    return (int) Math.round(bin * 255.0 / (bins - 1));
  }
}
