package org.flowrt.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.stream.Stream;
import org.flowrt.backend.Backend;
import org.flowrt.backend.CountingBackend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.glow.BackwardMode;
import org.flowrt.glow.Glow;
import org.flowrt.glow.GlowConfig;
import org.flowrt.glow.Permutation;
import org.flowrt.ops.CouplingKind;
import org.flowrt.ops.CouplingMask;
import org.flowrt.testing.Rand;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The planner against the backend's measured memory: over a grid of levels, steps, widths, batches,
 * image sizes, channel counts, couplings, permutations and both backward modes, the planned model
 * bytes, optimizer bytes, step peak and bound (every segment repaired) equal the measured ones
 * exactly (same pool, same size classes, same allocation sequence; the backend's convolution
 * scratch — oneDNN reorder buffers, cuDNN workspaces — replayed per pass).
 */
public abstract class PlannerSuite {
  protected final Backend be;

  protected PlannerSuite(Backend be) {
    this.be = be;
  }

  static Stream<Arguments> grid() {
    GlowConfig base = GlowConfig.defaults(1, 8, 8, 2, 2).withWidth(8);
    return Stream.of(
        Arguments.of(base, 1, BackwardMode.REVERSIBLE),
        Arguments.of(base, 3, BackwardMode.STORED),
        Arguments.of(base.withSteps(3).withWidth(12), 2, BackwardMode.REVERSIBLE),
        Arguments.of(GlowConfig.defaults(3, 16, 16, 3, 1).withWidth(16), 2, BackwardMode.REVERSIBLE),
        Arguments.of(GlowConfig.defaults(3, 16, 16, 3, 1).withWidth(16), 2, BackwardMode.STORED),
        Arguments.of(GlowConfig.defaults(1, 12, 12, 1, 2).withWidth(5).withPermutation(Permutation.INVCONV_LU), 5, BackwardMode.REVERSIBLE),
        Arguments.of(GlowConfig.defaults(3, 8, 8, 2, 2).withWidth(7).withPermutation(Permutation.SHUFFLE)
            .withCoupling(CouplingKind.ADDITIVE, CouplingMask.CHECKERBOARD), 3, BackwardMode.STORED),
        Arguments.of(GlowConfig.realnvp(1, 8, 8, 2, 1, 6), 2, BackwardMode.REVERSIBLE),
        Arguments.of(base.withClasses(4, 0.5f), 4, BackwardMode.REVERSIBLE));
  }

  @ParameterizedTest
  @MethodSource("grid")
  void planEqualsTheMeasuredPeak(GlowConfig cfg, int batch, BackwardMode mode) {
    TrainSettings settings = TrainSettings.defaults(batch, 64).withWarmupImages(0)
        .with(OptimizerKind.ADAMAX, 1e-3f, 0, 0.99f, mode, 3);
    long[] measured = measure(cfg, settings, batch, false);
    try (CountingBackend counting = CountingBackend.of(be, Long.MAX_VALUE)) {
      Planner.Plan plan = Planner.plan(counting, cfg, settings);
      assertEquals(measured[0], plan.modelBytes(), "model bytes");
      assertEquals(measured[1], plan.optimizerBytes(), "optimizer bytes");
      assertEquals(measured[2], plan.peakBytes(), "peak bytes of the step");
      if (mode == BackwardMode.REVERSIBLE) assertEquals(measure(cfg, settings, batch, true)[2], plan.worstRepairPeakBytes(), "bound");
      assertEquals(0, counting.memory().currentBytes(), "the plan frees all it took");
    }
  }

  /**
   * {model bytes, optimizer bytes, peak of one training step} as the backend's pool counts them,
   * above what was in use before; with `failAll`, every segment's rebuild fails and is repaired.
   */
  private long[] measure(GlowConfig cfg, TrainSettings settings, int batch, boolean failAll) {
    be.synchronize();
    long base = be.memory().currentBytes();
    try (Glow glow = new Glow(be, cfg, 3)) {
      long model = be.memory().currentBytes() - base;
      float[] images = new Rand(5).uniform((int) glow.imageShape(batch).count(), -0.5f, 0.5f);
      int[] labels = new int[batch];
      for (int i = 0; i < batch; i++) labels[i] = i % Math.max(1, cfg.classes());
      try (DeviceBuffer x = be.uploadNew(images); DeviceBuffer y = cfg.conditional() ? glow.labels(labels) : null) {
        glow.initialize(x, y, batch);
      }
      if (failAll) glow.failRebuildsAt(step -> true);
      try (Trainer t = new Trainer(glow, settings)) {
        long optimizer = be.memory().currentBytes() - base - model;
        be.memory().resetPeak();
        Trainer.StepResult r;
        try (DeviceBuffer x = be.uploadNew(images); DeviceBuffer y = cfg.conditional() ? glow.labels(labels) : null) {
          r = t.step(x, y, batch);
        }
        assertFalse(r.skipped(), "a finite step");
        // The planner replays the healthy path, and with failAll the path where every segment is repaired.
        assertEquals(failAll, r.storedFallback(), "segments repaired");
        return new long[] {model, optimizer, be.memory().peakBytes() - base};
      }
    }
  }
}
