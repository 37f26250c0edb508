package org.flowrt.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.testing.Linalg;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Base of the op suites that run against every backend (see CpuBackendTest, CudaBackendTest).
 * Buffers made through it are closed after each test, and the test then checks that the backend's
 * in-use bytes are back where they started: no op leaks device memory.
 */
public abstract class OpSuite {
  protected final Backend be;
  private final List<DeviceBuffer> buffers = new ArrayList<>();
  private long bytesBefore;

  protected OpSuite(Backend be) {
    this.be = be;
  }

  @BeforeEach
  void recordMemory() {
    bytesBefore = be.memory().currentBytes();
  }

  @AfterEach
  void closeBuffersAndCheckLeaks() {
    buffers.forEach(DeviceBuffer::close);
    buffers.clear();
    assertEquals(bytesBefore, be.memory().currentBytes(), "device bytes in use after the test (a leak)");
  }

  protected DeviceBuffer track(DeviceBuffer b) {
    buffers.add(b);
    return b;
  }

  protected DeviceBuffer up(float[] values) {
    return track(be.uploadNew(values));
  }

  protected DeviceBuffer up(double[] values) {
    return track(be.uploadNew(values));
  }

  protected DeviceBuffer up(int[] values) {
    return track(be.uploadNew(values));
  }

  protected DeviceBuffer floats(long n) {
    return track(be.zeros(DType.F32, n));
  }

  protected DeviceBuffer doubles(long n) {
    return track(be.zeros(DType.F64, n));
  }

  protected float[] down(DeviceBuffer b) {
    be.synchronize();
    return be.downloadFloats(b);
  }

  protected double[] downD(DeviceBuffer b) {
    be.synchronize();
    return be.downloadDoubles(b);
  }

  protected static double[] d(float[] f) {
    return Linalg.toDouble(f);
  }

  /** A per-sample array filled with one value. */
  protected static double[] perSample(Nchw s, double value) {
    double[] v = new double[s.n()];
    java.util.Arrays.fill(v, value);
    return v;
  }
}
