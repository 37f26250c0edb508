package org.flowrt.backend;

/** How a GPU backend picks each convolution pass's algorithm among those its library measures. */
public enum ConvAlgorithms {
  /**
   * The fastest algorithm whose results are bit-for-bit repeatable (cuDNN's CUDNN_DETERMINISTIC):
   * the same inputs give the same gradients on every run, which the training tests and resumed
   * runs rely on. The default.
   */
  DETERMINISTIC,
  /** The fastest algorithm, repeatable or not (backward-filter algorithms that sum with atomics). */
  FASTEST
}
