package org.flowrt.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.flowrt.backend.NativeCallException;
import org.flowrt.backend.OutOfDeviceMemoryException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The flowrt command line. Errors a user can act on are printed as one clear line, exit code 2. */
@Command(name = "flowrt", mixinStandardHelpOptions = true, version = "flowrt 0.1.0",
    description = "GPU-native runtime for normalizing flows (Glow).",
    subcommands = {TrainCommand.class, EvalCommand.class, SampleCommand.class, EncodeCommand.class, DecodeCommand.class,
        BenchCommand.class, InfoCommand.class, ToyCommand.class, ViCommand.class})
public final class Main implements Runnable {
  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  public static void main(String[] args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      if (e instanceof IllegalArgumentException || e instanceof IllegalStateException || e instanceof IOException
          || e instanceof UncheckedIOException || e instanceof OutOfDeviceMemoryException || e instanceof NativeCallException
          || e instanceof org.flowrt.train.Trainer.DivergedException || e instanceof org.flowrt.classic.DirectionException) {
        String message = e instanceof UncheckedIOException u ? u.getCause().getMessage() : e.getMessage();
        if (e instanceof java.nio.file.NoSuchFileException n) message = "no such file: " + n.getFile() + (n.getReason() == null ? "" : " (" + n.getReason() + ")");
        System.err.println("flowrt: error: " + message);
        return 2;
      }
      throw e;
    });
    System.exit(cli.execute(args));
  }
}
