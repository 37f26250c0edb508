package org.flowrt.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.logging.Handler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.flowrt.backend.NativeCallException;
import org.flowrt.backend.OutOfDeviceMemoryException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The flowrt command line. Errors a user can act on (bad options, bad files, a model that
 * diverged or computes non-finite results) are printed as one line, "flowrt: error: …", with exit
 * code 2; only a bug in flowrt itself shows a stack trace.
 */
@Command(name = "flowrt", mixinStandardHelpOptions = true, version = "flowrt 0.1.0",
    description = "GPU-native runtime for normalizing flows (Glow).",
    subcommands = {TrainCommand.class, EvalCommand.class, SampleCommand.class, EncodeCommand.class, DecodeCommand.class,
        BenchCommand.class, BenchOneCommand.class, PlanCommand.class, InfoCommand.class, ToyCommand.class, ViCommand.class})
public final class Main implements Runnable {
  /** Held so that the handler below stays attached: JUL keeps loggers only weakly. */
  private static final Logger FLOWRT_LOG = Logger.getLogger("org.flowrt");

  /** Exit code of every refused input or failed run. */
  public static final int USAGE_OR_INPUT_ERROR = 2;

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  public static void main(String[] args) {
    System.exit(run(args, System.err));
  }

  /** Runs a command line in this process (tests use it); returns the exit code. */
  public static int run(String[] args, PrintStream err) {
    installLogFormat(err);
    CommandLine cli = new CommandLine(new Main());
    cli.setErr(new PrintWriter(err, true));
    cli.setParameterExceptionHandler((e, a) -> {
      String command = e.getCommandLine().getCommandName();
      err.println("flowrt: error: " + e.getMessage() + " (see flowrt " + (command.equals("flowrt") ? "" : command + " ") + "--help)");
      return USAGE_OR_INPUT_ERROR;
    });
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      String message = userMessage(e);
      if (message == null) throw e;
      err.println("flowrt: error: " + message.replace("\n", "; "));
      return USAGE_OR_INPUT_ERROR;
    });
    return cli.execute(args);
  }

  /** The one-line message of an error a user can act on, or null for a bug (which keeps its stack trace). */
  static String userMessage(Exception e) {
    if (e instanceof UncheckedIOException u) return fileMessage(u.getCause());
    if (e instanceof IOException io) return fileMessage(io);
    if (e instanceof IllegalArgumentException || e instanceof IllegalStateException || e instanceof OutOfDeviceMemoryException
        || e instanceof NativeCallException || e instanceof org.flowrt.train.Trainer.DivergedException
        || e instanceof org.flowrt.classic.DirectionException)
      return e.getMessage();
    return null;
  }

  /** File-system errors carry only the path as their message; say what went wrong with it. */
  static String fileMessage(IOException e) {
    if (e instanceof NoSuchFileException n)
      return "no such file: " + n.getFile() + (n.getReason() == null ? "" : " (" + n.getReason() + ")");
    if (e instanceof AccessDeniedException a) return "permission denied: " + a.getFile();
    if (e instanceof FileAlreadyExistsException a) return "already exists: " + a.getFile();
    if (e instanceof NotDirectoryException a) return "not a folder: " + a.getFile();
    if (e instanceof FileSystemException f)
      return "cannot use " + f.getFile() + (f.getOtherFile() == null ? "" : " / " + f.getOtherFile()) + ": "
          + (f.getReason() == null ? "file system error" : f.getReason());
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  /** Library warnings (an unchecksummed checkpoint, a skipped step) as "flowrt: warning: …" lines. */
  private static void installLogFormat(PrintStream err) {
    Logger root = FLOWRT_LOG;
    for (var h : root.getHandlers()) root.removeHandler(h);
    Formatter format = new Formatter() {
      @Override
      public String format(LogRecord r) {
        return "flowrt: " + r.getLevel().getName().toLowerCase(java.util.Locale.ROOT) + ": " + formatMessage(r) + System.lineSeparator();
      }
    };
    Handler handler = new Handler() {
      @Override
      public void publish(LogRecord r) {
        if (isLoggable(r)) err.print(format.format(r));
      }

      @Override
      public void flush() {
        err.flush();
      }

      @Override
      public void close() {}
    };
    handler.setLevel(Level.INFO);
    root.addHandler(handler);
    root.setUseParentHandlers(false);
  }
}
