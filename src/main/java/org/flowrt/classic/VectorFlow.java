package org.flowrt.classic;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.glow.ParameterStore;
import org.flowrt.ops.CouplingKind;
import org.flowrt.ops.Nchw;
import org.flowrt.ops.PriorLayout;
import org.flowrt.ops.PriorOps;
import org.flowrt.ops.ReduceOps;
import org.flowrt.train.Optimizer;
import org.flowrt.train.OptimizerKind;

/**
 * A flow on vectors of dimension d over a standard normal base, built from any mix of NICE and
 * RealNVP couplings, actnorm/scaling, permutations, planar and radial layers (see {@link Builder}).
 *
 * <p>Which directions work: couplings, actnorm and permutations are closed-form both ways, so a
 * stack of them gives the log-density of data ({@link #logDensity}, {@link #densityStep}) and
 * samples. Planar and radial layers are closed-form only from base to data: a stack containing them
 * samples and scores its own samples, and trains by variational inference ({@link #viStep}); asking
 * it for the density of given data throws {@link DirectionException} naming the layer. VI trains
 * planar, radial and permutation layers (couplings and actnorm have gradients in the normalizing
 * direction only).
 */
public final class VectorFlow implements AutoCloseable {
  private static final double LOG_2PI = Math.log(2 * Math.PI);
  private final Backend be;
  private final int dim;
  private final ParameterStore store;
  private final List<VectorLayer> layers;
  private final Optimizer optimizer;
  private final float learningRate;
  private boolean initialized;

  private VectorFlow(Backend be, int dim, ParameterStore store, List<VectorLayer> layers, float learningRate) {
    this.be = be;
    this.dim = dim;
    this.store = store;
    this.layers = layers;
    store.allocate(be);
    this.optimizer = new Optimizer(be, store, OptimizerKind.ADAM, 0.9f, 0.999f);
    this.learningRate = learningRate;
  }

  /** Assembles a stack layer by layer. */
  public static final class Builder {
    private final int dim;
    private final Random random;
    private final ParameterStore store = new ParameterStore();
    private final List<VectorLayer> layers = new ArrayList<>();
    private int hidden = 64;
    private int depth = 2;
    private float learningRate = 1e-3f;

    public Builder(int dim, long seed) {
      if (dim < 1) throw new IllegalArgumentException("dimension must be ≥ 1, got " + dim);
      this.dim = dim;
      this.random = new Random(seed);
    }

    private String name() {
      return "layer" + layers.size();
    }

    /** Hidden width and number of hidden layers of the coupling MLPs added after this call. */
    public Builder mlp(int width, int hiddenLayers) {
      hidden = width;
      depth = hiddenLayers;
      return this;
    }

    public Builder learningRate(float lr) {
      learningRate = lr;
      return this;
    }

    /** NICE additive coupling; parity alternates the conditioning half. */
    public Builder nice(int parity) {
      layers.add(new CouplingVectorLayer(store, name(), dim, CouplingKind.ADDITIVE, parity, hidden, depth, random));
      return this;
    }

    /** RealNVP affine coupling with scale exp(tanh(h)). */
    public Builder realnvp(int parity) {
      layers.add(new CouplingVectorLayer(store, name(), dim, CouplingKind.AFFINE_TANH, parity, hidden, depth, random));
      return this;
    }

    public Builder actnorm() {
      layers.add(new ActNormVectorLayer(store, name(), dim, false));
      return this;
    }

    /** NICE's final diagonal scaling layer (log-det = Σ log scales). */
    public Builder scaling() {
      layers.add(new ActNormVectorLayer(store, name(), dim, true));
      return this;
    }

    public Builder reverse() {
      layers.add(new PermutationVectorLayer(store, name(), dim, false, random));
      return this;
    }

    public Builder shuffle() {
      layers.add(new PermutationVectorLayer(store, name(), dim, true, random));
      return this;
    }

    public Builder planar() {
      layers.add(new PlanarLayer(store, name(), dim, random));
      return this;
    }

    public Builder radial() {
      layers.add(new RadialLayer(store, name(), dim, random));
      return this;
    }

    public VectorFlow build(Backend be) {
      if (layers.isEmpty()) throw new IllegalArgumentException("a flow needs at least one layer");
      return new VectorFlow(be, dim, store, List.copyOf(layers), learningRate);
    }
  }

  /** The presets: NICE (4 additive couplings + scaling), RealNVP (8 affine couplings), K planar or K radial layers. */
  public static VectorFlow preset(Backend be, String family, int dim, int layers, long seed, float lr) {
    Builder b = new Builder(dim, seed).learningRate(lr);
    switch (family) {
      case "nice" -> {
        for (int i = 0; i < layers; i++) b.nice(i % 2);
        b.scaling();
      }
      case "realnvp" -> {
        for (int i = 0; i < layers; i++) b.realnvp(i % 2);
      }
      case "planar" -> {
        for (int i = 0; i < layers; i++) b.planar();
      }
      case "radial" -> {
        for (int i = 0; i < layers; i++) b.radial();
      }
      default -> throw new IllegalArgumentException("unknown flow '" + family + "': expected nice, realnvp, planar or radial");
    }
    return b.build(be);
  }

  public int dimension() {
    return dim;
  }

  public ParameterStore parameters() {
    return store;
  }

  /** Which layers cannot compute (or train, when `training`) in the direction; empty when all can. */
  private void require(Direction d, boolean training, String purpose) {
    for (VectorLayer l : layers) {
      boolean ok = training ? l.trains(d) : l.evaluates(d);
      if (!ok) {
        String way = d == Direction.NORMALIZING ? "data → base" : "base → data";
        throw new DirectionException(purpose + " needs every layer " + (training ? "to train" : "in closed form") + " in the "
            + way + " direction, but the " + l.describe() + " layer " + (l.evaluates(d) ? "has no gradients" : "is not closed-form")
            + " that way. Planar and radial flows are closed-form only base → data (sampling, variational inference);"
            + " couplings, actnorm and permutations are closed-form both ways and train data → base.");
      }
    }
  }

  private Nchw shape(int n) {
    return new Nchw(n, dim, 1, 1);
  }

  /** Runs every layer in the direction, keeping every intermediate (inputs of layer i at index i). */
  private List<DeviceBuffer> run(Direction d, DeviceBuffer x, int n, DeviceBuffer logdet) {
    List<DeviceBuffer> xs = new ArrayList<>();
    xs.add(x);
    if (d == Direction.NORMALIZING)
      for (VectorLayer l : layers) xs.add(l.apply(be, d, xs.get(xs.size() - 1), n, logdet));
    else
      for (int i = layers.size() - 1; i >= 0; i--) xs.add(layers.get(i).apply(be, d, xs.get(xs.size() - 1), n, logdet));
    return xs;
  }

  private static void closeAllButFirst(List<DeviceBuffer> xs) {
    for (int i = 1; i < xs.size(); i++) xs.get(i).close();
  }

  /** log N(z; 0, I) per sample, added to acc. */
  private void baseLogDensity(DeviceBuffer z, int n, DeviceBuffer acc) {
    try (DeviceBuffer h = be.zeros(DType.F32, 2L * n * dim)) {
      PriorOps.logp(be, z, h, PriorLayout.HALVES, shape(n), acc);
    }
  }

  private void checkData(float[] x, int n) {
    if (x.length != n * dim) throw new IllegalArgumentException(x.length + " values for " + n + " vectors of dimension " + dim);
    for (float v : x) if (!Float.isFinite(v)) throw new IllegalArgumentException("the data holds a non-finite value (" + v + ")");
  }

  /** Data-dependent init of actnorm layers from a batch (normalizing direction), once. */
  public void initialize(float[] x, int n) {
    if (initialized) return;
    checkData(x, n);
    try (DeviceBuffer xb = be.uploadNew(x); DeviceBuffer logdet = be.zeros(DType.F64, n)) {
      DeviceBuffer cur = xb;
      for (VectorLayer l : layers) {
        if (!l.evaluates(Direction.NORMALIZING)) break;
        l.initialize(be, cur, n);
        DeviceBuffer next = l.apply(be, Direction.NORMALIZING, cur, n, logdet);
        if (cur != xb) cur.close();
        cur = next;
      }
      if (cur != xb) cur.close();
    }
    initialized = true;
  }

  /** log p(x) per vector (nats). Needs every layer closed-form data → base. */
  public double[] logDensity(float[] x, int n) {
    require(Direction.NORMALIZING, false, "the log-density of given data");
    checkData(x, n);
    try (DeviceBuffer xb = be.uploadNew(x); DeviceBuffer acc = be.zeros(DType.F64, n)) {
      List<DeviceBuffer> xs = run(Direction.NORMALIZING, xb, n, acc);
      baseLogDensity(xs.get(xs.size() - 1), n, acc);
      closeAllButFirst(xs);
      be.synchronize();
      return be.downloadDoubles(acc);
    }
  }

  /** z = f(x): data mapped to the base space. */
  public float[] normalize(float[] x, int n) {
    require(Direction.NORMALIZING, false, "mapping data to the base space");
    return transform(Direction.NORMALIZING, x, n);
  }

  /** x = f⁻¹(z): base points mapped to data space. */
  public float[] generate(float[] z, int n) {
    require(Direction.GENERATIVE, false, "mapping base points to data space");
    return transform(Direction.GENERATIVE, z, n);
  }

  private float[] transform(Direction d, float[] in, int n) {
    checkData(in, n);
    try (DeviceBuffer xb = be.uploadNew(in); DeviceBuffer logdet = be.zeros(DType.F64, n)) {
      List<DeviceBuffer> xs = run(d, xb, n, logdet);
      be.synchronize();
      float[] out = be.downloadFloats(xs.get(xs.size() - 1));
      closeAllButFirst(xs);
      return out;
    }
  }

  /** n samples from the flow. */
  public float[] sample(int n, long seed) {
    return sampleWithLogDensity(n, seed).samples();
  }

  /** Samples and their log-density under the flow, log q(x) = log N(z) − log|det ∂x/∂z|. */
  public record Samples(float[] samples, double[] logDensity) {}

  public Samples sampleWithLogDensity(int n, long seed) {
    require(Direction.GENERATIVE, false, "sampling");
    try (DeviceBuffer z = baseSample(n, seed); DeviceBuffer logq = be.zeros(DType.F64, n); DeviceBuffer logdet = be.zeros(DType.F64, n)) {
      baseLogDensity(z, n, logq);
      List<DeviceBuffer> xs = run(Direction.GENERATIVE, z, n, logdet);
      be.synchronize();
      float[] x = be.downloadFloats(xs.get(xs.size() - 1));
      double[] lq = be.downloadDoubles(logq), ld = be.downloadDoubles(logdet);
      for (int i = 0; i < n; i++) lq[i] -= ld[i];
      closeAllButFirst(xs);
      return new Samples(x, lq);
    }
  }

  private DeviceBuffer baseSample(int n, long seed) {
    DeviceBuffer z = be.allocate(DType.F32, (long) n * dim);
    try (DeviceBuffer h = be.zeros(DType.F32, 2L * n * dim)) {
      PriorOps.sample(be, h, PriorLayout.HALVES, shape(n), 1f, seed, z);
    }
    return z;
  }

  /** One Adam step on −mean log p(x) (maximum likelihood); returns the mean log-likelihood before the step. */
  public double densityStep(float[] x, int n, float clip) {
    double mean = densityGradient(x, n);
    step(mean, clip);
    return mean;
  }

  /** The mean log-likelihood of the batch; the gradient of its negative is left in parameters().grads(). */
  public double densityGradient(float[] x, int n) {
    require(Direction.NORMALIZING, true, "density training");
    checkData(x, n);
    if (!initialized) initialize(x, n);
    store.zeroGrads();
    double[] weight = new double[n];
    Arrays.fill(weight, -1.0 / n);
    try (DeviceBuffer xb = be.uploadNew(x); DeviceBuffer acc = be.zeros(DType.F64, n); DeviceBuffer q = be.uploadNew(weight)) {
      List<DeviceBuffer> xs = run(Direction.NORMALIZING, xb, n, acc);
      DeviceBuffer z = xs.get(xs.size() - 1);
      baseLogDensity(z, n, acc);
      DeviceBuffer grad = be.allocate(DType.F32, (long) n * dim);
      try (DeviceBuffer dh = be.allocate(DType.F32, 2L * n * dim)) {
        PriorOps.backward(be, z, dh, PriorLayout.HALVES, shape(n), q, grad, dh);
      }
      for (int i = layers.size() - 1; i >= 0; i--) {
        DeviceBuffer next = layers.get(i).backward(be, Direction.NORMALIZING, xs.get(i), xs.get(i + 1), grad, q, n);
        grad.close();
        grad = next;
      }
      grad.close();
      double mean = Arrays.stream(be.downloadDoubles(acc)).sum() / n;
      closeAllButFirst(xs);
      return mean;
    }
  }

  /**
   * One Adam step of variational inference towards the unnormalized density exp(−U): minimizes the
   * free energy E_q[log q(x) + β·U(x)] (reverse KL up to log Z) with reparametrized samples; β < 1
   * anneals the target early in training as Rezende & Mohamed do. Returns the (β-weighted) free
   * energy estimate before the step.
   */
  public double viStep(Energy energy, double beta, int n, long seed, float clip) {
    double free = viGradient(energy, beta, n, seed);
    step(free, clip);
    return free;
  }

  /** The free energy estimate on the samples drawn with `seed`; its gradient is left in parameters().grads(). */
  public double viGradient(Energy energy, double beta, int n, long seed) {
    require(Direction.GENERATIVE, true, "variational inference");
    if (dim != 2) throw new IllegalArgumentException("the test energies are 2-D; this flow has dimension " + dim);
    store.zeroGrads();
    double[] weight = new double[n];
    Arrays.fill(weight, -1.0 / n);  // free energy has −log|det|: weight −1/n on the log-det
    try (DeviceBuffer z = baseSample(n, seed); DeviceBuffer logq = be.zeros(DType.F64, n); DeviceBuffer logdet = be.zeros(DType.F64, n);
        DeviceBuffer q = be.uploadNew(weight)) {
      baseLogDensity(z, n, logq);
      List<DeviceBuffer> xs = run(Direction.GENERATIVE, z, n, logdet);
      DeviceBuffer x = xs.get(xs.size() - 1);
      be.synchronize();
      float[] xv = be.downloadFloats(x);
      float[] dU = new float[xv.length];
      double free = 0;
      double[] lq = be.downloadDoubles(logq), ld = be.downloadDoubles(logdet);
      for (int i = 0; i < n; i++) {
        double[] g = energy.gradient(xv[2 * i], xv[2 * i + 1]);
        dU[2 * i] = (float) (beta * g[0] / n);
        dU[2 * i + 1] = (float) (beta * g[1] / n);
        free += lq[i] - ld[i] + beta * energy.value(xv[2 * i], xv[2 * i + 1]);
      }
      free /= n;
      DeviceBuffer grad = be.uploadNew(dU);
      // xs holds base z first, then the outputs of layers L−1, …, 0: layer k's output is at L − k.
      for (int k = 0; k < layers.size(); k++) {
        VectorLayer l = layers.get(k);
        int out = xs.size() - 1 - k;
        DeviceBuffer next = l.backward(be, Direction.GENERATIVE, xs.get(out - 1), xs.get(out), grad, q, n);
        grad.close();
        grad = next;
      }
      grad.close();
      closeAllButFirst(xs);
      return free;
    }
  }

  private void step(double objective, float clip) {
    double norm = Math.sqrt(ReduceOps.sumSquares(be, store.grads()));
    if (!Double.isFinite(objective) || !Double.isFinite(norm))
      throw new IllegalStateException("training diverged: objective " + objective + ", gradient norm " + norm
          + "; lower the learning rate or clip gradients");
    optimizer.apply(learningRate, Optimizer.clipScale(norm, clip));
  }

  @Override
  public void close() {
    optimizer.close();
    store.close();
  }

  /** Mean log-density of the standard normal base on the data: the baseline a trained flow must beat. */
  public static double baseLogLikelihood(float[] x, int dim) {
    double s = 0;
    for (float v : x) s += -0.5 * (LOG_2PI + (double) v * v);
    return s / (x.length / dim);
  }
}
