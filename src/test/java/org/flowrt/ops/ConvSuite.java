package org.flowrt.ops;

import static org.flowrt.ops.ActNormSuite.toF;
import static org.flowrt.testing.FiniteDifference.dot;

import java.util.List;
import java.util.function.DoubleSupplier;
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

  /**
   * Backward filter of the 1×1 shapes, batches of 3 to 6 images at up to 16×16, against
   * dw[o,i] = Σ_n Σ_p dy[n,o,p]·x[n,i,p] in float64: sums of N·H·W products of N(0,1) terms, the
   * forward's tolerance with N·H·W terms.
   */
  @Test
  void oneByOneBackwardFilterMatchesReference() {
    Rand r = new Rand(55);
    for (ConvShape s : SHAPES) {
      if (s.kernelSize() != 1) continue;
      int n = s.batch(), ci = s.inChannels(), co = s.outChannels(), hw = s.height() * s.width();
      float[] x = r.normal(s.inputCount(), 1), dy = r.normal(s.outputCount(), 1);
      double[] ref = new double[(int) s.weightCount()];
      for (int b = 0; b < n; b++)
        for (int o = 0; o < co; o++)
          for (int i = 0; i < ci; i++) {
            double sum = 0;
            for (int p = 0; p < hw; p++) sum += (double) dy[(b * co + o) * hw + p] * x[(b * ci + i) * hw + p];
            ref[o * ci + i] += sum;
          }
      DeviceBuffer dw = up(r.normal(s.weightCount(), 1));  // stale values: every element must be written
      be.convolution(s).backwardFilter(up(x), up(dy), dw);
      Check.close("conv backward filter " + s, ref, down(dw), 1e-5, 2e-6 * Math.sqrt((double) n * hw));
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
