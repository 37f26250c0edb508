package org.flowrt.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.dist.Collective;

/**
 * A data-parallel job inside one JVM for tests: N threads, one per rank, each with its own backend,
 * meeting at a barrier for every sum. The sums add the ranks' values in rank order (float32 for
 * device buffers, float64 for host values), as an all-reduce would; every rank gets the same result.
 */
public final class ThreadRanks {
  private final int size;
  private final CyclicBarrier barrier;
  private final Object[] slots;

  private ThreadRanks(int size) {
    this.size = size;
    this.barrier = new CyclicBarrier(size);
    this.slots = new Object[size];
  }

  /** Runs rank(collective) on N threads and returns their results in rank order. */
  public static <T> List<T> run(int size, Function<Collective, T> rank) throws Exception {
    ThreadRanks job = new ThreadRanks(size);
    ExecutorService pool = Executors.newFixedThreadPool(size);
    try {
      List<Future<T>> futures = new ArrayList<>();
      for (int r = 0; r < size; r++) {
        Collective c = job.rank(r);
        futures.add(pool.submit(() -> rank.apply(c)));
      }
      List<T> out = new ArrayList<>();
      for (Future<T> f : futures) {
        try {
          out.add(f.get(10, TimeUnit.MINUTES));
        } catch (ExecutionException e) {
          job.barrier.reset();  // the other ranks stop waiting for this one
          if (e.getCause() instanceof Exception cause) throw cause;
          throw e;
        }
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  private void await() {
    try {
      barrier.await(5, TimeUnit.MINUTES);
    } catch (InterruptedException | BrokenBarrierException | TimeoutException e) {
      throw new IllegalStateException("another rank failed or left", e);
    }
  }

  /** Every rank's value, in rank order (a gather through the shared slots). */
  private Object[] exchange(int rank, Object value) {
    slots[rank] = value;
    await();
    Object[] all = slots.clone();
    await();
    return all;
  }

  private Collective rank(int r) {
    return new Collective() {
      @Override
      public int rank() {
        return r;
      }

      @Override
      public int size() {
        return size;
      }

      @Override
      public void sum(double[] values) {
        Object[] all = exchange(r, values.clone());
        java.util.Arrays.fill(values, 0);
        for (Object o : all) {
          double[] v = (double[]) o;
          for (int i = 0; i < values.length; i++) values[i] += v[i];
        }
      }

      @Override
      public void sumOnDevice(DeviceBuffer values) {
        throw new UnsupportedOperationException("device sums need a backend: use ThreadRanks.on(backend, rank)");
      }

      @Override
      public boolean agree(long value) {
        Object[] all = exchange(r, value);
        for (Object o : all)
          if ((long) o != value) return false;
        return true;
      }

      @Override
      public void barrier() {
        await();
      }

      @Override
      public void close() {}
    };
  }

  /** A rank of a job whose device sums go through `be` (each rank has its own backend). */
  public static Collective on(Backend be, Collective rank) {
    return withDeviceSums(rank, values -> {
      float[] mine = be.downloadFloats(values);
      // Sum in float32, rank by rank, through float64 slots that hold float32 values exactly.
      double[] asDoubles = new double[mine.length];
      float[] total = new float[mine.length];
      for (int owner = 0; owner < rank.size(); owner++) {
        for (int i = 0; i < mine.length; i++) asDoubles[i] = owner == rank.rank() ? mine[i] : 0;
        rank.sum(asDoubles);
        for (int i = 0; i < mine.length; i++) total[i] += (float) asDoubles[i];
      }
      be.upload(total, values);
    }, () -> {});
  }

  /** `rank` with its device sums done by `sum`, and `close` run on close (host sums, agreement and barriers as `rank`'s). */
  public static Collective withDeviceSums(Collective rank, java.util.function.Consumer<DeviceBuffer> sum, Runnable close) {
    return new Collective() {
      @Override
      public int rank() {
        return rank.rank();
      }

      @Override
      public int size() {
        return rank.size();
      }

      @Override
      public void sum(double[] values) {
        rank.sum(values);
      }

      @Override
      public void sumOnDevice(DeviceBuffer values) {
        sum.accept(values);
      }

      @Override
      public boolean agree(long value) {
        return rank.agree(value);
      }

      @Override
      public void barrier() {
        rank.barrier();
      }

      @Override
      public void close() {
        close.run();
      }
    };
  }
}
