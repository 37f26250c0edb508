package org.flowrt.backend.cpu;

import java.util.Locale;

/**
 * The order in which the threads of a block take turns between two barriers in the GPU-geometry
 * host build (the codes match enum FiberOrder in fiber_runtime.h). A kernel whose result depends on
 * it has a race: a missing barrier or an unsynchronized write to shared memory.
 */
public enum FiberOrder {
  ASCENDING(0),
  DESCENDING(1),
  /** A seeded shuffle, different for every block and phase. */
  SHUFFLED(2);

  /** System property choosing the order of the GPU-geometry CPU backend's tests. */
  public static final String PROPERTY = "flowrt.fiberOrder";

  private final int code;

  FiberOrder(int code) {
    this.code = code;
  }

  int code() {
    return code;
  }

  public static FiberOrder parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown fiber order '" + text + "': expected ascending, descending or shuffled");
    }
  }
}
