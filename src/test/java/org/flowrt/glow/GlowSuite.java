package org.flowrt.glow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.ops.CouplingKind;
import org.flowrt.ops.CouplingMask;
import org.flowrt.testing.Check;
import org.flowrt.testing.Rand;
import org.junit.jupiter.api.Test;

/** Flow properties of the whole model, on the backend under test. */
public abstract class GlowSuite {
  protected final Backend be;

  protected GlowSuite(Backend be) {
    this.be = be;
  }

  static GlowConfig small(Permutation p, CouplingKind kind, CouplingMask mask) {
    return GlowConfig.defaults(1, 8, 8, 2, 2).withWidth(16).withPermutation(p).withCoupling(kind, mask);
  }

  /** The RealNVP preset on 3-channel 8×8 images: 2 scales, 2 couplings per half-scale (odd channel count 3 at full size). */
  static GlowConfig realnvp() {
    return GlowConfig.realnvp(3, 8, 8, 2, 2, 16);
  }

  @Test
  void realnvpPresetHasThePapersLayout() {
    try (Glow g = new Glow(be, realnvp(), 1)) {
      // Scale 0: checkerboard couplings on [3, 8, 8], squeeze, channel couplings on [12, 4, 4], factor out 6;
      // scale 1 (last): 3 checkerboard couplings on [6, 4, 4].
      org.junit.jupiter.api.Assertions.assertEquals(1, g.splits());
      org.junit.jupiter.api.Assertions.assertEquals(new org.flowrt.ops.Nchw(1, 6, 4, 4), g.splitShape(0, 1));
      org.junit.jupiter.api.Assertions.assertEquals(new org.flowrt.ops.Nchw(1, 6, 4, 4), g.topShape(1));
      java.util.Set<String> names = new java.util.HashSet<>();
      for (Param p : g.parameters().params()) names.add(p.name().replaceAll("\\.step\\d+\\..*", ""));
      org.junit.jupiter.api.Assertions.assertEquals(java.util.Set.of("scale0.checkerboard", "scale0.channel", "scale1.checkerboard",
          "scale0.split_prior.weight", "scale0.split_prior.edge_weight", "scale0.split_prior.bias", "scale0.split_prior.logs"), names);
      org.junit.jupiter.api.Assertions.assertNotNull(g.parameters().param("scale1.checkerboard.step2.actnorm.bias"), "last scale has K + 1 couplings");
    }
  }

  /** A model after data-dependent init, with every parameter perturbed so no layer is the identity. */
  Glow model(GlowConfig cfg, DeviceBuffer x, int n, long seed) {
    Glow g = new Glow(be, cfg, seed);
    g.initialize(x, n);
    float[] p = be.downloadFloats(g.parameters().values());
    Random r = new Random(seed);
    for (int i = 0; i < p.length; i++) p[i] += (float) (0.02 * r.nextGaussian());
    be.upload(p, g.parameters().values());
    return g;
  }

  DeviceBuffer images(GlowConfig cfg, int n, long seed) {
    float[] x = new Rand(seed).uniform((long) n * cfg.dimensions(), -0.5, 0.5);
    return be.uploadNew(x);
  }

  @Test
  void decodeInvertsEncode() {
    int n = 3;
    for (GlowConfig cfg : List.of(small(Permutation.INVCONV, CouplingKind.AFFINE_SIGMOID, CouplingMask.CHANNEL),
        small(Permutation.INVCONV_LU, CouplingKind.AFFINE_EXP, CouplingMask.CHANNEL),
        small(Permutation.REVERSE, CouplingKind.ADDITIVE, CouplingMask.CHECKERBOARD),
        small(Permutation.SHUFFLE, CouplingKind.AFFINE_SIGMOID, CouplingMask.CHECKERBOARD), realnvp())) {
      try (DeviceBuffer x = images(cfg, n, 1); Glow g = model(cfg, x, n, 2); Latents z = g.encode(x, n);
          DeviceBuffer back = g.decode(z)) {
        be.synchronize();
        // 2 levels × 2 steps of float32 layers, each exactly invertible up to rounding: 1e-4 absolute on [−0.5, 0.5].
        Check.close("decode(encode(x)) " + cfg.permutation() + " " + cfg.coupling() + " " + cfg.mask(),
            org.flowrt.testing.Linalg.toDouble(be.downloadFloats(x)), be.downloadFloats(back), 0, 1e-4);
      }
    }
  }

  private float[] gradients(Glow g, DeviceBuffer x, int n, BackwardMode mode) {
    g.parameters().zeroGrads();
    try (Glow.Pass pass = g.forward(x, n, mode); DeviceBuffer rebuilt = g.backward(pass)) {
      be.synchronize();
      return be.downloadFloats(g.parameters().grads());
    }
  }

  @Test
  void reversibleGradientsEqualStoredGradients() {
    int n = 4;
    for (GlowConfig cfg : List.of(small(Permutation.INVCONV, CouplingKind.AFFINE_SIGMOID, CouplingMask.CHANNEL),
        small(Permutation.INVCONV_LU, CouplingKind.ADDITIVE, CouplingMask.CHECKERBOARD), realnvp())) {
      try (DeviceBuffer x = images(cfg, n, 3); Glow g = model(cfg, x, n, 4)) {
        float[] reversible = gradients(g, x, n, BackwardMode.REVERSIBLE);
        float[] stored = gradients(g, x, n, BackwardMode.STORED);
        double scale = Check.maxAbs(org.flowrt.testing.Linalg.toDouble(stored));
        assertTrue(scale > 0, "gradients are all zero");
        // The reversible pass runs on inputs rebuilt in float32 (error ~1e-6 relative), so the
        // gradients agree to ~1e-5 of the largest gradient.
        Check.close("reversible vs stored gradients " + cfg.permutation(), org.flowrt.testing.Linalg.toDouble(stored),
            reversible, 1e-3, 1e-5 * scale);
      }
    }
  }

  @Test
  void gradientMatchesDirectionalFiniteDifference() {
    int n = 2;
    GlowConfig cfg = small(Permutation.INVCONV_LU, CouplingKind.AFFINE_SIGMOID, CouplingMask.CHANNEL);
    try (DeviceBuffer x = images(cfg, n, 5); Glow g = model(cfg, x, n, 6)) {
      float[] grad = gradients(g, x, n, BackwardMode.REVERSIBLE);
      float[] p = be.downloadFloats(g.parameters().values());
      float[] v = new Rand(7).normal(p.length, 1);
      // Fixed tensors (the LU signs) are not parameters: the direction leaves them alone.
      for (Param param : g.parameters().params())
        if (!param.trainable()) java.util.Arrays.fill(v, (int) param.offset(), (int) (param.offset() + param.count()), 0f);
      double predicted = 0;
      for (int i = 0; i < p.length; i++) predicted += (double) grad[i] * v[i];
      // The loss is piecewise smooth (ReLUs in the coupling networks): steps of 1e-3 and more cross
      // kinks (measured: 2.5% off at 1e-3, 0.4% at 3e-4, 0.2% at 1e-4). Below 1e-4 the float32
      // noise of the loss (~5e-7 bpd) divided by 2·eps takes over. 2e-4 with 2% tolerance.
      double eps = 2e-4;
      double[] losses = new double[2];
      for (int side = 0; side < 2; side++) {
        float[] moved = p.clone();
        for (int i = 0; i < p.length; i++) moved[i] += (float) ((side == 0 ? eps : -eps) * v[i]);
        be.upload(moved, g.parameters().values());
        double sum = 0;
        for (double lp : g.logLikelihood(x, n)) sum += lp;
        losses[side] = -sum / (n * cfg.dimensions() * Math.log(2));
      }
      be.upload(p, g.parameters().values());
      double measured = (losses[0] - losses[1]) / (2 * eps);
      assertEquals(predicted, measured, 2e-2 * Math.abs(predicted) + 1e-3, "directional derivative of the mean bpd");
    }
  }

  /** The model whose training-step memory is compared across depths (1×16×16, L = 2, width 16), and its batch. */
  private static final int PEAK_BATCH = 16;

  private static GlowConfig peakModel(int steps) {
    return GlowConfig.defaults(1, 16, 16, 2, steps).withWidth(16);
  }

  private long trainingStepPeak(int steps, BackwardMode mode) {
    GlowConfig cfg = peakModel(steps);
    int n = PEAK_BATCH;
    try (DeviceBuffer x = images(cfg, n, 8); Glow g = new Glow(be, cfg, 9)) {
      g.initialize(x, n);
      be.synchronize();
      long before = be.memory().currentBytes();
      be.memory().resetPeak();
      g.parameters().zeroGrads();
      try (Glow.Pass pass = g.forward(x, n, mode); DeviceBuffer rebuilt = g.backward(pass)) {
        be.synchronize();
      }
      return be.memory().peakBytes() - before;
    }
  }

  @Test
  void reversibleActivationMemoryIsFlatInDepth() {
    long rev4 = trainingStepPeak(4, BackwardMode.REVERSIBLE), rev32 = trainingStepPeak(32, BackwardMode.REVERSIBLE);
    long st4 = trainingStepPeak(4, BackwardMode.STORED), st32 = trainingStepPeak(32, BackwardMode.STORED);
    assertTrue(rev32 <= 1.25 * rev4, "reversible peak activation bytes K=4: " + rev4 + ", K=32: " + rev32);
    // Growth, not ratios: a backend's depth-independent scratch (cuDNN's workspace on an H100) is in
    // both peaks and once made stored K=32 / K=4 = 2.97 while it grew by 6 MB. The stored mode keeps at
    // least the input of each of the 28 extra steps per level (level l holds D / 2^l values).
    long d = peakModel(4).dimensions();
    long stepInputs = 28L * PEAK_BATCH * Float.BYTES * (d + d / 2);
    long storedGrowth = st32 - st4, reversibleGrowth = rev32 - rev4;
    assertTrue(storedGrowth >= stepInputs, "stored peak activation bytes K=4: " + st4 + ", K=32: " + st32
        + " should grow by at least the 28 extra steps' inputs per level (" + stepInputs + ")");
    assertTrue(storedGrowth > 8 * Math.max(reversibleGrowth, 0), "stored mode grew by " + storedGrowth
        + " from K=4 to K=32, reversible by " + reversibleGrowth + ": reversible should stay nearly flat");
  }

  @Test
  void classConditionalModel() {
    int n = 3;
    GlowConfig cfg = small(Permutation.INVCONV, CouplingKind.AFFINE_SIGMOID, CouplingMask.CHANNEL).withClasses(3, 0.5f);
    try (DeviceBuffer x = images(cfg, n, 12); Glow g = new Glow(be, cfg, 13); DeviceBuffer y = g.labels(new int[] {0, 2, 1})) {
      g.initialize(x, y, n);
      float[] p = be.downloadFloats(g.parameters().values());
      Random r = new Random(14);
      for (int i = 0; i < p.length; i++) p[i] += (float) (0.02 * r.nextGaussian());
      be.upload(p, g.parameters().values());
      assertThrows(IllegalArgumentException.class, () -> g.logLikelihood(x, n), "a conditional model needs labels");
      assertThrows(IllegalArgumentException.class, () -> g.labels(new int[] {0, 3, 1}), "labels are range-checked");

      try (Latents z = g.encode(x, y, n); DeviceBuffer back = g.decode(z)) {
        Check.close("conditional decode(encode(x))", org.flowrt.testing.Linalg.toDouble(be.downloadFloats(x)), be.downloadFloats(back), 0, 1e-4);
      }
      // loss = mean bpd + yWeight·mean CE / ln 2; both backward modes give its gradient.
      java.util.function.DoubleSupplier loss = () -> {
        try (Glow.Pass pass = g.forward(x, y, n, BackwardMode.REVERSIBLE)) {
          double bpd = 0, ce = 0;
          for (double lp : pass.logLikelihood()) bpd += -lp / (cfg.dimensions() * Math.log(2)) / n;
          for (double c : pass.crossEntropy()) ce += c / n;
          return bpd + cfg.yWeight() * ce / Math.log(2);
        }
      };
      float[][] grads = new float[2][];
      for (BackwardMode mode : BackwardMode.values()) {
        g.parameters().zeroGrads();
        try (Glow.Pass pass = g.forward(x, y, n, mode); DeviceBuffer rebuilt = g.backward(pass)) {
          grads[mode.ordinal()] = be.downloadFloats(g.parameters().grads());
        }
      }
      double scale = Check.maxAbs(org.flowrt.testing.Linalg.toDouble(grads[1]));
      Check.close("conditional reversible vs stored gradients", org.flowrt.testing.Linalg.toDouble(grads[1]), grads[0], 1e-3, 1e-5 * scale);
      // Direction over the conditional parts and the top prior they feed (the classifier, the class
      // embedding, the learned top prior): there the loss is smooth and finite differences agree to
      // ~1e-5; the flow steps (ReLU networks) are checked by gradientMatchesDirectionalFiniteDifference.
      float[] v = new float[p.length];
      Random rv = new Random(15);
      for (Param q : g.parameters().params())
        if (q.name().startsWith("classifier") || q.name().startsWith("top_prior"))
          for (long i = q.offset(); i < q.offset() + q.count(); i++) v[(int) i] = (float) rv.nextGaussian();
      double predicted = 0;
      for (int i = 0; i < p.length; i++) predicted += (double) grads[0][i] * v[i];
      double eps = 1e-3;
      double[] side = new double[2];
      for (int k = 0; k < 2; k++) {
        float[] moved = p.clone();
        for (int i = 0; i < p.length; i++) moved[i] += (float) ((k == 0 ? eps : -eps) * v[i]);
        be.upload(moved, g.parameters().values());
        side[k] = loss.getAsDouble();
      }
      be.upload(p, g.parameters().values());
      assertEquals(predicted, (side[0] - side[1]) / (2 * eps), 1e-3 * Math.abs(predicted) + 1e-5, "conditional loss directional derivative");
    }
  }

  @Test
  void sizesNotDivisibleByTwoToTheLAreRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GlowConfig.defaults(1, 28, 28, 3, 2));
    assertTrue(e.getMessage().contains("not divisible by 2^L = 8"), e.getMessage());
  }

  @Test
  void samplesAreFiniteAndTemperatureZeroIsTheMode() {
    GlowConfig cfg = small(Permutation.INVCONV, CouplingKind.AFFINE_SIGMOID, CouplingMask.CHANNEL);
    try (DeviceBuffer x = images(cfg, 2, 10); Glow g = model(cfg, x, 2, 11); DeviceBuffer s = g.sample(5, 0.7f, 3);
        DeviceBuffer m1 = g.sample(2, 0f, 4); DeviceBuffer m2 = g.sample(2, 0f, 5)) {
      be.synchronize();
      for (float v : be.downloadFloats(s)) assertTrue(Float.isFinite(v), "sample value " + v);
      org.junit.jupiter.api.Assertions.assertArrayEquals(be.downloadFloats(m1), be.downloadFloats(m2),
          "at temperature 0 the sample is the prior mean, whatever the seed");
    }
  }
}
