package org.flowrt.backend.cpu;

import org.flowrt.backend.Grid;
import org.flowrt.backend.KernelArgs;

/** How the CPU backend runs a kernel's blocks, and the kernel library that runs them so. */
public enum HostGeometry {
  /**
   * One thread per block, blocks spread over the cores, grids sized for the host: the fast build,
   * used to train and evaluate (HostKernels).
   */
  ONE_THREAD {
    @Override
    long lookup(String symbol) {
      return HostKernels.lookup(symbol);
    }

    @Override
    void launch(long entry, Grid grid, KernelArgs args, FiberOrder order) {
      HostKernels.launch(entry, grid.x(), grid.y(), grid.z(), args.pointer());
    }

    @Override
    int hostThreads() {
      return HostKernels.threads();
    }

    @Override
    int threadsPerBlock() {
      return 1;
    }
  },
  /**
   * The GPU's geometry: 256 threads per block as fibers with real barriers and per-block shared
   * memory, grids sized as on the GPU (FiberKernels). Slower; it runs the kernels as the GPU would,
   * so a missing __syncthreads() or a block-size assumption fails on the CPU.
   */
  GPU_BLOCKS {
    @Override
    long lookup(String symbol) {
      return FiberKernels.lookup(symbol);
    }

    @Override
    void launch(long entry, Grid grid, KernelArgs args, FiberOrder order) {
      int status = FiberKernels.launch(entry, grid.x(), grid.y(), grid.z(), threadsPerBlock(), order.code(), args.pointer());
      if (status != 0) throw new IllegalStateException("kernel launch failed: " + FiberKernels.error());
    }

    @Override
    int hostThreads() {
      return FiberKernels.threads();
    }

    @Override
    int threadsPerBlock() {
      return 256;  // the CUDA backend's block size
    }
  };

  /** The kernel's entry in this geometry's library, or 0 when it has none of that name. */
  abstract long lookup(String symbol);

  /** Runs the grid; `order` is the fibers' turn order (GPU_BLOCKS only). */
  abstract void launch(long entry, Grid grid, KernelArgs args, FiberOrder order);

  /** OS threads the library's launches run on. */
  abstract int hostThreads();

  abstract int threadsPerBlock();
}
