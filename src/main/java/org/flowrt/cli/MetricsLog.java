package org.flowrt.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.flowrt.io.AtomicFiles;

/**
 * A run's metrics.jsonl: one JSON object per line, each line written whole with one write() call
 * straight to the file (no user-space buffer), so a crash leaves at most the records the process
 * had not yet reached, never half a line that the next run would append to.
 *
 * <p>The log is a true record of one run. A fresh run starts a new log; a resumed run keeps the
 * records up to the checkpoint's step and drops the ones after it (the steps between the checkpoint
 * and the crash are computed again, identically), then appends. Training records carry "step";
 * other records carry "event" (resume, eval, summary, diverged).
 */
final class MetricsLog implements AutoCloseable {
  private final Path path;
  private final FileChannel channel;
  private final List<JsonObject> records;

  private MetricsLog(Path path, List<JsonObject> kept) throws IOException {
    this.path = path;
    this.records = new ArrayList<>(kept);
    channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
  }

  /** A new log for a fresh run; an older file (from a run that left no checkpoint) is replaced. Returns the log and whether it replaced one. */
  static MetricsLog fresh(Path path) throws IOException {
    boolean existed = Files.exists(path);
    rewrite(path, List.of());
    MetricsLog log = new MetricsLog(path, List.of());
    if (existed) System.err.println("flowrt: replaced " + path + " of an earlier run that left no checkpoint");
    return log;
  }

  /** The log of a resumed run: records after `step` (and any torn line) are dropped. */
  static MetricsLog resume(Path path, long step) throws IOException {
    List<JsonObject> kept = new ArrayList<>();
    int dropped = 0;
    if (Files.exists(path)) {
      for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
        if (line.isBlank()) continue;
        JsonObject o = parse(line);
        if (o == null || !o.has("step") || !o.get("step").isJsonPrimitive() || o.get("step").getAsLong() > step) dropped++;
        else kept.add(o);
      }
      rewrite(path, kept);
    }
    if (dropped > 0)
      System.err.printf("flowrt: %s: dropped %d record(s) after the checkpoint's step %d (those steps run again)%n", path, dropped, step);
    return new MetricsLog(path, kept);
  }

  private static JsonObject parse(String line) {
    try {
      JsonElement e = JsonParser.parseString(line);
      return e.isJsonObject() ? e.getAsJsonObject() : null;
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Replaces the file with these records atomically. */
  private static void rewrite(Path path, List<JsonObject> records) throws IOException {
    StringBuilder text = new StringBuilder();
    for (JsonObject o : records) text.append(o).append('\n');
    ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
    AtomicFiles.replace(path, (ch, tmp) -> {
      while (bytes.hasRemaining()) ch.write(bytes);
    });
  }

  /** Appends one record as one whole line. */
  void append(JsonObject record) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap((record + "\n").getBytes(StandardCharsets.UTF_8));
    while (bytes.hasRemaining()) channel.write(bytes);
    records.add(record);
  }

  /** Every record of the run so far, earlier sessions' included. */
  List<JsonObject> records() {
    return List.copyOf(records);
  }

  /** (step, value) of the records that have a finite `key` (and are not skipped steps). */
  List<double[]> curve(String key) {
    List<double[]> points = new ArrayList<>();
    for (JsonObject o : records) {
      if (!o.has(key) || !o.get(key).isJsonPrimitive() || !o.has("step")) continue;
      if (o.has("skipped") && o.get("skipped").getAsBoolean()) continue;
      points.add(new double[] {o.get("step").getAsDouble(), o.get(key).getAsDouble()});
    }
    return points;
  }

  Path path() {
    return path;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
