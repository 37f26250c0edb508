package org.flowrt.backend;

/**
 * What flowrt needs from a device: memory, copies, synchronization, kernel launches and
 * convolutions. Two implementations: {@code CpuBackend} (the host build of cuda/*.cu plus oneDNN)
 * and {@code CudaBackend} (the fatbin plus cuDNN). The flow operations in org.flowrt.ops are written
 * once against this interface: each op builds one {@link KernelArgs} list and launches the same
 * kernel source on either backend, so every op exists on both and one test suite covers both.
 *
 * <p>A backend and its buffers are used from one thread at a time.
 */
public interface Backend extends AutoCloseable {
  BackendKind kind();

  /** Human-readable device description. */
  String description();

  /**
   * False for a backend that only counts bytes (the planner's): it allocates like the real one but
   * computes nothing, so models built on it skip computing initial values.
   */
  default boolean computes() {
    return true;
  }

  /** An uninitialized buffer from the backend's caching pool. */
  DeviceBuffer allocate(DType type, long count);

  /** A buffer filled with zeros. */
  default DeviceBuffer zeros(DType type, long count) {
    DeviceBuffer b = allocate(type, count);
    zero(b);
    return b;
  }

  MemoryStats memory();

  void upload(float[] source, DeviceBuffer target);

  void upload(double[] source, DeviceBuffer target);

  void upload(int[] source, DeviceBuffer target);

  void download(DeviceBuffer source, float[] target);

  void download(DeviceBuffer source, double[] target);

  void download(DeviceBuffer source, int[] target);

  /** Copies all of source into target (same type and count). */
  void copy(DeviceBuffer source, DeviceBuffer target);

  void zero(DeviceBuffer target);

  /** Waits until all queued work has finished. */
  void synchronize();

  /** Threads per block of every launch: 256 on the GPU, 1 on the host. */
  int threadsPerBlock();

  /** How many blocks keep the whole device busy (host threads; GPU multiprocessors × 8). */
  int parallelism();

  void launch(Kernel kernel, Grid grid, KernelArgs args);

  /** The backend's reusable argument list, cleared. */
  KernelArgs args();

  /** The plan for a convolution shape, built on first use and cached for the backend's life. */
  Convolution convolution(ConvShape shape);

  /** The scratch buffers this backend's convolution passes take from its pool (for the planner). */
  ConvScratch convScratch();

  @Override
  void close();

  // ---- launch geometry shared by both backends

  /** Blocks for an elementwise pass over n items with grid-stride loops. */
  default Grid elementwise(long n) {
    long perBlock = (long) threadsPerBlock() * 4;
    long wanted = Math.max(1, (n + perBlock - 1) / perBlock);
    return Grid.of((int) Math.min(wanted, (long) parallelism() * 4));
  }

  /**
   * Blocks for a row-wise pass over `rows` rows (one (sample, channel) row of H·W pixels at a time
   * per block, the block's threads striding along the row).
   */
  default Grid rowwise(long rows) {
    return Grid.of((int) Math.max(1, Math.min(rows, (long) parallelism() * 4)));
  }

  /**
   * Chunks per item for a reduction of `items` independent sums of `perItem` terms each (grid
   * x = chunk, y = item): enough blocks to fill the device, never chunks smaller than a few blocks'
   * worth of threads.
   */
  default int chunks(long perItem, int items) {
    long minPerChunk = Math.max(256, (long) threadsPerBlock() * 8);
    long byWork = Math.max(1, perItem / minPerChunk);
    long byDevice = Math.max(1, (2L * parallelism() + items - 1) / items);
    return (int) Math.min(byWork, Math.min(byDevice, 65535));
  }

  /**
   * Blocks for a pass over the N·C planes of an [N, C, H, W] tensor that sums per channel: x = chunks
   * of the samples, y = groups of the channels, a block's planes walked in memory order. With many
   * threads a block (the GPU) a group is one channel, so a block's sums go to one channel, and the
   * chunks are as {@link #chunks} sizes them; with one thread a block (the host) a group holds every
   * channel, so a block reads its samples' memory in order, about four blocks a thread (the channels
   * split into groups only when there are too few samples for that).
   */
  default Grid planeBlocks(int n, int c, long hw) {
    if (threadsPerBlock() > 1) return Grid.of(Math.max(1, Math.min(n, chunks((long) n * hw, c))), c);
    int wanted = 4 * parallelism();
    int sampleChunks = Math.max(1, Math.min(n, wanted));
    return Grid.of(sampleChunks, Math.max(1, Math.min(c, (wanted + sampleChunks - 1) / sampleChunks)));
  }

  default void upload(float[] source, DeviceBuffer target, String what) {
    target.require(DType.F32, source.length, what);
    upload(source, target);
  }

  default DeviceBuffer uploadNew(float[] values) {
    DeviceBuffer b = allocate(DType.F32, values.length);
    upload(values, b);
    return b;
  }

  default DeviceBuffer uploadNew(double[] values) {
    DeviceBuffer b = allocate(DType.F64, values.length);
    upload(values, b);
    return b;
  }

  default DeviceBuffer uploadNew(int[] values) {
    DeviceBuffer b = allocate(DType.I32, values.length);
    upload(values, b);
    return b;
  }

  default float[] downloadFloats(DeviceBuffer source) {
    float[] out = new float[Math.toIntExact(source.count())];
    download(source, out);
    return out;
  }

  default double[] downloadDoubles(DeviceBuffer source) {
    double[] out = new double[Math.toIntExact(source.count())];
    download(source, out);
    return out;
  }
}
