package org.flowrt.train;

import com.google.gson.Gson;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;
import org.flowrt.backend.Backend;
import org.flowrt.glow.Glow;
import org.flowrt.glow.GlowConfig;
import org.flowrt.glow.Param;
import org.flowrt.glow.ParameterStore;
import org.flowrt.io.Safetensors;
import org.flowrt.io.Safetensors.Tensor;
import org.flowrt.io.StrictJson;

/**
 * A Glow checkpoint as one safetensors file (docs/checkpoint-format.md): every parameter under its
 * own name, the fixed permutations as I32 tensors, the optimizer moments and Polyak average as flat
 * tensors over all parameters, and the config, init flag, step, images seen and seed as metadata,
 * all covered by CRC32C checksums.
 *
 * <p>Loading refuses, with the file and the reason named, anything that is not intact and
 * meaningful: a damaged file, a config out of range, a permutation that is not one, LU signs other
 * than ±1, non-finite values, negative counters. Nothing a kernel uses as an index reaches the
 * device unchecked.
 */
public final class Checkpoint {
  /** The current format: {@link #LEGACY_FORMAT} plus checksums, which it requires. */
  public static final String FORMAT = "flowrt-glow-2";
  /** Written before checksums; still read, with a warning. */
  public static final String LEGACY_FORMAT = "flowrt-glow-1";
  static final String OPTIMIZER_M = "optimizer.m";
  static final String OPTIMIZER_V = "optimizer.v";
  static final String POLYAK = "polyak.average";
  private static final Logger LOG = Logger.getLogger(Checkpoint.class.getName());
  private static final Gson GSON = new Gson();

  private Checkpoint() {}

  /** Everything one save writes, copied from the device at one moment; written now, later or never. */
  public record Snapshot(Map<String, Tensor> tensors, Map<String, String> metadata, long step) {
    /** Writes atomically (temporary file, fsync, rename, fsync of the folder). */
    public void write(Path path) throws IOException {
      Safetensors.write(path, tensors, metadata);
    }
  }

  /** Copies the model (and the trainer's state, when given) off the device; `extra` adds metadata. */
  public static Snapshot capture(Glow model, Trainer trainer, long seed, Map<String, String> extra) {
    Backend be = model.backend();
    be.synchronize();
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    float[] all = be.downloadFloats(model.parameters().values());
    for (Param p : model.parameters().params()) {
      float[] v = new float[(int) p.count()];
      System.arraycopy(all, (int) p.offset(), v, 0, v.length);
      tensors.put(p.name(), Tensor.of(v, toLong(p.shape())));
    }
    for (Map.Entry<String, int[]> e : model.parameters().integerTensors().entrySet())
      tensors.put(e.getKey(), Tensor.of(e.getValue(), e.getValue().length));
    Map<String, String> meta = new LinkedHashMap<>(extra);
    meta.put("format", FORMAT);
    meta.put("config", GSON.toJson(model.config()));
    meta.put("initialized", Boolean.toString(model.initialized()));
    meta.put("seed", Long.toString(seed));
    long step = 0;
    if (trainer != null) {
      ParameterStore store = model.parameters();
      long n = store.count();
      tensors.put(OPTIMIZER_M, Tensor.of(store.pack(be.downloadFloats(trainer.firstMoments())), n));
      tensors.put(OPTIMIZER_V, Tensor.of(store.pack(be.downloadFloats(trainer.secondMoments())), n));
      if (trainer.averagedWeights() != null) tensors.put(POLYAK, Tensor.of(store.pack(be.downloadFloats(trainer.averagedWeights())), n));
      step = trainer.step();
      meta.put("step", Long.toString(step));
      meta.put("images_seen", Long.toString(trainer.imagesSeen()));
      meta.put("settings", GSON.toJson(trainer.settings()));
    }
    return new Snapshot(tensors, meta, step);
  }

  /** Captures and writes at once. */
  public static void save(Path path, Glow model, Trainer trainer, long seed) throws IOException {
    capture(model, trainer, seed, Map.of()).write(path);
  }

  private static long[] toLong(int[] shape) {
    long[] s = new long[shape.length];
    for (int i = 0; i < shape.length; i++) s[i] = shape[i];
    return s;
  }

  /**
   * A checkpoint file's validated contents.
   *
   * @param settings the training settings, or null for a model-only checkpoint
   * @param warnings what a user should know but need not stop for (a file without checksums)
   */
  public record Loaded(Path path, Safetensors.Contents contents, GlowConfig config, long step, long imagesSeen, long seed,
      boolean initialized, TrainSettings settings, List<String> warnings) {
    /** A metadata entry that is not part of the format's fixed fields (null when absent). */
    public String metadata(String key) {
      return contents.metadata().get(key);
    }
  }

  /** Reads and validates the file's integrity and metadata (the tensors are checked against a model by restoreModel). */
  public static Loaded read(Path path) throws IOException {
    Safetensors.Contents c = Safetensors.read(path);
    Map<String, String> meta = c.metadata();
    String format = meta.get("format");
    List<String> warnings = new ArrayList<>();
    if (LEGACY_FORMAT.equals(format)) {
      if (!c.checksummed())
        warnings.add("checkpoint " + path + " was written before checksums (format " + LEGACY_FORMAT + "): its integrity cannot be verified");
    } else if (FORMAT.equals(format)) {
      if (!c.checksummed()) throw invalid(path, "its checksums are missing (format " + FORMAT + " requires them)");
    } else {
      throw new IOException("checkpoint " + path + " is not a flowrt Glow checkpoint (format '" + format + "', expected '" + FORMAT + "')");
    }
    GlowConfig cfg;
    try {
      cfg = GlowConfig.fromJson(meta.get("config"));
    } catch (IllegalArgumentException e) {
      throw invalid(path, "its model config is invalid: " + e.getMessage());
    }
    checkPlausible(path, cfg, c);
    TrainSettings settings = null;
    if (meta.containsKey("settings")) {
      try {
        settings = StrictJson.parse(meta.get("settings"), TrainSettings.class,
            Map.of("maxRebuildError", TrainSettings.DEFAULT_MAX_REBUILD_ERROR));
      } catch (IllegalArgumentException e) {
        throw invalid(path, "its training settings are invalid: " + e.getMessage());
      }
    }
    String initialized = meta.getOrDefault("initialized", "false");
    if (!initialized.equals("true") && !initialized.equals("false"))
      throw invalid(path, "metadata initialized is '" + initialized + "', expected true or false");
    Loaded l = new Loaded(path, c, cfg, counter(path, meta, "step"), counter(path, meta, "images_seen"),
        number(path, meta, "seed", 1), initialized.equals("true"), settings, List.copyOf(warnings));
    warnings.forEach(LOG::warning);
    return l;
  }

  /**
   * Before a model is built from the config (which allocates it), the config must describe a model
   * this file could hold: every flow step has a width×width hidden convolution and several tensors,
   * so a config asking for more than the file has is refused without allocating anything.
   */
  private static void checkPlausible(Path path, GlowConfig cfg, Safetensors.Contents c) throws IOException {
    long floats = 0;
    for (Tensor t : c.tensors().values()) if (t.dtype().equals("F32")) floats += t.count();
    long steps = (long) cfg.levels() * cfg.steps();
    if ((long) cfg.hiddenWidth() * cfg.hiddenWidth() > floats || steps * 3 > c.tensors().size())
      throw invalid(path, "its config (" + cfg.levels() + " levels × " + cfg.steps() + " steps, width " + cfg.hiddenWidth()
          + ") describes a larger model than the file's " + c.tensors().size() + " tensors of " + floats + " values hold");
  }

  private static long number(Path path, Map<String, String> meta, String key, long fallback) throws IOException {
    String v = meta.get(key);
    if (v == null) return fallback;
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw invalid(path, "metadata " + key + " is '" + v + "', not a whole number");
    }
  }

  private static long counter(Path path, Map<String, String> meta, String key) throws IOException {
    long v = number(path, meta, key, 0);
    if (v < 0) throw invalid(path, "metadata " + key + " is " + v + ", but a count cannot be negative");
    return v;
  }

  private static IOException invalid(Path path, String what) {
    return new IOException("invalid checkpoint " + path + ": " + what);
  }

  /** Builds the checkpoint's model on the backend and fills in its parameters. */
  public static Glow loadModel(Path path, Backend be) throws IOException {
    Loaded l = read(path);
    Glow model = new Glow(be, l.config(), l.seed());
    try {
      restoreModel(l, model);
    } catch (IOException | RuntimeException e) {
      model.close();
      throw e;
    }
    return model;
  }

  /**
   * Copies parameters into a model of the same config after checking them: every tensor present
   * with its shape, no unknown tensors, finite values, LU signs ±1, permutations that are
   * permutations with their inverses.
   */
  public static void restoreModel(Loaded l, Glow model) throws IOException {
    Path path = l.path();
    if (!l.config().equals(model.config()))
      throw new IOException("checkpoint " + path + " was written for another model: " + l.config() + " vs requested " + model.config());
    Map<String, Tensor> t = l.contents().tensors();
    ParameterStore store = model.parameters();
    List<String> problems = new ArrayList<>();
    float[] all = new float[(int) store.length()];
    Set<String> known = new HashSet<>(Set.of(OPTIMIZER_M, OPTIMIZER_V, POLYAK));
    for (Param p : store.params()) {
      known.add(p.name());
      Tensor x = t.get(p.name());
      if (x == null) problems.add("missing tensor " + p.name());
      else if (!x.dtype().equals("F32") || !Arrays.equals(x.shape(), toLong(p.shape())))
        problems.add("tensor " + p.name() + " is " + x.dtype() + Arrays.toString(x.shape()) + ", expected F32" + Arrays.toString(p.shape()));
      else System.arraycopy(x.floats(), 0, all, (int) p.offset(), (int) p.count());
    }
    for (Map.Entry<String, int[]> e : store.integerTensors().entrySet()) {
      known.add(e.getKey());
      Tensor x = t.get(e.getKey());
      if (x == null) problems.add("missing tensor " + e.getKey());
      else if (!x.dtype().equals("I32") || !Arrays.equals(x.shape(), new long[] {e.getValue().length}))
        problems.add("tensor " + e.getKey() + " is " + x.dtype() + Arrays.toString(x.shape()) + ", expected I32[" + e.getValue().length + "]");
    }
    for (String name : t.keySet()) if (!known.contains(name)) problems.add("unexpected tensor " + name);
    if (!problems.isEmpty()) throw new IOException("checkpoint " + path + " does not match its model: " + String.join("; ", problems));
    for (Param p : store.params()) {
      float[] v = t.get(p.name()).floats();
      String bad = nonFinite(v);
      if (bad != null) throw invalid(path, "tensor " + p.name() + " holds " + bad);
      if (p.name().endsWith(".permutation.sign"))
        for (int i = 0; i < v.length; i++)
          if (v[i] != 1f && v[i] != -1f) throw invalid(path, "tensor " + p.name() + "[" + i + "] is " + v[i] + ", but LU signs are ±1");
    }
    for (String name : store.integerTensors().keySet()) {
      if (!name.endsWith(".perm")) continue;
      String inverseName = name.substring(0, name.length() - ".perm".length()) + ".inverse_perm";
      int[] perm = t.get(name).ints();
      String problem = ParameterStore.permutationProblem(perm);
      if (problem != null) throw invalid(path, "tensor " + name + " is not a permutation: " + problem);
      int[] inverse = t.get(inverseName) == null ? null : t.get(inverseName).ints();
      if (inverse != null)
        for (int i = 0; i < perm.length; i++)
          if (inverse[perm[i]] != i) throw invalid(path, "tensor " + inverseName + " is not the inverse of " + name + " (at index " + perm[i] + ")");
    }
    model.backend().upload(all, store.values());
    for (String name : store.integerTensors().keySet()) store.replaceIntegers(name, t.get(name).ints());
    model.markInitialized(l.initialized());
  }

  /** The first non-finite value of v, described, or null. */
  private static String nonFinite(float[] v) {
    for (int i = 0; i < v.length; i++) if (!Float.isFinite(v[i])) return "the non-finite value " + v[i] + " at index " + i;
    return null;
  }

  /** Restores optimizer moments, Polyak average and counters into a trainer of that model, after checking them. */
  public static void restoreTrainer(Loaded l, Trainer trainer, long parameterCount) throws IOException {
    Path path = l.path();
    Map<String, Tensor> t = l.contents().tensors();
    for (String name : new String[] {OPTIMIZER_M, OPTIMIZER_V, POLYAK}) {
      Tensor x = t.get(name);
      if (x == null) {
        if (name.equals(POLYAK)) continue;
        throw new IOException("checkpoint " + path + " lacks the " + name + " tensor needed for resuming (a model-only checkpoint?)");
      }
      if (!x.dtype().equals("F32") || !Arrays.equals(x.shape(), new long[] {parameterCount}))
        throw invalid(path, "tensor " + name + " is " + x.dtype() + Arrays.toString(x.shape()) + ", expected F32[" + parameterCount + "]");
      String bad = nonFinite(x.floats());
      if (bad != null) throw invalid(path, "tensor " + name + " holds " + bad);
    }
    float[] v = t.get(OPTIMIZER_V).floats();
    for (int i = 0; i < v.length; i++)
      if (v[i] < 0) throw invalid(path, "tensor " + OPTIMIZER_V + "[" + i + "] is " + v[i] + ", but second moments are ≥ 0");
    Tensor averaged = t.get(POLYAK);
    trainer.restore(t.get(OPTIMIZER_M).floats(), v, averaged == null ? null : averaged.floats(), l.step(), l.imagesSeen());
  }
}
