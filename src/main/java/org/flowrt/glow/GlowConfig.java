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
    if (!(yWeight >= 0) || !Float.isFinite(yWeight)) throw new IllegalArgumentException("the classifier weight must be finite and ≥ 0, got " + yWeight);
    if (classes == 0 && yWeight != 0)
      throw new IllegalArgumentException("the classifier weight is " + yWeight + " but the model is not class-conditional (it must be 0)");
    if (channels < 1 || channels > MAX_CHANNELS) throw new IllegalArgumentException("image channels must be in 1.." + MAX_CHANNELS + ", got " + channels);
    if (height < 1 || width < 1 || height > MAX_SIDE || width > MAX_SIDE)
      throw new IllegalArgumentException("image size " + height + "×" + width + " is out of range: each side must be in 1.." + MAX_SIDE);
    int maxLevels = 31 - Integer.numberOfLeadingZeros(Math.min(height, width));  // floor(log2(min side))
    if (levels < 1 || levels > maxLevels)
      throw new IllegalArgumentException("levels L = " + levels + " is invalid for a " + height + "×" + width + " image: L must be in 1.."
          + maxLevels + " (each level halves the image side)");
    if (steps < 1 || steps > MAX_STEPS) throw new IllegalArgumentException("steps per level must be in 1.." + MAX_STEPS + ", got " + steps);
    if (hiddenWidth < 1 || hiddenWidth > MAX_HIDDEN_WIDTH)
      throw new IllegalArgumentException("coupling network width must be in 1.." + MAX_HIDDEN_WIDTH + ", got " + hiddenWidth);
    if (nBits < 1 || nBits > 8) throw new IllegalArgumentException("nBits must be in 1..8, got " + nBits);
    if (classes > MAX_CLASSES) throw new IllegalArgumentException("classes must be at most " + MAX_CLASSES + ", got " + classes);
    if (coupling == null || mask == null || permutation == null) throw new IllegalArgumentException("coupling, mask and permutation must be given");
    int factor = 1 << levels;
    if (height % factor != 0 || width % factor != 0)
      throw new IllegalArgumentException("image size " + height + "×" + width + " is not divisible by 2^L = " + factor
          + " (L = " + levels + " levels squeeze by 2 each): pad or resize the images, or use fewer levels");
    long largest = largestTensor(channels, levels, hiddenWidth, classes);
    if (largest > Integer.MAX_VALUE - 8)
      throw new IllegalArgumentException("model too large: its largest weight tensor would hold " + largest
          + " values, more than one array can (" + (Integer.MAX_VALUE - 8) + "); use fewer levels, channels or a smaller width");
  }

  static final int MAX_CHANNELS = 64;
  static final int MAX_SIDE = 1 << 15;
  static final int MAX_STEPS = 1 << 12;
  static final int MAX_HIDDEN_WIDTH = 1 << 15;
  static final int MAX_CLASSES = 1 << 16;

  /**
   * The element count of the largest weight tensor, in long arithmetic so that no size a corrupt
   * file or a typo asks for can overflow: the deepest level has C = channels·2^(L+1) channels; its
   * coupling convolutions are width×2C×3×3 at most, the hidden 1×1 is width², the top prior
   * (2C)²×3×3 and the class embedding 2C×classes.
   */
  static long largestTensor(int channels, int levels, int hiddenWidth, int classes) {
    long c = (long) channels << (levels + 1);
    long conv = 2 * c * hiddenWidth * 9;
    long top = 4 * c * c * 9;
    return Math.max(Math.max(conv, (long) hiddenWidth * hiddenWidth), Math.max(top, 2 * c * classes));
  }

  /**
   * A config from its JSON form (checkpoint metadata): every field present and of its type, no
   * unknown fields, values in range. Fields added after the first format default as they did then.
   */
  public static GlowConfig fromJson(String json) {
    return org.flowrt.io.StrictJson.parse(json, GlowConfig.class,
        java.util.Map.of("architecture", Architecture.GLOW, "classes", 0, "yWeight", 0f));
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
