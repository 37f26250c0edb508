package org.flowrt.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The threads that run a oneDNN convolution pass in pieces (chunks of the batch): the calling thread
 * and helpers, each piece claimed by whichever thread comes first, the caller waiting only for
 * pieces already claimed. oneDNN's own OpenMP parallelism splits a pass statically, so when the
 * cores are unevenly shared (five runnable threads on two cores) a pass goes at the pace of the
 * thread on the busier core (docs/benchmarks.md, "Sharing the CPU"); src/main/native/host_pool.h
 * does the same for the custom kernels. Each worker runs oneDNN single-threaded.
 */
final class ConvWorkers implements AutoCloseable {
  /** Piece `index` of a pass, run by worker `worker` (0 is the caller). */
  interface Piece {
    void run(int worker, int index);
  }

  private static final class Job {
    final Piece piece;
    final int count;
    final Thread caller;
    final AtomicInteger next = new AtomicInteger();
    final AtomicInteger finished = new AtomicInteger();
    final AtomicReference<Throwable> failure = new AtomicReference<>();

    Job(Piece piece, int count, Thread caller) {
      this.piece = piece;
      this.count = count;
      this.caller = caller;
    }

    /** Runs pieces until none is left unclaimed; returns how many this worker ran. */
    int drain(int worker) {
      int ran = 0;
      for (int i; (i = next.getAndIncrement()) < count; ran++) {
        try {
          piece.run(worker, i);
        } catch (Throwable t) {
          failure.compareAndSet(null, t);
        }
      }
      return ran;
    }
  }

  private final Thread[] helpers;
  private volatile Job current;
  private volatile boolean closed;

  /** The caller and threads − 1 helper threads (daemons, asleep between passes). */
  ConvWorkers(int threads) {
    helpers = new Thread[Math.max(0, threads - 1)];
    for (int h = 0; h < helpers.length; h++) {
      int worker = h + 1;
      helpers[h] = new Thread(() -> helperLoop(worker), "flowrt-conv-worker-" + worker);
      helpers[h].setDaemon(true);
      helpers[h].start();
    }
  }

  /** Workers, the caller included. */
  int count() {
    return helpers.length + 1;
  }

  /** Runs pieces [0, count) and returns when all have run; rethrows the first piece's failure. */
  void run(int count, Piece piece) {
    if (closed) throw new IllegalStateException("convolution workers used after close");
    Job job = new Job(piece, count, Thread.currentThread());
    current = job;
    for (Thread h : helpers) LockSupport.unpark(h);
    int mine = job.drain(0);
    if (job.finished.addAndGet(mine) != count) {
      for (int spin = 0; spin < 2000 && job.finished.get() != count; spin++) Thread.onSpinWait();
      while (job.finished.get() != count) LockSupport.park(this);
    }
    current = null;
    Throwable t = job.failure.get();
    if (t instanceof RuntimeException e) throw e;
    if (t instanceof Error e) throw e;
    if (t != null) throw new IllegalStateException(t);
  }

  private void helperLoop(int worker) {
    HostKernels.setCallingThreadOpenMpThreads(1);  // oneDNN runs single-threaded on every worker
    Job seen = null;
    while (!closed) {
      Job job = current;
      if (job == null || job == seen) {
        LockSupport.park(this);
        continue;
      }
      seen = job;
      int ran = job.drain(worker);
      if (ran > 0 && job.finished.addAndGet(ran) == job.count) LockSupport.unpark(job.caller);
    }
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    for (Thread h : helpers) LockSupport.unpark(h);
  }
}
