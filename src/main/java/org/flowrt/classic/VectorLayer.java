package org.flowrt.classic;

import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;

/**
 * A layer of a flow on vectors [N, d]. Each layer says in which directions its map has a closed
 * form ({@link #evaluates}) and in which it also has gradients ({@link #trains}).
 */
interface VectorLayer {
  String describe();

  boolean evaluates(Direction direction);

  boolean trains(Direction direction);

  /** y = map(x) in the direction (new buffer); logdet[n] += log|det ∂y/∂x|. */
  DeviceBuffer apply(Backend be, Direction direction, DeviceBuffer x, int n, DeviceBuffer logdet);

  /**
   * Gradients of Σ g·y + Σ q·logdet through {@link #apply}: returns dx (new buffer) and writes the
   * layer's parameter gradients.
   */
  DeviceBuffer backward(Backend be, Direction direction, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy,
      DeviceBuffer dlogdet, int n);

  /** Optional data-dependent init on the first batch (actnorm). */
  default void initialize(Backend be, DeviceBuffer x, int n) {}
}
