package org.flowrt.ops;

import static org.flowrt.testing.FiniteDifference.dot;

import java.util.List;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.reference.ActNormRef;
import org.flowrt.testing.Check;
import org.flowrt.testing.FiniteDifference;
import org.flowrt.testing.Rand;
import org.junit.jupiter.api.Test;

/** cuda/actnorm.cu against the float64 reference, on the backend under test. */
public abstract class ActNormSuite extends OpSuite {
  static final float K = ActNormOps.LOGSCALE_FACTOR;
  /** Awkward shapes: batch 1, odd sizes, channel counts 3, 6, 12, 48, 96, a 1×1 image. */
  static final List<Nchw> SHAPES = List.of(new Nchw(1, 6, 5, 7), new Nchw(3, 12, 4, 4), new Nchw(2, 48, 3, 5),
      new Nchw(2, 96, 2, 3), new Nchw(1, 3, 1, 1));
  /**
   * Elementwise float32 with one expf: each output is within a few ulps (≈ 6e-8 relative) of the
   * exact value; 1e-5 leaves room for the exp's argument rounding at |k·logs| ≈ 3.
   */
  static final double FORWARD_RTOL = 1e-5;

  protected ActNormSuite(Backend be) {
    super(be);
  }

  @Test
  void forwardAndLogdetMatchReference() {
    Rand r = new Rand(11);
    for (Nchw s : SHAPES)
      for (boolean relu : new boolean[] {false, true}) {
        float[] x = r.normal(s.count(), 1.5), b = r.normal(s.c(), 0.5), l = r.normal(s.c(), 0.2);
        DeviceBuffer y = floats(s.count()), logdet = up(perSample(s, 0.25));
        ActNormOps.forward(be, up(x), up(b), up(l), K, relu, s, y, relu ? null : logdet);
        String what = "actnorm " + s + (relu ? " + relu" : "");
        Check.close(what, ActNormRef.forward(d(x), d(b), d(l), K, relu, s), down(y), FORWARD_RTOL, 1e-6);
        double expected = 0.25 + (relu ? 0 : ActNormRef.logdet(d(l), K, s));
        // logdet sums C float logs in double: exact up to the float inputs.
        Check.close(what + " logdet", perSample(s, expected), downD(logdet), 1e-12, 1e-12);
      }
  }

  @Test
  void inverseUndoesForward() {
    Rand r = new Rand(12);
    for (Nchw s : SHAPES) {
      float[] x = r.normal(s.count(), 1.0);
      DeviceBuffer b = up(r.normal(s.c(), 0.5)), l = up(r.normal(s.c(), 0.2));
      DeviceBuffer y = floats(s.count()), back = floats(s.count()), logdet = doubles(s.n());
      ActNormOps.forward(be, up(x), b, l, K, false, s, y, logdet);
      ActNormOps.inverse(be, y, b, l, K, s, back, logdet);
      // Two float32 roundings through exp(±3·logs): relative 1e-5 of the larger of |x| and |bias|.
      Check.close("actnorm inverse(forward(x)) " + s, d(x), down(back), 1e-5, 2e-6);
      Check.close("actnorm logdet after forward+inverse " + s, new double[s.n()], downD(logdet), 0, 1e-9);
    }
  }

  @Test
  void logdetMatchesBruteForceJacobian() {
    Rand r = new Rand(13);
    Nchw s = new Nchw(2, 3, 2, 3);
    float[] x = r.normal(s.count(), 1.0), b = r.normal(s.c(), 0.5), l = r.normal(s.c(), 0.2);
    DeviceBuffer logdet = doubles(s.n());
    ActNormOps.forward(be, up(x), up(b), up(l), K, false, s, floats(s.count()), logdet);
    Nchw one = new Nchw(1, s.c(), s.h(), s.w());
    double[] got = downD(logdet);
    for (int n = 0; n < s.n(); n++) {
      double[] xn = java.util.Arrays.copyOfRange(d(x), (int) (n * s.perSample()), (int) ((n + 1) * s.perSample()));
      double brute = FiniteDifference.logAbsDetJacobian(v -> ActNormRef.forward(v, d(b), d(l), K, false, one), xn);
      // The brute-force Jacobian carries central-difference error ~1e-9 per entry.
      Check.close("actnorm logdet vs brute-force Jacobian, sample " + n, new double[] {brute}, new double[] {got[n]}, 1e-6, 1e-6);
    }
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    Rand r = new Rand(14);
    Nchw s = new Nchw(2, 5, 3, 3);
    for (boolean relu : new boolean[] {false, true}) {
      double[] x = d(r.normal(s.count(), 1.0)), b = d(r.normal(s.c(), 0.5)), l = d(r.normal(s.c(), 0.2));
      double[] w = d(r.normal(s.count(), 1.0)), q = d(r.normal(s.n(), 1.0));
      // Objective: Σ w·y + Σ_n q_n·logdet_n (logdet only without relu, as in the flow).
      java.util.function.DoubleSupplier objective = () -> dot(w, ActNormRef.forward(x, b, l, K, relu, s))
          + (relu ? 0 : ActNormRef.logdet(l, K, s) * java.util.Arrays.stream(q).sum());
      DeviceBuffer y = floats(s.count()), dx = floats(s.count()), db = floats(s.c()), dl = floats(s.c());
      DeviceBuffer bb = up(toF(b)), lb = up(toF(l)), rebuilt = floats(s.count());
      ActNormOps.forward(be, up(toF(x)), bb, lb, K, relu, s, y, null);
      ActNormOps.backward(be, y, up(toF(w)), bb, lb, K, relu, s, dx, relu ? null : rebuilt, relu ? null : up(q), db, dl);
      String what = "actnorm" + (relu ? "+relu" : "") + " gradient ";
      // float32 kernels vs float64 finite differences: per-channel sums of 18 terms with |terms| ≲ 10.
      Check.close(what + "dx", FiniteDifference.gradient(x, objective), down(dx), 1e-4, 1e-5);
      Check.close(what + "dbias", FiniteDifference.gradient(b, objective), down(db), 1e-4, 1e-4);
      Check.close(what + "dlogs", FiniteDifference.gradient(l, objective), down(dl), 1e-4, 1e-4);
      if (!relu) Check.close("actnorm rebuilt input", x, down(rebuilt), 1e-5, 2e-6);
    }
  }

  /**
   * The backward's closed form in float64 on planes large enough for every path of the kernel's
   * loop: its 8-lane main loop and tail with the GPU's 256 threads per block (50×50 = 2,500 values
   * per plane) as on the host (odd 7×9 planes), and block geometries that split the batch into
   * uneven chunks of samples (13 samples) or, with one sample, the channels into groups (37 channels)
   * on the host. dy' = dy masked by the ReLU; dx = dy'·e^(k·logs);
   * dbias = e^(k·logs)·Σdy'; dlogs = k·Σdy'·y (no log-det term with the ReLU).
   */
  @Test
  void backwardMatchesItsClosedFormOnLargeAndOddPlanes() {
    Rand r = new Rand(15);
    for (Nchw s : List.of(new Nchw(2, 3, 50, 50), new Nchw(3, 5, 7, 9), new Nchw(13, 7, 3, 5), new Nchw(1, 37, 5, 7)))
      for (boolean relu : new boolean[] {false, true}) {
        float[] x = r.normal(s.count(), 1.0), b = r.normal(s.c(), 0.5), l = r.normal(s.c(), 0.2), dy = r.normal(s.count(), 1.0);
        DeviceBuffer y = floats(s.count()), dx = floats(s.count()), db = floats(s.c()), dl = floats(s.c());
        DeviceBuffer bb = up(b), lb = up(l), rebuilt = floats(s.count());
        ActNormOps.forward(be, up(x), bb, lb, K, relu, s, y, null);
        ActNormOps.backward(be, y, up(dy), bb, lb, K, relu, s, dx, rebuilt, null, db, dl);
        float[] yv = down(y);
        double[] edx = new double[(int) s.count()], edb = new double[s.c()], edl = new double[s.c()];
        for (int n = 0; n < s.n(); n++)
          for (int c = 0; c < s.c(); c++) {
            double scale = Math.exp(K * l[c]);
            for (int p = 0; p < s.h() * s.w(); p++) {
              int i = (n * s.c() + c) * s.h() * s.w() + p;
              double g = relu && yv[i] <= 0 ? 0 : dy[i];
              edx[i] = g * scale;
              edb[c] += scale * g;
              edl[c] += K * g * yv[i];
            }
          }
        String what = "actnorm" + (relu ? "+relu" : "") + " backward " + s;
        // dx: one float32 product. The sums: ≤ 5,000 float32 terms added in float64 (any order).
        Check.close(what + " dx", edx, down(dx), 1e-6, 1e-6);
        Check.close(what + " dbias", edb, down(db), 1e-5, 1e-5);
        Check.close(what + " dlogs", edl, down(dl), 1e-5, 1e-5);
        if (!relu) Check.close(what + " rebuilt input", d(x), down(rebuilt), 1e-5, 2e-6);
      }
  }

  @Test
  void dataDependentInitNormalizesEachChannel() {
    Rand r = new Rand(15);
    for (Nchw s : List.of(new Nchw(4, 6, 5, 7), new Nchw(1, 12, 3, 3), new Nchw(16, 48, 2, 2))) {
      float[] x = r.normal(s.count(), 1.0);
      for (int i = 0; i < x.length; i++) {
        int c = (int) ((i / s.hw()) % s.c());
        x[i] = x[i] * (0.5f + c) + 2f * c - 3f;  // channel c: mean 2c−3, std c+0.5
      }
      DeviceBuffer b = floats(s.c()), l = floats(s.c());
      ActNormOps.initialize(be, up(x), s, K, b, l);
      double[][] ref = ActNormRef.init(d(x), s, K);
      // Moments accumulate in double; the only float32 rounding is the stored result.
      Check.close("actnorm init bias " + s, ref[0], down(b), 1e-6, 1e-6);
      Check.close("actnorm init logs " + s, ref[1], down(l), 1e-6, 1e-6);
    }
  }

  static float[] toF(double[] v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
    return f;
  }
}
