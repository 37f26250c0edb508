package org.flowrt.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.flowrt.data.Datasets;
import org.flowrt.data.ImageDataset;
import org.flowrt.data.Padded;
import picocli.CommandLine.Option;

/** Where the images are and how to fit them to the model. */
final class DataOptions {
  static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

  @Option(names = "--data", description = "dataset folder: IDX (MNIST/Fashion-MNIST), CIFAR-10 binary, or PNG/JPEG images (default ${DEFAULT-VALUE})")
  Path data = FASHION_MNIST;

  @Option(names = "--image-size", description = "model image size (square); default: the data's size rounded up to a multiple of 2^L")
  int imageSize;

  @Option(names = "--channels", description = "channels for image folders: 1 (grey) or 3 (RGB) (default ${DEFAULT-VALUE})")
  int channels = 3;

  void validate() {
    Require.path("--data", data);
    Require.between("--image-size", imageSize, 0, 1 << 15);
    Require.between("--channels", channels, 1, 3);
    if (channels == 2) throw new IllegalArgumentException("--channels must be 1 (grey) or 3 (RGB), got 2");
  }

  /** Opens a split, padding smaller images (28×28 → 32×32) to the model size. */
  ImageDataset open(Datasets.Split split, int levels) throws IOException {
    int size = imageSize > 0 ? imageSize : 32;
    ImageDataset d = Datasets.open(data, split, channels, size, size);
    int target = imageSize > 0 ? imageSize : roundUp(Math.max(d.height(), d.width()), 1 << levels);
    if (d.height() == target && d.width() == target) return d;
    if (d.height() <= target && d.width() <= target) return new Padded(d, target, target);
    throw new IllegalArgumentException("images of " + data + " are " + d.height() + "×" + d.width() + ", larger than the model size "
        + target + "; choose --image-size ≥ " + Math.max(d.height(), d.width()));
  }

  static int roundUp(int v, int multiple) {
    return (v + multiple - 1) / multiple * multiple;
  }
}
