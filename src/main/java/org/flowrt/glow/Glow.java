package org.flowrt.glow;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.ops.CouplingMask;
import org.flowrt.ops.Nchw;
import org.flowrt.ops.PriorLayout;
import org.flowrt.ops.PriorOps;
import org.flowrt.ops.ReduceOps;
import org.flowrt.ops.ReshapeOps;

/**
 * Multi-scale Glow (glow-spec §3): L levels of K flow steps, split priors between levels, a learned
 * top prior. Forward and inverse are written side by side; the objective per image (nats) is
 * accumulated in one float64 buffer that every layer's log-det and every prior adds into.
 *
 * <p>Training: {@link #forward} returns a {@link Pass} holding only the latents (and, in the stored
 * mode, every step's activations); {@link #backward} walks the levels and steps in reverse,
 * rebuilding each step's input from its output (reversible mode), so activation memory does not
 * grow with depth.
 */
public final class Glow implements AutoCloseable {
  private final Backend be;
  private final GlowConfig cfg;
  private final ParameterStore store = new ParameterStore();
  private final FlowStep[][] steps;
  private final ZeroConvLayer[] splitPriors;
  private final ZeroConvLayer topPrior;
  private boolean initialized;

  public Glow(Backend backend, GlowConfig cfg, long seed) {
    this.be = backend;
    this.cfg = cfg;
    Random random = new Random(seed);
    int levels = cfg.levels();
    steps = new FlowStep[levels][cfg.steps()];
    splitPriors = new ZeroConvLayer[levels - 1];
    for (int i = 0; i < levels; i++) {
      Nchw s = levelShape(i, 1);
      if (cfg.mask() == CouplingMask.CHANNEL && s.c() < 2) throw new IllegalArgumentException("level " + i + " has too few channels");
      for (int k = 0; k < cfg.steps(); k++)
        steps[i][k] = new FlowStep(store, "level" + i + ".step" + k, s.c(), cfg, k % 2, random);
      if (i < levels - 1) {
        int c2 = s.c() - s.c() / 2;
        splitPriors[i] = new ZeroConvLayer(store, "level" + i + ".split_prior", s.c() / 2, 2 * c2, cfg.edgeBias());
      }
    }
    Nchw top = levelShape(levels - 1, 1);
    topPrior = cfg.learnTop() ? new ZeroConvLayer(store, "top_prior", 2 * top.c(), 2 * top.c(), cfg.edgeBias()) : null;
    store.allocate(backend);
  }

  public GlowConfig config() {
    return cfg;
  }

  public Backend backend() {
    return be;
  }

  public ParameterStore parameters() {
    return store;
  }

  /** Whether the data-dependent actnorm init has run (it runs once; loading a checkpoint restores the flag). */
  public boolean initialized() {
    return initialized;
  }

  public void markInitialized(boolean value) {
    initialized = value;
  }

  /** Shape of z inside level i: [n, C·2^(i+2), H/2^(i+1), W/2^(i+1)] (squeeze ×4, split ÷2 per level). */
  public Nchw levelShape(int level, int n) {
    int f = 1 << (level + 1);
    return new Nchw(n, cfg.channels() << (level + 2), cfg.height() / f, cfg.width() / f);
  }

  /** Shape of the factored-out half z2 of level i (i < L−1). */
  public Nchw splitShape(int level, int n) {
    Nchw s = levelShape(level, n);
    return s.withChannels(s.c() - s.c() / 2);
  }

  public Nchw imageShape(int n) {
    return new Nchw(n, cfg.channels(), cfg.height(), cfg.width());
  }

  /** Forward state kept for the backward pass. Owns its buffers. */
  public final class Pass implements AutoCloseable {
    final int batch;
    final DeviceBuffer objective;
    final List<DeviceBuffer> splits;
    DeviceBuffer top;
    final FlowStep.Stored[][] stored;

    Pass(int batch, DeviceBuffer objective, List<DeviceBuffer> splits, DeviceBuffer top, FlowStep.Stored[][] stored) {
      this.batch = batch;
      this.objective = objective;
      this.splits = splits;
      this.top = top;
      this.stored = stored;
    }

    /** Per-image objective log p(x) in nats (the discrete-data term −D·log nBins included). */
    public double[] logLikelihood() {
      be.synchronize();
      return be.downloadDoubles(objective);
    }

    @Override
    public void close() {
      objective.close();
      splits.forEach(DeviceBuffer::close);
      if (top != null) top.close();
      if (stored != null)
        for (FlowStep.Stored[] level : stored)
          for (FlowStep.Stored s : level) if (s != null) s.close();
    }
  }

  private void checkImages(DeviceBuffer x, int n) {
    x.require(DType.F32, imageShape(n).count(), "image batch " + imageShape(n));
  }

  /** The top prior's parameters h [n, 2C, h, w] (zeros, or the learned zero-conv of zeros). */
  private DeviceBuffer topParameters(int n) {
    Nchw top = levelShape(cfg.levels() - 1, n);
    Nchw hs = top.withChannels(2 * top.c());
    DeviceBuffer h = be.zeros(DType.F32, hs.count());
    if (topPrior != null)
      try (DeviceBuffer zeros = be.zeros(DType.F32, hs.count())) {
        topPrior.forward(be, zeros, hs, h);
      }
    return h;
  }

  /** Data-dependent init of every actnorm from this batch (glow-spec §4); runs once. */
  public void initialize(DeviceBuffer x, int n) {
    if (initialized) throw new IllegalStateException("actnorm data-dependent init has already run for this model");
    try (Pass p = forward(x, n, BackwardMode.REVERSIBLE, true)) {
      initialized = true;
    }
  }

  /** Runs the flow on preprocessed images x ([n, C, H, W], values in [−0.5, 0.5)). */
  public Pass forward(DeviceBuffer x, int n, BackwardMode mode) {
    return forward(x, n, mode, false);
  }

  private Pass forward(DeviceBuffer x, int n, BackwardMode mode, boolean init) {
    checkImages(x, n);
    int levels = cfg.levels();
    double[] start = new double[n];
    Arrays.fill(start, -cfg.dimensions() * Math.log(cfg.bins()));
    DeviceBuffer objective = be.uploadNew(start);
    List<DeviceBuffer> splits = new ArrayList<>();
    FlowStep.Stored[][] stored = mode == BackwardMode.STORED ? new FlowStep.Stored[levels][cfg.steps()] : null;
    Pass pass = new Pass(n, objective, splits, null, stored);
    try {
      DeviceBuffer z = be.allocate(DType.F32, x.count());
      ReshapeOps.squeeze(be, x, imageShape(n), z);
      for (int i = 0; i < levels; i++) {
        Nchw s = levelShape(i, n);
        for (int k = 0; k < cfg.steps(); k++)
          z = steps[i][k].forward(be, z, s, objective, init, stored == null ? null : stored[i], k);
        if (i < levels - 1) z = splitAndSqueeze(z, s, objective, splits);
      }
      pass.top = z;
      try (DeviceBuffer h = topParameters(n)) {
        PriorOps.logp(be, z, h, PriorLayout.HALVES, levelShape(levels - 1, n), objective);
      }
      return pass;
    } catch (RuntimeException e) {
      pass.close();
      throw e;
    }
  }

  /** Level i's split: z2 scored by the split prior and kept as a latent; returns squeeze(z1). Consumes z. */
  private DeviceBuffer splitAndSqueeze(DeviceBuffer z, Nchw s, DeviceBuffer objective, List<DeviceBuffer> splits) {
    int c1 = s.c() / 2;
    Nchw s1 = s.withChannels(c1), s2 = s.withChannels(s.c() - c1);
    DeviceBuffer z1 = be.allocate(DType.F32, s1.count());
    DeviceBuffer z2 = be.allocate(DType.F32, s2.count());
    ReshapeOps.split(be, z, s, c1, z1, z2);
    z.close();
    splits.add(z2);
    try (DeviceBuffer h = be.allocate(DType.F32, 2 * s2.count())) {
      splitPriors[splits.size() - 1].forward(be, z1, s1, h);
      PriorOps.logp(be, z2, h, PriorLayout.INTERLEAVED, s2, objective);
    }
    DeviceBuffer next = be.allocate(DType.F32, s1.count());
    ReshapeOps.squeeze(be, z1, s1, next);
    z1.close();
    return next;
  }

  /**
   * Gradients of the mean bits per dimension of the pass's batch, added to the parameter gradients
   * (call parameters().zeroGrads() first). Consumes the pass's latents. Returns the rebuilt
   * squeezed input (reversible mode) so callers can measure reconstruction error; caller closes it.
   */
  public DeviceBuffer backward(Pass pass) {
    int n = pass.batch, levels = cfg.levels();
    double[] weight = new double[n];
    Arrays.fill(weight, -1.0 / (n * cfg.dimensions() * Math.log(2)));
    try (DeviceBuffer dobj = be.uploadNew(weight)) {
      Nchw top = levelShape(levels - 1, n);
      DeviceBuffer z = pass.top;
      pass.top = null;
      DeviceBuffer dz = be.allocate(DType.F32, top.count());
      Nchw hs = top.withChannels(2 * top.c());
      try (DeviceBuffer h = topParameters(n); DeviceBuffer dh = be.allocate(DType.F32, hs.count())) {
        PriorOps.backward(be, z, h, PriorLayout.HALVES, top, dobj, dz, dh);
        if (topPrior != null)
          try (DeviceBuffer zeros = be.zeros(DType.F32, hs.count())) {
            topPrior.backward(be, zeros, hs, h, dh, null);
          }
      }
      for (int i = levels - 1; i >= 0; i--) {
        Nchw s = levelShape(i, n);
        if (i < levels - 1) {
          DeviceBuffer[] merged = unsqueezeAndMerge(z, dz, s, pass.splits.get(i), i, dobj);
          z = merged[0];
          dz = merged[1];
        }
        for (int k = cfg.steps() - 1; k >= 0; k--) {
          DeviceBuffer[] back = steps[i][k].backward(be, z, dz, s, dobj, pass.stored == null ? null : pass.stored[i][k]);
          z = back[0];
          dz = back[1];
        }
      }
      dz.close();
      return z;
    }
  }

  /** Backward through level i's split: returns {z, dz} of the level's output; consumes z, dz (squeezed z1). */
  private DeviceBuffer[] unsqueezeAndMerge(DeviceBuffer z, DeviceBuffer dz, Nchw s, DeviceBuffer z2, int level,
      DeviceBuffer dobj) {
    int c1 = s.c() / 2;
    Nchw s1 = s.withChannels(c1), s2 = s.withChannels(s.c() - c1);
    try (DeviceBuffer z1 = be.allocate(DType.F32, s1.count()); DeviceBuffer dz1 = be.allocate(DType.F32, s1.count());
        DeviceBuffer h = be.allocate(DType.F32, 2 * s2.count()); DeviceBuffer dh = be.allocate(DType.F32, 2 * s2.count());
        DeviceBuffer dz2 = be.allocate(DType.F32, s2.count()); DeviceBuffer dz1Prior = be.allocate(DType.F32, s1.count())) {
      ReshapeOps.unsqueeze(be, z, s1, z1);
      ReshapeOps.unsqueeze(be, dz, s1, dz1);
      z.close();
      dz.close();
      splitPriors[level].forward(be, z1, s1, h);
      PriorOps.backward(be, z2, h, PriorLayout.INTERLEAVED, s2, dobj, dz2, dh);
      splitPriors[level].backward(be, z1, s1, h, dh, dz1Prior);
      ReduceOps.axpy(be, dz1Prior, 1f, dz1);
      DeviceBuffer zOut = be.allocate(DType.F32, s.count());
      DeviceBuffer dzOut = be.allocate(DType.F32, s.count());
      ReshapeOps.concat(be, z1, z2, s, c1, zOut);
      ReshapeOps.concat(be, dz1, dz2, s, c1, dzOut);
      return new DeviceBuffer[] {zOut, dzOut};
    }
  }

  /** Per-image log-likelihood in nats of preprocessed images (no gradients kept). */
  public double[] logLikelihood(DeviceBuffer x, int n) {
    try (Pass p = forward(x, n, BackwardMode.REVERSIBLE)) {
      return p.logLikelihood();
    }
  }

  /** Encodes images to latents. */
  public Latents encode(DeviceBuffer x, int n) {
    Pass p = forward(x, n, BackwardMode.REVERSIBLE);
    Latents latents = new Latents(new ArrayList<>(p.splits), p.top, n);
    p.splits.clear();
    p.top = null;
    p.close();
    return latents;
  }

  /** Decodes latents to preprocessed images [n, C, H, W] (caller closes). */
  public DeviceBuffer decode(Latents latents) {
    return inverse(latents.batch(), latents.top(), latents.splits(), 0f, 0L);
  }

  /** Samples n images at temperature T (the std of every prior sample is multiplied by T). */
  public DeviceBuffer sample(int n, float temperature, long seed) {
    Nchw top = levelShape(cfg.levels() - 1, n);
    try (DeviceBuffer h = topParameters(n); DeviceBuffer z = be.allocate(DType.F32, top.count())) {
      PriorOps.sample(be, h, PriorLayout.HALVES, top, temperature, seed, z);
      return inverse(n, z, null, temperature, seed);
    }
  }

  /** The inverse flow from the top latent; split halves come from `splits` or are sampled. */
  private DeviceBuffer inverse(int n, DeviceBuffer topLatent, List<DeviceBuffer> splits, float temperature, long seed) {
    int levels = cfg.levels();
    try (DeviceBuffer scratchLogdet = be.zeros(DType.F64, n)) {
      DeviceBuffer z = be.allocate(DType.F32, topLatent.count());
      be.copy(topLatent, z);
      for (int i = levels - 1; i >= 0; i--) {
        Nchw s = levelShape(i, n);
        if (i < levels - 1) {
          int c1 = s.c() / 2;
          Nchw s1 = s.withChannels(c1), s2 = s.withChannels(s.c() - c1);
          try (DeviceBuffer z1 = be.allocate(DType.F32, s1.count()); DeviceBuffer z2 = be.allocate(DType.F32, s2.count())) {
            ReshapeOps.unsqueeze(be, z, s1, z1);
            z.close();
            if (splits != null) {
              be.copy(splits.get(i), z2);
            } else {
              try (DeviceBuffer h = be.allocate(DType.F32, 2 * s2.count())) {
                splitPriors[i].forward(be, z1, s1, h);
                PriorOps.sample(be, h, PriorLayout.INTERLEAVED, s2, temperature, seed + 7919L * (i + 1), z2);
              }
            }
            z = be.allocate(DType.F32, s.count());
            ReshapeOps.concat(be, z1, z2, s, c1, z);
          }
        }
        for (int k = cfg.steps() - 1; k >= 0; k--) z = steps[i][k].inverse(be, z, s, scratchLogdet);
      }
      DeviceBuffer x = be.allocate(DType.F32, imageShape(n).count());
      ReshapeOps.unsqueeze(be, z, imageShape(n), x);
      z.close();
      return x;
    }
  }

  @Override
  public void close() {
    store.close();
  }
}
