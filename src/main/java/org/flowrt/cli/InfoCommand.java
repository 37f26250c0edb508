package org.flowrt.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.flowrt.backend.Backend;
import org.flowrt.backend.Kernel;
import org.flowrt.backend.cuda.CudaProbe;
import org.flowrt.backend.cuda.Fatbin;
import org.flowrt.dist.Mpi;
import org.flowrt.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "info", mixinStandardHelpOptions = true, description = "Backends, GPU kernels in this build, and a checkpoint's summary.")
final class InfoCommand implements Callable<Integer> {
  @Mixin BackendOption backendOption;

  @Option(names = "--checkpoint", description = "also summarize this checkpoint")
  Path checkpoint;

  @Override
  public Integer call() throws Exception {
    CudaProbe.Result probe = CudaProbe.probe();
    System.out.println("CUDA backend: " + (probe.available() ? "available, " + probe.deviceCount() + " device(s), first: "
        + probe.deviceName() + ", cuDNN " + probe.cudnnVersion() : "unavailable: " + probe.reason()));
    byte[] fatbin = Fatbin.load();
    System.out.println("GPU kernels: " + (fatbin == null ? "none in this build" : Kernel.values().length + " kernels, code for " + Fatbin.entries(fatbin)));
    try (Backend be = backendOption.open()) {
      System.out.println("selected backend: " + be.description());
    }
    System.out.println("data-parallel: " + Mpi.describe());
    if (checkpoint != null) {
      Checkpoint.Loaded l = Checkpoint.read(checkpoint);
      System.out.println("checkpoint: " + checkpoint + "\n  config: " + l.config() + "\n  step " + l.step() + ", images seen "
          + l.imagesSeen() + ", " + l.contents().tensors().size() + " tensors");
    }
    return 0;
  }
}
