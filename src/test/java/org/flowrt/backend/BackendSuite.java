package org.flowrt.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.flowrt.ops.ActNormOps;
import org.flowrt.ops.Nchw;
import org.junit.jupiter.api.Test;

/** The backend contract: buffers, pool statistics, copies and clear errors for misuse. */
public abstract class BackendSuite {
  protected final Backend be;

  protected BackendSuite(Backend be) {
    this.be = be;
  }

  @Test
  void buffersCloseTwiceSafelyAndRefuseUseAfterClose() {
    DeviceBuffer b = be.allocate(DType.F32, 10);
    DeviceBuffer view = b.slice(2, 3);
    b.close();
    b.close();
    IllegalStateException e = assertThrows(IllegalStateException.class, b::address);
    assertTrue(e.getMessage().contains("after close"), e.getMessage());
    assertThrows(IllegalStateException.class, view::address, "a view dies with its owner");
  }

  @Test
  void poolTracksCurrentAndPeakBytesAndReusesBlocks() {
    MemoryStats m = be.memory();
    long before = m.currentBytes();
    m.resetPeak();
    long address;
    try (DeviceBuffer a = be.allocate(DType.F32, 1000); DeviceBuffer b = be.allocate(DType.F64, 3000)) {
      assertEquals(before + MemoryPool.rounded(4000) + MemoryPool.rounded(24000), m.currentBytes());
      address = a.address();
      assertTrue(b.address() != address);
    }
    assertEquals(before, m.currentBytes());
    assertEquals(before + MemoryPool.rounded(4000) + MemoryPool.rounded(24000), m.peakBytes());
    long reserved = m.reservedBytes();
    try (DeviceBuffer again = be.allocate(DType.F32, 1000)) {
      assertEquals(address, again.address(), "a closed block of the same size class is handed out again");
      assertEquals(reserved, m.reservedBytes(), "reuse takes no new device memory");
    }
  }

  @Test
  void copiesRoundTrip() {
    float[] values = {1.5f, -2f, 3.25f, 7f, -0.5f};
    try (DeviceBuffer a = be.uploadNew(values); DeviceBuffer b = be.allocate(DType.F32, values.length)) {
      be.copy(a, b);
      be.synchronize();
      org.junit.jupiter.api.Assertions.assertArrayEquals(values, be.downloadFloats(b));
      be.zero(b);
      be.synchronize();
      org.junit.jupiter.api.Assertions.assertArrayEquals(new float[values.length], be.downloadFloats(b));
    }
    double[] dv = {1e-300, 2, Math.PI};
    int[] iv = {3, -1, Integer.MAX_VALUE};
    try (DeviceBuffer d = be.uploadNew(dv); DeviceBuffer i = be.uploadNew(iv)) {
      org.junit.jupiter.api.Assertions.assertArrayEquals(dv, be.downloadDoubles(d));
      int[] back = new int[3];
      be.download(i, back);
      org.junit.jupiter.api.Assertions.assertArrayEquals(iv, back);
    }
  }

  @Test
  void wrongShapesAreRefusedWithAMessageNamingThem() {
    Nchw s = new Nchw(2, 4, 3, 3);
    try (DeviceBuffer x = be.allocate(DType.F32, s.count()); DeviceBuffer y = be.allocate(DType.F32, s.count() - 1);
        DeviceBuffer b = be.allocate(DType.F32, 4); DeviceBuffer l = be.allocate(DType.F32, 4)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> ActNormOps.forward(be, x, b, l, 3f, false, s, y, null));
      assertTrue(e.getMessage().contains("actnorm output") && e.getMessage().contains("expected 72"), e.getMessage());
    }
    try (DeviceBuffer x = be.allocate(DType.F32, 3)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> be.upload(new float[4], x));
      assertTrue(e.getMessage().contains("expected 4") && e.getMessage().contains("got 3"), e.getMessage());
    }
  }

  @Test
  void launchRunsAKernel() {
    try (DeviceBuffer y = be.allocate(DType.F32, 4)) {
      be.launch(Kernel.FILL, Grid.of(1), be.args().f32(1f).i64(4).ptr(y));
      be.synchronize();
      org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {1, 1, 1, 1}, be.downloadFloats(y));
    }
  }
}
