package org.flowrt.ops;

import static org.flowrt.ops.ActNormSuite.toF;
import static org.flowrt.testing.FiniteDifference.dot;

import java.util.List;
import java.util.function.DoubleSupplier;
import org.flowrt.backend.ActivationLayout;
import org.flowrt.backend.Backend;
import org.flowrt.backend.ConvShape;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.reference.ActNormRef;
import org.flowrt.reference.ConvRef;
import org.flowrt.testing.Check;
import org.flowrt.testing.FiniteDifference;
import org.flowrt.testing.Rand;
import org.junit.jupiter.api.Test;

/**
 * The coupling network's pieces: library convolutions (oneDNN / cuDNN), the edge-bias channel
 * (cuda/edge_bias.cu) against an explicitly padded float64 convolution, and the zero-conv.
 */
public abstract class ConvSuite extends OpSuite {
  static final List<ConvShape> SHAPES = List.of(new ConvShape(1, 5, 7, 6, 7, 3), new ConvShape(2, 7, 4, 4, 13, 3),
      new ConvShape(3, 12, 3, 5, 96, 1), new ConvShape(2, 3, 1, 1, 6, 3), new ConvShape(1, 4, 1, 5, 3, 3),
      new ConvShape(2, 48, 4, 2, 6, 3), new ConvShape(3, 5, 5, 1, 6, 3), new ConvShape(2, 5, 2, 3, 7, 3),
      // Few output channels and few input channels: the CPU backend runs these as 1×1 convolutions
      // of the taps (TapsConvolution), the GPU direct.
      new ConvShape(2, 7, 5, 3, 4, 3), new ConvShape(3, 2, 6, 5, 13, 3),
      // Enough work per image that the CPU backend runs forward and backward data in pieces of the
      // batch on its workers: 3 + 3 images, and 2 + 2 + 1.
      new ConvShape(6, 96, 16, 16, 128, 1), new ConvShape(5, 128, 16, 16, 128, 1));

  protected ConvSuite(Backend be) {
    super(be);
  }

  /**
   * Sums of Cin·k² float32 products of N(0,1)·N(0,0.3) terms: oneDNN/cuDNN may reorder (Winograd
   * excluded by algorithm choice), so allow 2e-6·√terms absolute plus 1e-5 relative.
   */
  static double atol(ConvShape s) {
    return 2e-6 * Math.sqrt((double) s.inChannels() * s.kernelSize() * s.kernelSize());
  }

  @Test
  void forwardWithAndWithoutEdgeBiasMatchesPaddedReference() {
    Rand r = new Rand(51);
    for (ConvShape s : SHAPES)
      for (boolean edge : new boolean[] {false, true}) {
        if (edge && s.kernelSize() != 3) continue;
        float[] x = r.normal(s.inputCount(), 1), w = r.normal(s.weightCount(), 0.3);
        float[] we = edge ? r.normal(9L * s.outChannels(), 0.3) : null;
        DeviceBuffer y = floats(s.outputCount());
        ConvOps.forward(be, s, up(x), up(w), edge ? up(we) : null, y);
        double[] ref = ConvRef.forward(d(x), d(w), edge ? d(we) : null, s);
        Check.close("conv " + s + (edge ? " + edge bias" : ""), ref, down(y), 1e-5, atol(s));
      }
  }

  /**
   * The edge bias added by actnorm's pass (the coupling network's first convolution, the zero-conv)
   * equals the padded convolution followed by actnorm (+ ReLU), in float64: one more float32 add
   * and product on top of the convolution's tolerance.
   */
  @Test
  void actnormWithTheEdgeBiasMatchesPaddedConvolutionThenActnorm() {
    Rand r = new Rand(53);
    for (ConvShape s : SHAPES) {
      if (s.kernelSize() != 3) continue;
      Nchw out = new Nchw(s.batch(), s.outChannels(), s.height(), s.width());
      for (boolean relu : new boolean[] {false, true}) {
        float[] x = r.normal(s.inputCount(), 1), w = r.normal(s.weightCount(), 0.3), we = r.normal(9L * s.outChannels(), 0.3);
        float[] b = r.normal(s.outChannels(), 0.5), l = r.normal(s.outChannels(), 0.2);
        DeviceBuffer y = floats(s.outputCount());
        ConvOps.forward(be, s, up(x), up(w), null, y);
        ActNormOps.forward(be, y, up(we), up(b), up(l), ActNormOps.LOGSCALE_FACTOR, relu, out, y, null);  // in place
        double[] ref = ActNormRef.forward(ConvRef.forward(d(x), d(w), d(we), s), d(b), d(l), ActNormOps.LOGSCALE_FACTOR, relu, out);
        double scale = Math.exp(ActNormOps.LOGSCALE_FACTOR * 0.6);  // e^(3·logs) for logs up to 3 standard deviations
        Check.close("conv " + s + " + edge bias in actnorm" + (relu ? " + ReLU" : ""), ref, down(y), 1e-5, 2 * scale * atol(s));
      }
    }
  }

  /**
   * Backward data of the 1×1 shapes (the last two run in pieces of the batch on the CPU backend)
   * against dx[n,i,p] = Σ_o w[o,i]·dy[n,o,p] in float64: sums of Cout products, the forward's
   * tolerance with Cout terms.
   */
  @Test
  void oneByOneBackwardDataMatchesReference() {
    Rand r = new Rand(54);
    for (ConvShape s : SHAPES) {
      if (s.kernelSize() != 1) continue;
      int n = s.batch(), ci = s.inChannels(), co = s.outChannels(), hw = s.height() * s.width();
      float[] w = r.normal(s.weightCount(), 0.3), dy = r.normal(s.outputCount(), 1);
      double[] ref = new double[(int) s.inputCount()];
      for (int b = 0; b < n; b++)
        for (int o = 0; o < co; o++)
          for (int i = 0; i < ci; i++) {
            double wi = w[o * ci + i];
            for (int p = 0; p < hw; p++) ref[(b * ci + i) * hw + p] += wi * dy[(b * co + o) * hw + p];
          }
      DeviceBuffer dx = up(r.normal(s.inputCount(), 1));  // stale values: every element must be written
      be.convolution(s).backwardData(up(dy), up(w), dx);
      Check.close("conv backward data " + s, ref, down(dx), 1e-5, 2e-6 * Math.sqrt(co));
    }
  }

  /** The values of an NCHW array as they lie in `layout` (nChw8c: [N, C/8, H, W, 8]). */
  static double[] inLayout(double[] nchw, Nchw s, ActivationLayout layout) {
    if (layout == ActivationLayout.NCHW) return nchw.clone();
    double[] out = new double[nchw.length];
    int hw = s.hw();
    for (int n = 0; n < s.n(); n++)
      for (int c = 0; c < s.c(); c++)
        for (int p = 0; p < hw; p++) out[(((n * (s.c() / 8) + c / 8) * hw) + p) * 8 + c % 8] = nchw[(n * s.c() + c) * hw + p];
    return out;
  }

  /** Shapes beside SHAPES whose channels fill 8-channel blocks on one side or both, batch 1 and odd sizes among them. */
  static final List<ConvShape> BLOCKABLE = List.of(new ConvShape(1, 16, 5, 3, 8, 3), new ConvShape(2, 3, 4, 5, 16, 3),
      new ConvShape(3, 16, 3, 5, 24, 1), new ConvShape(2, 24, 4, 4, 4, 3), new ConvShape(1, 8, 7, 1, 16, 3),
      new ConvShape(2, 16, 6, 5, 12, 3), new ConvShape(1, 9, 2, 2, 16, 3));

  /**
   * The inference pass in every layout the backend offers for its operands (NCHW everywhere on the
   * GPU; also oneDNN's nChw8c on the CPU where the channels fill its blocks), with and without the
   * bias + ReLU, against the float64 convolution: the forward's tolerance, one more add for the bias.
   */
  @Test
  void inferenceForwardMatchesReferenceInEveryLayout() {
    Rand r = new Rand(55);
    List<ConvShape> shapes = new java.util.ArrayList<>(SHAPES);
    shapes.addAll(BLOCKABLE);
    for (ConvShape s : shapes) {
      Nchw xs = new Nchw(s.batch(), s.inChannels(), s.height(), s.width()), ys = ConvOps.outShape(s);
      for (ActivationLayout xl : java.util.EnumSet.of(ActivationLayout.NCHW, be.inferenceLayout(s.inChannels())))
        for (ActivationLayout yl : java.util.EnumSet.of(ActivationLayout.NCHW, be.inferenceLayout(s.outChannels())))
          for (boolean biasRelu : new boolean[] {false, true}) {
            float[] x = r.normal(s.inputCount(), 1), w = r.normal(s.weightCount(), 0.3), b = r.normal(s.outChannels(), 0.5);
            double[] ref = ConvRef.forward(d(x), d(w), null, s);
            if (biasRelu)
              for (int i = 0; i < ref.length; i++) ref[i] = Math.max(0, ref[i] + b[(i / ys.hw()) % ys.c()]);
            DeviceBuffer y = up(r.normal(s.outputCount(), 1));  // stale values: every element must be written
            ConvOps.inferenceForward(be, s, up(toF(inLayout(d(x), xs, xl))), xl, up(w), biasRelu ? up(b) : null, y, yl);
            Check.close("conv inference " + s + " " + xl + " → " + yl + (biasRelu ? " + bias + ReLU" : ""),
                inLayout(ref, ys, yl), down(y), 1e-5, atol(s) + 1e-6);
          }
    }
  }

  /**
   * The coupling network's hidden layer for inference: actnorm folded into the convolution before it
   * (the edge bias as a ones channel), bias + ReLU in the convolution, equals the padded convolution
   * followed by actnorm + ReLU in float64. Tolerance as for the unfolded pass above: the scale now
   * multiplies each product instead of the sum, a few ulps more.
   */
  @Test
  void foldedActnormConvolutionMatchesConvolutionThenActnorm() {
    Rand r = new Rand(56);
    List<ConvShape> shapes = new java.util.ArrayList<>(SHAPES);
    shapes.addAll(BLOCKABLE);
    for (ConvShape s : shapes)
      for (boolean edge : new boolean[] {false, true}) {
        if (edge && s.kernelSize() != 3) continue;
        Nchw xs = new Nchw(s.batch(), s.inChannels(), s.height(), s.width()), ys = ConvOps.outShape(s);
        int in1 = s.inChannels() + (edge ? 1 : 0);
        ConvShape s1 = new ConvShape(s.batch(), in1, s.height(), s.width(), s.outChannels(), s.kernelSize());
        float[] x = r.normal(s.inputCount(), 1), w = r.normal(s.weightCount(), 0.3);
        float[] we = edge ? r.normal(9L * s.outChannels(), 0.3) : null;
        float[] b = r.normal(s.outChannels(), 0.5), l = r.normal(s.outChannels(), 0.2);
        float[] x1 = new float[(int) s1.inputCount()];
        java.util.Arrays.fill(x1, 1f);
        for (int n = 0; n < s.batch(); n++) System.arraycopy(x, n * s.inChannels() * xs.hw(), x1, n * in1 * xs.hw(), s.inChannels() * xs.hw());
        DeviceBuffer wf = floats(s1.weightCount()), bf = floats(s.outChannels()), y = floats(s.outputCount());
        ActNormOps.foldIntoConvolution(be, up(w), edge ? up(we) : null, up(b), up(l), ActNormOps.LOGSCALE_FACTOR,
            s.outChannels(), s.inChannels(), s.kernelSize(), wf, bf);
        ConvOps.inferenceForward(be, s1, up(x1), ActivationLayout.NCHW, wf, bf, y, ActivationLayout.NCHW);
        double[] ref = ActNormRef.forward(ConvRef.forward(d(x), d(w), edge ? d(we) : null, s), d(b), d(l),
            ActNormOps.LOGSCALE_FACTOR, true, ys);
        double scale = Math.exp(ActNormOps.LOGSCALE_FACTOR * 0.6);  // e^(3·logs) for logs up to 3 standard deviations
        Check.close("folded actnorm + ReLU after conv " + s + (edge ? " + edge bias" : ""), ref, down(y), 1e-5,
            2 * scale * atol(s1));
      }
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    Rand r = new Rand(52);
    for (ConvShape s : List.of(new ConvShape(2, 3, 4, 5, 4, 3), new ConvShape(1, 5, 3, 3, 6, 1), new ConvShape(1, 2, 1, 2, 3, 3),
        new ConvShape(2, 7, 4, 5, 4, 3), new ConvShape(2, 2, 5, 4, 7, 3))) {
      boolean edge = s.kernelSize() == 3;
      double[] x = d(r.normal(s.inputCount(), 1)), w = d(r.normal(s.weightCount(), 0.3));
      double[] we = edge ? d(r.normal(9L * s.outChannels(), 0.3)) : null;
      double[] g = d(r.normal(s.outputCount(), 1));
      DoubleSupplier objective = () -> dot(g, ConvRef.forward(x, w, we, s));
      DeviceBuffer xb = up(toF(x)), wb = up(toF(w)), dx = floats(s.inputCount()), dw = floats(s.weightCount());
      DeviceBuffer dwe = edge ? floats(9L * s.outChannels()) : null;
      ConvOps.backward(be, s, xb, wb, up(toF(g)), dx, dw, dwe);
      // Each gradient entry sums ≤ N·H·W·Cout float32 products of O(1) terms.
      Check.close("conv dx " + s, FiniteDifference.gradient(x, objective), down(dx), 1e-4, 1e-5);
      Check.close("conv dw " + s, FiniteDifference.gradient(w, objective), down(dw), 1e-4, 1e-5);
      if (edge) Check.close("conv d(edge weights) " + s, FiniteDifference.gradient(we, objective), down(dwe), 1e-4, 1e-5);
    }
  }

  @Test
  void zeroConvIsZeroAtInitAndDifferentiates() {
    Rand r = new Rand(53);
    ConvShape s = new ConvShape(2, 4, 3, 4, 6, 3);
    Nchw out = ConvOps.outShape(s);
    // At init (w = 0, bias = 0, logs = 0) the output is exactly zero.
    DeviceBuffer y0 = up(r.normal(s.outputCount(), 1));
    ConvOps.zeroConvForward(be, s, up(r.normal(s.inputCount(), 1)), floats(s.weightCount()), floats(9L * s.outChannels()),
        floats(s.outChannels()), floats(s.outChannels()), y0);
    Check.close("zero-conv output at init", new double[(int) s.outputCount()], down(y0), 0, 0);

    double[] x = d(r.normal(s.inputCount(), 1)), w = d(r.normal(s.weightCount(), 0.3)), we = d(r.normal(9L * s.outChannels(), 0.3));
    double[] bias = d(r.normal(s.outChannels(), 0.3)), logs = d(r.normal(s.outChannels(), 0.2)), g = d(r.normal(s.outputCount(), 1));
    DoubleSupplier objective = () -> dot(g, ActNormRef.forward(ConvRef.forward(x, w, we, s), bias, logs, 3, false, out));
    DeviceBuffer xb = up(toF(x)), wb = up(toF(w)), bb = up(toF(bias)), lb = up(toF(logs)), y = floats(s.outputCount());
    ConvOps.zeroConvForward(be, s, xb, wb, up(toF(we)), bb, lb, y);
    Check.close("zero-conv forward", ActNormRef.forward(ConvRef.forward(x, w, we, s), bias, logs, 3, false, out), down(y), 1e-5, 1e-5);
    DeviceBuffer dx = floats(s.inputCount()), dw = floats(s.weightCount()), dwe = floats(9L * s.outChannels());
    DeviceBuffer db = floats(s.outChannels()), dl = floats(s.outChannels());
    ConvOps.zeroConvBackward(be, s, xb, wb, bb, lb, y, up(toF(g)), dx, dw, dwe, db, dl);
    Check.close("zero-conv dx", FiniteDifference.gradient(x, objective), down(dx), 1e-4, 1e-4);
    Check.close("zero-conv dw", FiniteDifference.gradient(w, objective), down(dw), 1e-4, 1e-4);
    Check.close("zero-conv d(edge)", FiniteDifference.gradient(we, objective), down(dwe), 1e-4, 1e-4);
    Check.close("zero-conv dbias", FiniteDifference.gradient(bias, objective), down(db), 1e-4, 1e-4);
    Check.close("zero-conv dlogs", FiniteDifference.gradient(logs, objective), down(dl), 1e-4, 1e-4);
  }

  @Test
  void planIsCachedPerShape() {
    ConvShape s = new ConvShape(1, 2, 3, 3, 2, 3);
    org.junit.jupiter.api.Assertions.assertSame(be.convolution(s), be.convolution(new ConvShape(1, 2, 3, 3, 2, 3)));
  }
}
