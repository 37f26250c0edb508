package org.flowrt.glow;

import java.util.Arrays;
import java.util.Locale;

/** The flow step's channel permutation (glow-spec §4). */
public enum Permutation {
  /** Learned 1×1 convolution, W initialized to a random rotation (default). */
  INVCONV("invconv"),
  /** The same, LU-parametrized: W = P·L·(U + diag(sign·exp(log_s))). */
  INVCONV_LU("invconv-lu"),
  /** Channel order reversed (RealNVP). */
  REVERSE("reverse"),
  /** A fixed random permutation. */
  SHUFFLE("shuffle"),
  /** No permutation: the identity order (the RealNVP preset alternates its masks instead). */
  NONE("none");

  private final String cliName;

  Permutation(String cliName) {
    this.cliName = cliName;
  }

  public String cliName() {
    return cliName;
  }

  public static Permutation parse(String text) {
    for (Permutation p : values()) if (p.cliName.equals(text.toLowerCase(Locale.ROOT))) return p;
    throw new IllegalArgumentException("unknown permutation '" + text + "': expected one of "
        + Arrays.stream(values()).map(Permutation::cliName).toList());
  }
}
