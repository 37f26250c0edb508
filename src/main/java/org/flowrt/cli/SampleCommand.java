package org.flowrt.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.glow.Glow;
import org.flowrt.glow.GlowConfig;
import org.flowrt.io.Pictures;
import org.flowrt.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "sample", mixinStandardHelpOptions = true, description = "Sample images from a checkpoint into a PNG grid.")
final class SampleCommand implements Callable<Integer> {
  @Mixin CheckpointOption checkpoint;
  @Mixin BackendOption backendOption;

  @Option(names = "--count", description = "images (default ${DEFAULT-VALUE})")
  int count = 64;

  @Option(names = "--temperature", description = "multiplies every prior's standard deviation (default ${DEFAULT-VALUE})")
  float temperature = 0.7f;

  @Option(names = "--seed", description = "default ${DEFAULT-VALUE}")
  long seed = 1;

  @Option(names = "--label", description = "class of every sample, for a class-conditional model (default: classes in turn)")
  Integer label;

  @Option(names = "--out", description = "PNG file (default ${DEFAULT-VALUE})")
  Path out = Path.of("samples.png");

  @Override
  public Integer call() throws Exception {
    checkpoint.validate();
    Require.between("--count", count, 1, 4096);
    Require.positive("--temperature", temperature);
    Require.path("--out", out);
    if (label != null) Require.atLeast("--label", label, 0);
    try (Backend be = backendOption.open(); Glow glow = Checkpoint.loadModel(checkpoint.path, be)) {
      int[] classes = new int[count];
      if (glow.config().conditional()) {
        if (label != null && label >= glow.config().classes())
          throw new IllegalArgumentException("--label " + label + " is not a class of this model (0.." + (glow.config().classes() - 1) + ")");
        for (int i = 0; i < count; i++) classes[i] = label != null ? label : i % glow.config().classes();
      } else if (label != null) {
        throw new IllegalArgumentException("--label: this model is not class-conditional");
      }
      try (DeviceBuffer y = TrainCommand.labels(glow, classes)) {
        writeGrid(glow, count, temperature, seed, y, out);
      }
      System.out.println("wrote " + count + " samples at T=" + temperature + " to " + out);
      return 0;
    }
  }

  /**
   * Samples n images and writes them as a PNG grid; refuses to write an image of non-finite values,
   * naming the first layer of the inverse pass that produced one.
   */
  static void writeGrid(Glow glow, int n, float temperature, long seed, DeviceBuffer labels, Path out) throws IOException {
    Backend be = glow.backend();
    float[] pixels;
    try (DeviceBuffer s = glow.sample(n, temperature, seed, labels)) {
      be.synchronize();
      pixels = be.downloadFloats(s);
    }
    for (float v : pixels)
      if (!Float.isFinite(v)) {
        String layer = glow.firstNonFiniteLayerWhenSampling(n, temperature, seed, labels);
        throw new IllegalStateException("sampling produced non-finite pixel values (" + v + "); no image written to " + out
            + "; the first non-finite output is " + (layer == null ? "not reproducible layer by layer" : "at " + layer));
      }
    GlowConfig c = glow.config();
    Pictures.writeGrid(out, pixels, n, c.channels(), c.height(), c.width(), c.nBits());
  }
}
