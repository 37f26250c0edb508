package org.flowrt.backend.cpu;

import org.flowrt.backend.ConvScratch;
import org.flowrt.backend.Convolution;

/** A convolution plan of the CPU backend, with the pool bytes each pass takes (for the planner). */
interface CpuConvolution extends Convolution, AutoCloseable {
  /** The buffers a pass takes from the pool, in the order it takes them. */
  long[] scratchBytes(ConvScratch.Pass pass);

  @Override
  void close();
}
