package org.flowrt.reference;

import org.flowrt.ops.CouplingKind;
import org.flowrt.ops.CouplingMask;
import org.flowrt.ops.CouplingOps.Spec;
import org.flowrt.ops.Nchw;

/** float64 reference of cuda/coupling.cu (glow-spec §4), written from the spec's formulas. */
public final class CouplingRef {
  private CouplingRef() {}

  /** The output y and, in logdet[n], Σ log scale. */
  public record Result(double[] y, double[] logdet) {}

  static boolean moved(Spec spec, Nchw s, int c, int p) {
    if (spec.mask() == CouplingMask.CHANNEL) return spec.parity() == 0 ? c >= s.c() / 2 : c < s.c() - s.c() / 2;
    int i = p / s.w(), j = p % s.w();
    return ((i + j + spec.parity()) & 1) == 0;
  }

  static int transformedIndex(Spec spec, Nchw s, int c) {
    return spec.mask() == CouplingMask.CHANNEL && spec.parity() == 0 ? c - s.c() / 2 : c;
  }

  /** The channel of z that conditioner channel cc copies. */
  static int conditionerSource(Spec spec, Nchw s, int cc) {
    return spec.mask() == CouplingMask.CHANNEL && spec.parity() == 1 ? s.c() - s.c() / 2 + cc : cc;
  }

  public static Result forward(Spec spec, double[] z, double[] h, Nchw s, boolean inverse) {
    int C = s.c(), HW = s.hw();
    int Ch = spec.networkOutput(s).c();
    double[] y = z.clone();
    double[] logdet = new double[s.n()];
    for (int n = 0; n < s.n(); n++)
      for (int c = 0; c < C; c++)
        for (int p = 0; p < HW; p++) {
          if (!moved(spec, s, c, p)) continue;
          int t = transformedIndex(spec, s, c), e = (n * C + c) * HW + p;
          if (spec.kind() == CouplingKind.ADDITIVE) {
            y[e] = inverse ? z[e] - h[(n * Ch + t) * HW + p] : z[e] + h[(n * Ch + t) * HW + p];
            continue;
          }
          double shift = h[(n * Ch + 2 * t) * HW + p], a = h[(n * Ch + 2 * t + 1) * HW + p];
          double scale = switch (spec.kind()) {
            case AFFINE_SIGMOID -> 1 / (1 + Math.exp(-(a + 2)));
            case AFFINE_TANH -> Math.exp(Math.tanh(a));
            default -> Math.exp(a);
          };
          y[e] = inverse ? z[e] / scale - shift : (z[e] + shift) * scale;
          logdet[n] += (inverse ? -1 : 1) * Math.log(scale);
        }
    return new Result(y, logdet);
  }

  public static double[] conditioner(Spec spec, double[] z, Nchw s) {
    Nchw cs = spec.conditioner(s);
    double[] out = new double[(int) cs.count()];
    for (int n = 0; n < s.n(); n++)
      for (int c = 0; c < cs.c(); c++)
        for (int p = 0; p < s.hw(); p++) {
          double v = z[(n * s.c() + conditionerSource(spec, s, c)) * s.hw() + p];
          boolean keep = spec.mask() == CouplingMask.CHANNEL || !moved(spec, s, c, p);
          out[(n * cs.c() + c) * s.hw() + p] = keep ? v : 0;
        }
    return out;
  }
}
