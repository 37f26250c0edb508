package org.flowrt.cli;

import java.util.concurrent.Callable;
import org.flowrt.backend.Backend;
import org.flowrt.data.Datasets;
import org.flowrt.data.ImageDataset;
import org.flowrt.glow.Glow;
import org.flowrt.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "eval", mixinStandardHelpOptions = true, description = "Mean test bits per dimension of a checkpoint.")
final class EvalCommand implements Callable<Integer> {
  @Mixin CheckpointOption checkpoint;
  @Mixin DataOptions data;
  @Mixin BackendOption backendOption;

  @Option(names = "--no-noise", description = "evaluate without dequantization noise")
  boolean noNoise;

  @Option(names = "--images", description = "evaluate on the first N test images (0 = all)")
  int images;

  @Option(names = "--batch", description = "images per forward pass (default ${DEFAULT-VALUE})")
  int batch = 64;

  @Override
  public Integer call() throws Exception {
    checkpoint.validate();
    data.validate();
    Require.atLeast("--images", images, 0);
    Require.atLeast("--batch", batch, 1);
    try (Backend be = backendOption.open(); Glow glow = Checkpoint.loadModel(checkpoint.path, be)) {
      data.imageSize = glow.config().height();
      ImageDataset test = data.open(Datasets.Split.TEST, glow.config().levels());
      if (test.channels() != glow.config().channels())
        throw new IllegalArgumentException("the data has " + test.channels() + " channels, the model " + glow.config().channels());
      double bpd = Evaluation.meanBpd(glow, test, images, batch, !noNoise, 1, "eval");
      System.out.printf("test bpd %.4f (%d images%s)%n", bpd, images > 0 ? Math.min(images, test.size()) : test.size(),
          noNoise ? ", no noise" : "");
      return 0;
    }
  }
}
