package org.flowrt.glow;

/** The multi-scale layout of the image model. */
public enum Architecture {
  /**
   * Glow (glow-spec §3): per level, squeeze → K steps (actnorm, permutation, coupling with the
   * configured mask) → split; the last level has no split.
   */
  GLOW,
  /**
   * RealNVP (Dinh et al. 2017, §3.6): per scale, K checkerboard affine couplings (alternating
   * masks) → squeeze → K channel-wise affine couplings (alternating halves) → factor out half; the
   * last scale has K + 1 checkerboard couplings. Couplings use RealNVP's exp(tanh) scale; the
   * paper's batch normalization is replaced by actnorm, and there is no permutation.
   */
  REALNVP
}
