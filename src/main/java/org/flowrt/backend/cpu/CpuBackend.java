package org.flowrt.backend.cpu;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.flowrt.backend.Backend;
import org.flowrt.backend.BackendKind;
import org.flowrt.backend.ConvShape;
import org.flowrt.backend.ConvScratch;
import org.flowrt.backend.Convolution;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.Grid;
import org.flowrt.backend.Kernel;
import org.flowrt.backend.KernelArgs;
import org.flowrt.backend.MemoryPool;
import org.flowrt.backend.MemoryStats;
import org.flowrt.backend.NativeAddress;
import org.flowrt.backend.RawMemory;

/**
 * The host build of the kernels in cuda/, run on all cores; convolutions through oneDNN. By default
 * each block has one thread ({@link HostGeometry#ONE_THREAD}); with {@link HostGeometry#GPU_BLOCKS}
 * the same kernels run with the GPU's block geometry (fibers), for testing.
 */
public final class CpuBackend implements Backend {
  private final MemoryPool pool = new MemoryPool(new HostMemory());
  private final Map<Kernel, Long> launchers = new EnumMap<>(Kernel.class);
  private final Map<ConvShape, CpuConvolution> convolutions = new HashMap<>();
  private final KernelArgs args = new KernelArgs();
  private final HostGeometry geometry;
  private final FiberOrder order;
  private final int threads;
  private DnnlEngine dnnl;
  private ConvWorkers convWorkers;
  private boolean closed;

  public CpuBackend() {
    this(HostGeometry.ONE_THREAD, FiberOrder.ASCENDING);
  }

  /** A CPU backend running kernels with the given geometry; `order` matters for GPU_BLOCKS only. */
  public CpuBackend(HostGeometry geometry, FiberOrder order) {
    this.geometry = geometry;
    this.order = order;
    if (geometry == HostGeometry.ONE_THREAD) HostKernels.setThreads(usableCores());
    this.threads = geometry.hostThreads();
  }

  /**
   * The threads to run on: OMP_NUM_THREADS when the user set it, else the cores this process may
   * use as the JVM counts them (affinity mask and a container's CPU quota; OpenMP alone ignores the
   * quota and would run more threads than the process gets).
   */
  static int usableCores() {
    String env = System.getenv("OMP_NUM_THREADS");
    if (env != null) {
      try {
        int n = Integer.parseInt(env.split(",")[0].trim());
        if (n > 0) return n;
      } catch (NumberFormatException e) {
        // not a number: fall through to the JVM's count, as OpenMP would ignore it
      }
    }
    return Runtime.getRuntime().availableProcessors();
  }

  @Override
  public BackendKind kind() {
    return BackendKind.CPU;
  }

  @Override
  public String description() {
    return "CPU (" + threads + " threads, oneDNN convolutions" + (geometry == HostGeometry.ONE_THREAD ? ""
        : ", GPU block geometry: " + geometry.threadsPerBlock() + " fiber threads per block, "
            + order.name().toLowerCase(java.util.Locale.ROOT) + " thread order") + ")";
  }

  @Override
  public DeviceBuffer allocate(DType type, long count) {
    checkOpen();
    return DeviceBuffer.allocate(pool, type, count);
  }

  @Override
  public MemoryStats memory() {
    return pool;
  }

  private static Pointer at(DeviceBuffer b) {
    return NativeAddress.pointer(b.address());
  }

  @Override
  public void upload(float[] source, DeviceBuffer target) {
    target.require(DType.F32, source.length, "upload target");
    new FloatPointer(at(target)).capacity(source.length).put(source);
  }

  @Override
  public void upload(double[] source, DeviceBuffer target) {
    target.require(DType.F64, source.length, "upload target");
    new DoublePointer(at(target)).capacity(source.length).put(source);
  }

  @Override
  public void upload(int[] source, DeviceBuffer target) {
    target.require(DType.I32, source.length, "upload target");
    new IntPointer(at(target)).capacity(source.length).put(source);
  }

  @Override
  public void download(DeviceBuffer source, float[] target) {
    source.require(DType.F32, target.length, "download source");
    new FloatPointer(at(source)).capacity(target.length).get(target);
  }

  @Override
  public void download(DeviceBuffer source, double[] target) {
    source.require(DType.F64, target.length, "download source");
    new DoublePointer(at(source)).capacity(target.length).get(target);
  }

  @Override
  public void download(DeviceBuffer source, int[] target) {
    source.require(DType.I32, target.length, "download source");
    new IntPointer(at(source)).capacity(target.length).get(target);
  }

  @Override
  public void copy(DeviceBuffer source, DeviceBuffer target) {
    target.require(source.type(), source.count(), "copy target");
    Pointer.memcpy(at(target), at(source), source.bytes());
  }

  @Override
  public void zero(DeviceBuffer target) {
    Pointer.memset(at(target), 0, target.bytes());
  }

  @Override
  public void synchronize() {
    // Host launches return when their work is done.
  }

  @Override
  public int threadsPerBlock() {
    return geometry.threadsPerBlock();
  }

  @Override
  public int parallelism() {
    return threads;
  }

  @Override
  public void launch(Kernel kernel, Grid grid, KernelArgs kernelArgs) {
    checkOpen();
    long launcher = launchers.computeIfAbsent(kernel, k -> {
      long found = geometry.lookup(k.symbol());
      if (found == 0) throw new IllegalStateException("kernel " + k.symbol() + " is missing from the host kernel library");
      return found;
    });
    geometry.launch(launcher, grid, kernelArgs, order);
  }

  @Override
  public KernelArgs args() {
    return args.clear();
  }

  @Override
  public Convolution convolution(ConvShape shape) {
    checkOpen();
    if (dnnl == null) {
      dnnl = new DnnlEngine();
      convWorkers = new ConvWorkers(threads);
    }
    return convolutions.computeIfAbsent(shape, s -> {
      org.flowrt.backend.ConvTaps.Side side = TapsConvolution.sideFor(s);
      return side == null ? new DnnlConvolution(dnnl, pool, convWorkers, s)
          : new TapsConvolution(this, dnnl, pool, convWorkers, s, side);
    });
  }

  private void checkOpen() {
    if (closed) throw new IllegalStateException("CPU backend used after close");
  }

  /** This backend's convolution scratch (oneDNN's reorder buffers, the taps buffers) per pass, for the planner. */
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
    if (dnnl != null) dnnl.close();
    if (convWorkers != null) convWorkers.close();
    args.close();
    pool.close();
  }

  private static final class HostMemory implements RawMemory {
    @Override
    public long allocate(long bytes) {
      Pointer p = Pointer.malloc(bytes);
      return p == null || p.isNull() ? 0 : p.address();
    }

    @Override
    public void free(long address) {
      Pointer.free(NativeAddress.pointer(address));
    }

    @Override
    public String deviceName() {
      return "host memory";
    }
  }
}
