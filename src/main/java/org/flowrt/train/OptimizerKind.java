package org.flowrt.train;

import java.util.Locale;

/** Adamax is the spec's default (glow-spec §6); Adam is the option. */
public enum OptimizerKind {
  ADAMAX,
  ADAM;

  public static OptimizerKind parse(String s) {
    try {
      return valueOf(s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown optimizer '" + s + "': expected adamax or adam");
    }
  }
}
