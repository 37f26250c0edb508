package org.flowrt.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.flowrt.backend.BackendKind;
import org.flowrt.backend.ConvScratch;
import org.flowrt.backend.CountingBackend;
import org.flowrt.backend.OutOfDeviceMemoryException;
import org.flowrt.glow.GlowConfig;
import org.junit.jupiter.api.Test;

/**
 * The planner's capacity check, on its own (its agreement with each backend's measured memory is
 * {@link PlannerSuite}, run against every backend).
 */
class PlannerTest {
  @Test
  void aModelTooBigForTheCapacityIsOutOfMemory() {
    GlowConfig cfg = GlowConfig.defaults(3, 64, 64, 3, 4).withWidth(64);
    TrainSettings s = TrainSettings.defaults(4, 64);
    long need;
    try (CountingBackend be = new CountingBackend(BackendKind.CUDA, 256, 1056, ConvScratch.NONE, Long.MAX_VALUE)) {
      Planner.Plan p = Planner.plan(be, cfg, s);
      need = p.worstRepairPeakBytes();
      assertTrue(need > p.peakBytes(), "repairing every segment needs more than a healthy step");
    }
    // A plan must fit its bound (a step whose every rebuild fails), not only the healthy peak.
    try (CountingBackend be = new CountingBackend(BackendKind.CUDA, 256, 1056, ConvScratch.NONE, need)) {
      assertEquals(need, Planner.plan(be, cfg, s).worstRepairPeakBytes(), "fits in exactly its bound");
    }
    try (CountingBackend be = new CountingBackend(BackendKind.CUDA, 256, 1056, ConvScratch.NONE, need - 1)) {
      assertThrows(OutOfDeviceMemoryException.class, () -> Planner.plan(be, cfg, s));
    }
  }
}
