package org.flowrt.glow;

import java.util.Arrays;
import org.flowrt.backend.DeviceBuffer;

/**
 * One named parameter tensor: a slice of the model's flat parameter buffer and the matching slice
 * of the flat gradient buffer (so the optimizer updates every parameter in one launch).
 */
public final class Param {
  private final String name;
  private final int[] shape;
  private final long offset;
  private final boolean trainable;
  private DeviceBuffer value;
  private DeviceBuffer grad;

  Param(String name, int[] shape, long offset, boolean trainable) {
    this.name = name;
    this.shape = shape.clone();
    this.offset = offset;
    this.trainable = trainable;
  }

  public String name() {
    return name;
  }

  public int[] shape() {
    return shape.clone();
  }

  public long count() {
    long n = 1;
    for (int d : shape) n *= d;
    return n;
  }

  /** Position of the first element in the store's flat parameter (and gradient) buffer. */
  public long offset() {
    return offset;
  }

  /** False for fixed tensors stored with the model (LU permutation signs); their gradient is ignored. */
  public boolean trainable() {
    return trainable;
  }

  public DeviceBuffer value() {
    return value;
  }

  public DeviceBuffer grad() {
    return grad;
  }

  void bind(DeviceBuffer values, DeviceBuffer grads) {
    value = values.slice(offset, count());
    grad = grads.slice(offset, count());
  }

  @Override
  public String toString() {
    return name + Arrays.toString(shape);
  }
}
