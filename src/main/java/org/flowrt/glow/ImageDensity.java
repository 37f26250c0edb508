package org.flowrt.glow;

import java.util.SplittableRandom;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.data.Preprocess;

/**
 * Per-image densities of 8-bit images under a model (glow-spec §1). With dequantization, uniform
 * noise in [0, 1/nBins) is added to every subpixel, as in training; without it, images sit at the
 * corner of their bin.
 */
public final class ImageDensity {
  private ImageDensity() {}

  /** Images [n, C, H, W] as unsigned bytes → model inputs on the device (caller closes). */
  public static DeviceBuffer upload(Glow model, byte[] pixels, int n, boolean dequantize, long seed) {
    GlowConfig c = model.config();
    long per = c.dimensions();
    if (pixels.length != n * per)
      throw new IllegalArgumentException(pixels.length + " pixel bytes for " + n + " images of " + c.channels() + "×" + c.height() + "×" + c.width());
    float[] x = new float[pixels.length];
    Preprocess.toModel(pixels, pixels.length, c.nBits(), dequantize ? new SplittableRandom(seed) : null, x, 0);
    return model.backend().uploadNew(x);
  }

  /** log p(x) per image in nats, the discrete −D·log(nBins) term included. */
  public static double[] logLikelihood(Glow model, byte[] pixels, int n, boolean dequantize, long seed) {
    try (DeviceBuffer x = upload(model, pixels, n, dequantize, seed)) {
      return model.logLikelihood(x, n);
    }
  }

  /** Bits per dimension per image: −log p(x) / (D·ln 2). */
  public static double[] bitsPerDimension(Glow model, byte[] pixels, int n, boolean dequantize, long seed) {
    double[] lp = logLikelihood(model, pixels, n, dequantize, seed);
    double d = model.config().dimensions() * Math.log(2);
    for (int i = 0; i < n; i++) lp[i] = -lp[i] / d;
    return lp;
  }
}
