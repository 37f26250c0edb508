package org.flowrt.backend.cuda;

import static org.flowrt.backend.cuda.CudaStatus.nccl;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.cuda.global.nccl;
import org.bytedeco.cuda.nccl.ncclComm;
import org.bytedeco.cuda.nccl.ncclUniqueId;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.NativeAddress;

/**
 * One NCCL communicator of this process's GPU in a job of `size` ranks: sums float32 device buffers
 * in place across the ranks, queued on the backend's stream (so it is ordered after the backward
 * pass that wrote the gradients and before the optimizer that reads them, without a host sync).
 * The ranks meet through a unique id that one of them makes ({@link #newUniqueId}) and the others
 * receive by another channel (MPI); NCCL accepts a job of one rank.
 */
public final class NcclCommunicator implements AutoCloseable {
  /** sizeof(ncclUniqueId): NCCL_UNIQUE_ID_BYTES. */
  public static final int UNIQUE_ID_BYTES = 128;

  private final CudaBackend be;
  private final ncclComm comm = new ncclComm();
  private boolean closed;

  /** A fresh id for a new job (ncclGetUniqueId), as bytes to send to the other ranks. */
  public static byte[] newUniqueId() {
    try (ncclUniqueId id = new ncclUniqueId()) {
      nccl(nccl.ncclGetUniqueId(id), "ncclGetUniqueId");
      byte[] bytes = new byte[UNIQUE_ID_BYTES];
      new BytePointer(id).capacity(UNIQUE_ID_BYTES).get(bytes);
      return bytes;
    }
  }

  public NcclCommunicator(CudaBackend be, int rank, int size, byte[] uniqueId) {
    if (uniqueId.length != UNIQUE_ID_BYTES)
      throw new IllegalArgumentException("an NCCL unique id has " + UNIQUE_ID_BYTES + " bytes, not " + uniqueId.length);
    if (rank < 0 || rank >= size) throw new IllegalArgumentException("rank " + rank + " of " + size);
    this.be = be;
    be.makeCurrent();
    try (ncclUniqueId id = new ncclUniqueId()) {
      new BytePointer(id).capacity(UNIQUE_ID_BYTES).put(uniqueId);
      nccl(nccl.ncclCommInitRank(comm, size, id, rank), "ncclCommInitRank(rank " + rank + " of " + size + ")");
    }
  }

  /** In place: buffer ← Σ over ranks, on the backend's stream. */
  public void sumInPlace(DeviceBuffer buffer) {
    if (closed) throw new IllegalStateException("the NCCL communicator is closed");
    buffer.require(DType.F32, buffer.count(), "NCCL all-reduce buffer");
    be.makeCurrent();
    var data = NativeAddress.pointer(buffer.address());
    nccl(nccl.ncclAllReduce(data, data, buffer.count(), nccl.ncclFloat32, nccl.ncclSum, comm, be.stream()), "ncclAllReduce");
  }

  /** ncclCommDestroy; safe to call twice. */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    be.makeCurrent();
    nccl(nccl.ncclCommDestroy(comm), "ncclCommDestroy");
  }
}
