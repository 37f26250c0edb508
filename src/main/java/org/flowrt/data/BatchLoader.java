package org.flowrt.data;

import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.IntUnaryOperator;

/**
 * Training batches prepared on a background thread so the device never waits on the host. Batch t
 * is a function of (seed, t) alone: epoch e = t / batchesPerEpoch uses a shuffle seeded by
 * (seed, e), and the dequantization noise is seeded by (seed, t). So a resumed run draws exactly
 * the batches the uninterrupted run would have.
 */
public final class BatchLoader implements AutoCloseable {
  /** One prepared batch. */
  public record Batch(long step, float[] images, int[] labels) {}

  private final ImageDataset data;
  private final int batch;
  private final int nBits;
  private final long seed;
  private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(4);
  private final Thread worker;
  private volatile boolean stopped;

  public BatchLoader(ImageDataset data, int batch, int nBits, long seed, long firstStep) {
    if (data.size() < batch)
      throw new IllegalArgumentException("the dataset has " + data.size() + " images, fewer than one batch of " + batch);
    this.data = data;
    this.batch = batch;
    this.nBits = nBits;
    this.seed = seed;
    worker = new Thread(() -> produce(firstStep), "flowrt-batch-loader");
    worker.setDaemon(true);
    worker.start();
  }

  private int[] permutation(long epoch) {
    int n = data.size();
    int[] p = new int[n];
    for (int i = 0; i < n; i++) p[i] = i;
    SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1), t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** Batch t, computed directly (the background thread calls this too). */
  public Batch make(long step) {
    long perEpoch = data.size() / batch;
    long epoch = step / perEpoch;
    int[] perm = permutation(epoch);
    int first = (int) ((step % perEpoch) * batch);
    SplittableRandom noise = new SplittableRandom(seed ^ (0xD1B54A32D192ED03L * (step + 1)));
    return gather(data, batch, b -> perm[first + b], nBits, noise, step);
  }

  /**
   * Images index(0), …, index(n − 1) of a dataset, preprocessed for the model (dequantization
   * noise from `noise`, none when null), with their labels.
   */
  public static Batch gather(ImageDataset data, int n, IntUnaryOperator index, int nBits, SplittableRandom noise, long step) {
    int px = data.pixels();
    float[] images = new float[n * px];
    int[] labels = new int[n];
    byte[] buf = new byte[px];
    for (int b = 0; b < n; b++) {
      int i = index.applyAsInt(b);
      data.image(i, buf);
      Preprocess.toModel(buf, px, nBits, noise, images, b * px);
      labels[b] = data.label(i);
    }
    return new Batch(step, images, labels);
  }

  private void produce(long firstStep) {
    try {
      for (long t = firstStep; !stopped; t++) queue.put(make(t));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      queue.offer(e);
    }
  }

  /** The next batch in order; waits only if the loader has fallen behind. */
  public Batch next() throws InterruptedException {
    Object o = queue.take();
    if (o instanceof RuntimeException e) throw new IllegalStateException("the batch loader failed: " + e.getMessage(), e);
    return (Batch) o;
  }

  @Override
  public void close() {
    stopped = true;
    worker.interrupt();
  }
}
