package org.flowrt.glow;

import org.flowrt.ops.CouplingKind;
import org.flowrt.ops.CouplingMask;

/**
 * A Glow model's architecture (glow-spec §3–§5). Defaults follow the spec and the reference code:
 * affine coupling with sigmoid scale, channel mask, invconv, edge bias on, learned top prior,
 * width 512, nBits 8.
 *
 * @param channels image channels (1 grey, 3 RGB)
 * @param height image height; must be divisible by 2^levels
 * @param width image width; must be divisible by 2^levels
 * @param architecture GLOW (default) or the REALNVP preset (see {@link #realnvp})
 * @param classes number of classes of a class-conditional model (glow-spec §5), 0 for unconditional
 * @param yWeight weight of the classifier head's cross-entropy (in bits) in the loss
 */
public record GlowConfig(int channels, int height, int width, int levels, int steps, int hiddenWidth,
    CouplingKind coupling, CouplingMask mask, Permutation permutation, boolean edgeBias, boolean learnTop, int nBits,
    Architecture architecture, int classes, float yWeight) {

  public GlowConfig {
    if (architecture == null) architecture = Architecture.GLOW;  // checkpoints written before the field existed
    if (classes < 0 || classes == 1) throw new IllegalArgumentException("classes must be 0 (unconditional) or ≥ 2, got " + classes);
    if (!(yWeight >= 0)) throw new IllegalArgumentException("the classifier weight must be ≥ 0, got " + yWeight);
    if (channels < 1) throw new IllegalArgumentException("image channels must be ≥ 1, got " + channels);
    if (levels < 1) throw new IllegalArgumentException("levels must be ≥ 1, got " + levels);
    if (steps < 1) throw new IllegalArgumentException("steps per level must be ≥ 1, got " + steps);
    if (hiddenWidth < 1) throw new IllegalArgumentException("coupling network width must be ≥ 1, got " + hiddenWidth);
    if (nBits < 1 || nBits > 8) throw new IllegalArgumentException("nBits must be in 1..8, got " + nBits);
    int factor = 1 << levels;
    if (height % factor != 0 || width % factor != 0)
      throw new IllegalArgumentException("image size " + height + "×" + width + " is not divisible by 2^L = " + factor
          + " (L = " + levels + " levels squeeze by 2 each): pad or resize the images, or use fewer levels");
    if (height < 1 || width < 1) throw new IllegalArgumentException("empty image size " + height + "×" + width);
  }

  /** The spec's defaults for an image of the given size. */
  public static GlowConfig defaults(int channels, int height, int width, int levels, int steps) {
    return new GlowConfig(channels, height, width, levels, steps, 512, CouplingKind.AFFINE_SIGMOID, CouplingMask.CHANNEL,
        Permutation.INVCONV, true, true, 8, Architecture.GLOW, 0, 0f);
  }

  /**
   * The RealNVP preset: `couplings` checkerboard and `couplings` channel-wise affine couplings per
   * scale (the paper uses 3), exp(tanh) scales, no permutation, learned top prior off (the paper's
   * prior is a fixed standard normal).
   */
  public static GlowConfig realnvp(int channels, int height, int width, int scales, int couplings, int hiddenWidth) {
    return new GlowConfig(channels, height, width, scales, couplings, hiddenWidth, CouplingKind.AFFINE_TANH,
        CouplingMask.CHECKERBOARD, Permutation.NONE, true, false, 8, Architecture.REALNVP, 0, 0f);
  }

  public GlowConfig withWidth(int w) {
    return new GlowConfig(channels, height, width, levels, steps, w, coupling, mask, permutation, edgeBias, learnTop, nBits, architecture, classes, yWeight);
  }

  public GlowConfig withSteps(int k) {
    return new GlowConfig(channels, height, width, levels, k, hiddenWidth, coupling, mask, permutation, edgeBias, learnTop, nBits, architecture, classes, yWeight);
  }

  public GlowConfig withPermutation(Permutation p) {
    return new GlowConfig(channels, height, width, levels, steps, hiddenWidth, coupling, mask, p, edgeBias, learnTop, nBits, architecture, classes, yWeight);
  }

  public GlowConfig withCoupling(CouplingKind k, CouplingMask m) {
    return new GlowConfig(channels, height, width, levels, steps, hiddenWidth, k, m, permutation, edgeBias, learnTop, nBits, architecture, classes, yWeight);
  }

  /** A class-conditional version: prior embedding and classifier head for `k` classes (glow-spec §5). */
  public GlowConfig withClasses(int k, float weightY) {
    return new GlowConfig(channels, height, width, levels, steps, hiddenWidth, coupling, mask, permutation, edgeBias, learnTop,
        nBits, architecture, k, weightY);
  }

  public boolean conditional() {
    return classes > 0;
  }

  /** Dimensions per image D = C·H·W. */
  public long dimensions() {
    return (long) channels * height * width;
  }

  public int bins() {
    return 1 << nBits;
  }
}
