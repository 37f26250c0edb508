package org.flowrt.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.data.BatchLoader;
import org.flowrt.data.ImageDataset;
import org.flowrt.dist.Collective;
import org.flowrt.glow.BackwardMode;
import org.flowrt.glow.Glow;
import org.flowrt.io.Pictures;
import org.flowrt.train.Checkpoint;
import org.flowrt.train.Trainer;

/**
 * One session of a training run: steps until the budget is spent, checkpoints as it goes, then
 * evaluates, samples and draws the whole run's loss curve.
 *
 * <p>A checkpoint holds only weights whose loss was seen to be finite. Weights after update t are
 * captured (copied off the device) when a save is due, and written once step t + 1 has computed a
 * finite loss with them; the final weights are checked on one more batch. So when an update breaks
 * the model, the checkpoint on disk is the last state before it. A fresh run captures its state
 * right after the data-dependent init, so even a run that diverges at once leaves a checkpoint.
 *
 * <p>In a data-parallel job every rank runs this loop on its shard of each global batch, and every
 * decision that changes what the ranks do next (stop for the time budget, skip, diverge, verify the
 * final weights) is taken from values summed across the ranks, so they stay in step; rank 0 alone
 * writes the checkpoint, the metrics, the pictures and the progress.
 */
final class TrainingSession {
  /** A run is flagged unhealthy above these fractions of its steps. */
  private static final double MAX_FALLBACK_FRACTION = 0.05;
  private static final double MAX_SKIPPED_FRACTION = 0.01;

  private final TrainCommand options;
  private final Backend be;
  private final Glow glow;
  private final Trainer trainer;
  private final ImageDataset train;
  private final ImageDataset test;
  private final MetricsLog metrics;
  private final TrainCommand.RunInputs run;
  private final Collective ranks;
  private final boolean leader;
  private final Path checkpoint;
  private Checkpoint.Snapshot pending;
  private long savedStep;

  TrainingSession(TrainCommand options, Backend be, Glow glow, Trainer trainer, ImageDataset train, ImageDataset test,
      MetricsLog metrics, TrainCommand.RunInputs run) {
    this.options = options;
    this.be = be;
    this.glow = glow;
    this.trainer = trainer;
    this.train = train;
    this.test = test;
    this.metrics = metrics;
    this.run = run;
    this.ranks = trainer.ranks();
    this.leader = ranks.leader();
    this.checkpoint = options.out.resolve(TrainCommand.CHECKPOINT);
    this.savedStep = options.resume ? trainer.step() : -1;
  }

  private Checkpoint.Snapshot capture() {
    return Checkpoint.capture(glow, trainer, trainer.settings().seed(), Map.of("run", new com.google.gson.Gson().toJson(run)));
  }

  private void writePending() throws IOException {
    pending.write(checkpoint);
    savedStep = pending.step();
    pending = null;
  }

  /** A decision that rank 0 takes, known to every rank (a no-op alone). */
  private boolean leaderSays(boolean decision) {
    double[] vote = {leader && decision ? 1 : 0};
    ranks.sum(vote);
    return vote[0] > 0;
  }

  Integer run() throws Exception {
    int batch = options.batch, globalBatch = trainer.settings().batch();
    long stepsPerEpoch = Math.max(1, train.size() / globalBatch);
    long stepLimit = options.maxSteps > 0 ? options.maxSteps : Long.MAX_VALUE;
    if (options.epochs > 0) stepLimit = Math.min(stepLimit, (long) Math.ceil(options.epochs * stepsPerEpoch));
    long startStep = trainer.step();
    long start = System.nanoTime(), lastCapture = start;
    double budgetSeconds = options.minutes > 0 ? options.minutes * 60 : Double.POSITIVE_INFINITY;
    boolean reversible = trainer.settings().mode() == BackwardMode.REVERSIBLE;
    Progress progress = leader ? new Progress("train") : Progress.silent();
    double lastBpd = Double.NaN, maxRebuild = 0;
    long imagesThisRun = 0, fallbacks = 0, brokenRebuilds = 0, skipped = 0, stepsRun = 0;
    if (!options.resume && leader) pending = capture();
    BatchLoader.Shard shard = BatchLoader.Shard.of(globalBatch, ranks.rank(), ranks.size());
    long checkSyncEvery = options.distributedOption.checkSyncEvery;
    try (BatchLoader loader = new BatchLoader(train, shard, glow.config().nBits(), trainer.settings().seed(), trainer.step())) {
      while (trainer.step() < stepLimit) {
        double elapsed = (System.nanoTime() - start) / 1e9;
        // With a time budget, rank 0's clock is the job's; a step or epoch budget every rank counts alike.
        if (budgetSeconds < Double.POSITIVE_INFINITY && leaderSays(elapsed >= budgetSeconds)) break;
        BatchLoader.Batch b = loader.next();
        Trainer.StepResult r;
        be.memory().resetPeak();
        try (DeviceBuffer x = be.uploadNew(b.images()); DeviceBuffer y = TrainCommand.labels(glow, b.labels())) {
          r = trainer.step(x, y, batch);
        } catch (Trainer.DivergedException e) {
          throw diverged(e);
        }
        stepsRun++;
        imagesThisRun += globalBatch;
        if (checkSyncEvery > 0 && trainer.step() % checkSyncEvery == 0) trainer.checkRanksInSync();
        elapsed = (System.nanoTime() - start) / 1e9;
        if (reversible) {
          if (Double.isFinite(r.rebuildError())) maxRebuild = Math.max(maxRebuild, r.rebuildError());
          else brokenRebuilds++;
        }
        if (r.storedFallback()) fallbacks++;
        if (r.skipped()) skipped++;
        else lastBpd = r.bpd();
        if (leader) metrics.append(stepRecord(r, imagesThisRun / elapsed, elapsed, reversible));
        if (!r.skipped() && pending != null) writePending();
        if (leader && pending == null && (System.nanoTime() - lastCapture) / 6e10 >= options.checkpointMinutes) {
          pending = capture();
          lastCapture = System.nanoTime();
        }
        double fraction = Math.max(options.minutes > 0 ? elapsed / budgetSeconds : 0,
            stepLimit < Long.MAX_VALUE ? (double) (trainer.step() - startStep) / Math.max(1, stepLimit - startStep) : 0);
        progress.update(Math.min(1, fraction), String.format("step %d, %.1f img/s, bpd %.4f", trainer.step(), imagesThisRun / elapsed, lastBpd));
      }
      progress.finish();
      if (leader && pending == null && trainer.step() != savedStep) pending = capture();
      if (leaderSays(pending != null)) {
        verifyFinalWeights(loader.next());
        if (leader) writePending();
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    double testBpd = trainer.withAveragedWeights(() -> Evaluation.meanBpd(glow, test, options.evalImages, Math.max(batch, 64), true,
        trainer.settings().seed(), "test", ranks));
    if (!leader) return 0;
    System.err.printf("flowrt: %d steps, %.1f images/s, last train bpd %.4f; checkpoint %s (step %d)%n", stepsRun,
        imagesThisRun / seconds, lastBpd, checkpoint, savedStep);
    if (reversible)
      System.err.printf("flowrt: reversible backward: largest finite rebuild error %.3g, %d non-finite rebuilds, %d of %d steps"
          + " with segments repaired from their checkpoints (threshold %.1g)%n", maxRebuild, brokenRebuilds, fallbacks, stepsRun,
          trainer.settings().maxRebuildError());
    summarize(stepsRun, skipped, fallbacks, maxRebuild);

    int evalCount = options.evalImages > 0 ? Math.min(options.evalImages, test.size()) : test.size();
    JsonObject eval = new JsonObject();
    eval.addProperty("step", trainer.step());
    eval.addProperty("event", "eval");
    eval.addProperty("test_bpd", testBpd);
    eval.addProperty("test_images", evalCount);
    eval.addProperty("train_images_per_s", imagesThisRun / seconds);
    metrics.append(eval);
    System.out.printf("test bpd %.4f (%d images) after %d steps%n", testBpd, evalCount, trainer.step());
    Path grid = options.out.resolve("samples.png");
    trainer.withAveragedWeights(() -> {
      writeSamples(grid);
      return null;
    });
    Path curve = options.out.resolve("loss-curve.png");
    Pictures.writeLossCurve(curve, metrics.curve("train_bpd"), metrics.curve("test_bpd"));
    System.out.printf("samples (T=%.2f): %s%nloss curve: %s%nmetrics: %s%n", options.temperature, grid, curve, metrics.path());
    return 0;
  }

  private JsonObject stepRecord(Trainer.StepResult r, double imagesPerSecond, double elapsed, boolean reversible) {
    JsonObject line = new JsonObject();
    line.addProperty("step", r.step());
    TrainCommand.number(line, "train_bpd", r.bpd());
    TrainCommand.number(line, "grad_norm", r.gradNorm());
    TrainCommand.number(line, "lr", r.learningRate());
    if (glow.config().conditional()) TrainCommand.number(line, "cross_entropy", r.crossEntropy());
    line.addProperty("skipped", r.skipped());
    TrainCommand.number(line, "images_per_s", imagesPerSecond);
    line.addProperty("peak_bytes", be.memory().peakBytes());
    if (reversible) TrainCommand.number(line, "rebuild_error", r.rebuildError());
    line.addProperty("stored_fallback", r.storedFallback());
    if (!r.repairs().isEmpty()) {
      JsonArray repaired = new JsonArray();
      r.repairs().forEach(repaired::add);
      line.add("repaired", repaired);  // segments recomputed with stored activations from their checkpoint
    }
    if (ranks != Collective.SINGLE) TrainCommand.number(line, "gradient_sum_seconds", r.sumSeconds());
    line.addProperty("seconds", elapsed);
    return line;
  }

  /** The weights about to be saved at the end must give a finite loss on one more batch (all ranks' shards). */
  private void verifyFinalWeights(BatchLoader.Batch b) throws IOException {
    double[] lp;
    try (DeviceBuffer x = be.uploadNew(b.images()); DeviceBuffer y = TrainCommand.labels(glow, b.labels())) {
      lp = glow.logLikelihood(x, y, options.batch);
    }
    double[] nonFinite = {0};
    for (double v : lp)
      if (!Double.isFinite(v)) nonFinite[0]++;
    ranks.sum(nonFinite);
    if (nonFinite[0] > 0)
      throw diverged(new Trainer.DivergedException("the last update made the model's loss non-finite on " + (long) nonFinite[0]
          + " of " + trainer.settings().batch() + " images"));
  }

  /** Records the divergence and says which checkpoint is kept. */
  private Trainer.DivergedException diverged(Trainer.DivergedException e) throws IOException {
    pending = null;
    if (!leader) return e;
    JsonObject event = new JsonObject();
    event.addProperty("step", trainer.step());
    event.addProperty("event", "diverged");
    event.addProperty("message", e.getMessage());
    event.addProperty("checkpoint_step", savedStep);
    metrics.append(event);
    String kept = savedStep >= 0 ? checkpoint + " keeps step " + savedStep + ", the last state whose loss was finite"
        : "no checkpoint was kept";
    return new Trainer.DivergedException(e.getMessage() + "; " + kept);
  }

  /** A run whose health is poor says so at the end, prominently, and in the metrics. */
  private void summarize(long steps, long skipped, long fallbacks, double maxRebuild) throws IOException {
    List<String> problems = new ArrayList<>();
    if (steps > 0 && fallbacks > MAX_FALLBACK_FRACTION * steps)
      problems.add(String.format("%d of %d steps had to recompute segments with stored activations (the reversible"
          + " rebuild failed; largest finite rebuild error %.3g; see \"repaired\" in the metrics)", fallbacks, steps, maxRebuild));
    if (steps > 0 && skipped > MAX_SKIPPED_FRACTION * steps)
      problems.add(skipped + " of " + steps + " steps were skipped for a non-finite loss or gradient");
    List<double[]> curve = metrics.curve("train_bpd");
    if (curve.size() >= 20) {
      double first = mean(curve.subList(0, 5)), last = mean(curve.subList(curve.size() - 5, curve.size()));
      if (last > first)
        problems.add(String.format("the training loss got worse: %.4f bpd over the last 5 steps vs %.4f over the first 5", last, first));
    }
    JsonObject summary = new JsonObject();
    summary.addProperty("step", trainer.step());
    summary.addProperty("event", "summary");
    summary.addProperty("health", problems.isEmpty() ? "good" : "poor");
    summary.addProperty("steps", steps);
    summary.addProperty("skipped", skipped);
    summary.addProperty("stored_fallbacks", fallbacks);
    JsonArray list = new JsonArray();
    problems.forEach(list::add);
    summary.add("problems", list);
    metrics.append(summary);
    for (String p : problems) System.err.println("flowrt: WARNING: unhealthy run: " + p);
  }

  private static double mean(List<double[]> points) {
    return points.stream().mapToDouble(p -> p[1]).average().orElse(Double.NaN);
  }

  private void writeSamples(Path grid) {
    int n = options.samples;
    int[] classes = new int[n];
    if (glow.config().conditional()) for (int i = 0; i < n; i++) classes[i] = i % glow.config().classes();
    long seed = trainer.settings().seed() + 17;
    try (DeviceBuffer y = TrainCommand.labels(glow, classes)) {
      SampleCommand.writeGrid(glow, n, options.temperature, seed, y, grid);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
