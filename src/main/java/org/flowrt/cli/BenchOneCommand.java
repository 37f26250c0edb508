package org.flowrt.cli;

import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.TimingBackend;
import org.flowrt.dist.Collective;
import org.flowrt.dist.Mpi;
import org.flowrt.glow.BackwardMode;
import org.flowrt.glow.Glow;
import org.flowrt.glow.GlowConfig;
import org.flowrt.train.OptimizerKind;
import org.flowrt.train.TrainSettings;
import org.flowrt.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * One configuration, measured the way a side-by-side comparison with another implementation needs:
 * `train`'s model options (any channel count, edge bias on or off), a fixed protocol (learning
 * rate, warm-up steps, a fresh random batch per step), several timed passes with the median
 * reported, and the process's peak RSS besides the allocator's peak. Run one configuration per
 * process so that RSS belongs to it alone.
 */
@Command(name = "bench-one", mixinStandardHelpOptions = true,
    description = "Train and sample images/s, allocator peak and peak RSS of one configuration (one per process).")
final class BenchOneCommand implements Callable<Integer> {
  @Mixin ModelOptions model;
  @Mixin BackendOption backendOption;
  @Mixin DistributedOption distributedOption;

  @Option(names = "--channels", description = "image channels (default ${DEFAULT-VALUE})")
  int channels = 3;

  @Option(names = "--image-size", description = "square image side (default ${DEFAULT-VALUE})")
  int imageSize = 32;

  @Option(names = "--batch", description = "images per step and rank (default ${DEFAULT-VALUE})")
  int batch = 64;

  @Option(names = "--steps-per-pass", description = "timed training steps per pass (default ${DEFAULT-VALUE})")
  int stepsPerPass = 5;

  @Option(names = "--passes", description = "timed passes; the median is reported (default ${DEFAULT-VALUE})")
  int passes = 3;

  @Option(names = "--warmup-steps", description = "untimed steps before the first pass (default ${DEFAULT-VALUE})")
  int warmupSteps = 1;

  @Option(names = "--lr", description = "Adamax learning rate, constant (default ${DEFAULT-VALUE})")
  float lr = 1e-3f;

  @Option(names = "--store-activations", description = "stored-activation backward instead of reversible")
  boolean storeActivations;

  @Option(names = "--temperature", description = "sampling temperature (default ${DEFAULT-VALUE})")
  float temperature = 0.7f;

  @Option(names = "--out", description = "append the result as one JSON line to this file")
  Path out;

  @Option(names = "--op-times", description = "after the timed passes, one more pass of training steps and one "
      + "sample with each kernel and convolution timed (synchronized after each); reported as train_op_times and "
      + "sample_op_times, slowest first")
  boolean opTimes;

  /**
   * Under mpirun, every rank steps on its own random batch and the gradients are summed as in
   * `train`; rank 0 reports the job's images/s (all ranks' images) and the gradient sum's time.
   */
  @Override
  public Integer call() throws Exception {
    distributedOption.validate();
    return distributedOption.run(this::measure);
  }

  private Integer measure(Mpi mpi) throws IOException {
    model.validate();
    Require.between("--channels", channels, 1, 64);
    Require.between("--image-size", imageSize, 1, 1 << 15);
    Require.between("--batch", batch, 1, 1 << 16);
    Require.between("--steps-per-pass", stepsPerPass, 1, 1 << 20);
    Require.between("--passes", passes, 1, 1000);
    Require.between("--warmup-steps", warmupSteps, 0, 1 << 20);
    Require.positive("--lr", lr);
    Require.positive("--temperature", temperature);
    if (out != null) Require.path("--out", out);
    GlowConfig cfg = model.config(channels, imageSize, imageSize);
    BackwardMode mode = storeActivations ? BackwardMode.STORED : BackwardMode.REVERSIBLE;
    int ranksCount = mpi == null ? 1 : mpi.size();
    TrainSettings settings = TrainSettings.defaults(batch * ranksCount, 1).withWarmupImages(0).with(OptimizerKind.ADAMAX, lr, 0, 0, mode, 1);
    SplittableRandom random = new SplittableRandom(7 + (mpi == null ? 0 : mpi.rank()));
    Map<String, Object> r;
    try (Backend device = DistributedOption.openBackend(backendOption, mpi); Collective ranks = DistributedOption.ranks(mpi, device)) {
      TimingBackend timing = opTimes ? new TimingBackend(device) : null;
      r = measure(timing != null ? timing : device, timing, ranks, cfg, settings, random);
    }
    if (r == null) return 0;  // not the leader
    String json = new GsonBuilder().disableHtmlEscaping().create().toJson(r);
    System.out.println(json);
    if (out != null) Files.writeString(out, json + "\n", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    return 0;
  }

  /** The measurement on `be` (`timing` itself when op times are asked for): the result on the leader, null elsewhere. */
  private Map<String, Object> measure(Backend be, TimingBackend timing, Collective ranks, GlowConfig cfg,
      TrainSettings settings, SplittableRandom random) {
    int ranksCount = ranks.size();
    try (Glow glow = new Glow(be, cfg, 1); Trainer trainer = new Trainer(glow, settings, ranks)) {
      try (DeviceBuffer x = be.uploadNew(images(cfg, random))) {
        glow.initialize(x, null, batch, ranks);
      }
      double firstBpd = Double.NaN;
      for (int i = 0; i < warmupSteps; i++) {
        double bpd = step(be, trainer, cfg, random).bpd();
        if (i == 0) firstBpd = bpd;
      }
      be.synchronize();
      double[] train = new double[passes], sample = new double[passes];
      long trainPeak = 0, samplePeak = 0;
      int repaired = 0, skipped = 0;
      double[] sums = new double[passes * stepsPerPass];
      for (int p = 0; p < passes; p++) {
        be.memory().resetPeak();
        ranks.barrier();
        long t0 = System.nanoTime();
        for (int i = 0; i < stepsPerPass; i++) {
          Trainer.StepResult s = step(be, trainer, cfg, random);
          sums[p * stepsPerPass + i] = s.sumSeconds();
          if (s.storedFallback()) repaired++;
          if (s.skipped()) skipped++;
        }
        be.synchronize();
        train[p] = (double) stepsPerPass * batch * ranksCount / ((System.nanoTime() - t0) / 1e9);
        trainPeak = Math.max(trainPeak, be.memory().peakBytes());
        be.memory().resetPeak();
        long s0 = System.nanoTime();
        glow.sample(batch, temperature, p).close();
        be.synchronize();
        sample[p] = batch / ((System.nanoTime() - s0) / 1e9);
        samplePeak = Math.max(samplePeak, be.memory().peakBytes());
      }
      List<TimingBackend.OpTime> trainOps = null, sampleOps = null;
      double trainOpsWall = 0, sampleOpsWall = 0;
      if (timing != null) {
        long t0 = System.nanoTime();
        timing.recording(true);
        for (int i = 0; i < stepsPerPass; i++) step(be, trainer, cfg, random);
        timing.recording(false);
        trainOpsWall = (System.nanoTime() - t0) / 1e6;
        trainOps = timing.takeTimes();
        t0 = System.nanoTime();
        timing.recording(true);
        glow.sample(batch, temperature, passes).close();
        timing.recording(false);
        sampleOpsWall = (System.nanoTime() - t0) / 1e6;
        sampleOps = timing.takeTimes();
      }
      if (!ranks.leader()) return null;
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("backend", be.description());
      if (ranks != Collective.SINGLE) {  // launched by MPI
        r.put("ranks", ranksCount);
        r.put("gradient_sum_seconds", median(sums));  // per step, rank 0
      }
      r.put("config", cfg);
      r.put("backward", settings.mode().name().toLowerCase(java.util.Locale.ROOT));
      r.put("batch", batch);
      r.put("parameters", glow.parameters().count());
      if (Double.isFinite(firstBpd)) r.put("first_train_bpd", firstBpd);  // a sanity check between implementations
      r.put("train_images_per_s", median(train));
      r.put("train_images_per_s_passes", train);
      r.put("sample_images_per_s", median(sample));
      r.put("peak_allocator_bytes", trainPeak);  // of a training step, as `flowrt plan` predicts it
      r.put("sample_peak_allocator_bytes", samplePeak);
      r.put("peak_rss_bytes", peakRss());
      r.put("repaired_steps", repaired);
      r.put("skipped_steps", skipped);
      if (trainOps != null) {
        r.put("op_times_steps", stepsPerPass);
        r.put("train_op_times", trainOps);  // over op_times_steps training steps
        r.put("train_op_times_wall_millis", trainOpsWall);  // the same steps' wall time: ops + the host work between them
        r.put("sample_op_times", sampleOps);  // one sample of --batch images
        r.put("sample_op_times_wall_millis", sampleOpsWall);
      }
      return r;
    }
  }

  /** A fresh random batch. */
  private float[] images(GlowConfig cfg, SplittableRandom random) {
    return BenchCommand.randomImages(Math.toIntExact(batch * cfg.dimensions()), random);
  }

  private Trainer.StepResult step(Backend be, Trainer trainer, GlowConfig cfg, SplittableRandom random) {
    try (DeviceBuffer x = be.uploadNew(images(cfg, random))) {
      return trainer.step(x, batch);
    }
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  /** VmHWM of /proc/self/status (Linux), or -1 where it cannot be read. */
  static long peakRss() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status")))
        if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
    } catch (IOException | NumberFormatException e) {
      // not Linux: no RSS figure
    }
    return -1;
  }
}
