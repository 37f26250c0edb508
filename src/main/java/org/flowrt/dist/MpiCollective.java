package org.flowrt.dist;

import org.flowrt.backend.Backend;
import org.flowrt.backend.BackendKind;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.cuda.CudaBackend;
import org.flowrt.backend.cuda.NcclCommunicator;

/**
 * The ranks of an MPI job. MPI launches, numbers the ranks, carries the host sums and the barrier;
 * the device sum of the gradients goes through NCCL on the CUDA backend (one communicator per
 * process, bootstrapped from a unique id that rank 0 makes and MPI broadcasts; the all-reduce runs
 * on the backend's stream) and through MPI_Allreduce on the CPU backend, whose device buffers are
 * host memory.
 */
public final class MpiCollective implements Collective {
  private final Mpi mpi;
  private final Backend be;
  private final NcclCommunicator nccl;
  private boolean closed;

  public MpiCollective(Mpi mpi, Backend be) {
    this.mpi = mpi;
    this.be = be;
    if (be.kind() == BackendKind.CUDA) {
      byte[] id = mpi.rank() == 0 ? NcclCommunicator.newUniqueId() : new byte[NcclCommunicator.UNIQUE_ID_BYTES];
      nccl = new NcclCommunicator((CudaBackend) be, mpi.rank(), mpi.size(), mpi.broadcast(id, 0));
    } else {
      nccl = null;
    }
  }

  @Override
  public int rank() {
    return mpi.rank();
  }

  @Override
  public int size() {
    return mpi.size();
  }

  @Override
  public void sum(double[] values) {
    mpi.sumDoubles(values);
  }

  @Override
  public void sumOnDevice(DeviceBuffer values) {
    if (nccl != null) {
      nccl.sumInPlace(values);
    } else {
      values.require(DType.F32, values.count(), "all-reduced buffer");
      be.synchronize();  // the kernels that wrote the buffer have finished
      mpi.sumFloats(values.address(), values.count());
    }
  }

  @Override
  public boolean agree(long value) {
    return mpi.min(value) == mpi.max(value);
  }

  @Override
  public void barrier() {
    mpi.barrier();
  }

  /** Destroys the NCCL communicator; safe to call twice. MPI itself ends with {@link Mpi#finish()}. */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    if (nccl != null) nccl.close();
  }

  @Override
  public String toString() {
    return "rank " + rank() + " of " + size() + " (MPI" + (nccl != null ? " + NCCL" : "") + ")";
  }
}
