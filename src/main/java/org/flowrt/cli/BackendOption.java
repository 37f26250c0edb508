package org.flowrt.cli;

import org.flowrt.backend.Backend;
import org.flowrt.backend.BackendKind;
import org.flowrt.backend.Backends;
import picocli.CommandLine.Option;

/** --backend: auto (CUDA if usable, else CPU), cpu or cuda. */
final class BackendOption {
  @Option(names = "--backend", description = "auto, cpu or cuda (default: $FLOWRT_BACKEND or auto)")
  String backend;

  Backend open() {
    if (backend == null || backend.equalsIgnoreCase("auto")) return Backends.open();
    return Backends.open(BackendKind.parse(backend));
  }
}
