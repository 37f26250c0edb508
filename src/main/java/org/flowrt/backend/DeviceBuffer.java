package org.flowrt.backend;

/**
 * Memory on a backend's device (host memory for the CPU backend). Owning buffers come from
 * {@link Backend#allocate} and return their block to the backend's pool on {@link #close()};
 * closing twice is harmless and any use after close throws. {@link #slice} gives non-owning views
 * (a parameter inside the model's flat parameter array, say) that become unusable with their owner.
 */
public final class DeviceBuffer implements AutoCloseable {
  private final MemoryPool pool;
  private final DeviceBuffer owner;
  private final DType type;
  private final long count;
  private final long address;
  private boolean closed;

  DeviceBuffer(MemoryPool pool, DType type, long count, long address) {
    this(pool, null, type, count, address);
  }

  private DeviceBuffer(MemoryPool pool, DeviceBuffer owner, DType type, long count, long address) {
    this.pool = pool;
    this.owner = owner;
    this.type = type;
    this.count = count;
    this.address = address;
  }

  /** Allocates an owning buffer from the pool. */
  public static DeviceBuffer allocate(MemoryPool pool, DType type, long count) {
    if (count < 0) throw new IllegalArgumentException("negative element count " + count);
    return new DeviceBuffer(pool, type, count, pool.allocate(Math.max(1, count) * type.bytes()));
  }

  public DType type() {
    return type;
  }

  public long count() {
    return count;
  }

  public long bytes() {
    return count * type.bytes();
  }

  /** The device address; throws if this buffer (or the buffer it views) has been closed. */
  public long address() {
    checkOpen();
    return address;
  }

  public boolean isClosed() {
    return closed || (owner != null && owner.isClosed());
  }

  private void checkOpen() {
    if (isClosed()) throw new IllegalStateException("device buffer used after close (" + count + " × " + type + ")");
  }

  /** A view of elements [offset, offset + length) that does not own its memory. */
  public DeviceBuffer slice(long offset, long length) {
    checkOpen();
    if (offset < 0 || length < 0 || offset + length > count)
      throw new IndexOutOfBoundsException("slice [" + offset + ", " + (offset + length) + ") of a buffer of " + count);
    DeviceBuffer root = owner == null ? this : owner;
    return new DeviceBuffer(null, root, type, length, address + offset * type.bytes());
  }

  /** Throws unless this buffer holds exactly `expected` elements of `expectedType`; names `what`. */
  public DeviceBuffer require(DType expectedType, long expected, String what) {
    if (type != expectedType || count != expected)
      throw new IllegalArgumentException(what + ": expected " + expected + " × " + expectedType + ", got " + count + " × " + type);
    checkOpen();
    return this;
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    if (owner == null && pool != null) pool.release(address);
  }
}
