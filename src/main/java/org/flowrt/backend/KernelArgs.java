package org.flowrt.backend;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * A kernel's argument list in the form cuLaunchKernel takes: an array of pointers, the i-th pointing
 * at the i-th parameter's value. The CPU backend's launcher reads the same array, so one list
 * serves both backends. Reused between launches (call {@link #clear()}); one per backend thread.
 */
public final class KernelArgs implements AutoCloseable {
  private static final int MAX_ARGS = 32;
  private final LongPointer values = new LongPointer(MAX_ARGS);
  private final LongPointer slots = new LongPointer(MAX_ARGS);
  private final PointerPointer<Pointer> slotArray = new PointerPointer<>(slots);
  private final ByteBuffer bytes;
  private int count;

  public KernelArgs() {
    bytes = values.asByteBuffer().order(ByteOrder.nativeOrder());
    for (int i = 0; i < MAX_ARGS; i++) slots.put(i, values.address() + 8L * i);
  }

  public KernelArgs clear() {
    count = 0;
    return this;
  }

  private int next() {
    if (count == MAX_ARGS) throw new IllegalStateException("more than " + MAX_ARGS + " kernel arguments");
    return count++;
  }

  public KernelArgs ptr(DeviceBuffer buffer) {
    bytes.putLong(8 * next(), buffer.address());
    return this;
  }

  /** A pointer argument the kernel accepts as null. */
  public KernelArgs ptrOrNull(DeviceBuffer buffer) {
    bytes.putLong(8 * next(), buffer == null ? 0L : buffer.address());
    return this;
  }

  public KernelArgs i32(int value) {
    bytes.putInt(8 * next(), value);
    return this;
  }

  public KernelArgs i64(long value) {
    bytes.putLong(8 * next(), value);
    return this;
  }

  public KernelArgs f32(float value) {
    bytes.putFloat(8 * next(), value);
    return this;
  }

  public KernelArgs flag(boolean value) {
    return i32(value ? 1 : 0);
  }

  public KernelArgs code(KernelCode value) {
    return i32(value.code());
  }

  public int count() {
    return count;
  }

  /** The void** array, for the host launcher (bound as a plain {@code void*} value). */
  public Pointer pointer() {
    return slots;
  }

  /**
   * The same void** array for cuLaunchKernel's {@code kernelParams}. It must be a PointerPointer:
   * JavaCPP maps that binding's {@code Pointer} overload as {@code @ByPtrPtr}, which would hand the
   * driver the address of a temporary holding the array's address instead of the array.
   */
  public PointerPointer<Pointer> parameterArray() {
    return slotArray;
  }

  @Override
  public void close() {
    values.close();
    slots.close();
  }
}
