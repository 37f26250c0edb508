package org.flowrt.cli;

import java.util.SplittableRandom;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.data.ImageDataset;
import org.flowrt.data.BatchLoader;
import org.flowrt.glow.Glow;

/** Mean test bits per dimension over a dataset (glow-spec §1: with dequantization noise unless told otherwise). */
final class Evaluation {
  private Evaluation() {}

  /** Throws IllegalStateException naming the image and the first non-finite layer when a likelihood is NaN or infinite. */
  static double meanBpd(Glow model, ImageDataset data, int limit, int batch, boolean noise, long seed, String label) {
    Backend be = model.backend();
    int total = limit > 0 ? Math.min(limit, data.size()) : data.size();
    SplittableRandom rng = new SplittableRandom(seed);
    double sum = 0;
    int done = 0;
    Progress progress = new Progress(label);
    long start = System.nanoTime();
    while (done < total) {
      int n = Math.min(batch, total - done);
      int first = done;
      BatchLoader.Batch batchData = BatchLoader.gather(data, n, b -> first + b, model.config().nBits(), noise ? rng : null, 0);
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
      progress.update((double) done / total, String.format("%d/%d images, %.1f img/s, bpd %.4f", done, total, done / seconds, sum / done));
    }
    progress.finish();
    return sum / total;
  }
}
