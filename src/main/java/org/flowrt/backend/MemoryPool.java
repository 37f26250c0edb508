package org.flowrt.backend;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A caching allocator: closed buffers go back to a free list keyed by their rounded size and are
 * handed out again, so a training step does not call cudaMalloc/cudaFree per activation. When the
 * raw allocator runs out, the idle blocks are released and the allocation retried once before
 * {@link OutOfDeviceMemoryException} is thrown. Not thread-safe: a backend is used by one thread.
 */
public final class MemoryPool implements MemoryStats, AutoCloseable {
  private static final long SMALL_GRANULE = 512;
  private static final long LARGE_GRANULE = 2L << 20;
  private static final long SMALL_LIMIT = 1L << 20;

  private final RawMemory raw;
  private final TreeMap<Long, ArrayDeque<Long>> idle = new TreeMap<>();
  private final Map<Long, Long> sizeOfAddress = new HashMap<>();
  private long inUse;
  private long peak;
  private long reserved;
  private boolean closed;

  public MemoryPool(RawMemory raw) {
    this.raw = raw;
  }

  /** Size classes: 512 B steps up to 1 MiB, 2 MiB steps above. */
  static long rounded(long bytes) {
    long granule = bytes <= SMALL_LIMIT ? SMALL_GRANULE : LARGE_GRANULE;
    return Math.max(granule, (bytes + granule - 1) / granule * granule);
  }

  public long allocate(long bytes) {
    if (closed) throw new IllegalStateException("memory pool of " + raw.deviceName() + " is closed");
    if (bytes < 0) throw new IllegalArgumentException("negative allocation: " + bytes + " bytes");
    long size = rounded(bytes);
    long address = takeIdle(size);
    if (address == 0) {
      address = raw.allocate(size);
      if (address == 0) {
        releaseIdle();
        address = raw.allocate(size);
      }
      if (address == 0) throw new OutOfDeviceMemoryException(raw.deviceName(), size, inUse, peak);
      reserved += size;
    }
    sizeOfAddress.put(address, size);
    inUse += size;
    peak = Math.max(peak, inUse);
    return address;
  }

  public void release(long address) {
    Long size = sizeOfAddress.remove(address);
    if (size == null) throw new IllegalStateException("address 0x" + Long.toHexString(address) + " is not from this pool");
    inUse -= size;
    if (closed) {
      raw.free(address);
      reserved -= size;
    } else {
      idle.computeIfAbsent(size, k -> new ArrayDeque<>()).push(address);
    }
  }

  private long takeIdle(long size) {
    ArrayDeque<Long> list = idle.get(size);
    if (list == null || list.isEmpty()) return 0;
    return list.pop();
  }

  /** Frees every idle block back to the device. */
  public void releaseIdle() {
    for (Map.Entry<Long, ArrayDeque<Long>> e : idle.entrySet()) {
      for (long address : e.getValue()) {
        raw.free(address);
        reserved -= e.getKey();
      }
    }
    idle.clear();
  }

  @Override
  public long currentBytes() {
    return inUse;
  }

  @Override
  public long peakBytes() {
    return peak;
  }

  @Override
  public long reservedBytes() {
    return reserved;
  }

  @Override
  public void resetPeak() {
    peak = inUse;
  }

  /** Frees idle blocks; blocks still in use are freed as their buffers close. Safe to call twice. */
  @Override
  public void close() {
    if (closed) return;
    releaseIdle();
    closed = true;
  }
}
