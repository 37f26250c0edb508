package org.flowrt.io;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonArray;
import com.google.gson.JsonPrimitive;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
  /** The metadata key of the checksums. */
  public static final String CHECKSUM_KEY = "crc32c";

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

    /**
     * Appends the values' bytes to `buf` (a little-endian buffer), handing it flipped to `full`
     * whenever it fills and clearing it after; what does not fill it stays in `buf`.
     */
    void littleEndian(ByteBuffer buf, Chunks full) throws IOException {
      if (data instanceof float[] f) {
        for (float v : f) {
          if (buf.remaining() < 4) drain(buf, full);
          buf.putFloat(v);
        }
      } else {
        for (int v : (int[]) data) {
          if (buf.remaining() < 4) drain(buf, full);
          buf.putInt(v);
        }
      }
    }
  }

  /** Receives the bytes of a full buffer (between its position and limit). */
  interface Chunks {
    void accept(ByteBuffer chunk) throws IOException;
  }

  static void drain(ByteBuffer buf, Chunks full) throws IOException {
    full.accept(buf.flip());
    buf.clear();
  }

  /**
   * A file's tensors and metadata (without the checksum entry).
   *
   * @param checksummed whether the file carried checksums (all of which matched); files written
   *     before checksums existed have none
   */
  public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata, boolean checksummed) {}

  /**
   * Writes tensors and metadata, adding the {@value #CHECKSUM_KEY} metadata entry: CRC32C of every
   * tensor's bytes and of the other metadata entries (see {@link Checksums}).
   */
  public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
    write(path, tensors, metadata, (stage, tmp) -> {});
  }

  /** The stages of a write, where tests inject failures (a full disk, a crash) to check nothing saved is lost. */
  enum WriteStage {
    HEADER_WRITTEN,
    DATA_WRITTEN,
    BEFORE_RENAME
  }

  /** Called at each stage with the temporary file being written; may throw to simulate a failure. */
  interface WriteObserver {
    void at(WriteStage stage, Path temporary) throws IOException;
  }

  static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata, WriteObserver observer) throws IOException {
    JsonObject header = new JsonObject();
    JsonObject meta = new JsonObject();
    metadata.forEach((k, v) -> {
      if (!k.equals(CHECKSUM_KEY)) meta.addProperty(k, v);
    });
    meta.addProperty(CHECKSUM_KEY, Checksums.of(tensors, metadata).toJson());
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

    AtomicFiles.replace(path, (ch, tmp) -> {
      ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
      buf.putLong(headerBytes.length);
      writeAll(ch, buf.flip());
      writeAll(ch, ByteBuffer.wrap(headerBytes));
      observer.at(WriteStage.HEADER_WRITTEN, tmp);
      buf.clear();
      for (Tensor t : tensors.values()) t.littleEndian(buf, chunk -> writeAll(ch, chunk));
      writeAll(ch, buf.flip());
      observer.at(WriteStage.DATA_WRITTEN, tmp);
    }, tmp -> observer.at(WriteStage.BEFORE_RENAME, tmp));
  }

  private static void writeAll(FileChannel ch, ByteBuffer bytes) throws IOException {
    while (bytes.hasRemaining()) ch.write(bytes);
  }

  /**
   * Reads and validates a file: header length, JSON with no duplicate keys, string metadata,
   * dtypes, shapes, offsets that tile the data exactly (as safetensors itself requires), and the
   * checksums when present. Errors name the file and what is wrong with it.
   */
  public static Contents read(Path path) throws IOException {
    if (Files.isDirectory(path)) throw new IOException(path + " is a folder, not a checkpoint file");
    if (!Files.exists(path)) throw new java.nio.file.NoSuchFileException(path.toString(), null, "checkpoint file not found");
    if (!Files.isRegularFile(path)) throw new IOException(path + " is not a regular file, so it cannot be a checkpoint");
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
      Map<String, JsonElement> header = parseHeader(path, headerBuf.array());
      long dataStart = 8 + headerLength, dataSize = size - dataStart;
      Map<String, String> metadata = new LinkedHashMap<>();
      JsonElement metaElement = header.remove("__metadata__");
      if (metaElement != null) {
        if (!metaElement.isJsonObject()) throw corrupt(path, "__metadata__ is not a JSON object");
        for (Map.Entry<String, JsonElement> m : metaElement.getAsJsonObject().entrySet()) {
          if (!(m.getValue() instanceof JsonPrimitive p) || !p.isString())
            throw corrupt(path, "metadata entry " + m.getKey() + " is not a string");
          metadata.put(m.getKey(), p.getAsString());
        }
      }
      String sums = metadata.remove(CHECKSUM_KEY);
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      Map<String, Long> computed = new LinkedHashMap<>();
      List<long[]> ranges = new ArrayList<>();
      for (Map.Entry<String, JsonElement> e : header.entrySet()) {
        Entry entry = entry(path, e.getKey(), e.getValue(), dataSize);
        ranges.add(entry.offsets());
        ByteBuffer data = ByteBuffer.allocate((int) (entry.offsets()[1] - entry.offsets()[0])).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, data, dataStart + entry.offsets()[0]);
        data.flip();
        if (sums != null) computed.put(e.getKey(), Checksums.crc(data));
        Object values;
        if (entry.dtype().equals("F32")) {
          float[] f = new float[data.remaining() / 4];
          data.asFloatBuffer().get(f);
          values = f;
        } else {
          int[] i = new int[data.remaining() / 4];
          data.asIntBuffer().get(i);
          values = i;
        }
        tensors.put(e.getKey(), new Tensor(entry.dtype(), entry.shape(), values));
      }
      ranges.sort((x, y) -> Long.compare(x[0], y[0]));
      long covered = 0;
      for (long[] r : ranges) {
        if (r[0] < covered) throw corrupt(path, "tensor data ranges overlap");
        if (r[0] > covered) throw corrupt(path, "tensor data ranges leave bytes " + covered + ".." + r[0] + " unaccounted for");
        covered = r[1];
      }
      if (covered != dataSize) throw corrupt(path, "the tensors cover " + covered + " data bytes but the file holds " + dataSize);
      if (sums != null) {
        String problem = Checksums.verify(sums, computed, metadata);
        if (problem != null) throw corrupt(path, problem);
      }
      return new Contents(tensors, metadata, sums != null);
    }
  }

  /** A tensor's header entry, checked against the data size. */
  private record Entry(String dtype, long[] shape, long[] offsets) {}

  private static Entry entry(Path path, String name, JsonElement value, long dataSize) throws IOException {
    try {
      if (!value.isJsonObject()) throw corrupt(path, "tensor entry " + name + " is not a JSON object");
      JsonObject t = value.getAsJsonObject();
      if (!t.keySet().equals(java.util.Set.of("dtype", "shape", "data_offsets")))
        throw corrupt(path, "tensor entry " + name + " has fields " + t.keySet() + ", expected dtype, shape and data_offsets");
      String dtype = t.get("dtype").getAsString();
      if (!dtype.equals("F32") && !dtype.equals("I32")) throw corrupt(path, "tensor " + name + " has unsupported dtype " + dtype);
      long[] shape = longs(t.get("shape"));
      long[] off = longs(t.get("data_offsets"));
      long count = 1;
      for (long d : shape) {
        if (d < 0) throw corrupt(path, "tensor " + name + " has a negative dimension");
        count = Math.multiplyExact(count, d);
      }
      if (count > Integer.MAX_VALUE - 8) throw corrupt(path, "tensor " + name + " has " + count + " values, more than one array holds");
      if (off.length != 2 || off[0] < 0 || off[1] < off[0] || off[1] - off[0] != count * 4)
        throw corrupt(path, "tensor " + name + " has data offsets " + Arrays.toString(off) + " that do not match shape " + Arrays.toString(shape));
      if (off[1] > dataSize)
        throw corrupt(path, "tensor " + name + " ends at byte " + off[1] + " but the file holds " + dataSize + " data bytes (truncated)");
      return new Entry(dtype, shape, off);
    } catch (IOException ex) {
      throw ex;
    } catch (RuntimeException ex) {
      throw corrupt(path, "tensor entry " + name + " is malformed (" + StrictJson.syntaxError(ex) + ")");
    }
  }

  /** A JSON array of whole numbers (Gson would silently round 2.5 or read "3" as a number). */
  private static long[] longs(JsonElement e) {
    JsonArray a = e.getAsJsonArray();
    long[] out = new long[a.size()];
    for (int i = 0; i < out.length; i++) {
      if (!(a.get(i) instanceof JsonPrimitive p) || !p.isNumber()) throw new IllegalArgumentException(a.get(i) + " is not a number");
      out[i] = new java.math.BigDecimal(p.getAsString()).longValueExact();
    }
    return out;
  }

  /** The header's top-level entries in order, refusing duplicate keys (JsonParser would keep the last silently). */
  private static Map<String, JsonElement> parseHeader(Path path, byte[] bytes) throws IOException {
    Map<String, JsonElement> entries = new LinkedHashMap<>();
    try (JsonReader reader = new JsonReader(new java.io.StringReader(new String(bytes, StandardCharsets.UTF_8)))) {
      reader.beginObject();
      while (reader.hasNext()) {
        String name = reader.nextName();
        JsonElement value = JsonParser.parseReader(reader);
        if (entries.put(name, value) != null) throw corrupt(path, "the header names " + name + " twice");
      }
      reader.endObject();
      if (reader.peek() != JsonToken.END_DOCUMENT) throw corrupt(path, "the JSON header has content after its end");
    } catch (CorruptFileException e) {
      throw e;
    } catch (IOException e) {
      throw corrupt(path, "the JSON header does not parse (" + StrictJson.syntaxError(e) + ")");
    } catch (RuntimeException e) {
      throw corrupt(path, "the JSON header does not parse (" + StrictJson.syntaxError(e) + ")");
    }
    return entries;
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
    while (buf.hasRemaining()) {
      int n = ch.read(buf, position + buf.position());
      if (n < 0) throw new IOException("unexpected end of file");
    }
  }

  private static CorruptFileException corrupt(Path path, String what) {
    return new CorruptFileException(("corrupt checkpoint " + path + ": " + what).replace('\n', ' '));
  }

  /** The file is not a valid (or not an intact) safetensors file; the message says why. */
  public static final class CorruptFileException extends IOException {
    CorruptFileException(String message) {
      super(message);
    }
  }
}
