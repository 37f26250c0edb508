package org.flowrt.testing;

import org.flowrt.backend.Backend;
import org.flowrt.backend.cuda.CudaBackend;
import org.flowrt.backend.cuda.NcclCommunicator;
import org.flowrt.dist.Collective;

/**
 * A rank of a {@link ThreadRanks} job whose device sums go through NCCL, as MpiCollective's do on
 * the CUDA backend: rank 0 makes the unique id and the others receive it (here through the job's
 * float64 sum, every other rank adding zeros), then each joins the communicator.
 */
public final class NcclRanks {
  private NcclRanks() {}

  public static Collective on(Backend be, Collective job) {
    double[] shared = new double[NcclCommunicator.UNIQUE_ID_BYTES];
    if (job.rank() == 0) {
      byte[] id = NcclCommunicator.newUniqueId();
      for (int i = 0; i < id.length; i++) shared[i] = id[i];
    }
    job.sum(shared);
    byte[] id = new byte[shared.length];
    for (int i = 0; i < id.length; i++) id[i] = (byte) shared[i];
    NcclCommunicator nccl = new NcclCommunicator((CudaBackend) be, job.rank(), job.size(), id);
    return ThreadRanks.withDeviceSums(job, nccl::sumInPlace, nccl::close);
  }
}
