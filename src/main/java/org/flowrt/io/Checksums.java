package org.flowrt.io;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.CRC32C;

/**
 * CRC32C checksums of a safetensors file's contents, kept in its metadata as one JSON string:
 * {@code {"metadata": "1a2b3c4d", "tensors": {"name": "5e6f7a8b", ...}}}. A tensor's checksum covers
 * its little-endian data bytes; the metadata checksum covers every other metadata entry, sorted by
 * key, as UTF-8 {@code key NUL value NUL}. Together they catch a flipped bit anywhere that matters:
 * in tensor data directly, in a tensor's header entry because its data range or name then changes,
 * and in the metadata (config, step, seed). Readers that do not know the entry ignore it.
 */
final class Checksums {
  private final String metadata;
  private final Map<String, String> tensors;

  private Checksums(String metadata, Map<String, String> tensors) {
    this.metadata = metadata;
    this.tensors = tensors;
  }

  static Checksums of(Map<String, Safetensors.Tensor> tensors, Map<String, String> metadata) throws IOException {
    Map<String, String> sums = new TreeMap<>();
    ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    for (Map.Entry<String, Safetensors.Tensor> e : tensors.entrySet()) {
      CRC32C crc = new CRC32C();
      e.getValue().littleEndian(buf, crc::update);
      Safetensors.drain(buf, crc::update);
      sums.put(e.getKey(), hex(crc.getValue()));
    }
    return new Checksums(hex(metadata(metadata)), sums);
  }

  /** The CRC32C of the bytes between the buffer's position and limit (a tensor's data as read). */
  static long crc(ByteBuffer bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes.duplicate());
    return crc.getValue();
  }

  String toJson() {
    JsonObject o = new JsonObject();
    o.addProperty("metadata", metadata);
    JsonObject t = new JsonObject();
    tensors.forEach(t::addProperty);
    o.add("tensors", t);
    return o.toString();
  }

  /**
   * Null when every checksum matches, else what does not. `tensors` maps each tensor to the CRC32C of
   * its bytes as read ({@link #crc}); `metadata` excludes the checksum entry.
   */
  static String verify(String json, Map<String, Long> tensors, Map<String, String> metadata) {
    JsonObject o;
    try {
      o = JsonParser.parseString(json).getAsJsonObject();
    } catch (RuntimeException e) {
      return "its checksum entry does not parse (" + StrictJson.syntaxError(e) + ")";
    }
    if (!(o.get("metadata") instanceof JsonPrimitive m) || !m.isString() || !(o.get("tensors") instanceof JsonObject stored))
      return "its checksum entry is malformed";
    if (!m.getAsString().equals(hex(metadata(metadata)))) return "the metadata does not match its checksum (the file was altered or damaged)";
    for (Map.Entry<String, Long> e : tensors.entrySet()) {
      JsonElement sum = stored.get(e.getKey());
      if (!(sum instanceof JsonPrimitive p) || !p.isString()) return "tensor " + e.getKey() + " has no checksum";
      if (!p.getAsString().equals(hex(e.getValue())))
        return "tensor " + e.getKey() + " does not match its checksum (its data was altered or damaged)";
    }
    TreeSet<String> extra = new TreeSet<>(stored.keySet());
    extra.removeAll(tensors.keySet());
    if (!extra.isEmpty()) return "the checksums list tensor(s) the file lacks: " + extra;
    return null;
  }

  private static long metadata(Map<String, String> metadata) {
    CRC32C crc = new CRC32C();
    for (Map.Entry<String, String> e : new TreeMap<>(metadata).entrySet()) {
      if (e.getKey().equals(Safetensors.CHECKSUM_KEY)) continue;
      crc.update((e.getKey() + '\0' + e.getValue() + '\0').getBytes(StandardCharsets.UTF_8));
    }
    return crc.getValue();
  }

  private static String hex(long crc) {
    return String.format("%08x", crc);
  }
}
