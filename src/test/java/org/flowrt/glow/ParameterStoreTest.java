package org.flowrt.glow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.flowrt.backend.DeviceBuffer;
import org.flowrt.testing.Rand;
import org.flowrt.testing.TestBackends;
import org.junit.jupiter.api.Test;

/** The flat parameter layout: every tensor 256-byte aligned, and packing for files undoes it exactly. */
class ParameterStoreTest {
  @Test
  void everyTensorStartsOn256BytesAndPackingRoundTrips() {
    Rand r = new Rand(5);
    int[][] shapes = {{3}, {1}, {7, 5}, {64}, {65}, {2, 3, 11}};
    try (ParameterStore store = new ParameterStore()) {
      float[][] init = new float[shapes.length][];
      for (int i = 0; i < shapes.length; i++) {
        int n = 1;
        for (int d : shapes[i]) n *= d;
        init[i] = r.normal(n, 1.0);
        store.add("t" + i, shapes[i], init[i]);
      }
      long packedCount = 0;
      for (Param p : store.params()) {
        assertEquals(0, p.offset() * Float.BYTES % ParameterStore.ALIGNMENT_BYTES, p + " starts at byte " + p.offset() * 4);
        packedCount += p.count();
      }
      assertEquals(packedCount, store.count());
      store.allocate(TestBackends.cpu());
      float[] flat = TestBackends.cpu().downloadFloats(store.values());
      assertEquals(store.length(), flat.length);
      float[] packed = store.pack(flat);
      int at = 0;
      for (float[] t : init) {
        float[] part = java.util.Arrays.copyOfRange(packed, at, at + t.length);
        assertArrayEquals(t, part, "tensors are packed in registration order without gaps");
        at += t.length;
      }
      assertArrayEquals(flat, store.unpack(packed), "unpack places values back and leaves gaps zero");
      for (Param p : store.params()) {
        DeviceBuffer v = p.value();
        assertEquals(0, (v.address() - store.values().address()) % ParameterStore.ALIGNMENT_BYTES);
      }
      assertThrows(IllegalArgumentException.class, () -> store.unpack(new float[3]));
    }
  }
}
