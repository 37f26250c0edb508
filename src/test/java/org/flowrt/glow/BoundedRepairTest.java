package org.flowrt.glow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.testing.Check;
import org.flowrt.testing.Linalg;
import org.flowrt.testing.Rand;
import org.flowrt.testing.TestBackends;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The reversible backward's bounded repair: rebuild failures forced at chosen steps (first, middle
 * and last of a level, one in each level, all of them) are repaired from the segment's checkpoint.
 * The gradients then equal the stored mode's, the repairs name the failing segments, and the step's
 * allocator peak stays within the bound — the peak with every segment repaired — whichever steps
 * fail, far below the stored mode's peak.
 */
class BoundedRepairTest {
  static final GlowConfig CFG = GlowConfig.defaults(1, 16, 16, 2, 9).withWidth(16);  // K = 9: segments [0,3) [3,6) [6,9)
  static final int N = 4;
  final Backend be = TestBackends.cpu();

  record Outcome(float[] gradients, List<String> repairs, long peak) {}

  private Outcome run(BackwardMode mode, Set<String> failing, double threshold) {
    try (Glow g = new Glow(be, CFG, 21);
        DeviceBuffer x = be.uploadNew(new Rand(22).uniform(CFG.dimensions() * N, -0.5, 0.5))) {
      g.initialize(x, N);
      g.failRebuildsAt(failing::contains);
      g.parameters().zeroGrads();
      be.synchronize();
      be.memory().resetPeak();
      try (Glow.Pass pass = g.forward(x, N, mode); Glow.Backward back = g.backward(pass, threshold)) {
        be.synchronize();
        return new Outcome(be.downloadFloats(g.parameters().grads()), back.repairs(), be.memory().peakBytes());
      }
    }
  }

  private static Set<String> all() {
    Set<String> s = new java.util.HashSet<>();
    for (int l = 0; l < 2; l++) for (int k = 0; k < 9; k++) s.add("level" + l + ".step" + k);
    return s;
  }

  @ParameterizedTest
  @ValueSource(strings = {"level0.step0", "level0.step4", "level0.step8", "level1.step2,level0.step6", "ALL"})
  void failedRebuildsAreRepairedWithinTheBound(String which) {
    Set<String> failing = which.equals("ALL") ? all() : Set.of(which.split(","));
    Outcome stored = run(BackwardMode.STORED, Set.of(), 1e-3);
    Outcome healthy = run(BackwardMode.REVERSIBLE, Set.of(), 1e-3);
    Outcome repaired = run(BackwardMode.REVERSIBLE, failing, 1e-3);
    Outcome bound = run(BackwardMode.REVERSIBLE, all(), 1e-3);

    assertTrue(healthy.repairs().isEmpty(), "a healthy model needs no repair: " + healthy.repairs());
    // Each forced failure zeroes a rebuilt input; only its segment is repaired.
    long segments = failing.stream().map(BoundedRepairTest::segmentOf).distinct().count();
    assertEquals(segments, repaired.repairs().size(), repaired.repairs().toString());
    for (String f : failing) assertTrue(repaired.repairs().stream().anyMatch(r -> r.startsWith(segmentOf(f))), f + " in " + repaired.repairs());

    // Repaired segments use the stored mode's activations, the others reversible rebuilds (float32
    // inversion: ~1e-6 relative on these 9-step levels), so the stored mode's gradients hold to 1e-4.
    double scale = Check.maxAbs(Linalg.toDouble(stored.gradients()));
    Check.close("gradients with failures at " + which, Linalg.toDouble(stored.gradients()), repaired.gradients(), 1e-4, 1e-4 * scale);

    assertTrue(repaired.peak() <= bound.peak(), "peak " + repaired.peak() + " within the bound " + bound.peak());
    assertTrue(bound.peak() < stored.peak(), "the bound " + bound.peak() + " is below the stored mode's peak " + stored.peak());
  }

  /** "level0.step4" → "level0.step3" (the first step of its segment; 9 steps cut as [0,3) [3,6) [6,9)). */
  private static String segmentOf(String step) {
    int dot = step.lastIndexOf("step");
    int k = Integer.parseInt(step.substring(dot + 4));
    return step.substring(0, dot + 4) + (k / 3 * 3) + "-";
  }
}
