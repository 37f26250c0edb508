package org.flowrt.train;

import org.flowrt.backend.CountingBackend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.MemoryStats;
import org.flowrt.glow.BackwardMode;
import org.flowrt.glow.Glow;
import org.flowrt.glow.GlowConfig;

/**
 * The device memory of one training step, found without computing anything: the model, trainer
 * and batch are built on a {@link CountingBackend} and one step runs there, replaying the
 * allocation sequence of the real backend. The protocol is the one `flowrt train` measures its
 * `peak_bytes` by: reset the pool's peak, upload the batch, take one step.
 */
public final class Planner {
  private Planner() {}

  /**
   * Bytes as the pool counts them (rounded to its size classes).
   *
   * @param modelBytes parameters, their gradients and the permutation tensors
   * @param optimizerBytes optimizer moments and the Polyak average
   * @param peakBytes the step's peak, everything above included: the number that must fit
   * @param worstRepairPeakBytes the peak of a reversible step whose every segment fails its rebuild
   *     and is repaired from its checkpoint: the bound on any step, whichever rebuilds fail (equal
   *     to peakBytes in stored mode)
   */
  public record Plan(long parameters, long modelBytes, long optimizerBytes, long peakBytes, long worstRepairPeakBytes) {
    /** Activations, batch and scratch at the step's peak: what grows with image size and batch. */
    public long stepBytes() {
      return peakBytes - modelBytes - optimizerBytes;
    }
  }

  /** Plans one training step of `cfg` with these settings; throws OutOfDeviceMemoryException when it does not fit. */
  public static Plan plan(CountingBackend be, GlowConfig cfg, TrainSettings settings) {
    long[] healthy = replay(be, cfg, settings, false);
    long worst = settings.mode() == BackwardMode.REVERSIBLE ? replay(be, cfg, settings, true)[3] : healthy[3];
    return new Plan(healthy[0], healthy[1], healthy[2], healthy[3], worst);
  }

  /** {parameters, model bytes, optimizer bytes, step peak}, with every rebuild failing when `failAll`. */
  private static long[] replay(CountingBackend be, GlowConfig cfg, TrainSettings settings, boolean failAll) {
    MemoryStats m = be.memory();
    long before = m.currentBytes();
    try (Glow glow = new Glow(be, cfg, settings.seed())) {
      glow.markInitialized(true);
      if (failAll) glow.failRebuildsAt(step -> true);
      long model = m.currentBytes() - before;
      try (Trainer trainer = new Trainer(glow, settings)) {
        long optimizer = m.currentBytes() - before - model;
        int n = settings.batch();
        m.resetPeak();
        try (DeviceBuffer x = be.allocate(DType.F32, glow.imageShape(n).count());
            DeviceBuffer y = cfg.conditional() ? be.allocate(DType.I32, n) : null) {
          trainer.step(x, y, n);
        }
        return new long[] {glow.parameters().count(), model, optimizer, m.peakBytes() - before};
      }
    }
  }
}
