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
        for (double lp : model.logLikelihood(xb, yb, n)) sum += -lp / (model.config().dimensions() * Math.log(2));
      }
      done += n;
      double seconds = (System.nanoTime() - start) / 1e9;
      progress.update((double) done / total, String.format("%d/%d images, %.1f img/s, bpd %.4f", done, total, done / seconds, sum / done));
    }
    progress.finish();
    return sum / total;
  }
}
