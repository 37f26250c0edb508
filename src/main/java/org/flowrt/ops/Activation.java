package org.flowrt.ops;

import org.flowrt.backend.KernelCode;

/** Activations of the dense layers (codes match cuda/dense.cu). */
public enum Activation implements KernelCode {
  IDENTITY(0),
  RELU(1),
  TANH(2);

  private final int code;

  Activation(int code) {
    this.code = code;
  }

  @Override
  public int code() {
    return code;
  }
}
