package org.flowrt.backend;

/**
 * A convolution plan for one {@link ConvShape}, built once (algorithm, workspace) and cached by the
 * backend. All three passes overwrite their output.
 */
public interface Convolution {
  ConvShape shape();

  /** y = x ⋆ w. */
  void forward(DeviceBuffer x, DeviceBuffer w, DeviceBuffer y);

  /** dx = ∂(Σ dy·y)/∂x. */
  void backwardData(DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx);

  /** dw = ∂(Σ dy·y)/∂w. */
  void backwardFilter(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw);

  /** Checks the three buffers' sizes against the shape (all float32). */
  default void checkBuffers(DeviceBuffer x, DeviceBuffer w, DeviceBuffer y) {
    ConvShape s = shape();
    x.require(DType.F32, s.inputCount(), "convolution input " + s);
    w.require(DType.F32, s.weightCount(), "convolution weights " + s);
    y.require(DType.F32, s.outputCount(), "convolution output " + s);
  }
}
