package org.flowrt.cli;

import com.google.gson.GsonBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.MemoryStats;
import org.flowrt.glow.BackwardMode;
import org.flowrt.glow.Glow;
import org.flowrt.glow.GlowConfig;
import org.flowrt.glow.Permutation;
import org.flowrt.train.TrainSettings;
import org.flowrt.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Throughput and memory of named configurations on the selected backend: training images/s and
 * sampling images/s, peak allocator bytes of a training step (total, and above what parameters and
 * optimizer state hold), and a depth sweep K = 4, 8, 16, 32 in both backward modes. Inputs are
 * seeded random pixels, so no dataset is needed. Prints a table and writes JSON.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmark training and sampling throughput and memory.")
final class BenchCommand implements Callable<Integer> {
  @Mixin BackendOption backendOption;

  @Option(names = "--out", description = "JSON results (default ${DEFAULT-VALUE})")
  Path out = Path.of("bench.json");

  @Option(names = "--iterations", description = "timed training steps per configuration (default ${DEFAULT-VALUE})")
  int iterations = 3;

  @Option(names = "--batch", description = "images per step (default ${DEFAULT-VALUE})")
  int batch = 64;

  @Option(names = "--width", description = "coupling width of every configuration (default ${DEFAULT-VALUE})")
  int width = 128;

  @Option(names = "--sweep", split = ",", description = "depths K of the sweep (default ${DEFAULT-VALUE})")
  List<Integer> sweep = List.of(4, 8, 16, 32);

  @Override
  public Integer call() throws Exception {
    Require.path("--out", out);
    Require.atLeast("--iterations", iterations, 1);
    Require.atLeast("--batch", batch, 1);
    Require.atLeast("--width", width, 1);
    for (int k : sweep) Require.between("--sweep", k, 1, 4096);
    List<Map<String, Object>> results = new ArrayList<>();
    try (Backend be = backendOption.open()) {
      System.out.println("backend: " + be.description());
      GlowConfig fmnist = GlowConfig.defaults(1, 32, 32, 3, 8).withWidth(width).withPermutation(Permutation.INVCONV_LU);
      results.add(measure(be, "fmnist-32 L3 K8 lu", fmnist, BackwardMode.REVERSIBLE, true));
      for (int k : sweep)
        for (BackwardMode mode : BackwardMode.values())
          results.add(measure(be, "depth K=" + k, fmnist.withSteps(k), mode, false));
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("backend", be.description());
      doc.put("batch", batch);
      doc.put("iterations", iterations);
      doc.put("results", results);
      Files.writeString(out, new GsonBuilder().setPrettyPrinting().create().toJson(doc));
    }
    System.out.printf("%-22s %-10s %12s %12s %14s %16s %10s%n", "config", "backward", "train img/s", "sample img/s", "peak MiB",
        "activation MiB", "irregular");
    for (Map<String, Object> r : results)
      System.out.printf("%-22s %-10s %12.1f %12s %14.1f %16.1f %10s%n", r.get("config"), r.get("backward"), (double) r.get("train_images_per_s"),
          r.containsKey("sample_images_per_s") ? String.format("%.1f", (double) r.get("sample_images_per_s")) : "-",
          (long) r.get("peak_bytes") / 1048576.0, (long) r.get("activation_peak_bytes") / 1048576.0,
          (int) r.get("stored_fallback_steps") + (int) r.get("skipped_steps") == 0 ? "none"
              : r.get("stored_fallback_steps") + "f/" + r.get("skipped_steps") + "s");
    System.out.println("wrote " + out);
    return 0;
  }

  /** Random 8-bit subpixels, dequantized and centered as the data pipeline does (glow-spec §1). */
  static float[] randomImages(int count, java.util.random.RandomGenerator r) {
    float[] px = new float[count];
    for (int i = 0; i < px.length; i++) px[i] = (float) ((r.nextInt(256) + r.nextDouble()) / 256 - 0.5);
    return px;
  }

  private Map<String, Object> measure(Backend be, String name, GlowConfig cfg, BackwardMode mode, boolean sampling) {
    float[] pixels = randomImages(Math.toIntExact(batch * cfg.dimensions()), new Random(7));
    Map<String, Object> res = new LinkedHashMap<>();
    res.put("config", name);
    res.put("backward", mode.name().toLowerCase());
    res.put("levels", cfg.levels());
    res.put("steps", cfg.steps());
    res.put("width", cfg.hiddenWidth());
    // Speed and memory do not depend on the learning rate; a tiny one keeps the model near its init
    // on this fixed random batch, so every timed step is an ordinary one (no fallback, no skip —
    // counted below to prove it).
    TrainSettings settings = TrainSettings.defaults(batch, 60000).withWarmupImages(0)
        .with(org.flowrt.train.OptimizerKind.ADAMAX, 1e-6f, 0, 0, mode, 1);
    try (DeviceBuffer x = be.uploadNew(pixels); Glow glow = new Glow(be, cfg, 1); Trainer trainer = new Trainer(glow, settings)) {
      glow.initialize(x, batch);
      trainer.step(x, batch);  // warm-up: plans, pool
      be.synchronize();
      MemoryStats m = be.memory();
      long base = m.currentBytes();
      m.resetPeak();
      long t0 = System.nanoTime();
      int fallbacks = 0, skipped = 0;
      for (int i = 0; i < iterations; i++) {
        Trainer.StepResult step = trainer.step(x, batch);
        if (step.storedFallback()) fallbacks++;
        if (step.skipped()) skipped++;
      }
      be.synchronize();
      double seconds = (System.nanoTime() - t0) / 1e9;
      res.put("parameters", glow.parameters().count());
      res.put("train_images_per_s", iterations * batch / seconds);
      res.put("peak_bytes", m.peakBytes());
      res.put("activation_peak_bytes", m.peakBytes() - base);
      res.put("stored_fallback_steps", fallbacks);
      res.put("skipped_steps", skipped);
      if (sampling) {
        glow.sample(batch, 0.7f, 1).close();
        be.synchronize();
        long s0 = System.nanoTime();
        for (int i = 0; i < iterations; i++) glow.sample(batch, 0.7f, i).close();
        be.synchronize();
        res.put("sample_images_per_s", iterations * batch / ((System.nanoTime() - s0) / 1e9));
      }
    }
    System.err.println("bench: " + res);
    return res;
  }
}
