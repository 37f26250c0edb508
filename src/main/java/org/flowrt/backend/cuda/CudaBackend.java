package org.flowrt.backend.cuda;

import static org.flowrt.backend.cuda.CudaStatus.driver;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.cuda.cudart.CUctx_st;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.cudnn;
import org.flowrt.backend.Backend;
import org.flowrt.backend.BackendKind;
import org.flowrt.backend.BackendOptions;
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
import org.flowrt.backend.RawMemory;

/**
 * The GPU backend: the device's primary context, one stream, the fatbin loaded with
 * cuModuleLoadData, kernels launched with cuLaunchKernel, convolutions through cuDNN. Every status
 * is checked (see {@link CudaStatus}). Construct only after {@link CudaProbe#available()}.
 *
 * <p>A CUDA context is current per OS thread. The backend may be used from any thread (one at a
 * time, like every backend): each entry point makes the primary context current on the calling
 * thread when flowrt has not already done so there.
 */
public final class CudaBackend implements Backend {
  static final int THREADS_PER_BLOCK = 256;
  /** The context flowrt last made current on each thread (0: none). */
  private static final ThreadLocal<long[]> CURRENT_CONTEXT = ThreadLocal.withInitial(() -> new long[1]);

  private final int device;
  private final String name;
  private final int multiprocessors;
  private final CUctx_st context = new CUctx_st();
  private final CUstream_st stream = new CUstream_st();
  private final CUmod_st module = new CUmod_st();
  private final cudnnContext cudnnHandle = new cudnnContext();
  private final MemoryPool pool;
  private final Map<Kernel, CUfunc_st> functions = new EnumMap<>(Kernel.class);
  private final Map<ConvShape, CudnnConvolution> convolutions = new HashMap<>();
  private final KernelArgs args = new KernelArgs();
  private final BackendOptions options;
  private boolean closed;

  public CudaBackend(int ordinal) {
    this(ordinal, BackendOptions.defaults());
  }

  public CudaBackend(int ordinal, BackendOptions options) {
    this.options = options;
    CudaProbe.Result probe = CudaProbe.probe();
    if (!probe.available()) throw new IllegalStateException("CUDA backend unavailable: " + probe.reason());
    if (ordinal < 0 || ordinal >= probe.deviceCount())
      throw new IllegalArgumentException("CUDA device " + ordinal + " does not exist (" + probe.deviceCount() + " present)");
    int[] dev = new int[1];
    driver(cudart.cuDeviceGet(dev, ordinal), "cuDeviceGet");
    device = dev[0];
    byte[] nameBytes = new byte[256];
    driver(cudart.cuDeviceGetName(nameBytes, nameBytes.length, device), "cuDeviceGetName");
    name = new String(nameBytes).trim().replace("\0", "");
    int[] sms = new int[1];
    driver(cudart.cuDeviceGetAttribute(sms, cudart.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device),
        "cuDeviceGetAttribute(MULTIPROCESSOR_COUNT)");
    multiprocessors = sms[0];
    driver(cudart.cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
    makeCurrent();
    driver(cudart.cuStreamCreate(stream, cudart.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
    byte[] fatbin = Fatbin.load();
    try (BytePointer image = new BytePointer(fatbin.length)) {
      image.put(fatbin);
      driver(cudart.cuModuleLoadData(module, image), "cuModuleLoadData(flowrt.fatbin)");
    }
    CudaStatus.cudnn(cudnn.cudnnCreate(cudnnHandle), "cudnnCreate");
    CudaStatus.cudnn(cudnn.cudnnSetStream(cudnnHandle, stream), "cudnnSetStream");
    pool = new MemoryPool(new DeviceMemory());
  }

  @Override
  public BackendKind kind() {
    return BackendKind.CUDA;
  }

  @Override
  public String description() {
    return "CUDA device " + device + " (" + name + ", " + multiprocessors + " SMs, "
        + options.convAlgorithms().name().toLowerCase(java.util.Locale.ROOT) + " "
        + options.convMath().name().toLowerCase(java.util.Locale.ROOT) + " convolutions"
        + (options.syncLaunches() ? ", launches synchronized" : "") + ")";
  }

  /** The stream every launch, copy and library call of this backend is queued on. */
  CUstream_st stream() {
    return stream;
  }

  /** Makes this backend's context current on the calling thread unless flowrt already did. */
  void makeCurrent() {
    long[] current = CURRENT_CONTEXT.get();
    if (current[0] == context.address()) return;
    driver(cudart.cuCtxSetCurrent(context), "cuCtxSetCurrent");
    current[0] = context.address();
  }

  /** After an enqueued call when launches are synchronized: a fault is named after `what`. */
  void afterEnqueue(String what) {
    if (!options.syncLaunches()) return;
    int status = cudart.cuStreamSynchronize(stream);
    if (status != cudart.CUDA_SUCCESS) driver(status, "the work of " + what + " (FLOWRT_SYNC_LAUNCHES)");
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

  private void toDevice(Pointer host, DeviceBuffer target) {
    checkOpen();
    driver(cudart.cuMemcpyHtoDAsync(target.address(), host, target.bytes(), stream), "cuMemcpyHtoDAsync");
    synchronize();
  }

  private void toHost(DeviceBuffer source, Pointer host) {
    checkOpen();
    driver(cudart.cuMemcpyDtoHAsync(host, source.address(), source.bytes(), stream), "cuMemcpyDtoHAsync");
    synchronize();
  }

  @Override
  public void upload(float[] source, DeviceBuffer target) {
    target.require(DType.F32, source.length, "upload target");
    try (FloatPointer host = new FloatPointer(source)) {
      toDevice(host, target);
    }
  }

  @Override
  public void upload(double[] source, DeviceBuffer target) {
    target.require(DType.F64, source.length, "upload target");
    try (DoublePointer host = new DoublePointer(source)) {
      toDevice(host, target);
    }
  }

  @Override
  public void upload(int[] source, DeviceBuffer target) {
    target.require(DType.I32, source.length, "upload target");
    try (IntPointer host = new IntPointer(source)) {
      toDevice(host, target);
    }
  }

  @Override
  public void download(DeviceBuffer source, float[] target) {
    source.require(DType.F32, target.length, "download source");
    try (FloatPointer host = new FloatPointer(target.length)) {
      toHost(source, host);
      host.get(target);
    }
  }

  @Override
  public void download(DeviceBuffer source, double[] target) {
    source.require(DType.F64, target.length, "download source");
    try (DoublePointer host = new DoublePointer(target.length)) {
      toHost(source, host);
      host.get(target);
    }
  }

  @Override
  public void download(DeviceBuffer source, int[] target) {
    source.require(DType.I32, target.length, "download source");
    try (IntPointer host = new IntPointer(target.length)) {
      toHost(source, host);
      host.get(target);
    }
  }

  @Override
  public void copy(DeviceBuffer source, DeviceBuffer target) {
    target.require(source.type(), source.count(), "copy target");
    checkOpen();
    driver(cudart.cuMemcpyDtoDAsync(target.address(), source.address(), source.bytes(), stream), "cuMemcpyDtoDAsync");
    afterEnqueue("cuMemcpyDtoDAsync");
  }

  @Override
  public void zero(DeviceBuffer target) {
    checkOpen();
    driver(cudart.cuMemsetD8Async(target.address(), (byte) 0, target.bytes(), stream), "cuMemsetD8Async");
    afterEnqueue("cuMemsetD8Async");
  }

  @Override
  public void synchronize() {
    checkOpen();
    driver(cudart.cuStreamSynchronize(stream), "cuStreamSynchronize");
  }

  @Override
  public int threadsPerBlock() {
    return THREADS_PER_BLOCK;
  }

  @Override
  public int parallelism() {
    return multiprocessors * 8;
  }

  @Override
  public void launch(Kernel kernel, Grid grid, KernelArgs kernelArgs) {
    checkOpen();
    CUfunc_st function = functions.computeIfAbsent(kernel, k -> {
      CUfunc_st f = new CUfunc_st();
      driver(cudart.cuModuleGetFunction(f, module, k.symbol()), "cuModuleGetFunction(" + k.symbol() + ")");
      return f;
    });
    driver(cudart.cuLaunchKernel(function, grid.x(), grid.y(), grid.z(), THREADS_PER_BLOCK, 1, 1, 0, stream,
        kernelArgs.parameterArray(), (PointerPointer<?>) null), "cuLaunchKernel(" + kernel.symbol() + ")");
    afterEnqueue("kernel " + kernel.symbol());
  }

  @Override
  public KernelArgs args() {
    return args.clear();
  }

  @Override
  public Convolution convolution(ConvShape shape) {
    checkOpen();
    return convolutions.computeIfAbsent(shape, s -> new CudnnConvolution(this, cudnnHandle, pool, s, options));
  }

  /** The workspace each pass's chosen cuDNN algorithm takes from the pool (for the planner on a GPU). */
  @Override
  public ConvScratch convScratch() {
    return (shape, pass) -> {
      long bytes = ((CudnnConvolution) convolution(shape)).choice(pass).workspaceBytes();
      return bytes == 0 ? new long[0] : new long[] {bytes};
    };
  }

  void checkOpen() {
    if (closed) throw new IllegalStateException("CUDA backend used after close");
    makeCurrent();
  }

  @Override
  public void close() {
    if (closed) return;
    synchronize();
    closed = true;
    convolutions.values().forEach(CudnnConvolution::close);
    convolutions.clear();
    CudaStatus.cudnn(cudnn.cudnnDestroy(cudnnHandle), "cudnnDestroy");
    driver(cudart.cuModuleUnload(module), "cuModuleUnload");
    driver(cudart.cuStreamDestroy(stream), "cuStreamDestroy");
    pool.close();
    args.close();
    driver(cudart.cuDevicePrimaryCtxRelease(device), "cuDevicePrimaryCtxRelease");
    CURRENT_CONTEXT.get()[0] = 0;
  }

  private final class DeviceMemory implements RawMemory {
    @Override
    public long allocate(long bytes) {
      makeCurrent();
      long[] address = new long[1];
      int status = cudart.cuMemAlloc(address, bytes);
      if (status == cudart.CUDA_ERROR_OUT_OF_MEMORY) return 0;
      driver(status, "cuMemAlloc(" + bytes + " bytes)");
      return address[0];
    }

    @Override
    public void free(long address) {
      makeCurrent();
      driver(cudart.cuMemFree(address), "cuMemFree");
    }

    @Override
    public String deviceName() {
      return "CUDA device " + device + " (" + name + ")";
    }
  }
}
