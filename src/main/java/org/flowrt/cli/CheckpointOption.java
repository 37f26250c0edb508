package org.flowrt.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** --checkpoint for the commands that use a trained model. */
final class CheckpointOption {
  @Option(names = "--checkpoint", required = true, description = "a checkpoint written by flowrt train")
  Path path;

  void validate() {
    Require.path("--checkpoint", path);
  }
}
