package org.flowrt.cli;

import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.data.ImageDataset;
import org.flowrt.data.BatchLoader;
import org.flowrt.dist.Collective;
import org.flowrt.glow.Glow;

/** Mean test bits per dimension over a dataset (glow-spec §1: with dequantization noise unless told otherwise). */
final class Evaluation {
  private Evaluation() {}

  /** Throws IllegalStateException naming the image and the first non-finite layer when a likelihood is NaN or infinite. */
  static double meanBpd(Glow model, ImageDataset data, int limit, int batch, boolean noise, long seed, String label) {
    return meanBpd(model, data, limit, batch, noise, seed, label, Collective.SINGLE);
  }

  /**
   * The mean over the first `limit` images (all when 0), each rank evaluating its contiguous share;
   * image i's dequantization noise depends on (seed, i) alone, so the result is the same for any
   * number of ranks (up to float64 summation order).
   */
  static double meanBpd(Glow model, ImageDataset data, int limit, int batch, boolean noise, long seed, String label, Collective ranks) {
    Backend be = model.backend();
    int total = limit > 0 ? Math.min(limit, data.size()) : data.size();
    int from = (int) ((long) ranks.rank() * total / ranks.size()), to = (int) ((long) (ranks.rank() + 1) * total / ranks.size());
    double sum = 0;
    int done = 0;
    Progress progress = ranks.leader() ? new Progress(label) : Progress.silent();
    long start = System.nanoTime();
    while (from + done < to) {
      int n = Math.min(batch, to - from - done);
      int first = from + done;
      BatchLoader.Batch batchData = BatchLoader.gather(data, n, b -> first + b, model.config().nBits(),
          noise ? b -> BatchLoader.noise(seed, -1, first + b) : null, 0);
      try (DeviceBuffer xb = be.uploadNew(batchData.images()); DeviceBuffer yb = TrainCommand.labels(model, batchData.labels())) {
        double[] lps = model.logLikelihood(xb, yb, n);
        for (int i = 0; i < n; i++) {
          if (!Double.isFinite(lps[i])) {
            String layer = model.firstNonFiniteLayer(xb, yb, n);
            throw new IllegalStateException(label + ": the log-likelihood of image " + (first + i) + " is " + lps[i]
                + ", so bits/dim cannot be computed; the first non-finite output is "
                + (layer == null ? "not reproducible layer by layer" : "at " + layer));
          }
          sum += -lps[i] / (model.config().dimensions() * Math.log(2));
        }
      }
      done += n;
      double seconds = (System.nanoTime() - start) / 1e9;
      progress.update((double) done / (to - from), String.format("%d/%d images, %.1f img/s, bpd %.4f", done, to - from,
          done / seconds, sum / done));
    }
    progress.finish();
    double[] total2 = {sum};
    ranks.sum(total2);
    return total2[0] / total;
  }
}
