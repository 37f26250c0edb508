package org.flowrt.backend;

/** Element types a device buffer can hold. */
public enum DType {
  F32(4),
  F64(8),
  I32(4);

  private final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  public int bytes() {
    return bytes;
  }
}
