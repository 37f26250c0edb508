package org.flowrt.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.data.Datasets;
import org.flowrt.data.ImageDataset;
import org.flowrt.data.BatchLoader;
import org.flowrt.glow.Glow;
import org.flowrt.glow.Latents;
import org.flowrt.io.Safetensors;
import org.flowrt.ops.Nchw;
import org.flowrt.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "encode", mixinStandardHelpOptions = true,
    description = "Encode test images to latents (safetensors: split<i>.z2 [n,c,h,w] for each split, top [n,c,h,w]).")
final class EncodeCommand implements Callable<Integer> {
  @Mixin CheckpointOption checkpoint;
  @Mixin DataOptions data;
  @Mixin BackendOption backendOption;

  @Option(names = "--count", description = "images, from the start of the test split (default ${DEFAULT-VALUE})")
  int count = 16;

  @Option(names = "--out", description = "latents file (default ${DEFAULT-VALUE})")
  Path out = Path.of("latents.safetensors");

  @Override
  public Integer call() throws Exception {
    checkpoint.validate();
    data.validate();
    Require.between("--count", count, 1, 4096);
    Require.path("--out", out);
    try (Backend be = backendOption.open(); Glow glow = Checkpoint.loadModel(checkpoint.path, be)) {
      data.imageSize = glow.config().height();
      ImageDataset test = data.open(Datasets.Split.TEST, glow.config().levels());
      int n = Math.min(count, test.size());
      BatchLoader.Batch batch = BatchLoader.gather(test, n, i -> i, glow.config().nBits(), null, 0);
      Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
      try (DeviceBuffer xb = be.uploadNew(batch.images()); DeviceBuffer yb = TrainCommand.labels(glow, batch.labels());
          Latents z = glow.encode(xb, yb, n)) {
        be.synchronize();
        for (int i = 0; i < z.splits().size(); i++) {
          Nchw s = glow.splitShape(i, n);
          tensors.put("split" + i + ".z2", Safetensors.Tensor.of(be.downloadFloats(z.splits().get(i)), s.n(), s.c(), s.h(), s.w()));
        }
        Nchw t = glow.topShape(n);
        tensors.put("top", Safetensors.Tensor.of(be.downloadFloats(z.top()), t.n(), t.c(), t.h(), t.w()));
      }
      Safetensors.write(out, tensors, Map.of("format", "flowrt-latents-1", "checkpoint", checkpoint.path.toString()));
      System.out.println("wrote latents of " + n + " images to " + out);
      return 0;
    }
  }
}
