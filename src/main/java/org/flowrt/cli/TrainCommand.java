package org.flowrt.cli;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.data.BatchLoader;
import org.flowrt.data.Datasets;
import org.flowrt.data.ImageDataset;
import org.flowrt.dist.Collective;
import org.flowrt.dist.Mpi;
import org.flowrt.glow.BackwardMode;
import org.flowrt.glow.Glow;
import org.flowrt.glow.GlowConfig;
import org.flowrt.io.AtomicFiles;
import org.flowrt.io.StrictJson;
import org.flowrt.train.Checkpoint;
import org.flowrt.train.OptimizerKind;
import org.flowrt.train.TrainSettings;
import org.flowrt.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

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
  @Mixin DistributedOption distributedOption;

  @Option(names = "--out", description = "run folder: checkpoint, metrics, pictures (default ${DEFAULT-VALUE})")
  Path out = Path.of("runs/glow");

  @Option(names = "--batch", description = "images per step and rank: the global batch is this × the ranks of an MPI job (default ${DEFAULT-VALUE})")
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

  @Option(names = "--n-init", description = "images for the data-dependent actnorm init, shared by all ranks (default ${DEFAULT-VALUE})")
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

  @Spec CommandSpec spec;

  static final String CHECKPOINT = "checkpoint.safetensors";
  static final String METRICS = "metrics.jsonl";

  /**
   * The run's inputs besides the model and optimizer (checkpoint metadata "run"): where the data
   * came from, how many training images define the data order, and this session's budget.
   */
  record RunInputs(String data, int imageSize, int channels, long trainImages, double minutes, long maxSteps, double epochs) {}

  /** The options that a resumed run may change; the others define the run. */
  static final Set<String> MAY_CHANGE_ON_RESUME = Set.of("learningRate", "warmupImages", "clipNorm", "mode", "maxRebuildError",
      "data", "minutes", "maxSteps", "epochs");

  /** Every option's range, checked before anything is read, built or written. */
  void validate() {
    model.validate();
    data.validate();
    distributedOption.validate();
    Require.path("--out", out);
    Require.atLeast("--batch", batch, 1);
    OptimizerKind.parse(optimizer);
    Require.positive("--lr", lr);
    Require.nonNegative("--warmup-epochs", warmupEpochs);
    Require.nonNegative("--clip-grad-norm", clip);
    Require.fraction("--polyak", polyak, 0, 1);
    Require.nonNegative("--max-rebuild-error", maxRebuildError);
    Require.nonNegative("--y-weight", yWeight);
    Require.atLeast("--n-init", nInit, 1);
    Require.nonNegative("--minutes", minutes);
    Require.atLeast("--max-steps", maxSteps, 0);
    Require.nonNegative("--epochs", epochs);
    Require.nonNegative("--checkpoint-minutes", checkpointMinutes);
    Require.atLeast("--eval-images", evalImages, 0);
    Require.between("--samples", samples, 1, 4096);
    Require.positive("--temperature", temperature);
    if (minutes == 0 && maxSteps == 0 && epochs == 0)
      throw new IllegalArgumentException("give a budget: --minutes, --max-steps or --epochs");
  }

  private boolean given(String option) {
    return spec.commandLine().getParseResult().hasMatchedOption(option);
  }

  /** Alone, or as one rank of an MPI job ({@link DistributedOption#run}). */
  @Override
  public Integer call() throws Exception {
    validate();
    return distributedOption.run(this::train);
  }

  private Integer train(Mpi mpi) throws Exception {
    int worldSize = mpi == null ? 1 : mpi.size();
    boolean leader = mpi == null || mpi.rank() == 0;
    Path checkpoint = out.resolve(CHECKPOINT);
    Checkpoint.Loaded saved = null;
    RunInputs savedRun = null;
    if (resume) {
      saved = Checkpoint.read(checkpoint);
      if (saved.settings() == null)
        throw new IllegalArgumentException(checkpoint + " holds a model without optimizer state: it cannot be resumed");
      savedRun = savedRunInputs(saved);
      adoptSavedRun(saved, savedRun, worldSize);
    } else if (Files.exists(checkpoint)) {
      throw new IllegalArgumentException(checkpoint + " already exists: use --resume to continue that run, or another --out");
    }
    ImageDataset train = data.open(Datasets.Split.TRAIN, model.levels);
    ImageDataset test = data.open(Datasets.Split.TEST, model.levels);
    int globalBatch = Math.multiplyExact(batch, worldSize);
    if (train.size() < globalBatch)
      throw new IllegalArgumentException("--batch " + batch + (worldSize > 1 ? " × " + worldSize + " ranks" : "") + " is larger than the "
          + train.size() + " training images of " + data.data);
    GlowConfig cfg = model.config(train.channels(), train.height(), train.width());
    if (conditional) cfg = cfg.withClasses(classCount(train), yWeight);
    TrainSettings base = saved != null ? saved.settings() : TrainSettings.defaults(globalBatch, train.size());
    TrainSettings settings = new TrainSettings(globalBatch, OptimizerKind.parse(optimizer), lr, base.beta1(), base.beta2(),
        saved != null && !given("--warmup-epochs") ? base.warmupImages() : (long) (warmupEpochs * train.size()), clip, polyak,
        storeActivations ? BackwardMode.STORED : BackwardMode.REVERSIBLE, base.maxBadStepsInARow(), seed, maxRebuildError);
    RunInputs run = new RunInputs(data.data.toString(), data.imageSize, data.channels, train.size(), minutes, maxSteps, epochs);
    RunDiff diff = new RunDiff();
    if (saved != null) {
      diff.compare("model", saved.config(), cfg, Set.of()).compare("training", saved.settings(), settings, MAY_CHANGE_ON_RESUME);
      if (savedRun != null) diff.compare("data", savedRun, run, MAY_CHANGE_ON_RESUME);
      if (!diff.refused().isEmpty())
        throw new IllegalArgumentException("--resume would change the run saved in " + checkpoint + ": " + String.join("; ", diff.refused())
            + ". Leave those options out to continue the run as saved, or start a new run with another --out");
    }
    Files.createDirectories(out);
    if (leader) removeStaleTemporaries(out);
    try (Backend be = DistributedOption.openBackend(backendOption, mpi); Collective ranks = DistributedOption.ranks(mpi, be)) {
      // Records of enums hash by identity, which differs between processes: compare their text.
      if (!ranks.agree(java.util.Objects.hash(cfg.toString(), settings.toString(), train.size(), test.size())))
        throw new IllegalArgumentException("the ranks of this job were given different model, training or data options:"
            + " start every rank with the same command line");
      if (leader) {
        System.err.printf("flowrt: %s%nflowrt: data %s: %d train / %d test images of %d×%d×%d%n", be.description(), data.data,
            train.size(), test.size(), train.channels(), train.height(), train.width());
        if (mpi != null)
          System.err.printf("flowrt: data-parallel over %d ranks (%s): global batch %d = %d per rank × %d%n", ranks.size(), ranks,
              globalBatch, batch, ranks.size());
      }
      Glow glow = new Glow(be, cfg, saved != null ? saved.seed() : seed);
      try (glow; Trainer trainer = new Trainer(glow, settings, ranks)) {
        if (saved != null) {
          Checkpoint.restoreModel(saved, glow);
          Checkpoint.restoreTrainer(saved, trainer, glow.parameters().count());
        }
        if (leader)
          System.err.printf("flowrt: Glow L=%d K=%d width %d, %s, %s, %s, %,d parameters, %s backward%n", cfg.levels(), cfg.steps(),
              cfg.hiddenWidth(), cfg.coupling(), cfg.mask(), cfg.permutation().cliName(), glow.parameters().count(),
              settings.mode().name().toLowerCase());
        Path metricsPath = out.resolve(METRICS);
        // Rank 0 alone keeps the run's files; the others compute and stay quiet.
        try (MetricsLog metrics = !leader ? null : saved != null ? MetricsLog.resume(metricsPath, saved.step()) : MetricsLog.fresh(metricsPath)) {
          if (saved != null && leader) {
            JsonObject event = new JsonObject();
            event.addProperty("step", saved.step());
            event.addProperty("event", "resume");
            event.add("changed", diff.changed());
            metrics.append(event);
            if (diff.changed().size() > 0) System.err.println("flowrt: resuming with changed options: " + diff.changed());
          }
          if (!glow.initialized()) initialize(glow, train, ranks);
          return new TrainingSession(this, be, glow, trainer, train, test, metrics, run).run();
        }
      }
    }
  }

  /** Options the command line left out take the saved run's values; the ones it gave are compared later. */
  private void adoptSavedRun(Checkpoint.Loaded saved, RunInputs savedRun, int worldSize) {
    model.adopt(saved.config(), this::given);
    if (!given("--conditional")) conditional = saved.config().conditional();
    if (!given("--y-weight") && saved.config().conditional()) yWeight = saved.config().yWeight();
    TrainSettings s = saved.settings();
    if (!given("--batch")) {
      // The global batch defines the run; a job with another rank count keeps it.
      if (s.batch() % worldSize != 0)
        throw new IllegalArgumentException("the saved run's global batch of " + s.batch() + " images cannot be shared equally by "
            + worldSize + " ranks: resume with a rank count that divides it");
      batch = s.batch() / worldSize;
    }
    if (!given("--optimizer")) optimizer = s.optimizer().name().toLowerCase(java.util.Locale.ROOT);
    if (!given("--lr")) lr = s.learningRate();
    if (!given("--clip-grad-norm")) clip = s.clipNorm();
    if (!given("--polyak")) polyak = s.polyakDecay();
    if (!given("--store-activations")) storeActivations = s.mode() == BackwardMode.STORED;
    if (!given("--max-rebuild-error")) maxRebuildError = s.maxRebuildError();
    if (!given("--seed")) seed = s.seed();
    if (savedRun != null) {
      if (!given("--data")) data.data = Path.of(savedRun.data());
      if (!given("--image-size")) data.imageSize = savedRun.imageSize();
      if (!given("--channels")) data.channels = savedRun.channels();
    }
  }

  private static RunInputs savedRunInputs(Checkpoint.Loaded saved) throws IOException {
    String json = saved.metadata("run");
    if (json == null) return null;  // written before the run's inputs were recorded
    try {
      return StrictJson.parse(json, RunInputs.class, Map.of());
    } catch (IllegalArgumentException e) {
      throw new IOException("invalid checkpoint " + saved.path() + ": its run inputs are invalid: " + e.getMessage());
    }
  }

  /** Temporary files of saves a crash interrupted: they are never complete, so they go. */
  private static void removeStaleTemporaries(Path dir) throws IOException {
    List<Path> stale;
    try (var files = Files.list(dir)) {
      stale = files.filter(p -> AtomicFiles.isTemporaryOf(p, Path.of(CHECKPOINT)) || AtomicFiles.isTemporaryOf(p, Path.of(METRICS))).toList();
    }
    for (Path p : stale) Files.deleteIfExists(p);
    if (!stale.isEmpty()) System.err.println("flowrt: removed " + stale.size() + " temporary file(s) left by an interrupted save in " + dir);
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

  /** The data-dependent init on --n-init images, each rank taking its share; the actnorms see all shares' moments. */
  void initialize(Glow glow, ImageDataset train, Collective ranks) {
    int n = Math.min(nInit, train.size());
    BatchLoader.Shard shard = BatchLoader.Shard.of(n, ranks.rank(), ranks.size());
    try (BatchLoader init = new BatchLoader(train, shard, glow.config().nBits(), seed ^ 0x5EED, 0)) {
      BatchLoader.Batch b = init.make(0);
      try (DeviceBuffer x = glow.backend().uploadNew(b.images()); DeviceBuffer y = labels(glow, b.labels())) {
        glow.initialize(x, y, shard.count(), ranks);
      }
    }
    if (ranks.leader())
      System.err.printf("flowrt: data-dependent actnorm init on %d images%s%n", n, ranks.size() > 1 ? " (shared by " + ranks.size() + " ranks)" : "");
  }

  /** JSON has no NaN or infinity: non-finite values are written as null. */
  static void number(JsonObject o, String key, double v) {
    if (Double.isFinite(v)) o.addProperty(key, v);
    else o.add(key, com.google.gson.JsonNull.INSTANCE);
  }

}
