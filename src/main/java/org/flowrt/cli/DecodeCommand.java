package org.flowrt.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.glow.Glow;
import org.flowrt.glow.GlowConfig;
import org.flowrt.glow.Latents;
import org.flowrt.io.Pictures;
import org.flowrt.io.Safetensors;
import org.flowrt.ops.Nchw;
import org.flowrt.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "decode", mixinStandardHelpOptions = true, description = "Decode a latents file written by encode into a PNG grid.")
final class DecodeCommand implements Callable<Integer> {
  @Mixin CheckpointOption checkpoint;
  @Mixin BackendOption backendOption;

  @Option(names = "--latents", required = true, description = "latents file from flowrt encode")
  Path latents;

  @Option(names = "--out", description = "PNG file (default ${DEFAULT-VALUE})")
  Path out = Path.of("decoded.png");

  @Override
  public Integer call() throws Exception {
    checkpoint.validate();
    Require.path("--latents", latents);
    Require.path("--out", out);
    Safetensors.Contents c = Safetensors.read(latents);
    try (Backend be = backendOption.open(); Glow glow = Checkpoint.loadModel(checkpoint.path, be)) {
      GlowConfig cfg = glow.config();
      Safetensors.Tensor top = require(c, "top");
      if (top.shape().length != 4 || top.shape()[0] < 1 || top.shape()[0] > 4096)
        throw new IOException(latents + ": top has shape " + java.util.Arrays.toString(top.shape()) + ", expected [n, c, h, w] with n in 1..4096");
      int n = (int) top.shape()[0];
      checkShape(top, glow.topShape(n), "top");
      List<DeviceBuffer> splits = new ArrayList<>();
      for (int i = 0; i < glow.splits(); i++) {
        Safetensors.Tensor t = require(c, "split" + i + ".z2");
        checkShape(t, glow.splitShape(i, n), "split" + i + ".z2");
        splits.add(be.uploadNew(t.floats()));
      }
      try (Latents z = new Latents(splits, be.uploadNew(top.floats()), n); DeviceBuffer x = glow.decode(z)) {
        be.synchronize();
        Pictures.writeGrid(out, be.downloadFloats(x), n, cfg.channels(), cfg.height(), cfg.width(), cfg.nBits());
      }
      System.out.println("decoded " + n + " images to " + out);
      return 0;
    }
  }

  private Safetensors.Tensor require(Safetensors.Contents c, String name) throws IOException {
    Safetensors.Tensor t = c.tensors().get(name);
    if (t == null || !t.dtype().equals("F32")) throw new IOException(latents + " has no F32 tensor " + name);
    for (float v : t.floats()) if (!Float.isFinite(v)) throw new IOException(latents + ": " + name + " holds the non-finite value " + v);
    return t;
  }

  private void checkShape(Safetensors.Tensor t, Nchw s, String name) throws IOException {
    long[] want = {s.n(), s.c(), s.h(), s.w()};
    if (!java.util.Arrays.equals(t.shape(), want))
      throw new IOException(latents + ": " + name + " has shape " + java.util.Arrays.toString(t.shape()) + ", this model needs "
          + java.util.Arrays.toString(want));
  }
}
