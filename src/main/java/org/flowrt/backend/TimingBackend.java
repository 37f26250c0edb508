package org.flowrt.backend;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A backend that passes everything to another and, while recording, times each kernel launch, each
 * convolution pass by its shape, and the memory operations between them (allocate, copy, zero,
 * upload, download): where a training step's time goes (`flowrt bench-one --op-times`). A recorded
 * op is followed by a synchronize, so a GPU's queued work is charged to the op that queued it (and
 * recording slows a GPU run: time it with recording off). A convolution's time includes any kernels
 * it launches itself (the CPU's taps shifts). It owns nothing: closing it leaves the wrapped backend
 * open.
 */
public final class TimingBackend implements Backend {
  /** One op's total over the recorded launches. */
  public record OpTime(String op, long calls, double millis) {}

  private final Backend inner;
  private final Map<String, long[]> totals = new LinkedHashMap<>();  // op → {calls, nanoseconds}
  private final Map<ConvShape, Convolution> convolutions = new HashMap<>();
  private boolean recording;

  public TimingBackend(Backend inner) {
    this.inner = inner;
  }

  /** Starts or stops recording; the device is synchronized first, so earlier work is not charged. */
  public void recording(boolean on) {
    inner.synchronize();
    recording = on;
  }

  /** The recorded ops, slowest total first; then forgets them. */
  public List<OpTime> takeTimes() {
    List<OpTime> out = new ArrayList<>();
    totals.forEach((op, t) -> out.add(new OpTime(op, t[0], t[1] / 1e6)));
    out.sort(Comparator.comparingDouble(OpTime::millis).reversed());
    totals.clear();
    return out;
  }

  /** Runs a recorded op; callers check {@code recording} first, so an unrecorded op costs no lambda. */
  private void timed(String op, Runnable work) {
    long t0 = System.nanoTime();
    work.run();
    inner.synchronize();
    long[] t = totals.computeIfAbsent(op, k -> new long[2]);
    t[0]++;
    t[1] += System.nanoTime() - t0;
  }

  @Override
  public void launch(Kernel kernel, Grid grid, KernelArgs args) {
    if (recording) timed(kernel.symbol(), () -> inner.launch(kernel, grid, args));
    else inner.launch(kernel, grid, args);
  }

  @Override
  public Convolution convolution(ConvShape shape) {
    return convolutions.computeIfAbsent(shape, s -> new TimedConvolution(inner.convolution(s)));
  }

  /** The wrapped backend's convolution, each pass timed under its name and shape. */
  private final class TimedConvolution implements Convolution {
    private final Convolution conv;
    private final String name;

    TimedConvolution(Convolution conv) {
      this.conv = conv;
      ConvShape s = conv.shape();
      this.name = String.format("conv %dx%d %d→%d at %dx%d", s.kernelSize(), s.kernelSize(), s.inChannels(),
          s.outChannels(), s.height(), s.width());
    }

    @Override
    public ConvShape shape() {
      return conv.shape();
    }

    @Override
    public void forward(DeviceBuffer x, DeviceBuffer w, DeviceBuffer y) {
      if (recording) timed(name + " forward", () -> conv.forward(x, w, y));
      else conv.forward(x, w, y);
    }

    @Override
    public void backwardData(DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx) {
      if (recording) timed(name + " backward data", () -> conv.backwardData(dy, w, dx));
      else conv.backwardData(dy, w, dx);
    }

    @Override
    public void backwardFilter(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw) {
      if (recording) timed(name + " backward filter", () -> conv.backwardFilter(x, dy, dw));
      else conv.backwardFilter(x, dy, dw);
    }
  }

  @Override
  public BackendKind kind() {
    return inner.kind();
  }

  @Override
  public String description() {
    return inner.description();
  }

  @Override
  public boolean computes() {
    return inner.computes();
  }

  @Override
  public DeviceBuffer allocate(DType type, long count) {
    if (!recording) return inner.allocate(type, count);
    DeviceBuffer[] b = new DeviceBuffer[1];
    timed("allocate", () -> b[0] = inner.allocate(type, count));
    return b[0];
  }

  @Override
  public MemoryStats memory() {
    return inner.memory();
  }

  @Override
  public void upload(float[] source, DeviceBuffer target) {
    if (recording) timed("upload", () -> inner.upload(source, target));
    else inner.upload(source, target);
  }

  @Override
  public void upload(double[] source, DeviceBuffer target) {
    if (recording) timed("upload", () -> inner.upload(source, target));
    else inner.upload(source, target);
  }

  @Override
  public void upload(int[] source, DeviceBuffer target) {
    if (recording) timed("upload", () -> inner.upload(source, target));
    else inner.upload(source, target);
  }

  @Override
  public void download(DeviceBuffer source, float[] target) {
    if (recording) timed("download", () -> inner.download(source, target));
    else inner.download(source, target);
  }

  @Override
  public void download(DeviceBuffer source, double[] target) {
    if (recording) timed("download", () -> inner.download(source, target));
    else inner.download(source, target);
  }

  @Override
  public void download(DeviceBuffer source, int[] target) {
    if (recording) timed("download", () -> inner.download(source, target));
    else inner.download(source, target);
  }

  @Override
  public void copy(DeviceBuffer source, DeviceBuffer target) {
    if (recording) timed("copy", () -> inner.copy(source, target));
    else inner.copy(source, target);
  }

  @Override
  public void zero(DeviceBuffer target) {
    if (recording) timed("zero", () -> inner.zero(target));
    else inner.zero(target);
  }

  @Override
  public void synchronize() {
    inner.synchronize();
  }

  @Override
  public int threadsPerBlock() {
    return inner.threadsPerBlock();
  }

  @Override
  public int parallelism() {
    return inner.parallelism();
  }

  @Override
  public KernelArgs args() {
    return inner.args();
  }

  @Override
  public ConvScratch convScratch() {
    return inner.convScratch();
  }

  @Override
  public void close() {
    // owns nothing
  }
}
