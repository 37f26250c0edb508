package org.flowrt.dist;

import org.flowrt.backend.DeviceBuffer;

/**
 * The processes ("ranks") of one data-parallel job and what they compute together: each rank
 * trains on its own shard of every global batch, and the sums below make their parameters move
 * as one model's. {@link #SINGLE} is the one-process job, where every sum is the value itself.
 */
public interface Collective extends AutoCloseable {
  /** This process's rank, 0 … size − 1; rank 0 alone writes checkpoints, metrics and pictures. */
  int rank();

  int size();

  default boolean leader() {
    return rank() == 0;
  }

  /** In place: values[i] ← Σ over ranks of values[i] (host values: loss sums, actnorm moments). */
  void sum(double[] values);

  /** In place, on the device: a float32 buffer ← Σ over ranks (the flat gradient buffer, one call per step). */
  void sumOnDevice(DeviceBuffer values);

  /** Whether every rank passed the same value (a parameter checksum). */
  boolean agree(long value);

  void barrier();

  @Override
  void close();

  /** One process: nothing to share. */
  Collective SINGLE = new Collective() {
    @Override
    public int rank() {
      return 0;
    }

    @Override
    public int size() {
      return 1;
    }

    @Override
    public void sum(double[] values) {}

    @Override
    public void sumOnDevice(DeviceBuffer values) {}

    @Override
    public boolean agree(long value) {
      return true;
    }

    @Override
    public void barrier() {}

    @Override
    public void close() {}

    @Override
    public String toString() {
      return "one process";
    }
  };
}
