package org.flowrt.backend;

/**
 * The bytes a backend's convolution pass takes from its memory pool for the duration of the pass,
 * in the order it takes them: oneDNN's reorder buffers on the CPU, cuDNN's workspace on the GPU.
 * The planner ({@link CountingBackend}) replays them.
 */
public interface ConvScratch {
  enum Pass {
    FORWARD,
    BACKWARD_DATA,
    BACKWARD_FILTER
  }

  long[] bytes(ConvShape shape, Pass pass);

  /** No scratch: what the planner assumes for cuDNN, whose workspace sizes are known only on a GPU. */
  ConvScratch NONE = (shape, pass) -> new long[0];
}
