package org.flowrt.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.data.BatchLoader;
import org.flowrt.data.InMemoryDataset;
import org.flowrt.glow.BackwardMode;
import org.flowrt.glow.Glow;
import org.flowrt.glow.GlowConfig;
import org.flowrt.glow.Permutation;
import org.flowrt.io.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training, checkpoints and resuming on the backend under test. */
public abstract class TrainingSuite {
  protected final Backend be;
  @TempDir Path dir;

  protected TrainingSuite(Backend be) {
    this.be = be;
  }

  static final GlowConfig CFG = GlowConfig.defaults(1, 8, 8, 2, 2).withWidth(16).withPermutation(Permutation.INVCONV_LU);

  /** 64 images of a few smooth patterns: easy to model, so the loss must fall. */
  public static InMemoryDataset patterns() {
    int n = 64;
    byte[] px = new byte[n * 64];
    java.util.Random r = new java.util.Random(3);
    for (int k = 0; k < n; k++) {
      int kind = k % 4;
      for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++) {
          int v = switch (kind) {
            case 0 -> 32 * i;
            case 1 -> 32 * j;
            case 2 -> (i + j) % 2 == 0 ? 40 : 200;
            default -> 128;
          };
          px[k * 64 + i * 8 + j] = (byte) Math.max(0, Math.min(255, v + r.nextInt(9) - 4));
        }
    }
    return new InMemoryDataset(px, null, 1, 8, 8);
  }

  static TrainSettings settings(BackwardMode mode) {
    return TrainSettings.defaults(16, 64).withWarmupImages(64).with(OptimizerKind.ADAMAX, 5e-3f, 0, 0.9f, mode, 5);
  }

  private void init(Glow g, BatchLoader loader) {
    try (DeviceBuffer x = be.uploadNew(loader.make(1000).images())) {
      g.initialize(x, 16);
    }
  }

  private double train(Glow g, Trainer t, BatchLoader loader, long from, int steps) {
    double last = Double.NaN;
    for (long s = from; s < from + steps; s++)
      try (DeviceBuffer x = be.uploadNew(loader.make(s).images())) {
        last = t.step(x, 16).bpd();
      }
    return last;
  }

  @Test
  void lossFallsOnSimpleData() {
    BatchLoader loader = new BatchLoader(patterns(), 16, 8, 5, 0);
    try (loader; Glow g = new Glow(be, CFG, 1); Trainer t = new Trainer(g, settings(BackwardMode.REVERSIBLE))) {
      init(g, loader);
      double first = train(g, t, loader, 0, 1);
      double last = train(g, t, loader, 1, 40);
      assertTrue(last < first - 1.0, "bpd after 41 steps " + last + " should be well below the first step's " + first);
    }
  }

  @Test
  void resumingFromACheckpointContinuesTheSameRun() throws IOException {
    BatchLoader loader = new BatchLoader(patterns(), 16, 8, 5, 0);
    Path ckpt = dir.resolve("c.safetensors");
    float[] straight;
    try (loader; Glow g = new Glow(be, CFG, 1); Trainer t = new Trainer(g, settings(BackwardMode.REVERSIBLE))) {
      init(g, loader);
      train(g, t, loader, 0, 3);
      Checkpoint.save(ckpt, g, t, 5);
      train(g, t, loader, 3, 3);
      straight = be.downloadFloats(g.parameters().values());
    }
    Checkpoint.Loaded l = Checkpoint.read(ckpt);
    assertEquals(3, l.step());
    try (Glow g = Checkpoint.loadModel(ckpt, be); Trainer t = new Trainer(g, settings(BackwardMode.REVERSIBLE));
        BatchLoader again = new BatchLoader(patterns(), 16, 8, l.seed(), l.step())) {
      assertTrue(g.initialized(), "the init flag is restored");
      Checkpoint.restoreTrainer(l, t, g.parameters().count());
      train(g, t, again, 3, 3);
      // Gradients do not depend on the order of atomic log-det additions, so the resumed run is
      // bit-for-bit the uninterrupted one.
      assertArrayEquals(straight, be.downloadFloats(g.parameters().values()));
    }
  }

  @Test
  void aBadRebuildFallsBackToStoredActivations() {
    BatchLoader loader = new BatchLoader(patterns(), 16, 8, 5, 0);
    try (loader; Glow a = new Glow(be, CFG, 1); Glow b = new Glow(be, CFG, 1);
        Trainer strict = new Trainer(a, settings(BackwardMode.REVERSIBLE).withMaxRebuildError(0));
        Trainer stored = new Trainer(b, settings(BackwardMode.STORED))) {
      init(a, loader);
      init(b, loader);
      for (long s = 0; s < 3; s++)
        try (DeviceBuffer x = be.uploadNew(loader.make(s).images())) {
          Trainer.StepResult r = strict.step(x, 16);
          // A threshold of 0 counts every rebuild (error ~1e-7 > 0) as broken.
          assertTrue(r.storedFallback() && r.rebuildError() > 0 && r.rebuildError() < 1e-4, "rebuild error " + r.rebuildError());
          assertTrue(!stored.step(x, 16).storedFallback());
        }
      // The fallback applies exactly the stored-activation gradients.
      assertArrayEquals(be.downloadFloats(b.parameters().values()), be.downloadFloats(a.parameters().values()));
    }
  }

  @Test
  void nonFiniteStepsAreSkippedThenTrainingStops() {
    BatchLoader loader = new BatchLoader(patterns(), 16, 8, 5, 0);
    try (loader; Glow g = new Glow(be, CFG, 1); Trainer t = new Trainer(g, settings(BackwardMode.REVERSIBLE))) {
      init(g, loader);
      float[] before = be.downloadFloats(g.parameters().values());
      float[] nan = loader.make(0).images();
      nan[5] = Float.NaN;
      try (DeviceBuffer x = be.uploadNew(nan)) {
        for (int i = 0; i < 4; i++) assertTrue(t.step(x, 16).skipped(), "a NaN batch is skipped");
        assertArrayEquals(before, be.downloadFloats(g.parameters().values()), "skipped steps change nothing");
        Trainer.DivergedException e = assertThrows(Trainer.DivergedException.class, () -> t.step(x, 16));
        assertTrue(e.getMessage().contains("5 steps in a row"), e.getMessage());
      }
      assertEquals(0, t.step());
    }
  }

  @Test
  void badCheckpointsAreRefusedWithTheReason() throws IOException {
    Path good = dir.resolve("good.safetensors");
    try (Glow g = new Glow(be, CFG, 1)) {
      Checkpoint.save(good, g, null, 1);
    }
    byte[] bytes = Files.readAllBytes(good);

    Path truncated = dir.resolve("truncated.safetensors");
    Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length - 100));
    assertMessage(truncated, "truncated");

    Path garbage = dir.resolve("garbage.safetensors");
    byte[] g2 = bytes.clone();
    g2[8] = '#';
    Files.write(garbage, g2);
    assertMessage(garbage, "JSON header does not parse");

    Path tiny = dir.resolve("tiny.safetensors");
    Files.write(tiny, new byte[] {1, 2, 3});
    assertMessage(tiny, "too short");

    // A valid safetensors file that lacks a tensor, and one whose tensor has the wrong shape.
    Safetensors.Contents c = Safetensors.read(good);
    Map<String, Safetensors.Tensor> missing = new java.util.LinkedHashMap<>(c.tensors());
    missing.remove("level0.step0.actnorm.bias");
    Path m = dir.resolve("missing.safetensors");
    Safetensors.write(m, missing, c.metadata());
    assertMessage(m, "missing tensor level0.step0.actnorm.bias");
    Map<String, Safetensors.Tensor> reshaped = new java.util.LinkedHashMap<>(c.tensors());
    reshaped.put("level0.step0.actnorm.logs", Safetensors.Tensor.of(new float[3], 3));
    Path r = dir.resolve("reshaped.safetensors");
    Safetensors.write(r, reshaped, c.metadata());
    assertMessage(r, "level0.step0.actnorm.logs is F32[3], expected F32[4]");

    Map<String, String> otherMeta = new java.util.LinkedHashMap<>(c.metadata());
    otherMeta.put("format", "something-else");
    Path other = dir.resolve("other.safetensors");
    Safetensors.write(other, c.tensors(), otherMeta);
    assertMessage(other, "not a flowrt Glow checkpoint");

    assertMessage(dir.resolve("absent.safetensors"), "not found");
  }

  private void assertMessage(Path p, String expected) {
    Exception e = assertThrows(IOException.class, () -> Checkpoint.loadModel(p, be).close());
    assertTrue(e.getMessage().contains(expected), "message for " + p.getFileName() + ": " + e.getMessage());
  }
}
