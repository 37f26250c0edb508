package org.flowrt.train;

import java.util.List;
import java.util.logging.Logger;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
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
   */
  public record StepResult(long step, double bpd, double gradNorm, double learningRate, boolean skipped,
      double rebuildError, double crossEntropy, List<String> repairs) {
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
  private long imagesSeen;
  private int badInARow;

  public Trainer(Glow model, TrainSettings settings) {
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

  /** One optimization step on a batch of n preprocessed images on the device. */
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
    try (Glow.Pass pass = model.forward(images, labels, n, settings.mode())) {
      double sum = 0;
      for (double lp : pass.logLikelihood()) sum += lp;
      bpd = -sum / (n * model.config().dimensions() * Math.log(2));
      double[] ce = pass.crossEntropy();
      if (ce != null) crossEntropy = java.util.Arrays.stream(ce).average().orElse(Double.NaN);
      try (Glow.Backward back = model.backward(pass, settings.maxRebuildError())) {
        if (reversible) rebuildError = back.rebuildError();
        repairs = back.repairs();
      }
    }
    double gradNorm = Math.sqrt(ReduceOps.sumSquares(be, model.parameters().grads()));
    double lr = learningRate();
    if (!Double.isFinite(bpd) || !Double.isFinite(gradNorm) || (labels != null && !Double.isFinite(crossEntropy))) {
      badInARow++;
      LOG.warning(String.format("step %d skipped: loss %s, gradient norm %s (%d non-finite in a row)", step() + 1, bpd,
          gradNorm, badInARow));
      if (badInARow >= settings.maxBadStepsInARow())
        throw new DivergedException("training diverged: " + badInARow + " steps in a row had a non-finite loss or gradient"
            + " (last loss " + bpd + "); try a lower learning rate, a longer warm-up or --clip-grad-norm");
      return new StepResult(step(), bpd, gradNorm, lr, true, rebuildError, crossEntropy, repairs);
    }
    badInARow = 0;
    optimizer.apply((float) lr, Optimizer.clipScale(gradNorm, settings.clipNorm()));
    if (average != null) OptimizerOps.polyak(be, model.parameters().values(), settings.polyakDecay(), average);
    imagesSeen += n;
    return new StepResult(step(), bpd, gradNorm, lr, false, rebuildError, crossEntropy, repairs);
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
