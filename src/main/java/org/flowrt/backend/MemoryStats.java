package org.flowrt.backend;

/**
 * Byte counts of a backend's allocator. "In use" counts buffers handed out and not yet closed;
 * "reserved" adds the idle blocks the caching pool keeps for reuse. Benchmarks report peak in-use
 * bytes: that is what a model needs, independent of how the pool rounds and caches.
 */
public interface MemoryStats {
  long currentBytes();

  long peakBytes();

  long reservedBytes();

  /** Starts a new peak measurement from the current in-use bytes. */
  void resetPeak();

  static String human(long bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return String.format("%.1f KiB", bytes / 1024.0);
    if (bytes < 1024L * 1024 * 1024) return String.format("%.1f MiB", bytes / (1024.0 * 1024));
    return String.format("%.2f GiB", bytes / (1024.0 * 1024 * 1024));
  }
}
