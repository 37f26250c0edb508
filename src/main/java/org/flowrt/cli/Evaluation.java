package org.flowrt.cli;

import java.util.SplittableRandom;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.data.ImageDataset;
import org.flowrt.data.Preprocess;
import org.flowrt.glow.Glow;

/** Mean test bits per dimension over a dataset (glow-spec §1: with dequantization noise unless told otherwise). */
final class Evaluation {
  private Evaluation() {}

  static double meanBpd(Glow model, ImageDataset data, int limit, int batch, boolean noise, long seed, String label) {
    Backend be = model.backend();
    int total = limit > 0 ? Math.min(limit, data.size()) : data.size();
    int px = data.pixels();
    byte[] buf = new byte[px];
    SplittableRandom rng = new SplittableRandom(seed);
    double sum = 0;
    int done = 0;
    Progress progress = new Progress(label);
    long start = System.nanoTime();
    while (done < total) {
      int n = Math.min(batch, total - done);
      float[] x = new float[n * px];
      int[] y = new int[n];
      for (int b = 0; b < n; b++) {
        data.image(done + b, buf);
        Preprocess.toModel(buf, px, model.config().nBits(), noise ? rng : null, x, b * px);
        y[b] = data.label(done + b);
      }
      try (DeviceBuffer xb = be.uploadNew(x); DeviceBuffer yb = TrainCommand.labels(model, y)) {
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
