package org.flowrt.backend;

/** An allocation could not be satisfied even after the caching pool returned its idle blocks. */
public class OutOfDeviceMemoryException extends RuntimeException {
  public OutOfDeviceMemoryException(String device, long requestedBytes, long inUseBytes, long peakBytes) {
    super(String.format(
        "out of memory on %s: could not allocate %s (%s in use by flowrt, peak %s); "
            + "try a smaller batch size or width",
        device, MemoryStats.human(requestedBytes), MemoryStats.human(inUseBytes), MemoryStats.human(peakBytes)));
  }
}
