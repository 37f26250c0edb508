package org.flowrt.ops;

import static org.flowrt.ops.ActNormSuite.toF;
import static org.flowrt.testing.FiniteDifference.dot;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleSupplier;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.ops.CouplingOps.Spec;
import org.flowrt.reference.CouplingRef;
import org.flowrt.testing.Check;
import org.flowrt.testing.FiniteDifference;
import org.flowrt.testing.Rand;
import org.junit.jupiter.api.Test;

/** cuda/coupling.cu against the float64 reference: every mask × kind, odd channel counts and sizes. */
public abstract class CouplingSuite extends OpSuite {
  static List<Spec> specs() {
    List<Spec> out = new ArrayList<>();
    for (CouplingKind kind : CouplingKind.values()) {
      out.add(new Spec(CouplingMask.CHANNEL, 0, kind));
      out.add(new Spec(CouplingMask.CHANNEL, 1, kind));
      out.add(new Spec(CouplingMask.CHECKERBOARD, 0, kind));
      out.add(new Spec(CouplingMask.CHECKERBOARD, 1, kind));
    }
    return out;
  }

  static final List<Nchw> SHAPES = List.of(new Nchw(1, 6, 5, 7), new Nchw(3, 5, 4, 4), new Nchw(2, 12, 3, 3),
      new Nchw(2, 48, 2, 3), new Nchw(1, 96, 2, 2));

  protected CouplingSuite(Backend be) {
    super(be);
  }

  @Test
  void forwardAndLogdetMatchReference() {
    Rand r = new Rand(31);
    for (Spec spec : specs())
      for (Nchw s : SHAPES) {
        float[] z = r.normal(s.count(), 1.0), h = r.normal(spec.networkOutput(s).count(), 1.0);
        DeviceBuffer zb = up(z), logdet = up(perSample(s, 0.5));
        CouplingOps.forward(be, spec, zb, up(h), s, logdet);
        CouplingRef.Result ref = CouplingRef.forward(spec, d(z), d(h), s, false);
        String what = "coupling " + spec + " " + s;
        // One float32 sigmoid/exp and two roundings per element.
        Check.close(what, ref.y(), down(zb), 1e-5, 1e-6);
        double[] expected = ref.logdet().clone();
        for (int n = 0; n < s.n(); n++) expected[n] += 0.5;
        // Σ log scale in double from float logits: exact to ~1e-12 per term.
        Check.close(what + " logdet", expected, downD(logdet), 1e-9, 1e-9);
      }
  }

  @Test
  void inverseUndoesForward() {
    Rand r = new Rand(32);
    for (Spec spec : specs())
      for (Nchw s : SHAPES) {
        float[] z = r.normal(s.count(), 1.0);
        DeviceBuffer zb = up(z), h = up(r.normal(spec.networkOutput(s).count(), 1.0)), logdet = doubles(s.n());
        CouplingOps.forward(be, spec, zb, h, s, logdet);
        DeviceBuffer withoutLogdet = up(down(zb));
        CouplingOps.inverse(be, spec, zb, h, s, logdet);
        // (x + shift)·s / s − shift in float32: error ≲ ulp of |x| + |shift| ≤ ~5.
        Check.close("coupling inverse(forward(x)) " + spec + " " + s, d(z), down(zb), 1e-5, 2e-6);
        Check.close("coupling logdet after forward+inverse " + spec, new double[s.n()], downD(logdet), 0, 1e-9);
        // Without a log-det (sampling, decoding) the inverse skips its sums and computes the same z exactly.
        CouplingOps.inverse(be, spec, withoutLogdet, h, s, null);
        Check.close("coupling inverse without log-det " + spec + " " + s, d(down(zb)), down(withoutLogdet), 0, 0);
      }
  }

  @Test
  void logdetMatchesBruteForceJacobian() {
    Rand r = new Rand(33);
    Nchw s = new Nchw(1, 4, 3, 3);
    for (Spec spec : specs()) {
      float[] z = r.normal(s.count(), 1.0), h = r.normal(spec.networkOutput(s).count(), 1.0);
      DeviceBuffer logdet = doubles(1);
      CouplingOps.forward(be, spec, up(z), up(h), s, logdet);
      double brute = FiniteDifference.logAbsDetJacobian(v -> CouplingRef.forward(spec, v, d(h), s, false).y(), d(z));
      Check.close("coupling logdet vs brute-force Jacobian " + spec, new double[] {brute}, downD(logdet), 1e-6, 1e-6);
    }
  }

  @Test
  void gradientsMatchFiniteDifferencesAndRebuildInput() {
    Rand r = new Rand(34);
    for (Spec spec : specs())
      for (Nchw s : List.of(new Nchw(2, 4, 3, 3), new Nchw(1, 5, 2, 3))) {
        Nchw hs = spec.networkOutput(s);
        double[] z = d(r.normal(s.count(), 1.0)), h = d(r.normal(hs.count(), 1.0));
        double[] g = d(r.normal(s.count(), 1.0)), q = d(r.normal(s.n(), 1.0));
        DoubleSupplier objective = () -> {
          CouplingRef.Result res = CouplingRef.forward(spec, z, h, s, false);
          return dot(g, res.y()) + dot(q, res.logdet());
        };
        DeviceBuffer y = up(toF(z)), hb = up(toF(h)), dy = up(toF(g)), dh = floats(hs.count());
        CouplingOps.forward(be, spec, y, hb, s, doubles(s.n()));
        CouplingOps.backward(be, spec, y, dy, hb, true, s, up(q), dh);
        String what = "coupling " + spec + " " + s;
        // With h held fixed the Jacobian is diagonal: products of 2–3 float32 factors, 1e-4 relative.
        Check.close(what + " dz", FiniteDifference.gradient(z, objective), down(dy), 1e-4, 1e-5);
        Check.close(what + " dh", FiniteDifference.gradient(h, objective), down(dh), 1e-4, 1e-5);
        Check.close(what + " rebuilt input", z, down(y), 1e-5, 2e-6);
      }
  }

  @Test
  void conditionerGathersAndScattersTheKeptPart() {
    Rand r = new Rand(35);
    for (Spec spec : specs())
      for (Nchw s : SHAPES) {
        float[] z = r.normal(s.count(), 1.0);
        Nchw cs = spec.conditioner(s);
        DeviceBuffer cond = floats(cs.count());
        CouplingOps.conditioner(be, spec, up(z), s, cond);
        Check.close("conditioner " + spec + " " + s, CouplingRef.conditioner(spec, d(z), s), down(cond), 0, 0);
        // Backward adds dcond into dz at the kept positions: d/dz Σ g·cond(z) = the same gather.
        float[] base = r.normal(s.count(), 1.0), g = r.normal(cs.count(), 1.0);
        DeviceBuffer dz = up(base);
        CouplingOps.conditionerBackward(be, spec, up(g), s, dz);
        double[] zd = d(z);
        double[] expected = FiniteDifference.gradient(zd, () -> dot(d(g), CouplingRef.conditioner(spec, zd, s)));
        for (int i = 0; i < expected.length; i++) expected[i] += base[i];
        Check.close("conditioner backward " + spec + " " + s, expected, down(dz), 1e-6, 1e-6);
      }
  }

  @Test
  void channelMaskNeedsTwoChannels() {
    Nchw s = new Nchw(1, 1, 2, 2);
    Spec spec = new Spec(CouplingMask.CHANNEL, 0, CouplingKind.AFFINE_SIGMOID);
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> CouplingOps.forward(be, spec, floats(4), floats(0), s, doubles(1)));
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("at least 2 channels"), e.getMessage());
  }
}
