package org.flowrt.backend.cpu;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import org.flowrt.backend.Backend;
import org.flowrt.backend.BackendKind;
import org.flowrt.backend.ConvScratch;
import org.flowrt.backend.ConvShape;
import org.flowrt.backend.Convolution;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.Grid;
import org.flowrt.backend.Kernel;
import org.flowrt.backend.KernelArgs;
import org.flowrt.backend.MemoryPool;
import org.flowrt.backend.MemoryStats;

/**
 * What one convolution worker runs a piece of the batch on ({@link CpuBackend#inPieces}): the
 * parent's memory, its own argument list, kernel launchers and convolution plans for the piece's
 * shapes, everything on the worker's thread alone (kernels through a launch count of 1 for this
 * thread, oneDNN created and run with one OpenMP thread). Used by one worker thread at a time.
 */
final class PieceBackend implements Backend {
  private final CpuBackend parent;
  private final MemoryPool pool;
  private final DnnlEngine dnnl;
  private final ConvWorkers alone = new ConvWorkers(1);
  private final Map<Kernel, Long> launchers = new EnumMap<>(Kernel.class);
  private final Map<ConvShape, CpuConvolution> convolutions = new HashMap<>();
  private final KernelArgs args = new KernelArgs();
  private boolean closed;

  PieceBackend(CpuBackend parent, MemoryPool pool, DnnlEngine dnnl) {
    this.parent = parent;
    this.pool = pool;
    this.dnnl = dnnl;
  }

  @Override
  public BackendKind kind() {
    return BackendKind.CPU;
  }

  @Override
  public String description() {
    return "one worker of " + parent.description();
  }

  @Override
  public DeviceBuffer allocate(DType type, long count) {
    return DeviceBuffer.allocate(pool, type, count);
  }

  @Override
  public MemoryStats memory() {
    return pool;
  }

  @Override
  public void upload(float[] source, DeviceBuffer target) {
    parent.upload(source, target);
  }

  @Override
  public void upload(double[] source, DeviceBuffer target) {
    parent.upload(source, target);
  }

  @Override
  public void upload(int[] source, DeviceBuffer target) {
    parent.upload(source, target);
  }

  @Override
  public void download(DeviceBuffer source, float[] target) {
    parent.download(source, target);
  }

  @Override
  public void download(DeviceBuffer source, double[] target) {
    parent.download(source, target);
  }

  @Override
  public void download(DeviceBuffer source, int[] target) {
    parent.download(source, target);
  }

  @Override
  public void copy(DeviceBuffer source, DeviceBuffer target) {
    parent.copy(source, target);
  }

  @Override
  public void zero(DeviceBuffer target) {
    parent.zero(target);
  }

  @Override
  public void synchronize() {
    // Host launches return when their work is done.
  }

  @Override
  public int threadsPerBlock() {
    return 1;
  }

  @Override
  public int parallelism() {
    return 1;
  }

  @Override
  public void launch(Kernel kernel, Grid grid, KernelArgs kernelArgs) {
    long launcher = launchers.computeIfAbsent(kernel, k -> {
      long found = HostKernels.lookup(k.symbol());
      if (found == 0) throw new IllegalStateException("kernel " + k.symbol() + " is missing from the host kernel library");
      return found;
    });
    HostKernels.launch(launcher, grid.x(), grid.y(), grid.z(), kernelArgs.pointer());
  }

  @Override
  public KernelArgs args() {
    return args.clear();
  }

  @Override
  public Convolution convolution(ConvShape shape) {
    if (closed) throw new IllegalStateException("CPU worker backend used after close");
    return convolutions.computeIfAbsent(shape, s -> {
      org.flowrt.backend.ConvTaps.Side side = TapsConvolution.sideFor(s);
      return side == null ? new DnnlConvolution(dnnl, pool, alone, s) : new TapsConvolution(this, dnnl, pool, alone, s, side);
    });
  }

  @Override
  public ConvScratch convScratch() {
    return (shape, pass) -> ((CpuConvolution) convolution(shape)).scratchBytes(pass);
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    convolutions.values().forEach(CpuConvolution::close);
    convolutions.clear();
    alone.close();
    args.close();
  }
}
