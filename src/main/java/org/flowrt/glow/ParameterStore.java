package org.flowrt.glow;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;

/**
 * All of a model's float parameters in one device buffer (and their gradients in another): layers
 * register named tensors with initial values, then {@link #allocate} uploads them. Integer tensors
 * (fixed permutations) are registered separately and live in their own buffers.
 *
 * <p>Each tensor starts at a multiple of {@link #ALIGNMENT_BYTES} inside the buffer, as cudaMalloc
 * aligns whole allocations: vector loads and cuDNN filter pointers need it. The gaps are zero in
 * values, gradients and optimizer moments, so the one-launch optimizer leaves them zero. Outside the
 * device (checkpoints, optimizer state on disk) parameters are "packed": concatenated without gaps,
 * in registration order ({@link #pack}, {@link #unpack}).
 */
public final class ParameterStore implements AutoCloseable {
  public static final int ALIGNMENT_BYTES = 256;
  private static final int ALIGNMENT_FLOATS = ALIGNMENT_BYTES / Float.BYTES;

  private final boolean holdsValues;
  private final Map<String, Param> params = new LinkedHashMap<>();
  private final Map<String, float[]> initial = new LinkedHashMap<>();
  private final Map<String, int[]> integers = new LinkedHashMap<>();
  private final Map<String, DeviceBuffer> integerBuffers = new LinkedHashMap<>();
  private long total;
  private long length;
  private DeviceBuffer values;
  private DeviceBuffer grads;
  private Backend backend;

  public ParameterStore() {
    this(true);
  }

  /**
   * @param holdsValues false for a store on a backend that only counts bytes (the planner): shapes
   *     and buffers are registered as usual, but no initial values are computed or uploaded
   */
  public ParameterStore(boolean holdsValues) {
    this.holdsValues = holdsValues;
  }

  /** Whether initial values are computed (false when planning: layers may skip expensive init). */
  public boolean holdsValues() {
    return holdsValues;
  }

  /**
   * Registers a float tensor (row-major in `shape`); `init` gives its initial values and is called
   * at once, in registration order (so seeded initializations draw in a fixed order), unless the
   * store holds no values.
   */
  public Param add(String name, int[] shape, Supplier<float[]> init, boolean trainable) {
    if (values != null) throw new IllegalStateException("parameters already allocated; cannot add " + name);
    if (params.containsKey(name)) throw new IllegalArgumentException("duplicate parameter name " + name);
    Param p = new Param(name, shape, length, trainable);
    if (holdsValues) {
      float[] v = init.get();
      if (v.length != p.count()) throw new IllegalArgumentException(name + ": " + v.length + " initial values for " + p);
      initial.put(name, v);
    }
    params.put(name, p);
    total += p.count();
    length += (p.count() + ALIGNMENT_FLOATS - 1) / ALIGNMENT_FLOATS * ALIGNMENT_FLOATS;
    return p;
  }

  public Param add(String name, int[] shape, Supplier<float[]> init) {
    return add(name, shape, init, true);
  }

  public Param add(String name, int[] shape, float[] init) {
    return add(name, shape, () -> init, true);
  }

  /** Registers a fixed integer tensor (a permutation); returns its device buffer after allocate(). */
  public String addIntegers(String name, int[] values) {
    if (integers.containsKey(name) || params.containsKey(name)) throw new IllegalArgumentException("duplicate parameter name " + name);
    integers.put(name, values.clone());
    return name;
  }

  public void allocate(Backend be) {
    backend = be;
    values = be.allocate(DType.F32, length());
    grads = be.zeros(DType.F32, length());
    if (holdsValues) {
      float[] all = new float[Math.toIntExact(length())];
      for (Param p : params.values()) System.arraycopy(initial.get(p.name()), 0, all, (int) p.offset(), (int) p.count());
      be.upload(all, values);
    }
    initial.clear();
    for (Param p : params.values()) p.bind(values, grads);
    for (Map.Entry<String, int[]> e : integers.entrySet()) integerBuffers.put(e.getKey(), be.uploadNew(e.getValue()));
  }

  /**
   * Replaces a fixed integer tensor (loading a checkpoint). Integer tensors are index tensors that
   * kernels gather with, so a replacement must be a permutation of 0..n−1: an index out of range
   * would read or write outside a device buffer.
   */
  public void replaceIntegers(String name, int[] values) {
    int[] old = integers.get(name);
    if (old == null || old.length != values.length) throw new IllegalArgumentException("no integer tensor " + name + " of length " + values.length);
    String problem = permutationProblem(values);
    if (problem != null) throw new IllegalArgumentException(name + " is not a permutation: " + problem);
    integers.put(name, values.clone());
    backend.upload(values, integerBuffers.get(name));
  }

  /** Null when p holds each of 0..p.length−1 exactly once, else what is wrong. */
  public static String permutationProblem(int[] p) {
    boolean[] seen = new boolean[p.length];
    for (int i = 0; i < p.length; i++) {
      if (p[i] < 0 || p[i] >= p.length) return "index " + p[i] + " at position " + i + " is outside 0.." + (p.length - 1);
      if (seen[p[i]]) return "index " + p[i] + " appears twice";
      seen[p[i]] = true;
    }
    return null;
  }

  public DeviceBuffer integerBuffer(String name) {
    return integerBuffers.get(name);
  }

  public int[] integers(String name) {
    return integers.get(name).clone();
  }

  public Map<String, int[]> integerTensors() {
    return Collections.unmodifiableMap(integers);
  }

  public List<Param> params() {
    return new ArrayList<>(params.values());
  }

  public Param param(String name) {
    return params.get(name);
  }

  /** Total float parameters. */
  public long count() {
    return total;
  }

  /** Elements of the flat value and gradient buffers: the parameters plus alignment gaps (≥ 1). */
  public long length() {
    return Math.max(1, length);
  }

  /** The parameters of a flat buffer's contents (length() values), concatenated without gaps. */
  public float[] pack(float[] flat) {
    if (flat.length != length()) throw new IllegalArgumentException("flat parameter array of " + flat.length + " values, expected " + length());
    float[] packed = new float[Math.toIntExact(total)];
    int at = 0;
    for (Param p : params.values()) {
      System.arraycopy(flat, (int) p.offset(), packed, at, (int) p.count());
      at += (int) p.count();
    }
    return packed;
  }

  /** The inverse of {@link #pack}: packed values placed at their aligned offsets, gaps zero. */
  public float[] unpack(float[] packed) {
    if (packed.length != total) throw new IllegalArgumentException("packed parameter array of " + packed.length + " values, expected " + total);
    float[] flat = new float[Math.toIntExact(length())];
    int at = 0;
    for (Param p : params.values()) {
      System.arraycopy(packed, at, flat, (int) p.offset(), (int) p.count());
      at += (int) p.count();
    }
    return flat;
  }

  /** The flat parameter buffer (all float parameters, registration order). */
  public DeviceBuffer values() {
    return values;
  }

  /** The flat gradient buffer, laid out as values(). */
  public DeviceBuffer grads() {
    return grads;
  }

  public void zeroGrads() {
    backend.zero(grads);
  }

  @Override
  public void close() {
    if (values != null) values.close();
    if (grads != null) grads.close();
    integerBuffers.values().forEach(DeviceBuffer::close);
    integerBuffers.clear();
  }
}
