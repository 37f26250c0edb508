package org.flowrt.backend;

/** How the activations a convolution reads or writes lie in memory. */
public enum ActivationLayout {
  /** [N, C, H, W]: what every kernel in cuda/ reads and writes. */
  NCHW,
  /**
   * oneDNN's nChw8c, [N, C/8, H, W, 8] with C a multiple of 8 (so the same element count as NCHW):
   * the layout its AVX2 convolutions run in and fuse a bias and ReLU into at no cost. Only
   * convolutions read and write it: the coupling network's hidden activations when no backward
   * follows ({@link Convolution#inferenceForward}).
   */
  BLOCKED_8;

  /** Rejects `channels`-channel activations (`what`) that this layout cannot hold. */
  public void requireFits(int channels, String what) {
    if (this == BLOCKED_8 && channels % 8 != 0)
      throw new IllegalArgumentException(what + ": " + channels + " channels do not fill the 8-channel blocks of " + this);
  }
}
