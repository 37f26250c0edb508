package org.flowrt.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import org.flowrt.backend.Backend;
import org.flowrt.backend.Backends;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.data.BatchLoader;
import org.flowrt.data.Datasets;
import org.flowrt.data.ImageDataset;
import org.flowrt.data.InMemoryDataset;
import org.flowrt.data.Padded;
import org.flowrt.glow.Glow;
import org.flowrt.glow.GlowConfig;
import org.flowrt.glow.ImageDensity;
import org.flowrt.glow.Latents;
import org.flowrt.glow.Permutation;
import org.flowrt.io.Pictures;
import org.flowrt.train.Checkpoint;
import org.flowrt.train.TrainSettings;
import org.flowrt.train.Trainer;

/**
 * flowrt as a library: build a Glow on the best backend, train it step by step, score images,
 * encode and decode them, sample, and save a checkpoint that {@code flowrt eval} can read.
 *
 * <pre>
 *   java -cp "target/flowrt-0.1.0-SNAPSHOT.jar:$(cat target/classpath.txt)" org.flowrt.examples.EmbedExample [DATA_DIR] [OUT_DIR]
 * </pre>
 * Without DATA_DIR it uses Fashion-MNIST from /usr/share/datasets/fashion-mnist.
 */
public final class EmbedExample {
  private EmbedExample() {}

  public static void main(String[] args) throws Exception {
    Path data = Path.of(args.length > 0 ? args[0] : "/usr/share/datasets/fashion-mnist");
    Path out = Path.of(args.length > 1 ? args[1] : "runs/example");
    Files.createDirectories(out);
    ImageDataset train = new Padded(Datasets.open(data, Datasets.Split.TRAIN, 1, 32, 32), 32, 32);
    GlowConfig cfg = GlowConfig.defaults(1, 32, 32, 3, 4).withWidth(64).withPermutation(Permutation.INVCONV_LU);

    try (Backend be = Backends.open(); Glow glow = new Glow(be, cfg, 42)) {
      System.out.println("backend: " + be.description() + ", parameters: " + glow.parameters().count());
      int batch = 32;
      try (BatchLoader loader = new BatchLoader(train, batch, cfg.nBits(), 42, 0);
          Trainer trainer = new Trainer(glow, TrainSettings.defaults(batch, train.size()).withWarmupImages(640))) {
        try (DeviceBuffer init = be.uploadNew(loader.make(999_999).images())) {
          glow.initialize(init, batch);
        }
        for (int i = 0; i < 30; i++) {
          try (DeviceBuffer x = be.uploadNew(loader.next().images())) {
            Trainer.StepResult r = trainer.step(x, batch);
            if (i % 10 == 9) System.out.printf("step %d: train bpd %.3f%n", r.step(), r.bpd());
          }
        }
        Checkpoint.save(out.resolve("example.safetensors"), glow, trainer, 42);
      }

      // Score eight test images, with and without dequantization noise.
      InMemoryDataset test = (InMemoryDataset) Datasets.open(data, Datasets.Split.TEST, 1, 32, 32);
      ImageDataset padded = new Padded(test.head(8), 32, 32);
      byte[] pixels = new byte[8 * padded.pixels()];
      byte[] one = new byte[padded.pixels()];
      for (int i = 0; i < 8; i++) {
        padded.image(i, one);
        System.arraycopy(one, 0, pixels, i * one.length, one.length);
      }
      double[] noisy = ImageDensity.bitsPerDimension(glow, pixels, 8, true, 7);
      double[] exact = ImageDensity.bitsPerDimension(glow, pixels, 8, false, 0);
      for (int i = 0; i < 8; i++) System.out.printf("test image %d: %.3f bpd (dequantized), %.3f bpd (bin corner)%n", i, noisy[i], exact[i]);

      // Encode, decode, and measure the round trip; then sample.
      try (DeviceBuffer x = ImageDensity.upload(glow, pixels, 8, false, 0); Latents z = glow.encode(x, 8);
          DeviceBuffer back = glow.decode(z); DeviceBuffer samples = glow.sample(16, 0.7f, 3)) {
        be.synchronize();
        float[] a = be.downloadFloats(x), b = be.downloadFloats(back);
        double err = 0;
        for (int i = 0; i < a.length; i++) err = Math.max(err, Math.abs(a[i] - b[i]));
        System.out.printf("decode(encode(x)) max error: %.2e%n", err);
        Pictures.writeGrid(out.resolve("example-samples.png"), be.downloadFloats(samples), 16, 1, 32, 32, cfg.nBits());
      }
      System.out.println("wrote " + out.resolve("example.safetensors") + " and " + out.resolve("example-samples.png"));
    }
  }
}
