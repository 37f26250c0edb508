package org.flowrt.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.data.BatchLoader;
import org.flowrt.data.InMemoryDataset;
import org.flowrt.dist.Collective;
import org.flowrt.glow.BackwardMode;
import org.flowrt.glow.Glow;
import org.flowrt.glow.GlowConfig;
import org.flowrt.glow.Permutation;
import org.flowrt.testing.ThreadRanks;
import org.junit.jupiter.api.Test;

/**
 * Data-parallel training on the backend under test, with the ranks as threads of this JVM (each
 * with its own backend; {@link ThreadRanks}), against one process holding the whole batch: the
 * data-dependent init of the union, training steps with the doubled batch, and the sync check.
 * The same code runs across processes over MPI (DistributedTrainingTest).
 */
public abstract class DataParallelSuite {
  private final Supplier<Backend> open;
  private final BiFunction<Backend, Collective, Collective> deviceSums;

  /** Device sums through the host ({@link ThreadRanks#on}). */
  protected DataParallelSuite(Supplier<Backend> open) {
    this(open, ThreadRanks::on);
  }

  /** Device sums by `deviceSums(backend, rank)` (NCCL on the CUDA backend). */
  protected DataParallelSuite(Supplier<Backend> open, BiFunction<Backend, Collective, Collective> deviceSums) {
    this.open = open;
    this.deviceSums = deviceSums;
  }

  /** Three channels (not a multiple of anything convenient), two levels, odd init shares. */
  static final GlowConfig CFG = GlowConfig.defaults(3, 8, 8, 2, 2).withWidth(12).withPermutation(Permutation.INVCONV_LU);
  static final int INIT_IMAGES = 7;
  static final int SHARD = 4;
  static final int STEPS = 3;
  static final long SEED = 21;

  /** 48 seeded random 3×8×8 images: smooth ramps plus noise, different per image. */
  static InMemoryDataset images() {
    int n = 48, px = 3 * 64;
    byte[] p = new byte[n * px];
    java.util.Random r = new java.util.Random(17);
    for (int k = 0; k < n; k++)
      for (int i = 0; i < px; i++) p[k * px + i] = (byte) Math.max(0, Math.min(255, (k * 37 + i * 5) % 256 + r.nextInt(41) - 20));
    return new InMemoryDataset(p, null, 3, 8, 8);
  }

  static TrainSettings settings(int globalBatch) {
    return TrainSettings.defaults(globalBatch, 48).withWarmupImages(0).with(OptimizerKind.ADAMAX, 2e-3f, 0, 0, BackwardMode.REVERSIBLE, SEED);
  }

  /** What one rank ends with: parameters after the init and after training, and each step's bpd. */
  record RankResult(float[] initial, float[] trained, double[] bpd) {}

  /** One rank (or the one process, with Collective.SINGLE): init on its share, then steps on its shard. */
  private RankResult rank(Collective job, int initImages, int steps) {
    InMemoryDataset data = images();
    try (Backend be = open.get(); Collective ranks = job == Collective.SINGLE ? job : deviceSums.apply(be, job)) {
      try (Glow glow = new Glow(be, CFG, SEED); Trainer trainer = new Trainer(glow, settings(SHARD * 2), ranks)) {
        BatchLoader.Shard init = BatchLoader.Shard.of(initImages, ranks.rank(), ranks.size());
        try (BatchLoader loader = new BatchLoader(data, init, 8, SEED ^ 0x5EED, 0);
            DeviceBuffer x = be.uploadNew(loader.make(0).images())) {
          glow.initialize(x, null, init.count(), ranks);
        }
        float[] initial = be.downloadFloats(glow.parameters().values());
        double[] bpd = new double[steps];
        // Rank r of N takes positions [r·B/N, (r+1)·B/N) of every global batch of B = 2·SHARD.
        BatchLoader.Shard shard = BatchLoader.Shard.of(SHARD * 2, ranks.rank(), ranks.size());
        try (BatchLoader loader = new BatchLoader(data, shard, 8, SEED, 0)) {
          for (int s = 0; s < steps; s++)
            try (DeviceBuffer x = be.uploadNew(loader.make(s).images())) {
              bpd[s] = trainer.step(x, shard.count()).bpd();
            }
        }
        if (ranks.size() > 1) trainer.checkRanksInSync();
        return new RankResult(initial, be.downloadFloats(glow.parameters().values()), bpd);
      }
    }
  }

  private static double maxAbsDiff(float[] a, float[] b) {
    assertEquals(a.length, b.length);
    double d = 0;
    for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs((double) a[i] - b[i]));
    return d;
  }

  @Test
  void theInitOfTwoRanksIsTheInitOfOneProcessOnTheUnion() throws Exception {
    RankResult whole = rank(Collective.SINGLE, INIT_IMAGES, 0);
    List<RankResult> two = ThreadRanks.run(2, c -> rank(c, INIT_IMAGES, 0));  // shares of 3 and 4 images
    // The moments are summed in float64 in another order, far below float32's resolution: the
    // parameters agree to one float32 rounding (measured on the CPU: bit for bit).
    for (RankResult r : two) assertTrue(maxAbsDiff(whole.initial(), r.initial()) <= 1e-6, "off by " + maxAbsDiff(whole.initial(), r.initial()));
    assertArrayEquals(two.get(0).initial(), two.get(1).initial(), "both ranks start from the same parameters");
    // The check can fail: rank 0's share alone (what broadcasting rank 0's init would give) is far off.
    RankResult share = rank(Collective.SINGLE, 3, 0);
    assertTrue(maxAbsDiff(whole.initial(), share.initial()) > 1e-2, "rank 0's share alone differs by " + maxAbsDiff(whole.initial(), share.initial()));
  }

  @Test
  void twoRanksTrainAsOneProcessWithTheDoubledBatch() throws Exception {
    RankResult whole = rank(Collective.SINGLE, INIT_IMAGES, STEPS);
    List<RankResult> two = ThreadRanks.run(2, c -> rank(c, INIT_IMAGES, STEPS));
    assertArrayEquals(two.get(0).trained(), two.get(1).trained(), "the ranks hold the same parameters, bit for bit");
    for (int s = 0; s < STEPS; s++)
      assertEquals(whole.bpd()[s], two.get(0).bpd()[s], 1e-5, "step " + (s + 1) + "'s global loss");
    // float32 gradients summed in another order (a mean of two shard means against one mean) differ
    // by ~1e-7 relative; Adamax scales each update to about ±lr = 2e-3 per step. Measured on the
    // CPU: 1.1e-7 after three steps. 1e-5 leaves room for other backends' reduction orders and is
    // still 200× below one step's size, so a wrong shard, a missing 1/N or a skipped sum fails it.
    double diff = maxAbsDiff(whole.trained(), two.get(0).trained());
    assertTrue(diff <= 1e-5, "parameters off by " + diff);
    assertTrue(maxAbsDiff(whole.initial(), whole.trained()) > 1e-3, "the steps moved the parameters");
  }

  @Test
  void aNonFiniteLossOnOneRankIsSkippedByEveryRankAndEndsThemInTheSameStep() throws Exception {
    // Rank 1's shard holds a NaN pixel: the summed loss and gradients are NaN on both ranks, so both
    // skip every step, keep their parameters, and diverge together (no rank left waiting in a sum).
    List<String> outcomes = ThreadRanks.run(2, job -> {
      InMemoryDataset data = images();
      try (Backend be = open.get(); Collective ranks = deviceSums.apply(be, job); Glow glow = new Glow(be, CFG, SEED);
          Trainer trainer = new Trainer(glow, settings(SHARD * 2), ranks)) {
        BatchLoader.Shard shard = BatchLoader.Shard.of(SHARD * 2, ranks.rank(), ranks.size());
        try (BatchLoader loader = new BatchLoader(data, shard, 8, SEED, 0)) {
          float[] x = loader.make(0).images();
          try (DeviceBuffer init = be.uploadNew(x)) {
            glow.initialize(init, null, shard.count(), ranks);
          }
          if (ranks.rank() == 1) x[x.length / 3] = Float.NaN;
          float[] before = be.downloadFloats(glow.parameters().values());
          for (int attempt = 1; ; attempt++)
            try (DeviceBuffer b = be.uploadNew(x)) {
              Trainer.StepResult r = trainer.step(b, shard.count());
              assertTrue(r.skipped() && Double.isNaN(r.bpd()), "attempt " + attempt + " is skipped on rank " + ranks.rank());
            } catch (Trainer.DivergedException e) {
              assertArrayEquals(before, be.downloadFloats(glow.parameters().values()), "no skipped step changed anything");
              return "diverged at attempt " + attempt + ", step " + trainer.step();
            }
        }
      }
    });
    assertEquals(List.of("diverged at attempt 5, step 0", "diverged at attempt 5, step 0"), outcomes);
  }

  @Test
  void ranksThatDriftApartAreStoppedNamingTheStep() throws Exception {
    List<String> messages = ThreadRanks.run(2, job -> {
      try (Backend be = open.get(); Collective ranks = deviceSums.apply(be, job); Glow glow = new Glow(be, CFG, SEED);
          Trainer trainer = new Trainer(glow, settings(SHARD * 2), ranks)) {
        trainer.checkRanksInSync();  // equal: passes
        float[] p = be.downloadFloats(glow.parameters().values());
        if (job.rank() == 1) p[p.length / 2] = Math.nextUp(p[p.length / 2]);  // one ulp on one rank
        be.upload(p, glow.parameters().values());
        return assertThrows(IllegalStateException.class, trainer::checkRanksInSync).getMessage();
      }
    });
    for (String m : messages) assertTrue(m.contains("differ after step 0"), m);
    List<String> ranks = new ArrayList<>(messages);
    assertTrue(ranks.get(0).contains("rank 0") && ranks.get(1).contains("rank 1"), ranks.toString());
  }
}
