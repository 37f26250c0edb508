package org.flowrt.glow;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.dist.Collective;
import org.flowrt.ops.ConditionalOps;
import org.flowrt.ops.CouplingMask;
import org.flowrt.ops.CouplingOps.Spec;
import org.flowrt.ops.Nchw;
import org.flowrt.ops.PriorLayout;
import org.flowrt.ops.PriorOps;
import org.flowrt.ops.ReduceOps;
import org.flowrt.ops.ReshapeOps;

/**
 * The multi-scale image flow: Glow (glow-spec §3: L levels of K flow steps, split priors between
 * levels, a learned top prior) or the RealNVP preset ({@link Architecture}). Both are a list of
 * stages — squeeze, a run of flow steps, a split — walked forward for the objective, backward for
 * gradients and in reverse for sampling. The objective per image (nats) is accumulated in one
 * float64 buffer that every layer's log-det and every prior adds into.
 *
 * <p>Training: {@link #forward} returns a {@link Pass} holding only the latents (and, in the stored
 * mode, every step's activations); {@link #backward} walks the levels and steps in reverse,
 * rebuilding each step's input from its output (reversible mode), so activation memory does not
 * grow with depth.
 */
public final class Glow implements AutoCloseable {
  private final Backend be;
  private final GlowConfig cfg;
  private final ParameterStore store;
  private final List<Stage> stages = new ArrayList<>();
  private final List<ZeroConvLayer> splitPriors = new ArrayList<>();
  private final List<Nchw> splitShapes = new ArrayList<>();
  private final Nchw topShape;
  private final ZeroConvLayer topPrior;
  // Class-conditional models (glow-spec §5): linearZeros(onehot(y)) added to the top prior's
  // parameters, and a linearZeros classifier on the spatial mean of the top latent. The head's
  // three tensors are registered together so their gradients form one contiguous slice.
  private final Param classWeight;
  private final Param classBias;
  private final Param classLogs;
  private final Param headWeight;
  private final Param headBias;
  private final Param headLogs;
  private boolean initialized;
  private java.util.function.Predicate<String> failRebuilds = name -> false;
  /** Set only during a diagnostic pass (see {@link #firstNonFiniteLayer}). */
  private LayerProbe probe;

  private enum StageKind {
    SQUEEZE,
    STEPS,
    SPLIT
  }

  /**
   * One stage, with the shape (batch 1) of the tensor it receives. A STEPS stage is cut into
   * segments [from, to) of at most ⌈√K⌉ steps: the units of the reversible backward's repair.
   */
  private record Stage(StageKind kind, Nchw shape, FlowStep[] steps, int split, List<int[]> segments) {}

  /**
   * ⌈√K⌉-step segments, as even as possible: a repair keeps one segment's activations (≤ √K steps)
   * and the checkpoints cost one activation per segment (√K per stage), both far below the K
   * steps the stored mode keeps.
   */
  static List<int[]> segments(int steps) {
    int length = (int) Math.ceil(Math.sqrt(steps));
    int count = (steps + length - 1) / length;
    List<int[]> out = new ArrayList<>();
    for (int g = 0, from = 0; g < count; g++) {
      int to = from + (steps - from) / (count - g);
      out.add(new int[] {from, to});
      from = to;
    }
    return out;
  }

  public Glow(Backend backend, GlowConfig cfg, long seed) {
    this.be = backend;
    this.cfg = cfg;
    this.store = new ParameterStore(backend.computes());
    Random random = new Random(seed);
    Nchw shape = imageShape(1);
    int levels = cfg.levels();
    for (int i = 0; i < levels; i++) {
      boolean last = i == levels - 1;
      if (cfg.architecture() == Architecture.GLOW) {
        shape = squeezeStage(shape);
        // Glow's channel mask always conditions on the first half (the permutation mixes channels);
        // checkerboard masks alternate between steps.
        shape = stepsStage(shape, "level" + i, cfg.steps(), cfg.mask(), cfg.mask() == CouplingMask.CHECKERBOARD, random);
      } else {
        shape = stepsStage(shape, "scale" + i + ".checkerboard", last ? cfg.steps() + 1 : cfg.steps(), CouplingMask.CHECKERBOARD, true, random);
        if (last) break;
        shape = squeezeStage(shape);
        shape = stepsStage(shape, "scale" + i + ".channel", cfg.steps(), CouplingMask.CHANNEL, true, random);
      }
      if (!last) shape = splitStage(shape, i);
    }
    topShape = shape;
    topPrior = cfg.learnTop() ? new ZeroConvLayer(store, "top_prior", 2 * shape.c(), 2 * shape.c(), cfg.edgeBias()) : null;
    if (cfg.conditional()) {
      int c = shape.c(), c2 = 2 * c, k = cfg.classes();
      classWeight = store.add("top_prior.class_embedding.weight", new int[] {c2, k}, () -> Init.zeros((long) c2 * k));
      classBias = store.add("top_prior.class_embedding.bias", new int[] {c2}, () -> Init.zeros(c2));
      classLogs = store.add("top_prior.class_embedding.logs", new int[] {c2}, () -> Init.zeros(c2));
      headWeight = store.add("classifier.weight", new int[] {k, c}, () -> Init.zeros((long) k * c));
      headBias = store.add("classifier.bias", new int[] {k}, () -> Init.zeros(k));
      headLogs = store.add("classifier.logs", new int[] {k}, () -> Init.zeros(k));
    } else {
      classWeight = classBias = classLogs = headWeight = headBias = headLogs = null;
    }
    store.allocate(backend);
  }

  private Nchw squeezeStage(Nchw shape) {
    stages.add(new Stage(StageKind.SQUEEZE, shape, null, -1, List.of()));
    return ReshapeOps.squeezed(shape);
  }

  private Nchw stepsStage(Nchw shape, String name, int count, CouplingMask mask, boolean alternate, Random random) {
    if (mask == CouplingMask.CHANNEL && shape.c() < 2)
      throw new IllegalArgumentException(name + " has " + shape.c() + " channel(s): a channel-mask coupling needs at least 2");
    FlowStep[] steps = new FlowStep[count];
    for (int k = 0; k < count; k++)
      steps[k] = new FlowStep(store, name + ".step" + k, shape.c(), cfg, new Spec(mask, alternate ? k % 2 : 0, cfg.coupling()), random);
    stages.add(new Stage(StageKind.STEPS, shape, steps, -1, segments(count)));
    return shape;
  }

  private Nchw splitStage(Nchw shape, int level) {
    int c2 = shape.c() - shape.c() / 2;
    splitPriors.add(new ZeroConvLayer(store, splitName(level), shape.c() / 2, 2 * c2, cfg.edgeBias()));
    splitShapes.add(shape.withChannels(c2));
    stages.add(new Stage(StageKind.SPLIT, shape, null, splitPriors.size() - 1, List.of()));
    return shape.withChannels(shape.c() / 2);
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

  private static Nchw batch(Nchw s, int n) {
    return new Nchw(n, s.c(), s.h(), s.w());
  }

  /** Shape of the top latent. */
  public Nchw topShape(int n) {
    return batch(topShape, n);
  }

  /** Number of factored-out halves (splits). */
  public int splits() {
    return splitShapes.size();
  }

  /** Shape of the factored-out half z2 of split i. */
  public Nchw splitShape(int split, int n) {
    return batch(splitShapes.get(split), n);
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
    final Map<FlowStep, FlowStep.Stored> stored;
    /** Reversible training passes: each segment's input, keyed by the segment's first step (see {@link #backward}). */
    final Map<FlowStep, DeviceBuffer> checkpoints;
    final DeviceBuffer labels;
    DeviceBuffer logits;
    DeviceBuffer crossEntropy;

    Pass(int batch, DeviceBuffer objective, List<DeviceBuffer> splits, DeviceBuffer top, Map<FlowStep, FlowStep.Stored> stored,
        Map<FlowStep, DeviceBuffer> checkpoints, DeviceBuffer labels) {
      this.batch = batch;
      this.objective = objective;
      this.splits = splits;
      this.top = top;
      this.stored = stored;
      this.checkpoints = checkpoints;
      this.labels = labels;
    }

    /** Per-image cross-entropy (nats) of the classifier head, or null for an unconditional model. */
    public double[] crossEntropy() {
      if (crossEntropy == null) return null;
      be.synchronize();
      return be.downloadDoubles(crossEntropy);
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
      if (stored != null) stored.values().forEach(FlowStep.Stored::close);
      if (checkpoints != null) checkpoints.values().forEach(DeviceBuffer::close);
      if (logits != null) logits.close();
      if (crossEntropy != null) crossEntropy.close();
    }
  }

  private void checkImages(DeviceBuffer x, int n) {
    x.require(DType.F32, imageShape(n).count(), "image batch " + imageShape(n));
  }

  /** The top prior's own parameters [n, 2C, h, w]: zeros, or the learned zero-conv of zeros. */
  private DeviceBuffer topPriorOutput(int n) {
    Nchw hs = topShape(n).withChannels(2 * topShape.c());
    DeviceBuffer h = be.zeros(DType.F32, hs.count());
    if (topPrior != null)
      try (DeviceBuffer zeros = be.zeros(DType.F32, hs.count())) {
        topPrior.forward(be, zeros, hs, h);
      }
    return h;
  }

  /** The top prior's parameters h: its own, plus the class embedding of the labels when conditional. */
  private DeviceBuffer topParameters(int n, DeviceBuffer labels) {
    DeviceBuffer h = topPriorOutput(n);
    if (cfg.conditional())
      ConditionalOps.priorAdd(be, labels, classWeight.value(), classBias.value(), classLogs.value(), n, 2 * topShape.c(),
          topShape.hw(), cfg.classes(), h);
    return h;
  }

  /** Uploads class labels, checking each is in [0, classes). */
  public DeviceBuffer labels(int[] y) {
    if (!cfg.conditional()) throw new IllegalArgumentException("this model is not class-conditional: it takes no labels");
    for (int v : y)
      if (v < 0 || v >= cfg.classes()) throw new IllegalArgumentException("label " + v + " outside 0.." + (cfg.classes() - 1));
    return be.uploadNew(y);
  }

  private void checkLabels(DeviceBuffer labels, int n) {
    if (cfg.conditional() && labels == null)
      throw new IllegalArgumentException("this model is class-conditional (" + cfg.classes() + " classes): give the labels");
    if (labels != null) labels.require(DType.I32, n, "class labels");
  }

  /** Data-dependent init of every actnorm from this batch (glow-spec §4); runs once. */
  public void initialize(DeviceBuffer x, int n) {
    initialize(x, null, n);
  }

  public void initialize(DeviceBuffer x, DeviceBuffer labels, int n) {
    initialize(x, labels, n, Collective.SINGLE);
  }

  /**
   * Data-parallel init: x is this rank's share of the init batch, and each actnorm takes the
   * moments of all ranks' shares together, so every rank gets the parameters one process would
   * compute from the whole batch (not just its own share's, nor rank 0's).
   */
  public void initialize(DeviceBuffer x, DeviceBuffer labels, int n, Collective ranks) {
    if (initialized) throw new IllegalStateException("actnorm data-dependent init has already run for this model");
    try (Pass p = forward(x, labels, n, BackwardMode.REVERSIBLE, ranks, false)) {
      initialized = true;
    }
  }

  /** Runs the flow on preprocessed images x ([n, C, H, W], values in [−0.5, 0.5)). */
  public Pass forward(DeviceBuffer x, int n, BackwardMode mode) {
    return forward(x, null, n, mode, null, true);
  }

  /** As {@link #forward(DeviceBuffer, int, BackwardMode)} for a class-conditional model, with labels [n]. */
  public Pass forward(DeviceBuffer x, DeviceBuffer labels, int n, BackwardMode mode) {
    return forward(x, labels, n, mode, null, true);
  }

  /**
   * @param forBackward a training pass that {@link #backward} will consume: in reversible mode it
   *     keeps each segment's input as the repair checkpoint
   */
  private Pass forward(DeviceBuffer x, DeviceBuffer labels, int n, BackwardMode mode, Collective init, boolean forBackward) {
    checkImages(x, n);
    checkLabels(labels, n);
    double[] start = new double[n];
    Arrays.fill(start, -cfg.dimensions() * Math.log(cfg.bins()));
    DeviceBuffer objective = be.uploadNew(start);
    List<DeviceBuffer> splits = new ArrayList<>();
    Map<FlowStep, FlowStep.Stored> stored = mode == BackwardMode.STORED ? new HashMap<>() : null;
    Map<FlowStep, DeviceBuffer> checkpoints = mode == BackwardMode.REVERSIBLE && forBackward ? new HashMap<>() : null;
    Pass pass = new Pass(n, objective, splits, null, stored, checkpoints, labels);
    DeviceBuffer z = null;
    try {
      z = be.allocate(DType.F32, x.count());
      be.copy(x, z);
      for (Stage st : stages) {
        Nchw s = batch(st.shape(), n);
        switch (st.kind()) {
          case SQUEEZE -> {
            DeviceBuffer next = be.allocate(DType.F32, s.count());
            ReshapeOps.squeeze(be, z, s, next);
            z.close();
            z = next;
          }
          case STEPS -> {
            for (int[] segment : st.segments()) {
              if (checkpoints != null) {
                DeviceBuffer checkpoint = be.allocate(DType.F32, s.count());
                checkpoints.put(st.steps()[segment[0]], checkpoint);
                be.copy(z, checkpoint);
              }
              for (int k = segment[0]; k < segment[1]; k++) z = st.steps()[k].forward(be, z, s, objective, init, stored, probe);
            }
          }
          case SPLIT -> z = split(z, s, st.split(), objective, splits);
        }
      }
      pass.top = z;
      try (DeviceBuffer h = topParameters(n, labels)) {
        if (probe != null) probe.after(topPrior != null ? "top_prior" : "top prior parameters", h, null);
        PriorOps.logp(be, z, h, PriorLayout.HALVES, topShape(n), objective);
        if (probe != null) probe.after("top prior log-density", null, objective);
      }
      if (cfg.conditional()) {
        pass.logits = be.allocate(DType.F32, (long) n * cfg.classes());
        pass.crossEntropy = be.allocate(DType.F64, n);
        ConditionalOps.headForward(be, z, headWeight.value(), headBias.value(), headLogs.value(), labels, n, topShape.c(),
            topShape.hw(), cfg.classes(), pass.logits, pass.crossEntropy);
      }
      return pass;
    } catch (RuntimeException e) {
      // z is the activation in flight: a step that failed has not consumed it, and stored mode
      // keeps only step inputs, never the latest output (closing is idempotent if it is the top).
      if (z != null) z.close();
      pass.close();
      throw e;
    }
  }

  /** A split: z2 scored by the split prior and kept as a latent; returns z1. Consumes z. */
  private DeviceBuffer split(DeviceBuffer z, Nchw s, int index, DeviceBuffer objective, List<DeviceBuffer> splits) {
    int c1 = s.c() / 2;
    Nchw s1 = s.withChannels(c1), s2 = s.withChannels(s.c() - c1);
    DeviceBuffer z1 = be.allocate(DType.F32, s1.count());
    DeviceBuffer z2 = be.allocate(DType.F32, s2.count());
    ReshapeOps.split(be, z, s, c1, z1, z2);
    z.close();
    splits.add(z2);
    try (DeviceBuffer h = be.allocate(DType.F32, 2 * s2.count())) {
      splitPriors.get(index).forward(be, z1, s1, h);
      if (probe != null) probe.after(splitName(index), h, null);
      PriorOps.logp(be, z2, h, PriorLayout.INTERLEAVED, s2, objective);
      if (probe != null) probe.after(splitName(index) + " log-density", null, objective);
    } catch (RuntimeException e) {
      z1.close();
      throw e;
    }
    return z1;
  }

  /**
   * What a backward pass did.
   *
   * @param rebuilt the input rebuilt from the output (reversible mode; caller closes)
   * @param rebuildError the largest |rebuilt − checkpoint| over the segments, before any repair
   *     (NaN when a rebuild was not finite; 0 in stored mode)
   * @param repairs the segments whose rebuild failed and were recomputed with stored activations
   *     from their checkpoint, each as "level1.step0-5 (rebuild error 3.1e-02)"
   */
  public record Backward(DeviceBuffer rebuilt, double rebuildError, List<String> repairs) implements AutoCloseable {
    @Override
    public void close() {
      rebuilt.close();
    }
  }

  /** Gradients without repairs (a rebuild is repaired only when not finite); returns the rebuilt input. */
  public DeviceBuffer backward(Pass pass) {
    return backward(pass, Double.POSITIVE_INFINITY).rebuilt();
  }

  /**
   * Gradients of the mean bits per dimension of the pass's batch, added to the parameter gradients
   * (call parameters().zeroGrads() first). Consumes the pass's latents.
   *
   * <p>Reversible mode rebuilds each step's input from its output. Inverting an affine coupling
   * divides by its scale, and float32 inversion breaks down where a trained model drives scales to
   * ~0, so the rebuild is checked: the steps are cut into segments of ≤ ⌈√K⌉ steps whose inputs the
   * forward pass kept (checkpoints), and when a segment's rebuilt input is off its checkpoint by
   * more than {@code maxRebuildError}, that segment's gradients are discarded and recomputed with
   * stored activations from the checkpoint. The extra memory is bounded whatever fails: the
   * checkpoints (one activation per segment) plus one segment's stored activations at a time.
   */
  public Backward backward(Pass pass, double maxRebuildError) {
    RepairReport report = new RepairReport();
    int n = pass.batch;
    double[] weight = new double[n];
    Arrays.fill(weight, -1.0 / (n * cfg.dimensions() * Math.log(2)));
    try (DeviceBuffer dobj = be.uploadNew(weight)) {
      Nchw top = topShape(n);
      DeviceBuffer z = pass.top;
      pass.top = null;
      DeviceBuffer dz = be.allocate(DType.F32, top.count());
      Nchw hs = top.withChannels(2 * top.c());
      try (DeviceBuffer hOwn = topPriorOutput(n); DeviceBuffer h = be.allocate(DType.F32, hs.count());
          DeviceBuffer dh = be.allocate(DType.F32, hs.count())) {
        be.copy(hOwn, h);
        if (cfg.conditional())
          ConditionalOps.priorAdd(be, pass.labels, classWeight.value(), classBias.value(), classLogs.value(), n, hs.c(), hs.hw(),
              cfg.classes(), h);
        PriorOps.backward(be, z, h, PriorLayout.HALVES, top, dobj, dz, dh);
        if (cfg.conditional())
          ConditionalOps.priorBackward(be, pass.labels, classWeight.value(), classBias.value(), classLogs.value(), dh, n, hs.c(),
              hs.hw(), cfg.classes(), classWeight.grad(), classBias.grad(), classLogs.grad());
        if (topPrior != null)
          try (DeviceBuffer zeros = be.zeros(DType.F32, hs.count())) {
            topPrior.backward(be, zeros, hs, hOwn, dh, null);
          }
      }
      if (cfg.conditional()) {
        // loss = bpd + yWeight·CE/ln 2, averaged over the batch.
        double[] w = new double[n];
        Arrays.fill(w, cfg.yWeight() / (n * Math.log(2)));
        int k = cfg.classes();
        try (DeviceBuffer dce = be.uploadNew(w)) {
          ConditionalOps.headBackward(be, z, headWeight.value(), headLogs.value(), pass.labels, pass.logits, dce, n, top.c(),
              top.hw(), k, dz, headWeight.grad(), headBias.grad(), headLogs.grad());
        }
      }
      for (int i = stages.size() - 1; i >= 0; i--) {
        Stage st = stages.get(i);
        Nchw s = batch(st.shape(), n);
        switch (st.kind()) {
          case SQUEEZE -> {
            DeviceBuffer zx = be.allocate(DType.F32, s.count()), dzx = be.allocate(DType.F32, s.count());
            ReshapeOps.unsqueeze(be, z, s, zx);
            ReshapeOps.unsqueeze(be, dz, s, dzx);
            z.close();
            dz.close();
            z = zx;
            dz = dzx;
          }
          case STEPS -> {
            if (pass.checkpoints == null) {
              for (int k = st.steps().length - 1; k >= 0; k--) {
                FlowStep step = st.steps()[k];
                DeviceBuffer[] back = step.backward(be, z, dz, s, dobj, pass.stored == null ? null : pass.stored.get(step));
                z = back[0];
                dz = back[1];
              }
            } else {
              for (int g = st.segments().size() - 1; g >= 0; g--) {
                DeviceBuffer[] back = backwardSegment(st, st.segments().get(g), s, z, dz, dobj, pass, maxRebuildError, report);
                z = back[0];
                dz = back[1];
              }
            }
          }
          case SPLIT -> {
            DeviceBuffer[] merged = merge(z, dz, s, pass.splits.get(st.split()), st.split(), dobj);
            z = merged[0];
            dz = merged[1];
          }
        }
      }
      dz.close();
      return new Backward(z, report.maxError, List.copyOf(report.repairs));
    }
  }

  private static final class RepairReport {
    double maxError;
    final List<String> repairs = new ArrayList<>();
  }

  /**
   * Reversible backward through steps [from, to) of a stage, checked against the segment's
   * checkpoint and repaired from it when the rebuild failed. Consumes z and dz (the segment's
   * output and its gradient); returns the segment's input and its gradient.
   */
  private DeviceBuffer[] backwardSegment(Stage st, int[] segment, Nchw s, DeviceBuffer z, DeviceBuffer dz, DeviceBuffer dobj,
      Pass pass, double maxRebuildError, RepairReport report) {
    FlowStep[] steps = st.steps();
    int from = segment[0], to = segment[1];
    DeviceBuffer checkpoint = pass.checkpoints.remove(steps[from]);
    DeviceBuffer dzOut = be.allocate(DType.F32, s.count());  // the segment output's gradient, for a repair
    try (checkpoint) {
      be.copy(dz, dzOut);
      boolean forced = false;
      for (int k = to - 1; k >= from; k--) {
        DeviceBuffer[] back = steps[k].backward(be, z, dz, s, dobj, null);
        z = back[0];
        dz = back[1];
        if (failRebuilds.test(steps[k].name())) {
          be.zero(z);  // a broken rebuild, for tests and the planner's worst case
          forced = true;
        }
      }
      double error = ReduceOps.maxAbsDiff(be, checkpoint, z);
      report.maxError = Double.isNaN(error) || Double.isNaN(report.maxError) ? Double.NaN : Math.max(report.maxError, error);
      if (!forced && error <= maxRebuildError) return new DeviceBuffer[] {z, dz};
      z.close();
      dz.close();
      for (int k = from; k < to; k++) zeroGradients(steps[k]);
      report.repairs.add(String.format("%s-%d (rebuild error %.3g)", steps[from].name(), to - 1, error));
      Map<FlowStep, FlowStep.Stored> kept = new HashMap<>();
      try (DeviceBuffer scratchLogdet = be.zeros(DType.F64, pass.batch)) {
        DeviceBuffer y = be.allocate(DType.F32, s.count());
        be.copy(checkpoint, y);
        for (int k = from; k < to; k++) y = steps[k].forward(be, y, s, scratchLogdet, null, kept, null);
        DeviceBuffer dy = dzOut;
        dzOut = null;
        for (int k = to - 1; k >= from; k--) {
          DeviceBuffer[] back = steps[k].backward(be, y, dy, s, dobj, kept.get(steps[k]));
          y = back[0];
          dy = back[1];
        }
        return new DeviceBuffer[] {y, dy};
      } finally {
        kept.values().forEach(FlowStep.Stored::close);
      }
    } finally {
      if (dzOut != null) dzOut.close();
    }
  }

  private void zeroGradients(FlowStep step) {
    String prefix = step.name() + ".";
    for (Param p : store.params()) if (p.name().startsWith(prefix)) be.zero(p.grad());
  }

  /**
   * Treats the reversible rebuild of the named steps as failed: their rebuilt input is zeroed and
   * their segment repaired. For tests of the repair, and for the planner's worst case (every
   * segment repaired), which a byte-counting backend cannot reach by itself.
   */
  public void failRebuildsAt(java.util.function.Predicate<String> stepNames) {
    failRebuilds = stepNames;
  }

  /** Backward through a split: returns {z, dz} before it; consumes z, dz (of z1). */
  private DeviceBuffer[] merge(DeviceBuffer z1, DeviceBuffer dz1, Nchw s, DeviceBuffer z2, int index, DeviceBuffer dobj) {
    int c1 = s.c() / 2;
    Nchw s1 = s.withChannels(c1), s2 = s.withChannels(s.c() - c1);
    try (z1; dz1; DeviceBuffer h = be.allocate(DType.F32, 2 * s2.count()); DeviceBuffer dh = be.allocate(DType.F32, 2 * s2.count());
        DeviceBuffer dz2 = be.allocate(DType.F32, s2.count()); DeviceBuffer dz1Prior = be.allocate(DType.F32, s1.count())) {
      splitPriors.get(index).forward(be, z1, s1, h);
      PriorOps.backward(be, z2, h, PriorLayout.INTERLEAVED, s2, dobj, dz2, dh);
      splitPriors.get(index).backward(be, z1, s1, h, dh, dz1Prior);
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
    return logLikelihood(x, null, n);
  }

  /** Per-image log-likelihood; for a class-conditional model log p(x | y) with labels [n]. */
  public double[] logLikelihood(DeviceBuffer x, DeviceBuffer labels, int n) {
    try (Pass p = forward(x, labels, n, BackwardMode.REVERSIBLE, null, false)) {
      return p.logLikelihood();
    }
  }

  /** Encodes images to latents. */
  public Latents encode(DeviceBuffer x, int n) {
    return encode(x, null, n);
  }

  public Latents encode(DeviceBuffer x, DeviceBuffer labels, int n) {
    Pass p = forward(x, labels, n, BackwardMode.REVERSIBLE, null, false);
    Latents latents = new Latents(new ArrayList<>(p.splits), p.top, n);
    p.splits.clear();
    p.top = null;
    p.close();
    return latents;
  }

  /** Decodes latents to preprocessed images [n, C, H, W] (caller closes). */
  public DeviceBuffer decode(Latents latents) {
    if (latents.splits().size() != splits()) throw new IllegalArgumentException("latents have " + latents.splits().size()
        + " split halves, this model " + splits());
    return inverse(latents.batch(), latents.top(), latents.splits(), 0f, 0L);
  }

  /** Samples n images at temperature T (the std of every prior sample is multiplied by T). */
  public DeviceBuffer sample(int n, float temperature, long seed) {
    return sample(n, temperature, seed, null);
  }

  /** Samples of the given classes (labels [n]) from a class-conditional model. */
  public DeviceBuffer sample(int n, float temperature, long seed, DeviceBuffer labels) {
    checkLabels(labels, n);
    try (DeviceBuffer h = topParameters(n, labels); DeviceBuffer z = be.allocate(DType.F32, topShape(n).count())) {
      if (probe != null) probe.after(topPrior != null ? "top_prior" : "top prior parameters", h, null);
      PriorOps.sample(be, h, PriorLayout.HALVES, topShape(n), temperature, seed, z);
      return inverse(n, z, null, temperature, seed);
    }
  }

  /** The inverse flow from the top latent; split halves come from `splits` or are sampled. */
  private DeviceBuffer inverse(int n, DeviceBuffer topLatent, List<DeviceBuffer> splits, float temperature, long seed) {
    // No log-det: decoding and sampling need no log-density, so the layers skip its float64 sums.
    DeviceBuffer z = be.allocate(DType.F32, topLatent.count());
    be.copy(topLatent, z);
    for (int i = stages.size() - 1; i >= 0; i--) {
      Stage st = stages.get(i);
      Nchw s = batch(st.shape(), n);
      switch (st.kind()) {
        case SQUEEZE -> {
          DeviceBuffer x = be.allocate(DType.F32, s.count());
          ReshapeOps.unsqueeze(be, z, s, x);
          z.close();
          z = x;
        }
        case STEPS -> {
          for (int k = st.steps().length - 1; k >= 0; k--) z = st.steps()[k].inverse(be, z, s, null, probe);
        }
        case SPLIT -> {
          int c1 = s.c() / 2;
          Nchw s1 = s.withChannels(c1), s2 = s.withChannels(s.c() - c1);
          try (DeviceBuffer z1 = z; DeviceBuffer z2 = be.allocate(DType.F32, s2.count())) {
            if (splits != null) {
              be.copy(splits.get(st.split()), z2);
            } else {
              try (DeviceBuffer h = be.allocate(DType.F32, 2 * s2.count())) {
                splitPriors.get(st.split()).forward(be, z1, s1, h);
                if (probe != null) probe.after(splitName(st.split()), h, null);
                PriorOps.sample(be, h, PriorLayout.INTERLEAVED, s2, temperature, seed + 7919L * (st.split() + 1), z2);
              }
            }
            z = be.allocate(DType.F32, s.count());
            ReshapeOps.concat(be, z1, z2, s, c1, z);
          }
        }
      }
    }
    return z;
  }

  private String splitName(int index) {
    return (cfg.architecture() == Architecture.GLOW ? "level" : "scale") + index + ".split_prior";
  }

  /**
   * Runs the forward pass of these images again, checking every layer's output, and names the
   * first layer whose output (or running log-density) is not finite; null when all are finite.
   * For explaining a NaN or infinite likelihood: slow, as it copies every activation to the host.
   */
  public String firstNonFiniteLayer(DeviceBuffer x, DeviceBuffer labels, int n) {
    return diagnose(() -> {
      try (Pass p = forward(x, labels, n, BackwardMode.REVERSIBLE, null, false)) {
        return null;
      }
    });
  }

  /** As {@link #firstNonFiniteLayer} for sampling with these arguments (the inverse pass's layers). */
  public String firstNonFiniteLayerWhenSampling(int n, float temperature, long seed, DeviceBuffer labels) {
    return diagnose(() -> {
      try (DeviceBuffer s = sample(n, temperature, seed, labels)) {
        return null;
      }
    });
  }

  private String diagnose(java.util.function.Supplier<String> pass) {
    probe = new LayerProbe(be);
    try {
      return pass.get();
    } catch (LayerProbe.Found f) {
      return f.layer;
    } finally {
      probe = null;
    }
  }

  @Override
  public void close() {
    store.close();
  }
}
