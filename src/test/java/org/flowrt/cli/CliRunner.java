package org.flowrt.cli;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Runs the command line in this process on the CPU backend, capturing its output; writes tiny datasets. */
public final class CliRunner {
  /** What a command line printed and returned. */
  record Result(int exit, String out, String err) {
    /** The "flowrt: error:" lines. */
    java.util.List<String> errors() {
      return err.lines().filter(l -> l.startsWith("flowrt: error:")).toList();
    }

    @Override
    public String toString() {
      return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  private CliRunner() {}

  static synchronized Result run(String... args) {
    PrintStream oldOut = System.out, oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8); PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      System.setOut(o);
      System.setErr(e);
      boolean takesBackend = args.length > 0 && java.util.Set.of("train", "eval", "sample", "encode", "decode", "bench", "bench-one", "info").contains(args[0]);
      int exit = Main.run(takesBackend ? append(args, "--backend", "cpu") : args, e);
      return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  /** A small, fast training run: 8×8 grey images, L2 K1 width 8, batch 8. */
  static String[] train(Path data, Path out, String... more) {
    java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("train", "--data", data.toString(), "--out", out.toString(),
        "--levels", "2", "--steps", "1", "--width", "8", "--batch", "8", "--n-init", "16", "--eval-images", "8", "--samples", "4"));
    a.addAll(java.util.Arrays.asList(more));
    return a.toArray(String[]::new);
  }

  private static String[] append(String[] a, String... more) {
    String[] r = java.util.Arrays.copyOf(a, a.length + more.length);
    System.arraycopy(more, 0, r, a.length, more.length);
    return r;
  }

  /**
   * An IDX dataset of n train and n/2 test grey images of size×size in `dir`: smooth gradients
   * plus noise, labels 0..3, so a small model trains on it in a few steps.
   */
  public static Path idxDataset(Path dir, int n, int size) throws IOException {
    Files.createDirectories(dir);
    Random r = new Random(11);
    write(dir, "train", n, size, r);
    write(dir, "t10k", n / 2, size, r);
    return dir;
  }

  private static void write(Path dir, String prefix, int n, int size, Random r) throws IOException {
    try (DataOutputStream img = new DataOutputStream(Files.newOutputStream(dir.resolve(prefix + "-images-idx3-ubyte")));
        DataOutputStream lab = new DataOutputStream(Files.newOutputStream(dir.resolve(prefix + "-labels-idx1-ubyte")))) {
      img.writeInt(0x803);
      img.writeInt(n);
      img.writeInt(size);
      img.writeInt(size);
      lab.writeInt(0x801);
      lab.writeInt(n);
      for (int k = 0; k < n; k++) {
        int kind = k % 4;
        for (int i = 0; i < size; i++)
          for (int j = 0; j < size; j++) {
            int v = switch (kind) {
              case 0 -> 255 * i / size;
              case 1 -> 255 * j / size;
              case 2 -> (i + j) % 2 == 0 ? 40 : 200;
              default -> 128;
            };
            img.writeByte(Math.max(0, Math.min(255, v + r.nextInt(9) - 4)));
          }
        lab.writeByte(kind);
      }
    }
  }
}
