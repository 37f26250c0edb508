package org.flowrt.cli;

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
    if (count < 1) throw new IllegalArgumentException("--count must be ≥ 1");
    try (Backend be = backendOption.open(); Glow glow = Checkpoint.loadModel(checkpoint.path, be)) {
      int[] classes = new int[count];
      if (glow.config().conditional()) for (int i = 0; i < count; i++) classes[i] = label != null ? label : i % glow.config().classes();
      else if (label != null) throw new IllegalArgumentException("--label: this model is not class-conditional");
      try (DeviceBuffer y = TrainCommand.labels(glow, classes); DeviceBuffer s = glow.sample(count, temperature, seed, y)) {
      be.synchronize();
      GlowConfig c = glow.config();
      Pictures.writeGrid(out, be.downloadFloats(s), count, c.channels(), c.height(), c.width(), c.nBits());
      System.out.println("wrote " + count + " samples at T=" + temperature + " to " + out);
      return 0;
      }
    }
  }
}
