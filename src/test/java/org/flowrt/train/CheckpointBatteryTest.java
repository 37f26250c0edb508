package org.flowrt.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.data.BatchLoader;
import org.flowrt.glow.BackwardMode;
import org.flowrt.glow.Glow;
import org.flowrt.glow.GlowConfig;
import org.flowrt.glow.Permutation;
import org.flowrt.io.Safetensors;
import org.flowrt.io.Safetensors.Tensor;
import org.flowrt.testing.TestBackends;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault battery: more than 500 generated corruptions of a training checkpoint — truncations,
 * random bit flips in the length, header and data, metadata rewritten with wrong types and values,
 * structural header damage (duplicate keys, overlapping or out-of-range offsets), non-finite
 * parameters, permutations out of range or repeated, wrong LU signs — each loaded the way
 * `train --resume` loads it. Every one must end in exactly one of two ways: refused with an
 * IOException whose one-line message names the file, or loaded with every tensor, counter and
 * setting equal to the original (a flip that changed nothing that matters). Silent acceptance of a
 * changed state, any other exception or a crash fails the test.
 */
class CheckpointBatteryTest {
  static final GlowConfig CFG = GlowConfig.defaults(1, 8, 8, 2, 2).withWidth(8).withPermutation(Permutation.INVCONV_LU);
  @TempDir static Path dir;
  static Backend be;
  static Path original;
  static byte[] bytes;
  static final List<String> harmless = new ArrayList<>();
  static Safetensors.Contents contents;
  static int headerEnd;

  @BeforeAll
  static void trainAndSave() throws IOException {
    be = TestBackends.cpu();
    original = dir.resolve("original.safetensors");
    TrainSettings settings = TrainSettings.defaults(16, 64).with(OptimizerKind.ADAMAX, 1e-3f, 0, 0.9f, BackwardMode.REVERSIBLE, 5);
    try (Glow g = new Glow(be, CFG, 5); Trainer t = new Trainer(g, settings);
        BatchLoader loader = new BatchLoader(TrainingSuite.patterns(), 16, 8, 5, 0)) {
      try (DeviceBuffer x = be.uploadNew(loader.make(100).images())) {
        g.initialize(x, 16);
      }
      for (long s = 0; s < 2; s++)
        try (DeviceBuffer x = be.uploadNew(loader.make(s).images())) {
          t.step(x, 16);
        }
      Checkpoint.save(original, g, t, 5);
    }
    bytes = Files.readAllBytes(original);
    contents = Safetensors.read(original);
    headerEnd = 8 + (int) ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

  /** What loading a file the way a resume does came to. */
  enum Outcome {
    REFUSED,
    INTACT
  }

  /** Loads model and trainer state; refusal or a state equal to the original's are the only allowed ends. */
  static Outcome load(Path p, String what) {
    Checkpoint.Loaded l;
    try {
      l = Checkpoint.read(p);
      try (Glow g = new Glow(be, l.config(), l.seed()); Trainer t = new Trainer(g, l.settings())) {
        Checkpoint.restoreModel(l, g);
        Checkpoint.restoreTrainer(l, t, g.parameters().count());
        assertIntact(l, g, t, what);
        harmless.add(what);
        return Outcome.INTACT;
      }
    } catch (IOException e) {
      String m = e.getMessage();
      if (m == null || !m.contains(p.toString()) || m.contains("\n")) fail(what + ": the refusal must be one line naming the file: " + m);
      return Outcome.REFUSED;
    } catch (RuntimeException | AssertionError e) {
      throw new AssertionError(what + ": not a clean refusal: " + e, e);
    }
  }

  private static void assertIntact(Checkpoint.Loaded l, Glow g, Trainer t, String what) throws IOException {
    Checkpoint.Snapshot s = Checkpoint.capture(g, t, l.seed(), Map.of());
    Map<String, String> meta = new LinkedHashMap<>(contents.metadata());
    for (Map.Entry<String, Tensor> e : contents.tensors().entrySet()) {
      Tensor now = s.tensors().get(e.getKey());
      Object a = e.getValue().data(), b = now == null ? null : now.data();
      boolean same = a instanceof float[] f ? b instanceof float[] g2 && Arrays.equals(f, g2) : b instanceof int[] i && Arrays.equals((int[]) a, i);
      if (!same) fail(what + ": silently accepted a changed tensor " + e.getKey());
    }
    for (String key : List.of("config", "seed", "step", "images_seen", "initialized", "settings"))
      if (!JsonParser.parseString(quoteIfNeeded(meta.get(key))).equals(JsonParser.parseString(quoteIfNeeded(s.metadata().get(key)))))
        fail(what + ": silently accepted a changed " + key + ": " + meta.get(key) + " → " + s.metadata().get(key));
  }

  private static String quoteIfNeeded(String v) {
    return v.startsWith("{") ? v : new JsonPrimitive(v).toString();
  }

  private static Path file(String name, byte[] content) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, content);
    return p;
  }

  /** A valid file (fresh checksums) with these changes: exercises the meaning checks, not just the checksums. */
  private static Path rewritten(String name, Consumer<Map<String, Tensor>> tensors, Consumer<Map<String, String>> metadata) throws IOException {
    Map<String, Tensor> t = new LinkedHashMap<>();
    contents.tensors().forEach((k, v) -> t.put(k, new Tensor(v.dtype(), v.shape().clone(),
        v.data() instanceof float[] f ? f.clone() : ((int[]) v.data()).clone())));
    Map<String, String> m = new LinkedHashMap<>(contents.metadata());
    tensors.accept(t);
    metadata.accept(m);
    Path p = dir.resolve(name);
    Safetensors.write(p, t, m);
    return p;
  }

  @Test
  void everyCorruptionIsRefusedOrHarmless() throws IOException {
    harmless.clear();
    int refused = 0, intact = 0;
    List<Outcome> outcomes = new ArrayList<>();
    Random r = new Random(2026);

    // Truncations: every length up to a bit past the header start, then spread over header and data.
    List<Integer> lengths = new ArrayList<>();
    for (int n = 0; n <= 24; n++) lengths.add(n);
    for (int i = 0; i < 40; i++) lengths.add(24 + r.nextInt(headerEnd - 24));
    for (int i = 0; i < 40; i++) lengths.add(headerEnd + r.nextInt(bytes.length - headerEnd));
    for (int d = 1; d <= 8; d++) lengths.add(bytes.length - d);
    for (int n : lengths) outcomes.add(load(file("truncated.safetensors", Arrays.copyOf(bytes, n)), "truncated to " + n));

    // Bit flips: in the length prefix, the JSON header and the tensor data.
    for (int bit = 0; bit < 64; bit += 3) outcomes.add(flip(bit / 8, bit % 8));
    for (int i = 0; i < 160; i++) outcomes.add(flip(8 + r.nextInt(headerEnd - 8), r.nextInt(8)));
    for (int i = 0; i < 160; i++) outcomes.add(flip(headerEnd + r.nextInt(bytes.length - headerEnd), r.nextInt(8)));

    // The config rewritten field by field with wrong types and out-of-range values (valid checksums).
    JsonObject config = JsonParser.parseString(contents.metadata().get("config")).getAsJsonObject();
    for (String field : config.keySet())
      for (JsonElement bad : List.of(new JsonPrimitive("x"), new JsonPrimitive(-1), new JsonPrimitive(0), new JsonPrimitive(1L << 40),
          new JsonPrimitive(2.5), JsonParser.parseString("[1]"), JsonParser.parseString("null"))) {
        JsonObject c = config.deepCopy();
        c.add(field, bad);
        outcomes.add(load(rewritten("config.safetensors", t -> {}, m -> m.put("config", c.toString())), "config " + field + " = " + bad));
      }
    for (String c : List.of("", "{", "[]", "{\"channels\":1}", config + " trailing", config.toString().replace("}", ",\"extra\":1}")))
      outcomes.add(load(rewritten("config.safetensors", t -> {}, m -> m.put("config", c)), "config text " + c));
    // Bigger models than the file holds, which must be refused before anything is allocated.
    for (String[] kv : new String[][] {{"hiddenWidth", "32768"}, {"steps", "4096"}, {"levels", "3"}, {"channels", "64"}}) {
      JsonObject c = config.deepCopy();
      c.addProperty(kv[0], Integer.parseInt(kv[1]));
      outcomes.add(load(rewritten("config.safetensors", t -> {}, m -> m.put("config", c.toString())), "config " + kv[0] + " " + kv[1]));
    }

    // Other metadata.
    String[][] meta = {{"step", "-1"}, {"step", "abc"}, {"step", "1e3"}, {"step", ""}, {"images_seen", "-5"}, {"seed", "x"},
        {"seed", "99999999999999999999"}, {"initialized", "yes"}, {"initialized", "TRUE"}, {"format", "flowrt-glow-9"}, {"format", ""},
        {"settings", "{}"}, {"settings", "nonsense"}};
    for (String[] kv : meta) outcomes.add(load(rewritten("meta.safetensors", t -> {}, m -> m.put(kv[0], kv[1])), kv[0] + " = " + kv[1]));
    JsonObject settings = JsonParser.parseString(contents.metadata().get("settings")).getAsJsonObject();
    for (String field : settings.keySet())
      for (JsonElement bad : List.of(new JsonPrimitive("x"), new JsonPrimitive(-1), new JsonPrimitive(0), JsonParser.parseString("null"))) {
        if (field.equals("seed") && bad.isJsonPrimitive() && bad.getAsJsonPrimitive().isNumber()) continue;  // any seed is a seed
        boolean zero = bad.isJsonPrimitive() && bad.getAsJsonPrimitive().isNumber() && bad.getAsInt() == 0;
        if (zero && List.of("clipNorm", "polyakDecay", "warmupImages", "beta1", "beta2", "maxRebuildError").contains(field))
          continue;  // 0 is a valid value of these (off, or no momentum): not a corruption
        if (field.equals("maxRebuildError") && bad.isJsonNull()) continue;  // optional: older checkpoints lack it
        JsonObject s = settings.deepCopy();
        s.add(field, bad);
        outcomes.add(load(rewritten("settings.safetensors", t -> {}, m -> m.put("settings", s.toString())), "settings " + field + " = " + bad));
      }
    outcomes.add(load(rewritten("settings.safetensors", t -> {}, m -> m.remove("format")), "no format"));
    outcomes.add(load(rewritten("settings.safetensors", t -> {}, m -> m.remove("config")), "no config"));

    // Tensors with wrong meaning: permutations out of range or repeated, inverses that are not,
    // LU signs other than ±1, non-finite values, negative second moments, wrong shapes and types.
    for (String name : contents.tensors().keySet()) {
      Tensor x = contents.tensors().get(name);
      if (name.endsWith(".perm") || name.endsWith(".inverse_perm")) {
        int c = (int) x.count();
        for (int bad : new int[] {c, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, c + 1})
          outcomes.add(load(rewritten("perm.safetensors", t -> t.get(name).ints()[0] = bad, m -> {}), name + "[0] = " + bad));
        outcomes.add(load(rewritten("perm.safetensors", t -> t.get(name).ints()[1] = t.get(name).ints()[0], m -> {}), name + " repeated"));
        outcomes.add(load(rewritten("perm.safetensors", t -> {
          int[] p = t.get(name).ints();
          int a = p[0];
          p[0] = p[1];
          p[1] = a;
        }, m -> {}), name + " swapped (no longer the inverse of its partner)"));
      } else if (name.endsWith(".sign")) {
        for (float bad : new float[] {0.5f, 0f, 2f, -0f})
          outcomes.add(load(rewritten("sign.safetensors", t -> t.get(name).floats()[0] = bad, m -> {}), name + "[0] = " + bad));
      } else if (x.dtype().equals("F32")) {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
          int at = r.nextInt((int) x.count());
          outcomes.add(load(rewritten("nan.safetensors", t -> t.get(name).floats()[at] = bad, m -> {}), name + "[" + at + "] = " + bad));
        }
        if (name.equals("optimizer.v"))
          outcomes.add(load(rewritten("v.safetensors", t -> t.get(name).floats()[3] = -1e-3f, m -> {}), "negative second moment"));
        if (r.nextInt(4) == 0) {
          outcomes.add(load(rewritten("shape.safetensors", t -> t.put(name, Tensor.of(new float[(int) x.count() + 1], x.count() + 1)), m -> {}),
              name + " one value longer"));
          outcomes.add(load(rewritten("dtype.safetensors", t -> t.put(name, new Tensor("I32", x.shape(), new int[(int) x.count()])), m -> {}),
              name + " as I32"));
          outcomes.add(load(rewritten("missing.safetensors", t -> t.remove(name), m -> {}), name + " missing"));
        }
      }
    }
    outcomes.add(load(rewritten("extra.safetensors", t -> t.put("surprise", Tensor.of(new float[] {1}, 1)), m -> {}), "extra tensor"));

    // Structural damage to the header text, checksums left as they were.
    String header = new String(bytes, 8, headerEnd - 8, StandardCharsets.UTF_8);
    String firstName = contents.tensors().keySet().iterator().next();
    String secondName = new ArrayList<>(contents.tensors().keySet()).get(1);
    List<String[]> edits = List.of(
        new String[] {"duplicate key", "\"" + secondName + "\":{", "\"" + firstName + "\":{"},
        new String[] {"offsets overlap", "\"data_offsets\":[0,", "\"data_offsets\":[4,"},
        new String[] {"offsets past the end", "]}", "0]}"},
        new String[] {"metadata value not a string", "\"initialized\":\"true\"", "\"initialized\":true"},
        new String[] {"metadata not an object", "\"__metadata__\":{", "\"__metadata__\":[{"},
        new String[] {"entry with an extra field", "\"dtype\":\"F32\"", "\"dtype\":\"F32\",\"x\":1"},
        new String[] {"unsupported dtype", "\"dtype\":\"F32\"", "\"dtype\":\"F64\""},
        new String[] {"negative dimension", "\"shape\":[", "\"shape\":[-1,"},
        new String[] {"fractional offset", "\"data_offsets\":[0,", "\"data_offsets\":[0.5,"},
        new String[] {"no checksums", "\"crc32c\":", "\"crc32x\":"});
    for (String[] e : edits) {
      String changed = header.replaceFirst(java.util.regex.Pattern.quote(e[1]), java.util.regex.Matcher.quoteReplacement(e[2]));
      assertTrue(!changed.equals(header), "edit applies: " + e[0]);
      outcomes.add(load(file("header.safetensors", withHeader(changed)), e[0]));
    }
    outcomes.add(load(file("empty.safetensors", new byte[0]), "empty file"));
    byte[] noise = new byte[4096];
    r.nextBytes(noise);
    outcomes.add(load(file("noise.safetensors", noise), "random bytes"));
    outcomes.add(load(file("png.safetensors", new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 13}), "a PNG"));
    outcomes.add(load(file("json.safetensors", "{\"a\":1}".getBytes(StandardCharsets.UTF_8)), "bare JSON"));
    Files.createDirectories(dir.resolve("folder.safetensors"));
    outcomes.add(load(dir.resolve("folder.safetensors"), "a folder"));
    outcomes.add(load(dir.resolve("absent.safetensors"), "no such file"));

    for (Outcome o : outcomes) {
      if (o == Outcome.REFUSED) refused++;
      else intact++;
    }
    int count = outcomes.size();
    System.out.printf("checkpoint battery: %d corruptions, %d refused, %d harmless (loaded equal to the original: %s)%n", count, refused, intact,
        harmless);
    assertTrue(count >= 500, "at least 500 corruptions: " + count);
    assertTrue(refused > 0.9 * count, "nearly every corruption changes something and is refused: " + refused + " of " + count);
  }

  private static Outcome flip(int offset, int bit) throws IOException {
    byte[] b = bytes.clone();
    b[offset] ^= (byte) (1 << bit);
    return load(file("flipped.safetensors", b), "bit " + bit + " of byte " + offset + " flipped");
  }

  /** The original file with its header text replaced (the length prefix adjusted). */
  private static byte[] withHeader(String header) {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + bytes.length - headerEnd).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h).put(bytes, headerEnd, bytes.length - headerEnd);
    return b.array();
  }

  @Test
  void anUnchecksummedLegacyFileLoadsWithAWarning() throws IOException {
    // A file as written before checksums: format flowrt-glow-1, no crc32c entry.
    String header = new String(bytes, 8, headerEnd - 8, StandardCharsets.UTF_8);
    JsonObject h = JsonParser.parseString(header).getAsJsonObject();
    JsonObject meta = h.getAsJsonObject("__metadata__");
    meta.remove(Safetensors.CHECKSUM_KEY);
    meta.addProperty("format", Checkpoint.LEGACY_FORMAT);
    String text = h.toString();
    text = text + " ".repeat((8 - text.length() % 8) % 8);
    Path legacy = file("legacy.safetensors", withHeader(text));
    Checkpoint.Loaded l = Checkpoint.read(legacy);
    assertEquals(1, l.warnings().size(), l.warnings().toString());
    assertTrue(l.warnings().get(0).contains("integrity cannot be verified"), l.warnings().get(0));
    assertEquals(Outcome.INTACT, load(legacy, "legacy"));
    // The same file claiming the current format without checksums is refused.
    meta.addProperty("format", Checkpoint.FORMAT);
    String current = h.toString();
    current = current + " ".repeat((8 - current.length() % 8) % 8);
    assertEquals(Outcome.REFUSED, load(file("unchecked.safetensors", withHeader(current)), "v2 without checksums"));
  }
}
