package org.flowrt.cli;

import com.google.gson.JsonObject;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.data.BatchLoader;
import org.flowrt.data.Datasets;
import org.flowrt.data.ImageDataset;
import org.flowrt.glow.BackwardMode;
import org.flowrt.glow.Glow;
import org.flowrt.glow.GlowConfig;
import org.flowrt.io.Pictures;
import org.flowrt.train.Checkpoint;
import org.flowrt.train.OptimizerKind;
import org.flowrt.train.TrainSettings;
import org.flowrt.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Trains a Glow: data-dependent init, then steps until the budget (minutes, steps or epochs) is
 * spent; checkpoints atomically as it goes; finally evaluates test bpd and writes a sample grid,
 * the loss curve and metrics.jsonl into --out.
 */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Train a Glow model.")
final class TrainCommand implements Callable<Integer> {
  @Mixin ModelOptions model;
  @Mixin DataOptions data;
  @Mixin BackendOption backendOption;

  @Option(names = "--out", description = "run folder: checkpoint, metrics, pictures (default ${DEFAULT-VALUE})")
  Path out = Path.of("runs/glow");

  @Option(names = "--batch", description = "images per step (default ${DEFAULT-VALUE})")
  int batch = 64;

  @Option(names = "--optimizer", description = "adamax or adam (default ${DEFAULT-VALUE})")
  String optimizer = "adamax";

  @Option(names = "--lr", description = "learning rate after warm-up (default ${DEFAULT-VALUE})")
  float lr = 1e-3f;

  @Option(names = "--warmup-epochs", description = "linear learning-rate warm-up, in epochs of the training set (default ${DEFAULT-VALUE})")
  double warmupEpochs = 10;

  @Option(names = "--clip-grad-norm", description = "clip the gradient norm to this (0 = off, default)")
  float clip = 0;

  @Option(names = "--polyak", description = "Polyak averaging decay for evaluation weights (0 = off, default)")
  float polyak = 0;

  @Option(names = "--store-activations", description = "keep every step's activations instead of reversible recomputation")
  boolean storeActivations;

  @Option(names = "--max-rebuild-error", description = "recompute a step with stored activations when the reversible backward's rebuilt input is off by more than this (default ${DEFAULT-VALUE})")
  double maxRebuildError = TrainSettings.DEFAULT_MAX_REBUILD_ERROR;

  @Option(names = "--conditional", description = "class-conditional model (glow-spec §5): prior conditioned on the label, classifier head on the top latent")
  boolean conditional;

  @Option(names = "--y-weight", description = "weight of the classifier cross-entropy in the loss, with --conditional (default ${DEFAULT-VALUE})")
  float yWeight = 0.01f;

  @Option(names = "--n-init", description = "images for the data-dependent actnorm init (default ${DEFAULT-VALUE})")
  int nInit = 256;

  @Option(names = "--seed", description = "seed of initialization, data order and noise (default ${DEFAULT-VALUE})")
  long seed = 1;

  @Option(names = "--minutes", description = "training time budget in minutes (0 = none)")
  double minutes = 0;

  @Option(names = "--max-steps", description = "stop after this many optimizer steps in total (0 = none)")
  long maxSteps = 0;

  @Option(names = "--epochs", description = "stop after this many epochs in total (0 = none)")
  double epochs = 0;

  @Option(names = "--checkpoint-minutes", description = "save a checkpoint this often (default ${DEFAULT-VALUE})")
  double checkpointMinutes = 5;

  @Option(names = "--resume", description = "continue from --out/checkpoint.safetensors")
  boolean resume;

  @Option(names = "--eval-images", description = "test images for the final evaluation (0 = all, default)")
  int evalImages = 0;

  @Option(names = "--samples", description = "images in the final sample grid (default ${DEFAULT-VALUE})")
  int samples = 64;

  @Option(names = "--temperature", description = "sampling temperature (default ${DEFAULT-VALUE})")
  float temperature = 0.7f;

  @Override
  public Integer call() throws Exception {
    if (minutes <= 0 && maxSteps <= 0 && epochs <= 0)
      throw new IllegalArgumentException("give a budget: --minutes, --max-steps or --epochs");
    ImageDataset train = data.open(Datasets.Split.TRAIN, model.levels);
    ImageDataset test = data.open(Datasets.Split.TEST, model.levels);
    GlowConfig cfg = model.config(train.channels(), train.height(), train.width());
    if (conditional) cfg = cfg.withClasses(classCount(train), yWeight);
    Files.createDirectories(out);
    Path checkpoint = out.resolve("checkpoint.safetensors");
    TrainSettings settings = TrainSettings.defaults(batch, train.size())
        .withWarmupImages((long) (warmupEpochs * train.size()))
        .with(OptimizerKind.parse(optimizer), lr, clip, polyak, storeActivations ? BackwardMode.STORED : BackwardMode.REVERSIBLE, seed)
        .withMaxRebuildError(maxRebuildError);
    try (Backend be = backendOption.open()) {
      System.err.printf("flowrt: %s%nflowrt: data %s: %d train / %d test images of %d×%d×%d%n", be.description(), data.data,
          train.size(), test.size(), train.channels(), train.height(), train.width());
      Glow glow;
      Checkpoint.Loaded resumed = null;
      if (resume) {
        resumed = Checkpoint.read(checkpoint);
        if (!resumed.config().equals(cfg))
          throw new IllegalArgumentException("--resume: " + checkpoint + " holds " + resumed.config() + ", but the options ask for " + cfg);
        glow = new Glow(be, cfg, resumed.seed());
        Checkpoint.restoreModel(checkpoint, resumed, glow);
      } else {
        if (Files.exists(checkpoint))
          throw new IllegalArgumentException(checkpoint + " already exists: use --resume to continue that run, or another --out");
        glow = new Glow(be, cfg, seed);
      }
      System.err.printf("flowrt: Glow L=%d K=%d width %d, %s, %s, %s, %,d parameters, %s backward%n", cfg.levels(), cfg.steps(),
          cfg.hiddenWidth(), cfg.coupling(), cfg.mask(), cfg.permutation().cliName(), glow.parameters().count(),
          settings.mode().name().toLowerCase());
      try (glow; Trainer trainer = new Trainer(glow, settings)) {
        if (resumed != null) Checkpoint.restoreTrainer(checkpoint, resumed, trainer, glow.parameters().count());
        if (!glow.initialized()) initialize(glow, train);
        return run(be, glow, trainer, train, test, checkpoint);
      }
    }
  }

  /** Classes of a labeled dataset: largest label + 1. */
  static int classCount(ImageDataset data) {
    int max = -1;
    for (int i = 0; i < data.size(); i++) max = Math.max(max, data.label(i));
    if (max < 1) throw new IllegalArgumentException("--conditional needs labeled data with at least 2 classes; " + data.size()
        + " images here have " + (max < 0 ? "no labels" : "one class"));
    return max + 1;
  }

  /** The batch's labels on the device for a conditional model, else null. */
  static DeviceBuffer labels(Glow glow, int[] labels) {
    return glow.config().conditional() ? glow.labels(labels) : null;
  }

  private void initialize(Glow glow, ImageDataset train) {
    int n = Math.min(nInit, train.size());
    try (BatchLoader init = new BatchLoader(train, n, glow.config().nBits(), seed ^ 0x5EED, 0)) {
      BatchLoader.Batch b = init.make(0);
      try (DeviceBuffer x = glow.backend().uploadNew(b.images()); DeviceBuffer y = labels(glow, b.labels())) {
        glow.initialize(x, y, n);
      }
    }
    System.err.printf("flowrt: data-dependent actnorm init on %d images%n", n);
  }

  private Integer run(Backend be, Glow glow, Trainer trainer, ImageDataset train, ImageDataset test, Path checkpoint)
      throws Exception {
    Path metricsPath = out.resolve("metrics.jsonl");
    List<double[]> trainCurve = new ArrayList<>(), evalCurve = new ArrayList<>();
    long stepsPerEpoch = train.size() / batch;
    long stepLimit = maxSteps > 0 ? maxSteps : Long.MAX_VALUE;
    if (epochs > 0) stepLimit = Math.min(stepLimit, (long) Math.ceil(epochs * stepsPerEpoch));
    long startStep = trainer.step();
    long start = System.nanoTime(), lastSave = start;
    double budgetSeconds = minutes > 0 ? minutes * 60 : Double.POSITIVE_INFINITY;
    Progress progress = new Progress("train");
    double lastBpd = Double.NaN, maxRebuild = 0;
    long imagesThisRun = 0, fallbacks = 0, brokenRebuilds = 0;
    try (BatchLoader loader = new BatchLoader(train, batch, glow.config().nBits(), seed, trainer.step());
        BufferedWriter metrics = Files.newBufferedWriter(metricsPath, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND)) {
      while (trainer.step() < stepLimit) {
        double elapsed = (System.nanoTime() - start) / 1e9;
        if (elapsed >= budgetSeconds) break;
        BatchLoader.Batch b = loader.next();
        Trainer.StepResult r;
        be.memory().resetPeak();
        try (DeviceBuffer x = be.uploadNew(b.images()); DeviceBuffer y = labels(glow, b.labels())) {
          r = trainer.step(x, y, batch);
        }
        imagesThisRun += batch;
        elapsed = (System.nanoTime() - start) / 1e9;
        if (settingsReversible(trainer)) {
          if (Double.isFinite(r.rebuildError())) maxRebuild = Math.max(maxRebuild, r.rebuildError());
          else brokenRebuilds++;
        }
        if (r.storedFallback()) fallbacks++;
        if (!r.skipped()) {
          lastBpd = r.bpd();
          trainCurve.add(new double[] {r.step(), r.bpd()});
        }
        JsonObject line = new JsonObject();
        line.addProperty("step", r.step());
        number(line, "train_bpd", r.bpd());
        number(line, "grad_norm", r.gradNorm());
        number(line, "lr", r.learningRate());
        if (glow.config().conditional()) number(line, "cross_entropy", r.crossEntropy());
        line.addProperty("skipped", r.skipped());
        number(line, "images_per_s", imagesThisRun / elapsed);
        line.addProperty("peak_bytes", be.memory().peakBytes());
        if (settingsReversible(trainer)) number(line, "rebuild_error", r.rebuildError());
        line.addProperty("stored_fallback", r.storedFallback());
        line.addProperty("seconds", elapsed);
        metrics.write(line.toString());
        metrics.newLine();
        double fraction = Math.max(minutes > 0 ? elapsed / budgetSeconds : 0,
            stepLimit < Long.MAX_VALUE ? (double) (trainer.step() - startStep) / (stepLimit - startStep) : 0);
        progress.update(Math.min(1, fraction), String.format("step %d, %.1f img/s, bpd %.4f", trainer.step(), imagesThisRun / elapsed, lastBpd));
        if ((System.nanoTime() - lastSave) / 6e10 >= checkpointMinutes) {
          metrics.flush();
          Checkpoint.save(checkpoint, glow, trainer, seed);
          lastSave = System.nanoTime();
        }
      }
      progress.finish();
      Checkpoint.save(checkpoint, glow, trainer, seed);
      double seconds = (System.nanoTime() - start) / 1e9;
      System.err.printf("flowrt: %d steps, %.1f images/s, last train bpd %.4f; checkpoint %s%n", trainer.step() - startStep,
          imagesThisRun / seconds, lastBpd, checkpoint);
      if (settingsReversible(trainer))
        System.err.printf("flowrt: reversible backward: largest finite rebuild error %.3g, %d non-finite rebuilds, %d of %d steps"
            + " recomputed with stored activations (threshold %.1g)%n", maxRebuild, brokenRebuilds, fallbacks,
            trainer.step() - startStep, maxRebuildError);

      double testBpd = trainer.withAveragedWeights(() -> Evaluation.meanBpd(glow, test, evalImages, Math.max(batch, 64), true, seed, "test"));
      evalCurve.add(new double[] {trainer.step(), testBpd});
      JsonObject eval = new JsonObject();
      eval.addProperty("step", trainer.step());
      number(eval, "test_bpd", testBpd);
      eval.addProperty("test_images", evalImages > 0 ? Math.min(evalImages, test.size()) : test.size());
      eval.addProperty("train_images_per_s", imagesThisRun / seconds);
      metrics.write(eval.toString());
      metrics.newLine();
      System.out.printf("test bpd %.4f (%d images) after %d steps%n", testBpd, evalImages > 0 ? Math.min(evalImages, test.size()) : test.size(), trainer.step());
    }
    Path grid = out.resolve("samples.png");
    trainer.withAveragedWeights(() -> {
      writeSamples(glow, grid);
      return null;
    });
    Pictures.writeLossCurve(out.resolve("loss-curve.png"), trainCurve, evalCurve);
    System.out.printf("samples (T=%.2f): %s%nloss curve: %s%nmetrics: %s%n", temperature, grid, out.resolve("loss-curve.png"), metricsPath);
    return 0;
  }

  /** JSON has no NaN or infinity: non-finite values are written as null. */
  static void number(JsonObject o, String key, double v) {
    if (Double.isFinite(v)) o.addProperty(key, v);
    else o.add(key, com.google.gson.JsonNull.INSTANCE);
  }

  private static boolean settingsReversible(Trainer t) {
    return t.settings().mode() == BackwardMode.REVERSIBLE;
  }

  private void writeSamples(Glow glow, Path grid) {
    int[] classes = new int[samples];
    if (glow.config().conditional()) for (int i = 0; i < samples; i++) classes[i] = i % glow.config().classes();
    try (DeviceBuffer y = labels(glow, classes); DeviceBuffer s = glow.sample(samples, temperature, seed + 17, y)) {
      glow.backend().synchronize();
      GlowConfig c = glow.config();
      Pictures.writeGrid(grid, glow.backend().downloadFloats(s), samples, c.channels(), c.height(), c.width(), c.nBits());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
