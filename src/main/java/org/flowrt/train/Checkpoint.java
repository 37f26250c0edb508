package org.flowrt.train;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flowrt.backend.Backend;
import org.flowrt.glow.Glow;
import org.flowrt.glow.GlowConfig;
import org.flowrt.glow.Param;
import org.flowrt.glow.ParameterStore;
import org.flowrt.io.Safetensors;
import org.flowrt.io.Safetensors.Tensor;

/**
 * A Glow checkpoint as one safetensors file (docs/checkpoint-format.md): every parameter under its
 * own name, the fixed permutations as I32 tensors, the optimizer moments and Polyak average as flat
 * tensors over all parameters, and the config, init flag, step, images seen and seed as metadata.
 */
public final class Checkpoint {
  public static final String FORMAT = "flowrt-glow-1";
  private static final Gson GSON = new Gson();

  private Checkpoint() {}

  /** Writes atomically (temporary file + rename): an interrupted save leaves the previous file intact. */
  public static void save(Path path, Glow model, Trainer trainer, long seed) throws IOException {
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
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", FORMAT);
    meta.put("config", GSON.toJson(model.config()));
    meta.put("initialized", Boolean.toString(model.initialized()));
    meta.put("seed", Long.toString(seed));
    if (trainer != null) {
      ParameterStore store = model.parameters();
      long n = store.count();
      tensors.put("optimizer.m", Tensor.of(store.pack(be.downloadFloats(trainer.firstMoments())), n));
      tensors.put("optimizer.v", Tensor.of(store.pack(be.downloadFloats(trainer.secondMoments())), n));
      if (trainer.averagedWeights() != null)
        tensors.put("polyak.average", Tensor.of(store.pack(be.downloadFloats(trainer.averagedWeights())), n));
      meta.put("step", Long.toString(trainer.step()));
      meta.put("images_seen", Long.toString(trainer.imagesSeen()));
      meta.put("settings", GSON.toJson(trainer.settings()));
    }
    Safetensors.write(path, tensors, meta);
  }

  private static long[] toLong(int[] shape) {
    long[] s = new long[shape.length];
    for (int i = 0; i < shape.length; i++) s[i] = shape[i];
    return s;
  }

  /** The contents of a checkpoint file, validated as a flowrt Glow checkpoint. */
  public record Loaded(Safetensors.Contents contents, GlowConfig config) {
    public long step() {
      return Long.parseLong(contents.metadata().getOrDefault("step", "0"));
    }

    public long imagesSeen() {
      return Long.parseLong(contents.metadata().getOrDefault("images_seen", "0"));
    }

    public long seed() {
      return Long.parseLong(contents.metadata().getOrDefault("seed", "1"));
    }
  }

  public static Loaded read(Path path) throws IOException {
    Safetensors.Contents c = Safetensors.read(path);
    String format = c.metadata().get("format");
    if (!FORMAT.equals(format))
      throw new IOException("checkpoint " + path + " is not a flowrt Glow checkpoint (format '" + format + "', expected '" + FORMAT + "')");
    GlowConfig cfg;
    try {
      cfg = GSON.fromJson(c.metadata().get("config"), GlowConfig.class);
    } catch (JsonParseException | IllegalArgumentException e) {
      throw new IOException("checkpoint " + path + " has an unreadable model config: " + e.getMessage(), e);
    }
    if (cfg == null || cfg.coupling() == null || cfg.mask() == null || cfg.permutation() == null)
      throw new IOException("checkpoint " + path + " has no complete model config");
    return new Loaded(c, cfg);
  }

  /** Builds the checkpoint's model on the backend and fills in its parameters. */
  public static Glow loadModel(Path path, Backend be) throws IOException {
    Loaded l = read(path);
    Glow model = new Glow(be, l.config(), l.seed());
    try {
      restoreModel(path, l, model);
    } catch (IOException | RuntimeException e) {
      model.close();
      throw e;
    }
    return model;
  }

  /** Copies parameters into a model of the same config; names every missing or mis-shaped tensor. */
  public static void restoreModel(Path path, Loaded l, Glow model) throws IOException {
    if (!l.config().equals(model.config()))
      throw new IOException("checkpoint " + path + " was written for another model: " + l.config() + " vs requested " + model.config());
    Map<String, Tensor> t = l.contents().tensors();
    List<String> problems = new ArrayList<>();
    float[] all = new float[(int) model.parameters().length()];
    for (Param p : model.parameters().params()) {
      Tensor x = t.get(p.name());
      if (x == null) problems.add("missing tensor " + p.name());
      else if (!x.dtype().equals("F32") || !java.util.Arrays.equals(x.shape(), toLong(p.shape())))
        problems.add("tensor " + p.name() + " is " + x.dtype() + java.util.Arrays.toString(x.shape()) + ", expected F32" + java.util.Arrays.toString(p.shape()));
      else System.arraycopy(x.floats(), 0, all, (int) p.offset(), (int) p.count());
    }
    for (Map.Entry<String, int[]> e : model.parameters().integerTensors().entrySet()) {
      Tensor x = t.get(e.getKey());
      if (x == null) problems.add("missing tensor " + e.getKey());
      else if (!x.dtype().equals("I32") || x.count() != e.getValue().length) problems.add("tensor " + e.getKey() + " has the wrong type or size");
    }
    if (!problems.isEmpty()) throw new IOException("checkpoint " + path + " does not match its model: " + String.join("; ", problems));
    for (float v : all)
      if (!Float.isFinite(v)) throw new IOException("checkpoint " + path + " holds non-finite parameter values");
    Backend be = model.backend();
    be.upload(all, model.parameters().values());
    for (String name : model.parameters().integerTensors().keySet())
      model.parameters().replaceIntegers(name, t.get(name).ints());
    model.markInitialized(Boolean.parseBoolean(l.contents().metadata().getOrDefault("initialized", "false")));
  }

  /** Restores optimizer moments, Polyak average and counters into a trainer of that model. */
  public static void restoreTrainer(Path path, Loaded l, Trainer trainer, long parameterCount) throws IOException {
    Map<String, Tensor> t = l.contents().tensors();
    for (String name : new String[] {"optimizer.m", "optimizer.v"}) {
      Tensor x = t.get(name);
      if (x == null || x.count() != parameterCount) throw new IOException("checkpoint " + path + " lacks a valid " + name + " tensor for resuming");
    }
    Tensor averaged = t.get("polyak.average");
    if (averaged != null && averaged.count() != parameterCount)
      throw new IOException("checkpoint " + path + " has a polyak.average tensor of " + averaged.count() + " values, expected " + parameterCount);
    trainer.restore(t.get("optimizer.m").floats(), t.get("optimizer.v").floats(), averaged == null ? null : averaged.floats(),
        l.step(), l.imagesSeen());
  }
}
