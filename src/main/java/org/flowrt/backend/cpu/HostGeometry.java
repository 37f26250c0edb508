package org.flowrt.backend.cpu;

import java.util.Locale;

/** How the CPU backend runs a kernel's blocks. */
public enum HostGeometry {
  /**
   * One thread per block, blocks spread over the cores, grids sized for the host: the fast build,
   * used to train and evaluate.
   */
  ONE_THREAD,
  /**
   * The GPU's geometry: 256 threads per block as fibers with real barriers and per-block shared
   * memory, grids sized as on the GPU. Slower; it runs the kernels as the GPU would, so a missing
   * __syncthreads() or a block-size assumption fails on the CPU.
   */
  GPU_BLOCKS;

  public static HostGeometry parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown host geometry '" + text + "': expected one-thread or gpu-blocks");
    }
  }
}
