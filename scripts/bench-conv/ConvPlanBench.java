package org.flowrt.backend.cpu;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.flowrt.backend.ConvShape;
import org.flowrt.backend.ConvTaps.Side;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.MemoryPool;

/**
 * flowrt's own CPU convolution plans, as the model runs them (plain NCHW in and out, oneDNN's reorders,
 * the taps shifts and the pieces on the convolution workers included), on one shape: direct
 * ({@link DnnlConvolution}) against each taps recast ({@link TapsConvolution}) that applies. The plans
 * are timed in alternation, round after round in one process, so the machine's drift falls on each
 * alike; prints the median ms a call of each pass. Run by scripts/bench-conv-plans.sh; not a test.
 *
 * <p>Arguments: ROUNDS then shapes as N,IN,OUT,SIDE,K (e.g. 64,128,16,4,3).
 */
public final class ConvPlanBench {
  private ConvPlanBench() {}

  private static final int CALLS = 10;

  public static void main(String[] args) {
    int rounds = Integer.parseInt(args[0]);
    try (CpuBackend be = new CpuBackend(); DnnlEngine dnnl = new DnnlEngine();
        ConvWorkers workers = new ConvWorkers(CpuBackend.usableCores())) {
      MemoryPool pool = (MemoryPool) be.memory();
      System.out.println("| shape | plan | forward ms | backward data ms | backward filter ms |");
      System.out.println("| --- | --- | --- | --- | --- |");
      for (int a = 1; a < args.length; a++) {
        int[] v = Arrays.stream(args[a].split(",")).mapToInt(Integer::parseInt).toArray();
        ConvShape s = new ConvShape(v[0], v[1], v[3], v[3], v[2], v[4]);
        List<String> names = new ArrayList<>();
        List<CpuConvolution> plans = new ArrayList<>();
        names.add("direct");
        plans.add(new DnnlConvolution(dnnl, pool, workers, s));
        for (Side side : Side.values()) {
          names.add("taps " + side.name().toLowerCase(java.util.Locale.ROOT));
          plans.add(new TapsConvolution(be, dnnl, pool, workers, s, side));
        }
        Random r = new Random(1);
        try (DeviceBuffer x = filled(be, s.inputCount(), r); DeviceBuffer w = filled(be, s.weightCount(), r);
            DeviceBuffer y = filled(be, s.outputCount(), r); DeviceBuffer dw = filled(be, s.weightCount(), r)) {
          double[][][] ms = new double[plans.size()][3][rounds];
          for (int round = -1; round < rounds; round++) {  // round −1 warms every plan up, untimed
            for (int p = 0; p < plans.size(); p++) {
              CpuConvolution c = plans.get(p);
              for (int pass = 0; pass < 3; pass++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < CALLS; i++) {
                  if (pass == 0) c.forward(x, w, y);
                  else if (pass == 1) c.backwardData(y, w, x);
                  else c.backwardFilter(x, y, dw);
                }
                be.synchronize();
                if (round >= 0) ms[p][pass][round] = (System.nanoTime() - t0) / 1e6 / CALLS;
              }
            }
          }
          for (int p = 0; p < plans.size(); p++) {
            System.out.printf("| %d×%d %d → %d at %d×%d, batch %d | %s | %.3f | %.3f | %.3f |%n", s.kernelSize(), s.kernelSize(),
                s.inChannels(), s.outChannels(), s.height(), s.width(), s.batch(), names.get(p),
                median(ms[p][0]), median(ms[p][1]), median(ms[p][2]));
          }
        }
        plans.forEach(CpuConvolution::close);
      }
    }
  }

  private static DeviceBuffer filled(CpuBackend be, long count, Random r) {
    float[] v = new float[Math.toIntExact(count)];
    for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian() * 0.1f;
    return be.uploadNew(v);
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
