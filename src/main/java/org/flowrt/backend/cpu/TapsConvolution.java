package org.flowrt.backend.cpu;

import org.flowrt.backend.Backend;
import org.flowrt.backend.ConvScratch;
import org.flowrt.backend.ConvShape;
import org.flowrt.backend.ConvTaps;
import org.flowrt.backend.ConvTaps.Side;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.MemoryPool;

/**
 * A K×K convolution with few channels on one side, run as a 1×1 oneDNN convolution with K² times
 * those channels plus the shifts of cuda/conv_taps.cu. oneDNN's direct K×K kernels vectorize over
 * channels and waste most of their work on 2–4 channels; its 1×1 kernels are GEMMs. Measured for
 * config A's shapes: 128 → 4 channels at 16×16, batch 64, takes 6.0 / 3.4 / 4.2 ms (forward /
 * backward data / backward filter) direct and 3.2 / 2.8 / 3.1 ms recast; the backward passes of
 * 2 → 128 channels 4.5 / 3.9 ms direct and 1.2 / 1.5 ms recast. The forward of 2 → 128 channels
 * direct is 0.9 ms plus 0.9 ms for oneDNN to reorder its blocked output to plain NCHW; recast, with
 * the line-by-line spread, config A trains 157–167 images/s against 133–149 direct (alternating runs).
 *
 * <ul>
 *   <li>{@link Side#OUTPUT} (few output channels, all three passes): y = gather(conv1×1(W′, x)), W′ the
 *       weights transposed to [O·K²][I]; dx = conv1×1ᵀ(W′, spread(dy)); dW = transpose(conv1×1
 *       filter gradient of (x, spread(dy))).
 *   <li>{@link Side#INPUT} (few input channels, all three passes): im2col = spread(x) and the
 *       weights [O][I·K²] as they are: y = conv1×1(W, im2col), dx = gather(conv1×1ᵀ(W, dy)),
 *       dW = conv1×1 filter gradient of (im2col, dy).
 * </ul>
 */
final class TapsConvolution implements CpuConvolution {
  /**
   * The recast side's channels × K² at most these. Measured on config A's shapes (batch 64, 2 AVX2
   * cores, oneDNN's 1×1 as a GEMM on plain activations): 128 → 4 and 128 → 8 outputs gain (4.5 → 2.8
   * ms for the three passes at 8×8), 128 → 16 does not; 2 inputs gain (10.1 → 4.2 ms at 16×16).
   * With the line-by-line spread and the forward recast too, up to 6 inputs gain: 3×32×32 images
   * (K8, batch 16) trained 75–80 images/s against 67–70 with 4 (alternating runs, 15 steps a pass);
   * up to 12 was within noise there and sampled config A 15 % slower (8 inputs at 4×4 recast).
   * With the faster gather, 12 outputs gain too: 128 → 12 at 16×16, batch 16, took 1.14 / 1.23 /
   * 1.21 ms recast against 2.1 / 1.6 / 2.1 direct (`bench-one --op-times`, forward / backward data /
   * backward filter); 24 outputs lose (128 → 24 at 8×8: 0.82 / 0.93 / 0.89 against 0.69 / 0.57 /
   * 0.77 ms).
   *
   * <p>On planes of 8×8 and more, up to 12 inputs gain when the outputs are many (12 → 128 at 8×8,
   * batch 16: 0.33 / 0.29 / 0.34 and 0.46 / 0.46 / 0.45 ms recast against 0.50 / 0.41 / 0.50 and
   * 0.58 / 0.61 / 0.65 direct in two runs of scripts/bench-conv-plans.sh, which alternates flowrt's
   * plans in one process); at 4×4 the recast's GEMM has 16 columns an image and 8 → 128 lost there
   * (0.55 / 0.47 / 0.62 against 0.39 / 0.39 / 0.42 ms), and with few outputs the direct kernel holds
   * (12 → 24 at 8×8: 0.21 / 0.20 / 0.22 recast against 0.16 / 0.15 / 0.17).
   */
  static final int MAX_OUTPUT_TAP_CHANNELS = 108;
  static final int MAX_INPUT_TAP_CHANNELS = 54;
  /** The input side's limit on planes of WIDE_PLANE pixels or more, with WIDE_OUTPUTS_PER_INPUT outputs an input. */
  static final int MAX_INPUT_TAP_CHANNELS_WIDE = 108;
  static final int WIDE_PLANE = 64;
  static final int WIDE_OUTPUTS_PER_INPUT = 8;

  /** The side to recast for this shape, or null to run it direct. */
  static Side sideFor(ConvShape s) {
    if (s.kernelSize() == 1) return null;
    int taps = s.kernelSize() * s.kernelSize();
    boolean out = s.outChannels() * taps <= MAX_OUTPUT_TAP_CHANNELS;
    boolean wide = s.height() * s.width() >= WIDE_PLANE && s.outChannels() >= WIDE_OUTPUTS_PER_INPUT * s.inChannels();
    boolean in = s.inChannels() * taps <= (wide ? MAX_INPUT_TAP_CHANNELS_WIDE : MAX_INPUT_TAP_CHANNELS);
    if (out == in) return null;  // neither, or both small: nothing to gain
    return out ? Side.OUTPUT : Side.INPUT;
  }

  private final Backend be;
  private final MemoryPool pool;
  private final ConvShape shape;
  private final Side side;
  private final DnnlConvolution pointwise;
  private final int taps;

  TapsConvolution(Backend be, DnnlEngine dnnl, MemoryPool pool, ConvWorkers workers, ConvShape s, Side side) {
    this.be = be;
    this.pool = pool;
    this.shape = s;
    this.side = side;
    this.taps = s.kernelSize() * s.kernelSize();
    pointwise = new DnnlConvolution(dnnl, pool, workers, side == Side.OUTPUT
        ? new ConvShape(s.batch(), s.inChannels(), s.height(), s.width(), s.outChannels() * taps, 1)
        : new ConvShape(s.batch(), s.inChannels() * taps, s.height(), s.width(), s.outChannels(), 1));
  }

  @Override
  public ConvShape shape() {
    return shape;
  }

  /** Elements of the taps tensor: [N, channels·K², H, W] of the recast side. */
  private long tapsCount() {
    return (long) shape.batch() * taps * shape.height() * shape.width() * (side == Side.OUTPUT ? shape.outChannels() : shape.inChannels());
  }

  private DeviceBuffer scratch(long count) {
    return DeviceBuffer.allocate(pool, DType.F32, count);
  }

  private void gather(DeviceBuffer t, int channels, DeviceBuffer y) {
    ConvTaps.gather(be, t, shape.batch(), channels, shape.height(), shape.width(), shape.kernelSize(), side, y);
  }

  private void spread(DeviceBuffer y, int channels, DeviceBuffer t) {
    ConvTaps.spread(be, y, shape.batch(), channels, shape.height(), shape.width(), shape.kernelSize(), side, t);
  }

  @Override
  public void forward(DeviceBuffer x, DeviceBuffer w, DeviceBuffer y) {
    checkBuffers(x, w, y);
    if (side == Side.INPUT) {
      try (DeviceBuffer cols = scratch(tapsCount())) {
        spread(x, shape.inChannels(), cols);
        pointwise.forward(cols, w, y);
      }
      return;
    }
    try (DeviceBuffer wt = scratch(shape.weightCount()); DeviceBuffer t = scratch(tapsCount())) {
      ConvTaps.transpose(be, w, shape.outChannels(), shape.inChannels(), taps, wt);
      pointwise.forward(x, wt, t);
      gather(t, shape.outChannels(), y);
    }
  }

  @Override
  public void backwardData(DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx) {
    checkBuffers(dx, w, dy);
    if (side == Side.OUTPUT) {
      try (DeviceBuffer wt = scratch(shape.weightCount()); DeviceBuffer g = scratch(tapsCount())) {
        ConvTaps.transpose(be, w, shape.outChannels(), shape.inChannels(), taps, wt);
        spread(dy, shape.outChannels(), g);
        pointwise.backwardData(g, wt, dx);
      }
    } else {
      try (DeviceBuffer dcols = scratch(tapsCount())) {
        pointwise.backwardData(dy, w, dcols);
        gather(dcols, shape.inChannels(), dx);
      }
    }
  }

  @Override
  public void backwardFilter(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw) {
    checkBuffers(x, dw, dy);
    if (side == Side.OUTPUT) {
      try (DeviceBuffer g = scratch(tapsCount()); DeviceBuffer dwt = scratch(shape.weightCount())) {
        spread(dy, shape.outChannels(), g);
        pointwise.backwardFilter(x, g, dwt);
        ConvTaps.transpose(be, dwt, shape.outChannels(), taps, shape.inChannels(), dw);
      }
    } else {
      try (DeviceBuffer cols = scratch(tapsCount())) {
        spread(x, shape.inChannels(), cols);
        pointwise.backwardFilter(cols, dy, dw);
      }
    }
  }

  /** The pool buffers of each pass in the order taken above, then the 1×1 (or direct) convolution's own. */
  @Override
  public long[] scratchBytes(ConvScratch.Pass pass) {
    long tapsBytes = tapsCount() * 4, weightBytes = shape.weightCount() * 4;
    long[] mine = switch (side) {
      case OUTPUT -> switch (pass) {
        case FORWARD, BACKWARD_DATA -> new long[] {weightBytes, tapsBytes};
        case BACKWARD_FILTER -> new long[] {tapsBytes, weightBytes};
      };
      case INPUT -> new long[] {tapsBytes};
    };
    long[] inner = pointwise.scratchBytes(pass);
    long[] all = java.util.Arrays.copyOf(mine, mine.length + inner.length);
    System.arraycopy(inner, 0, all, mine.length, inner.length);
    return all;
  }

  @Override
  public void close() {
    pointwise.close();
  }
}
