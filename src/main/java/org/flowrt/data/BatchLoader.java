package org.flowrt.data;

import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.IntFunction;
import java.util.function.IntUnaryOperator;

/**
 * Training batches prepared on a background thread so the device never waits on the host. Batch t
 * is a function of (seed, t) alone: epoch e = t / batchesPerEpoch uses a shuffle seeded by
 * (seed, e), and the dequantization noise of the image at position j of the batch is seeded by
 * (seed, t, j). So a resumed run draws exactly the batches the uninterrupted run would have.
 *
 * <p>In data-parallel training the batch of step t is the global one, and each rank loads only its
 * {@link Shard} of positions: the images and noise of N ranks together are exactly those of one
 * process with the N-fold batch, whatever N is.
 */
public final class BatchLoader implements AutoCloseable {
  /** One prepared batch. */
  public record Batch(long step, float[] images, int[] labels) {}

  /**
   * Positions [from, to) of every global batch of `global` images: rank r of N takes
   * [r·global/N, (r+1)·global/N), so the shares differ by at most one image.
   */
  public record Shard(int global, int from, int to) {
    public Shard {
      if (global < 1 || from < 0 || to <= from || to > global)
        throw new IllegalArgumentException("shard [" + from + ", " + to + ") of a batch of " + global + " is empty or out of range");
    }

    public static Shard whole(int batch) {
      return new Shard(batch, 0, batch);
    }

    public static Shard of(int global, int rank, int ranks) {
      if (ranks < 1 || rank < 0 || rank >= ranks) throw new IllegalArgumentException("rank " + rank + " of " + ranks);
      if (global < ranks)
        throw new IllegalArgumentException("a batch of " + global + " images cannot be shared by " + ranks + " ranks");
      return new Shard(global, (int) ((long) rank * global / ranks), (int) ((long) (rank + 1) * global / ranks));
    }

    public int count() {
      return to - from;
    }
  }

  private final ImageDataset data;
  private final Shard shard;
  private final int nBits;
  private final long seed;
  private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(4);
  private final Thread worker;
  private volatile boolean stopped;

  public BatchLoader(ImageDataset data, int batch, int nBits, long seed, long firstStep) {
    this(data, Shard.whole(batch), nBits, seed, firstStep);
  }

  /** This rank's shard of every global batch, from global step firstStep on. */
  public BatchLoader(ImageDataset data, Shard shard, int nBits, long seed, long firstStep) {
    if (data.size() < shard.global())
      throw new IllegalArgumentException("the dataset has " + data.size() + " images, fewer than one batch of " + shard.global());
    this.data = data;
    this.shard = shard;
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

  /** This shard of batch t, computed directly (the background thread calls this too). */
  public Batch make(long step) {
    long perEpoch = data.size() / shard.global();
    long epoch = step / perEpoch;
    int[] perm = permutation(epoch);
    int first = (int) ((step % perEpoch) * shard.global()) + shard.from();
    return gather(data, shard.count(), b -> perm[first + b], nBits, b -> noise(seed, step, shard.from() + b), step);
  }

  /** The dequantization noise of one image: a pure function of (seed, t, j), t a step or pass, j a position. */
  public static SplittableRandom noise(long seed, long t, long j) {
    return new SplittableRandom((seed * 0x9E3779B97F4A7C15L + t) * 0xBF58476D1CE4E5B9L + j);
  }

  /**
   * Images index(0), …, index(n − 1) of a dataset, preprocessed for the model (dequantization
   * noise of image b from noise(b), none when noise is null), with their labels.
   */
  public static Batch gather(ImageDataset data, int n, IntUnaryOperator index, int nBits, IntFunction<SplittableRandom> noise,
      long step) {
    int px = data.pixels();
    float[] images = new float[n * px];
    int[] labels = new int[n];
    byte[] buf = new byte[px];
    for (int b = 0; b < n; b++) {
      int i = index.applyAsInt(b);
      data.image(i, buf);
      Preprocess.toModel(buf, px, nBits, noise == null ? null : noise.apply(b), images, b * px);
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
