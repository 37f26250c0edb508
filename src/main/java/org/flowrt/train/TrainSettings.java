package org.flowrt.train;

import org.flowrt.glow.BackwardMode;

/**
 * Optimization settings. Defaults follow glow-spec §6: Adamax, lr 1e-3, β = (0.9, 0.999), linear
 * warm-up over 10 epochs' worth of images, no clipping, no Polyak averaging.
 *
 * @param warmupImages images over which the learning rate rises linearly from 0 to lr
 * @param clipNorm gradient-norm clipping threshold; 0 disables
 * @param polyakDecay decay of the averaged weights used for evaluation; 0 disables
 * @param maxRebuildError largest tolerated |rebuilt input − input| of a reversible backward; a step
 *     that exceeds it (float32 inversion of near-singular affine couplings can break down) has its
 *     gradients recomputed with stored activations
 */
public record TrainSettings(int batch, OptimizerKind optimizer, float learningRate, float beta1, float beta2,
    long warmupImages, float clipNorm, float polyakDecay, BackwardMode mode, int maxBadStepsInARow, long seed,
    double maxRebuildError) {
  /** A quarter of an 8-bit pixel bin (1/256): far above the ~1e-5 error of a healthy rebuild. */
  public static final double DEFAULT_MAX_REBUILD_ERROR = 1e-3;

  public TrainSettings {
    if (batch < 1) throw new IllegalArgumentException("batch size must be ≥ 1, got " + batch);
    if (optimizer == null || mode == null) throw new IllegalArgumentException("optimizer and backward mode must be given");
    if (!(learningRate > 0) || !Float.isFinite(learningRate)) throw new IllegalArgumentException("learning rate must be finite and > 0, got " + learningRate);
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1))
      throw new IllegalArgumentException("the optimizer's β1 and β2 must be in [0, 1), got " + beta1 + " and " + beta2);
    if (warmupImages < 0) throw new IllegalArgumentException("warm-up must be ≥ 0 images");
    if (!(clipNorm >= 0) || !Float.isFinite(clipNorm)) throw new IllegalArgumentException("gradient clipping norm must be ≥ 0 (0 = off)");
    if (polyakDecay < 0 || polyakDecay >= 1) throw new IllegalArgumentException("Polyak decay must be in [0, 1) (0 = off)");
    if (maxBadStepsInARow < 1) throw new IllegalArgumentException("max non-finite steps in a row must be ≥ 1");
    if (!(maxRebuildError >= 0)) throw new IllegalArgumentException("max rebuild error must be ≥ 0");
  }

  public static TrainSettings defaults(int batch, long trainImages) {
    return new TrainSettings(batch, OptimizerKind.ADAMAX, 1e-3f, 0.9f, 0.999f, 10 * trainImages, 0f, 0f,
        BackwardMode.REVERSIBLE, 5, 1L, DEFAULT_MAX_REBUILD_ERROR);
  }

  public TrainSettings withWarmupImages(long images) {
    return new TrainSettings(batch, optimizer, learningRate, beta1, beta2, images, clipNorm, polyakDecay, mode,
        maxBadStepsInARow, seed, maxRebuildError);
  }

  public TrainSettings with(OptimizerKind o, float lr, float clip, float polyak, BackwardMode m, long s) {
    return new TrainSettings(batch, o, lr, beta1, beta2, warmupImages, clip, polyak, m, maxBadStepsInARow, s, maxRebuildError);
  }

  public TrainSettings withMaxRebuildError(double e) {
    return new TrainSettings(batch, optimizer, learningRate, beta1, beta2, warmupImages, clipNorm, polyakDecay, mode,
        maxBadStepsInARow, seed, e);
  }
}
