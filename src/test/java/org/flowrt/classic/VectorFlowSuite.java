package org.flowrt.classic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.DoubleSupplier;
import org.flowrt.backend.Backend;
import org.flowrt.testing.Check;
import org.flowrt.testing.Linalg;
import org.flowrt.testing.TestBackends;
import org.junit.jupiter.api.Test;

/** Classic flows on vectors: whole-stack gradients, directions, refusals, and learning. */
public abstract class VectorFlowSuite {
  protected final Backend be;

  protected VectorFlowSuite(Backend be) {
    this.be = be;
  }

  /** Couplings of both kinds, actnorm, scaling and permutations mixed in one stack (d = 3: odd halves). */
  VectorFlow mixed() {
    return new VectorFlow.Builder(3, 4).mlp(16, 1).realnvp(0).actnorm().shuffle().nice(1).realnvp(1).reverse().scaling().build(be);
  }

  /** Perturbs every parameter so no layer sits at its identity init. */
  void perturb(VectorFlow f, long seed) {
    float[] p = be.downloadFloats(f.parameters().values());
    Random r = new Random(seed);
    for (int i = 0; i < p.length; i++) p[i] += (float) (0.1 * r.nextGaussian());
    be.upload(p, f.parameters().values());
  }

  /** Gradient · v against the central difference of the objective along v (float32 parameters). */
  void checkDirectional(VectorFlow f, DoubleSupplier objectiveAndGradient, double eps, double rtol, String what) {
    double base = objectiveAndGradient.getAsDouble();
    assertTrue(Double.isFinite(base), what + " objective " + base);
    float[] g = be.downloadFloats(f.parameters().grads());
    float[] p = be.downloadFloats(f.parameters().values());
    float[] v = new org.flowrt.testing.Rand(5).normal(p.length, 1);
    double predicted = 0;
    for (int i = 0; i < p.length; i++) predicted += (double) g[i] * v[i];
    double[] side = new double[2];
    for (int k = 0; k < 2; k++) {
      float[] moved = p.clone();
      for (int i = 0; i < p.length; i++) moved[i] += (float) ((k == 0 ? eps : -eps) * v[i]);
      be.upload(moved, f.parameters().values());
      side[k] = objectiveAndGradient.getAsDouble();
    }
    be.upload(p, f.parameters().values());
    double measured = (side[0] - side[1]) / (2 * eps);
    assertEquals(predicted, measured, rtol * Math.abs(predicted) + 1e-4, what + ": gradient·v vs central difference");
  }

  @Test
  void densityGradientOfAMixedStackMatchesFiniteDifferences() {
    float[] x = padTo3(ToyData.MOONS.sample(64, new Random(1)));
    try (VectorFlow f = mixed()) {
      f.initialize(x, 64);
      perturb(f, 2);
      // The objective is a smooth float32 function (no ReLU kinks are crossed at this step in
      // practice: the MLPs see few units near 0); 1e-3 steps, 1% tolerance.
      checkDirectional(f, () -> -f.densityGradient(x, 64), 1e-3, 1e-2, "density");
    }
  }

  @Test
  void viGradientsOfPlanarAndRadialStacksMatchFiniteDifferences() {
    for (String family : new String[] {"planar", "radial"})
      try (VectorFlow f = VectorFlow.preset(be, family, 2, 4, 3, 1e-3f)) {
        perturb(f, 4);
        // Fixed seed: the free-energy estimate is a deterministic smooth function of the parameters.
        checkDirectional(f, () -> f.viGradient(Energy.U2, 1.0, 128, 77), 1e-3, 1e-2, family + " VI");
      }
  }

  @Test
  void normalizingAndGenerativeDirectionsAgree() {
    float[] x = padTo3(ToyData.RINGS.sample(50, new Random(2)));
    try (VectorFlow f = mixed()) {
      f.initialize(x, 50);
      perturb(f, 6);
      float[] back = f.generate(f.normalize(x, 50), 50);
      Check.close("generate(normalize(x))", Linalg.toDouble(x), back, 0, 1e-4);
      // log q of the flow's own samples (generative direction) = log p of them (normalizing direction).
      VectorFlow.Samples s = f.sampleWithLogDensity(40, 9);
      Check.close("log-density of samples, both directions", s.logDensity(), toF(f.logDensity(s.samples(), 40)), 1e-5, 1e-4);
    }
  }

  private static float[] toF(double[] v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
    return f;
  }

  /** 2-D points lifted to 3-D with a third coordinate (the mixed stack is 3-D). */
  private static float[] padTo3(float[] xy) {
    float[] out = new float[xy.length / 2 * 3];
    for (int i = 0; i < xy.length / 2; i++) {
      out[3 * i] = xy[2 * i];
      out[3 * i + 1] = xy[2 * i + 1];
      out[3 * i + 2] = 0.5f * xy[2 * i] - 0.25f;
    }
    return out;
  }

  @Test
  void directionsAFlowCannotComputeAreRefusedClearly() {
    try (VectorFlow planar = VectorFlow.preset(be, "planar", 2, 3, 1, 1e-3f)) {
      DirectionException e = assertThrows(DirectionException.class, () -> planar.logDensity(new float[] {0, 0}, 1));
      assertTrue(e.getMessage().contains("planar flow") && e.getMessage().contains("not closed-form"), e.getMessage());
      assertEquals(2 * 5, planar.sample(5, 1).length, "planar flows sample");
    }
    try (VectorFlow nvp = VectorFlow.preset(be, "realnvp", 2, 2, 1, 1e-3f)) {
      DirectionException e = assertThrows(DirectionException.class, () -> nvp.viStep(Energy.U1, 1, 8, 1, 0));
      assertTrue(e.getMessage().contains("has no gradients"), e.getMessage());
      IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
          () -> nvp.densityStep(new float[] {Float.NaN, 0}, 1, 0));
      assertTrue(bad.getMessage().contains("non-finite"), bad.getMessage());
    }
  }

  /**
   * On a backend that emulates GPU blocks on the CPU (fibers, the CUDA host shim) a 2-D sample
   * costs a 256-thread block, so the long training runs below would take many minutes there. They
   * then train for a few steps only and check that every loss equals the fast CPU backend's: the same
   * kernels under GPU geometry follow the same trajectory. The full runs prove learning on the fast
   * CPU build and on a GPU.
   */
  private static final int EMULATED_STEPS = 6;

  /** Trains `steps` steps on `backend` and returns each step's loss. */
  private interface Run {
    double[] on(Backend backend, int steps);
  }

  private void compareWithFastCpu(String what, Run run) {
    double[] here = run.on(be, EMULATED_STEPS), fast = run.on(TestBackends.cpu(), EMULATED_STEPS);
    // The geometries sum in different orders (double accumulators, float outputs): losses agree to
    // float rounding amplified over a few steps.
    Check.close(what + ": losses under GPU block geometry vs the fast CPU build", fast, here, 1e-4, 1e-5);
  }

  @Test
  void densityFamiliesLearnMoonsFarBetterThanTheBaseGaussian() {
    float[] test = ToyData.MOONS.sample(2000, new Random(12));
    double base = VectorFlow.baseLogLikelihood(test, 2);
    for (String family : new String[] {"nice", "realnvp"}) {
      Run run = (backend, steps) -> {
        Random r = new Random(11);
        double[] losses = new double[steps];
        try (VectorFlow f = VectorFlow.preset(backend, family, 2, family.equals("nice") ? 4 : 6, 5, 3e-3f)) {
          for (int i = 0; i < steps; i++) losses[i] = f.densityStep(ToyData.MOONS.sample(256, r), 256, 10f);
          if (steps == 250) {
            double ll = java.util.Arrays.stream(f.logDensity(test, 2000)).average().orElseThrow();
            // The base N(0, I) scores about −3.8 nats/point on moons; 250 steps must gain ≥ 1 nat.
            assertTrue(ll > base + 1.0, family + ": test log-likelihood " + ll + " vs base Gaussian " + base);
          }
        }
        return losses;
      };
      if (TestBackends.emulatesGpuBlocks(be)) compareWithFastCpu(family, run);
      else run.on(be, 250);
    }
  }

  @Test
  void variationalFamiliesApproachTheTarget() {
    for (String family : new String[] {"planar", "radial"}) {
      Run run = (backend, steps) -> {
        double[] losses = new double[steps];
        try (VectorFlow f = VectorFlow.preset(backend, family, 2, 16, 5, 3e-3f)) {
          double first = f.viGradient(Energy.U1, 1.0, 512, 1);
          for (int i = 0; i < steps; i++) losses[i] = f.viStep(Energy.U1, 1.0, 256, 100 + i, 10f);
          if (steps == 1200) {
            double last = f.viGradient(Energy.U1, 1.0, 4096, 999);
            // At the start the flow is the identity: the base Gaussian's free energy on U1 is ≈ 2.9
            // nats; the exact optimum is −log Z ≈ −1.9. Training must close most of that gap.
            assertTrue(last < first - 2.5, family + ": free energy " + last + " vs base Gaussian " + first);
          }
        }
        return losses;
      };
      if (TestBackends.emulatesGpuBlocks(be)) compareWithFastCpu(family, run);
      else run.on(be, 1200);
    }
  }
}
