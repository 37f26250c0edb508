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

  /**
   * Inference only (no backward follows, so nothing is kept for one): y = x ⋆ w, or with a bias
   * [O] y = ReLU(x ⋆ w + bias), the coupling network's hidden layer with its actnorm folded into w
   * and bias. x and y lie in the given layouts. The bias and ReLU are only taken by a plan that
   * {@link #fusesBiasRelu fuses them}; for the others the caller adds them.
   */
  void inferenceForward(DeviceBuffer x, ActivationLayout xLayout, DeviceBuffer w, DeviceBuffer bias, DeviceBuffer y,
      ActivationLayout yLayout);

  /** Whether {@link #inferenceForward} applies a bias and ReLU within the convolution. */
  default boolean fusesBiasRelu() {
    return false;
  }

  /** Checks the three buffers' sizes against the shape (all float32). */
  default void checkBuffers(DeviceBuffer x, DeviceBuffer w, DeviceBuffer y) {
    ConvShape s = shape();
    x.require(DType.F32, s.inputCount(), "convolution input " + s);
    w.require(DType.F32, s.weightCount(), "convolution weights " + s);
    y.require(DType.F32, s.outputCount(), "convolution output " + s);
  }
}
