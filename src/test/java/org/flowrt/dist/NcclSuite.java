package org.flowrt.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Supplier;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.NativeCallException;
import org.flowrt.backend.cuda.CudaBackend;
import org.flowrt.backend.cuda.NcclCommunicator;
import org.flowrt.testing.Rand;
import org.flowrt.testing.ThreadRanks;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The NCCL communicator through the real JavaCPP binding, on the CUDA backend (a GPU, or the host
 * shim's libnccl.so.2): one rank, as NCCL accepts and a lone GPU runs, and several ranks as threads
 * with a backend each (the shim; NCCL itself refuses two ranks on one GPU).
 */
public abstract class NcclSuite {
  private final Supplier<CudaBackend> open;

  protected NcclSuite(Supplier<CudaBackend> open) {
    this.open = open;
  }

  @Test
  void aJobOfOneRankSumsToItself() {
    try (CudaBackend be = open.get(); NcclCommunicator nccl = new NcclCommunicator(be, 0, 1, NcclCommunicator.newUniqueId())) {
      float[] values = new Rand(5).normal(1001, 3);  // odd length
      try (DeviceBuffer b = be.uploadNew(values)) {
        nccl.sumInPlace(b);
        assertArrayEquals(values, be.downloadFloats(b));
      }
      nccl.close();
      nccl.close();  // safe twice
    }
  }

  @Test
  void threeRanksGetTheSumOfTheirBuffers() throws Exception {
    try (CudaBackend probe = open.get()) {
      Assumptions.assumeTrue(probe.description().contains("host shim"), "several ranks on one GPU: NCCL refuses them");
    }
    int n = 4099;
    float[][] inputs = new float[3][];
    for (int r = 0; r < 3; r++) inputs[r] = new Rand(40 + r).normal(n, 2);
    List<float[]> results = ThreadRanks.run(3, job -> {
      try (CudaBackend be = open.get(); Collective ranks = org.flowrt.testing.NcclRanks.on(be, job);
          DeviceBuffer b = be.uploadNew(inputs[job.rank()])) {
        ranks.sumOnDevice(b);
        return be.downloadFloats(b);
      }
    });
    // float32 sums in rank order: the reference adds in the same order, so they match exactly.
    float[] expected = new float[n];
    for (float[] in : inputs)
      for (int i = 0; i < n; i++) expected[i] += in[i];
    for (float[] r : results) assertArrayEquals(expected, r);
  }

  @Test
  void badUseIsAnErrorNamingTheCall() {
    try (CudaBackend be = open.get()) {
      NativeCallException e = assertThrows(NativeCallException.class, () -> new NcclCommunicator(be, 0, 1, new byte[128]));
      assertTrue(e.getMessage().contains("ncclCommInitRank"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> new NcclCommunicator(be, 2, 2, NcclCommunicator.newUniqueId()));
      try (NcclCommunicator nccl = new NcclCommunicator(be, 0, 1, NcclCommunicator.newUniqueId());
          DeviceBuffer ints = be.allocate(DType.I32, 4)) {
        assertThrows(IllegalArgumentException.class, () -> nccl.sumInPlace(ints));
        nccl.close();
        assertEquals("the NCCL communicator is closed", assertThrows(IllegalStateException.class, () -> nccl.sumInPlace(ints)).getMessage());
      }
    }
  }
}
