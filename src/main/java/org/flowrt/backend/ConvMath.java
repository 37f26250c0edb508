package org.flowrt.backend;

/** Which arithmetic a GPU backend lets its convolution library use for float32 tensors. */
public enum ConvMath {
  /**
   * Float32 multiply-adds (cuDNN's CUDNN_FMA_MATH): GPU convolutions match the float64 references
   * as closely as the CPU backend's do. The default.
   */
  FP32,
  /**
   * TensorFloat-32 tensor cores where cuDNN finds them faster (CUDNN_DEFAULT_MATH on Ampere and
   * later): inputs rounded to a 10-bit mantissa, products summed in float32. PyTorch's default for
   * convolutions ({@code torch.backends.cudnn.allow_tf32}); relative errors near 1e-3, so the
   * float32 tolerances of the kernel suites do not hold.
   */
  TF32
}
