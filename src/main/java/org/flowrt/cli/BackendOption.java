package org.flowrt.cli;

import org.flowrt.backend.Backend;
import org.flowrt.backend.BackendKind;
import org.flowrt.backend.BackendOptions;
import org.flowrt.backend.Backends;
import org.flowrt.backend.ConvAlgorithms;
import org.flowrt.backend.ConvMath;
import picocli.CommandLine.Option;

/** --backend: auto (CUDA if usable, else CPU), cpu or cuda; --fastest-conv; --tf32. */
final class BackendOption {
  @Option(names = "--backend", description = "auto, cpu or cuda (default: $FLOWRT_BACKEND or auto)")
  String backend;

  @Option(names = "--fastest-conv", description = "CUDA: use the fastest cuDNN algorithms even where they are not "
      + "deterministic (default: the fastest deterministic ones, so a run repeats bit for bit)")
  boolean fastestConv;

  @Option(names = "--tf32", description = "CUDA: let cuDNN use TensorFloat-32 tensor cores for convolutions, as PyTorch "
      + "does by default (faster on Ampere and later, about 1e-3 relative error; default: float32 multiply-adds)")
  boolean tf32;

  Backend open() {
    return open(0);
  }

  /** The backend of the process with this index among a job's processes on the same machine. */
  Backend open(int localRank) {
    BackendOptions options = BackendOptions.defaults().withLocalRank(localRank);
    if (fastestConv) options = options.withConvAlgorithms(ConvAlgorithms.FASTEST);
    if (tf32) options = options.withConvMath(ConvMath.TF32);
    if (backend == null || backend.equalsIgnoreCase("auto")) return Backends.open(options);
    return Backends.open(BackendKind.parse(backend), options);
  }
}
