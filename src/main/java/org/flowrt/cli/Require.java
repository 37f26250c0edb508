package org.flowrt.cli;

import java.nio.file.Path;

/**
 * Range checks of command-line options, run before any work starts, each naming the option, the
 * rule and the value given (IllegalArgumentException, printed by {@link Main} as one line).
 */
final class Require {
  private Require() {}

  static void atLeast(String option, long value, long min) {
    if (value < min) throw new IllegalArgumentException(option + " must be ≥ " + min + ", got " + value);
  }

  static void between(String option, long value, long min, long max) {
    if (value < min || value > max) throw new IllegalArgumentException(option + " must be in " + min + ".." + max + ", got " + value);
  }

  /** A finite number > 0. */
  static void positive(String option, double value) {
    if (!(value > 0) || !Double.isFinite(value)) throw new IllegalArgumentException(option + " must be a finite number > 0, got " + value);
  }

  /** A finite number ≥ 0. */
  static void nonNegative(String option, double value) {
    if (!(value >= 0) || !Double.isFinite(value)) throw new IllegalArgumentException(option + " must be a finite number ≥ 0, got " + value);
  }

  /** A finite number in [min, max). */
  static void fraction(String option, double value, double min, double max) {
    if (!(value >= min && value < max)) throw new IllegalArgumentException(option + " must be in [" + min + ", " + max + "), got " + value);
  }

  static void path(String option, Path value) {
    if (value == null || value.toString().isBlank()) throw new IllegalArgumentException(option + " must name a file or folder, got an empty path");
  }

  static void oneOf(String option, String value, String... allowed) {
    for (String a : allowed) if (a.equals(value)) return;
    throw new IllegalArgumentException(option + " must be one of " + String.join(", ", allowed) + ", got '" + value + "'");
  }
}
