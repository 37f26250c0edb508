package org.flowrt.backend;

/**
 * A backend that computes nothing and only counts bytes: it allocates from a {@link MemoryPool}
 * exactly as the backend it models does (same size classes, same caching), over a raw allocator
 * that hands out fake addresses up to a capacity, and its convolutions take and return the modeled
 * backend's scratch buffers. Kernel launches, copies and transfers do nothing; downloads read
 * zeros, so code that branches on values takes the healthy path. Running a training step on it
 * replays that step's allocation sequence: its peak is the modeled backend's peak, for a model of
 * any size, in milliseconds (the planner, `flowrt plan`).
 */
public final class CountingBackend implements Backend {
  private final BackendKind models;
  private final int threadsPerBlock;
  private final int parallelism;
  private final ConvScratch scratch;
  private final MemoryPool pool;
  private final KernelArgs args = new KernelArgs();
  private boolean closed;

  /**
   * @param models the backend whose memory this replays
   * @param threadsPerBlock and {@code parallelism}: the modeled backend's launch geometry, which
   *     sizes the partial-sum buffers of reductions
   * @param capacityBytes device memory; an allocation beyond it throws {@link OutOfDeviceMemoryException}
   */
  public CountingBackend(BackendKind models, int threadsPerBlock, int parallelism, ConvScratch scratch, long capacityBytes) {
    this.models = models;
    this.threadsPerBlock = threadsPerBlock;
    this.parallelism = parallelism;
    this.scratch = scratch;
    this.pool = new MemoryPool(new CountedMemory(capacityBytes, models));
  }

  /** Models another backend: its launch geometry and its convolutions' scratch. */
  public static CountingBackend of(Backend real, long capacityBytes) {
    return new CountingBackend(real.kind(), real.threadsPerBlock(), real.parallelism(), real.convScratch(), capacityBytes);
  }

  @Override
  public ConvScratch convScratch() {
    return scratch;
  }

  /** Fake addresses, aligned like cudaMalloc's, and a running total against the capacity. */
  private static final class CountedMemory implements RawMemory {
    private final long capacity;
    private final BackendKind models;
    private long next = 1L << 40;
    private long used;
    private final java.util.Map<Long, Long> sizes = new java.util.HashMap<>();

    CountedMemory(long capacity, BackendKind models) {
      this.capacity = capacity;
      this.models = models;
    }

    @Override
    public long allocate(long bytes) {
      if (used + bytes > capacity) return 0;
      long address = next;
      next += (bytes + 255) / 256 * 256 + 256;
      used += bytes;
      sizes.put(address, bytes);
      return address;
    }

    @Override
    public void free(long address) {
      used -= sizes.remove(address);
    }

    @Override
    public String deviceName() {
      return "planned " + models.name().toLowerCase(java.util.Locale.ROOT) + " device of " + capacity + " bytes";
    }
  }

  @Override
  public BackendKind kind() {
    return models;
  }

  @Override
  public boolean computes() {
    return false;
  }

  @Override
  public String description() {
    return "byte-counting model of the " + models + " backend (" + threadsPerBlock + " threads per block, parallelism " + parallelism + ")";
  }

  @Override
  public DeviceBuffer allocate(DType type, long count) {
    if (closed) throw new IllegalStateException("backend is closed");
    return DeviceBuffer.allocate(pool, type, count);
  }

  @Override
  public MemoryStats memory() {
    return pool;
  }

  @Override
  public void upload(float[] source, DeviceBuffer target) {
    target.require(DType.F32, source.length, "upload");
  }

  @Override
  public void upload(double[] source, DeviceBuffer target) {
    target.require(DType.F64, source.length, "upload");
  }

  @Override
  public void upload(int[] source, DeviceBuffer target) {
    target.require(DType.I32, source.length, "upload");
  }

  @Override
  public void download(DeviceBuffer source, float[] target) {}

  @Override
  public void download(DeviceBuffer source, double[] target) {}

  @Override
  public void download(DeviceBuffer source, int[] target) {}

  @Override
  public void copy(DeviceBuffer source, DeviceBuffer target) {}

  @Override
  public void zero(DeviceBuffer target) {}

  @Override
  public void synchronize() {}

  @Override
  public int threadsPerBlock() {
    return threadsPerBlock;
  }

  @Override
  public int parallelism() {
    return parallelism;
  }

  @Override
  public void launch(Kernel kernel, Grid grid, KernelArgs args) {}

  @Override
  public KernelArgs args() {
    return args.clear();
  }

  @Override
  public Convolution convolution(ConvShape shape) {
    return new Convolution() {
      @Override
      public ConvShape shape() {
        return shape;
      }

      @Override
      public void forward(DeviceBuffer x, DeviceBuffer w, DeviceBuffer y) {
        checkBuffers(x, w, y);
        pass(ConvScratch.Pass.FORWARD);
      }

      @Override
      public void backwardData(DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx) {
        checkBuffers(dx, w, dy);
        pass(ConvScratch.Pass.BACKWARD_DATA);
      }

      @Override
      public void backwardFilter(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw) {
        checkBuffers(x, dw, dy);
        pass(ConvScratch.Pass.BACKWARD_FILTER);
      }

      /** Takes the pass's scratch buffers in order and gives them back, as the modeled pass does. */
      private void pass(ConvScratch.Pass pass) {
        long[] bytes = scratch.bytes(shape, pass);
        DeviceBuffer[] held = new DeviceBuffer[bytes.length];
        try {
          for (int i = 0; i < bytes.length; i++) held[i] = DeviceBuffer.allocate(pool, DType.F32, (bytes[i] + 3) / 4);
        } finally {
          for (DeviceBuffer b : held) if (b != null) b.close();
        }
      }
    };
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    args.close();
    pool.close();
  }
}
