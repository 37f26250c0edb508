package org.flowrt.backend;

/** A backend's raw allocator underneath the {@link MemoryPool}. */
public interface RawMemory {
  /** Allocates the bytes and returns the address, or 0 when the device has no room. */
  long allocate(long bytes);

  void free(long address);

  /** A name for error messages ("CUDA device 0 (NVIDIA H100)", "host memory"). */
  String deviceName();
}
