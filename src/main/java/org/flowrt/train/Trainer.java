package org.flowrt.train;

import java.util.List;
import java.util.logging.Logger;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.dist.Collective;
import org.flowrt.glow.BackwardMode;
import org.flowrt.glow.Glow;
import org.flowrt.glow.ParameterStore;
import org.flowrt.ops.OptimizerOps;
import org.flowrt.ops.ReduceOps;

/**
 * Step-by-step training of a {@link Glow}: loss (mean bits per dimension), reversible or stored
 * backward, gradient norm, optional clipping, Adamax or Adam with linear warm-up, optional Polyak
 * averaging. A step whose loss or gradients are not finite changes nothing and is reported as
 * skipped; after {@code maxBadStepsInARow} in a row, training stops with {@link DivergedException}.
 *
 * <p>Every reversible step checks its rebuilt activations against checkpoints the forward pass kept.
 * Inverting an affine coupling divides by its scale, and a trained model can drive some scales
 * towards 0 (measured on Fashion-MNIST: healthy rebuilds are off by ~1e-5, broken ones by 1e-2 or
 * NaN on about 1 step in 70). Where the error exceeds {@code maxRebuildError}, the failing
 * segment's gradients are recomputed with stored activations from its checkpoint (memory stays
 * bounded: see {@link Glow#backward(Glow.Pass, double)}), so every applied gradient is a correct one.
 */
public final class Trainer implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Trainer.class.getName());

  /**
   * What one step did.
   *
   * @param rebuildError the reversible backward's largest segment rebuild error (NaN if not finite)
   * @param crossEntropy mean classifier cross-entropy (nats) of a class-conditional model, NaN otherwise;
   *     the loss is bpd + yWeight·crossEntropy/ln 2
   * @param repairs the repaired segments and their rebuild errors (see {@link Glow#backward(Glow.Pass, double)})
   * @param sumSeconds host time of the step's gradient sum across the ranks (0 alone); on the CPU
   *     backend the sum itself, on the GPU the time to queue it on the stream
   */
  public record StepResult(long step, double bpd, double gradNorm, double learningRate, boolean skipped,
      double rebuildError, double crossEntropy, List<String> repairs, double sumSeconds) {
    /** Whether any segment's gradients were recomputed with stored activations. */
    public boolean storedFallback() {
      return !repairs.isEmpty();
    }
  }

  /** Training stopped because too many steps in a row had a non-finite loss or gradient. */
  public static final class DivergedException extends RuntimeException {
    public DivergedException(String message) {
      super(message);
    }
  }

  private final Glow model;
  private final Backend be;
  private final TrainSettings settings;
  private final Optimizer optimizer;
  private final DeviceBuffer average;
  private final Collective ranks;
  private long imagesSeen;
  private int badInARow;

  public Trainer(Glow model, TrainSettings settings) {
    this(model, settings, Collective.SINGLE);
  }

  /**
   * Data-parallel training: this process is one of `ranks`, each stepping on its own shard of the
   * global batch ({@link TrainSettings#batch()} images = shard × ranks). Every step sums the flat
   * gradient buffer across the ranks in one call and applies the mean, so the parameters of all
   * ranks stay equal and move as one process's would on the whole batch.
   */
  public Trainer(Glow model, TrainSettings settings, Collective ranks) {
    if (settings.batch() % ranks.size() != 0)
      throw new IllegalArgumentException("the global batch of " + settings.batch() + " images is not a multiple of the "
          + ranks.size() + " ranks");
    this.ranks = ranks;
    this.model = model;
    this.be = model.backend();
    this.settings = settings;
    optimizer = new Optimizer(be, model.parameters(), settings.optimizer(), settings.beta1(), settings.beta2());
    average = settings.polyakDecay() > 0 ? be.allocate(DType.F32, model.parameters().length()) : null;
    if (average != null) be.copy(model.parameters().values(), average);
  }

  public TrainSettings settings() {
    return settings;
  }

  public long step() {
    return optimizer.step();
  }

  public long imagesSeen() {
    return imagesSeen;
  }

  /**
   * Restores optimizer moments, the Polyak average (when on) and the counters from a checkpoint;
   * the arrays are packed (see {@link org.flowrt.glow.ParameterStore#pack}).
   */
  public void restore(float[] m, float[] v, float[] averaged, long step, long imagesSeen) {
    ParameterStore store = model.parameters();
    optimizer.restore(store.unpack(m), store.unpack(v), step);
    if (average != null && averaged != null) be.upload(store.unpack(averaged), average);
    this.imagesSeen = imagesSeen;
  }

  public DeviceBuffer firstMoments() {
    return optimizer.firstMoments();
  }

  public DeviceBuffer secondMoments() {
    return optimizer.secondMoments();
  }

  /** The Polyak-averaged weights, or null when averaging is off. */
  public DeviceBuffer averagedWeights() {
    return average;
  }

  public double learningRate() {
    if (settings.warmupImages() == 0) return settings.learningRate();
    return settings.learningRate() * Math.min(1.0, (double) (imagesSeen + settings.batch()) / settings.warmupImages());
  }

  public Collective ranks() {
    return ranks;
  }

  /** One optimization step on a batch of n preprocessed images on the device (this rank's shard). */
  public StepResult step(DeviceBuffer images, int n) {
    return step(images, null, n);
  }

  /** One step of a class-conditional model: labels [n] on the device (null for unconditional models). */
  public StepResult step(DeviceBuffer images, DeviceBuffer labels, int n) {
    model.parameters().zeroGrads();
    boolean reversible = settings.mode() == BackwardMode.REVERSIBLE;
    double bpd;
    double crossEntropy = Double.NaN;
    double rebuildError = Double.NaN;
    List<String> repairs;
    long globalImages = (long) n * ranks.size();
    try (Glow.Pass pass = model.forward(images, labels, n, settings.mode())) {
      // The loss over the global batch: [Σ log p, Σ cross-entropy] summed across the ranks.
      double[] totals = new double[2];
      for (double lp : pass.logLikelihood()) totals[0] += lp;
      double[] ce = pass.crossEntropy();
      if (ce != null) for (double v : ce) totals[1] += v;
      ranks.sum(totals);
      bpd = -totals[0] / (globalImages * model.config().dimensions() * Math.log(2));
      if (ce != null) crossEntropy = totals[1] / globalImages;
      try (Glow.Backward back = model.backward(pass, settings.maxRebuildError())) {
        if (reversible) rebuildError = back.rebuildError();
        repairs = back.repairs();
      }
    }
    // Each rank's gradient is of its shard's mean loss: their sum over the ranks, divided by the
    // rank count (folded into the optimizer's gradient scale), is the global batch's.
    long sumStart = System.nanoTime();
    ranks.sumOnDevice(model.parameters().grads());
    double sumSeconds = (System.nanoTime() - sumStart) / 1e9;
    // The ranks hold the same summed gradients, but a reduction's order follows each device's
    // parallelism: their mean squared norm is one number on every rank, as clipping needs.
    double[] squares = {ReduceOps.sumSquares(be, model.parameters().grads())};
    ranks.sum(squares);
    double gradNorm = Math.sqrt(squares[0] / ranks.size()) / ranks.size();
    double lr = learningRate();
    if (!Double.isFinite(bpd) || !Double.isFinite(gradNorm) || (labels != null && !Double.isFinite(crossEntropy))) {
      badInARow++;
      LOG.warning(String.format("step %d skipped: loss %s, gradient norm %s (%d non-finite in a row)", step() + 1, bpd,
          gradNorm, badInARow));
      if (badInARow >= settings.maxBadStepsInARow())
        throw new DivergedException("training diverged: " + badInARow + " steps in a row had a non-finite loss or gradient"
            + " (last loss " + bpd + "); try a lower learning rate, a longer warm-up or --clip-grad-norm");
      return new StepResult(step(), bpd, gradNorm, lr, true, rebuildError, crossEntropy, repairs, sumSeconds);
    }
    badInARow = 0;
    optimizer.apply((float) lr, Optimizer.clipScale(gradNorm, settings.clipNorm()) / ranks.size());
    if (average != null) OptimizerOps.polyak(be, model.parameters().values(), settings.polyakDecay(), average);
    imagesSeen += globalImages;
    return new StepResult(step(), bpd, gradNorm, lr, false, rebuildError, crossEntropy, repairs, sumSeconds);
  }

  /**
   * The debug check that the ranks still hold the same model: a CRC32C of the parameters (and the
   * Polyak average) is compared across the ranks; throws naming the step where they differ.
   */
  public void checkRanksInSync() {
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    for (DeviceBuffer b : average == null ? List.of(model.parameters().values()) : List.of(model.parameters().values(), average)) {
      float[] values = be.downloadFloats(b);
      java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(values.length * 4);
      bytes.asFloatBuffer().put(values);
      crc.update(bytes);
    }
    if (!ranks.agree(crc.getValue()))
      throw new IllegalStateException("the ranks' parameters differ after step " + step() + " (checksum of rank " + ranks.rank()
          + ": " + Long.toHexString(crc.getValue()) + "): data-parallel training lost sync");
  }

  /** Runs `work` with the Polyak-averaged weights in place of the trained ones (if averaging is on). */
  public <T> T withAveragedWeights(java.util.function.Supplier<T> work) {
    if (average == null) return work.get();
    DeviceBuffer params = model.parameters().values();
    try (DeviceBuffer keep = be.allocate(DType.F32, params.count())) {
      be.copy(params, keep);
      be.copy(average, params);
      try {
        return work.get();
      } finally {
        be.copy(keep, params);
      }
    }
  }

  @Override
  public void close() {
    optimizer.close();
    if (average != null) average.close();
  }
}
