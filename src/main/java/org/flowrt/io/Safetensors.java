package org.flowrt.io;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors file format: an 8-byte little-endian header length, a JSON header mapping tensor
 * names to {dtype, shape, data_offsets} (plus "__metadata__": string → string), then the raw
 * little-endian data. Writing goes to a temporary file in the same folder, forced to disk and
 * renamed over the target, so a crash never leaves a half-written file under the real name.
 * Reading validates everything and names what is wrong.
 */
public final class Safetensors {
  /** Sanity bound on the JSON header (safetensors itself uses 100 MB). */
  private static final long MAX_HEADER = 100L << 20;

  private Safetensors() {}

  /** A tensor's dtype ("F32", "I32") and shape, with its data (float[] or int[]). */
  public record Tensor(String dtype, long[] shape, Object data) {
    public static Tensor of(float[] values, long... shape) {
      return new Tensor("F32", shape, values);
    }

    public static Tensor of(int[] values, long... shape) {
      return new Tensor("I32", shape, values);
    }

    public long count() {
      long n = 1;
      for (long d : shape) n *= d;
      return n;
    }

    public float[] floats() {
      if (!(data instanceof float[] f)) throw new IllegalStateException("tensor is " + dtype + ", not F32");
      return f;
    }

    public int[] ints() {
      if (!(data instanceof int[] i)) throw new IllegalStateException("tensor is " + dtype + ", not I32");
      return i;
    }
  }

  /** A file's tensors and metadata. */
  public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

  public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
    JsonObject header = new JsonObject();
    JsonObject meta = new JsonObject();
    metadata.forEach(meta::addProperty);
    header.add("__metadata__", meta);
    long offset = 0;
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      Tensor t = e.getValue();
      long bytes = t.count() * 4;
      int length = t.data() instanceof float[] f ? f.length : ((int[]) t.data()).length;
      if (length != t.count()) throw new IllegalArgumentException(e.getKey() + ": " + length + " values for shape " + Arrays.toString(t.shape()));
      JsonObject entry = new JsonObject();
      entry.addProperty("dtype", t.dtype());
      entry.add("shape", new Gson().toJsonTree(t.shape()));
      entry.add("data_offsets", new Gson().toJsonTree(new long[] {offset, offset + bytes}));
      header.add(e.getKey(), entry);
      offset += bytes;
    }
    byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
    int pad = (8 - json.length % 8) % 8;  // align data to 8 bytes, padding with spaces as the format allows
    byte[] headerBytes = Arrays.copyOf(json, json.length + pad);
    Arrays.fill(headerBytes, json.length, headerBytes.length, (byte) ' ');

    Path dir = path.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + path.getFileName() + ".", ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
          OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerBytes.length);
        out.write(len.array());
        out.write(headerBytes);
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (Tensor t : tensors.values()) {
          if (t.data() instanceof float[] f) {
            for (float v : f) {
              if (buf.remaining() < 4) flush(buf, out);
              buf.putFloat(v);
            }
          } else {
            for (int v : (int[]) t.data()) {
              if (buf.remaining() < 4) flush(buf, out);
              buf.putInt(v);
            }
          }
        }
        flush(buf, out);
        out.flush();
        ch.force(true);
      }
      try {
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static void flush(ByteBuffer buf, OutputStream out) throws IOException {
    out.write(buf.array(), 0, buf.position());
    buf.clear();
  }

  /** Reads and validates a file; errors name the file and what is wrong with it. */
  public static Contents read(Path path) throws IOException {
    if (!Files.isRegularFile(path)) throw new java.nio.file.NoSuchFileException(path.toString(), null, "checkpoint file not found");
    long size = Files.size(path);
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      if (size < 8) throw corrupt(path, "only " + size + " bytes: too short for a safetensors header");
      ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, lenBuf, 0);
      long headerLength = lenBuf.flip().getLong();
      if (headerLength <= 0 || headerLength > MAX_HEADER || 8 + headerLength > size)
        throw corrupt(path, "header length " + headerLength + " does not fit a file of " + size + " bytes (truncated or not safetensors)");
      ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLength);
      readFully(ch, headerBuf, 8);
      JsonObject header;
      try {
        JsonElement parsed = JsonParser.parseString(new String(headerBuf.array(), StandardCharsets.UTF_8));
        header = parsed.getAsJsonObject();
      } catch (RuntimeException e) {
        throw corrupt(path, "the JSON header does not parse (" + e.getMessage() + ")");
      }
      long dataStart = 8 + headerLength, dataSize = size - dataStart;
      Map<String, String> metadata = new LinkedHashMap<>();
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      List<long[]> ranges = new ArrayList<>();
      for (Map.Entry<String, JsonElement> e : header.entrySet()) {
        if (e.getKey().equals("__metadata__")) {
          for (Map.Entry<String, JsonElement> m : e.getValue().getAsJsonObject().entrySet()) metadata.put(m.getKey(), m.getValue().getAsString());
          continue;
        }
        try {
          JsonObject t = e.getValue().getAsJsonObject();
          String dtype = t.get("dtype").getAsString();
          if (!dtype.equals("F32") && !dtype.equals("I32")) throw corrupt(path, "tensor " + e.getKey() + " has unsupported dtype " + dtype);
          long[] shape = new Gson().fromJson(t.get("shape"), long[].class);
          long[] off = new Gson().fromJson(t.get("data_offsets"), long[].class);
          long count = 1;
          for (long d : shape) {
            if (d < 0) throw corrupt(path, "tensor " + e.getKey() + " has a negative dimension");
            count *= d;
          }
          if (off.length != 2 || off[0] < 0 || off[1] < off[0] || off[1] - off[0] != count * 4)
            throw corrupt(path, "tensor " + e.getKey() + " has data offsets " + Arrays.toString(off) + " that do not match shape " + Arrays.toString(shape));
          if (off[1] > dataSize)
            throw corrupt(path, "tensor " + e.getKey() + " ends at byte " + off[1] + " but the file holds " + dataSize + " data bytes (truncated)");
          ranges.add(off);
          ByteBuffer data = ByteBuffer.allocate((int) (off[1] - off[0])).order(ByteOrder.LITTLE_ENDIAN);
          readFully(ch, data, dataStart + off[0]);
          data.flip();
          Object values;
          if (dtype.equals("F32")) {
            float[] f = new float[(int) count];
            data.asFloatBuffer().get(f);
            values = f;
          } else {
            int[] i = new int[(int) count];
            data.asIntBuffer().get(i);
            values = i;
          }
          tensors.put(e.getKey(), new Tensor(dtype, shape, values));
        } catch (IOException ex) {
          throw ex;
        } catch (RuntimeException ex) {
          throw corrupt(path, "tensor entry " + e.getKey() + " is malformed (" + ex.getMessage() + ")");
        }
      }
      ranges.sort((a, b) -> Long.compare(a[0], b[0]));
      for (int i = 1; i < ranges.size(); i++)
        if (ranges.get(i)[0] < ranges.get(i - 1)[1]) throw corrupt(path, "tensor data ranges overlap");
      return new Contents(tensors, metadata);
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
    while (buf.hasRemaining()) {
      int n = ch.read(buf, position + buf.position());
      if (n < 0) throw new IOException("unexpected end of file");
    }
  }

  private static IOException corrupt(Path path, String what) {
    return new IOException("corrupt checkpoint " + path + ": " + what);
  }
}
