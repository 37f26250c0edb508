package org.flowrt.glow;

import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;

/**
 * Looks at each layer's output during a diagnostic pass and stops at the first non-finite value,
 * so that a NaN or infinite result can be blamed on the layer that made it. Passes run without a
 * probe (null) normally: checking means copying every activation off the device.
 */
final class LayerProbe {
  /** Thrown by {@link #after} to end the diagnostic pass at the first bad layer. */
  static final class Found extends RuntimeException {
    final String layer;

    Found(String layer) {
      super(layer, null, false, false);
      this.layer = layer;
    }
  }

  private final Backend be;

  LayerProbe(Backend be) {
    this.be = be;
  }

  /** Checks a layer's output and the running log-density / log-determinant (either may be null). */
  void after(String layer, DeviceBuffer output, DeviceBuffer logdet) {
    be.synchronize();
    if (output != null && output.type() == DType.F32)
      for (float v : be.downloadFloats(output)) if (!Float.isFinite(v)) throw new Found(layer + " (output " + v + ")");
    if (logdet != null)
      for (double v : be.downloadDoubles(logdet)) if (!Double.isFinite(v)) throw new Found(layer + " (log-density " + v + ")");
  }
}
