package org.flowrt.bench;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;
import org.flowrt.backend.ConvShape;
import org.flowrt.backend.Convolution;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.cpu.CpuBackend;

/**
 * Chooses the CPU convolution library by measurement (run by scripts/bench-conv.sh; not a test).
 * For each coupling-network shape it times oneDNN's full convolution (forward, backward data,
 * backward weights, reorders included) against OpenBLAS sgemm of the same FLOPs — the GEMM alone,
 * without the im2col/col2im an OpenBLAS convolution would add, so OpenBLAS is given its best case.
 */
public final class ConvLibraryBench {
  private ConvLibraryBench() {}

  public static void main(String[] args) {
    int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    ConvShape[] shapes = {
      new ConvShape(64, 2, 16, 16, 128, 3), new ConvShape(64, 128, 16, 16, 128, 1), new ConvShape(64, 128, 16, 16, 4, 3),
      new ConvShape(64, 4, 8, 8, 128, 3), new ConvShape(64, 128, 8, 8, 128, 1), new ConvShape(64, 128, 8, 8, 8, 3),
    };
    System.out.printf("%-34s %14s %14s %10s%n", "shape (N,Cin,H,W→Cout,k)", "oneDNN ms", "OpenBLAS ms", "faster");
    double totalDnnl = 0, totalBlas = 0;
    try (CpuBackend be = new CpuBackend()) {
      for (ConvShape s : shapes) {
        double dnnl = timeDnnl(be, s, repeats), blas = timeGemm(s, repeats);
        totalDnnl += dnnl;
        totalBlas += blas;
        System.out.printf("%-34s %14.2f %14.2f %10s%n", s.batch() + "," + s.inChannels() + "," + s.height() + "," + s.width() + "→"
            + s.outChannels() + "," + s.kernelSize(), dnnl, blas, dnnl <= blas ? "oneDNN" : "OpenBLAS");
      }
    }
    System.out.printf("%-34s %14.2f %14.2f %10s%n", "total (fwd + bwd data + bwd weights)", totalDnnl, totalBlas,
        totalDnnl <= totalBlas ? "oneDNN" : "OpenBLAS");
  }

  /** ms for forward + backward data + backward weights, best of `repeats`. */
  static double timeDnnl(CpuBackend be, ConvShape s, int repeats) {
    try (DeviceBuffer x = be.zeros(DType.F32, s.inputCount()); DeviceBuffer w = be.zeros(DType.F32, s.weightCount());
        DeviceBuffer y = be.zeros(DType.F32, s.outputCount())) {
      Convolution conv = be.convolution(s);
      double best = Double.MAX_VALUE;
      for (int r = 0; r <= repeats; r++) {
        long t0 = System.nanoTime();
        conv.forward(x, w, y);
        conv.backwardData(y, w, x);
        conv.backwardFilter(x, y, w);
        double ms = (System.nanoTime() - t0) / 1e6;
        if (r > 0) best = Math.min(best, ms);
      }
      return best;
    }
  }

  /** ms for the three GEMMs of an im2col convolution (M = Cout, K = Cin·k², N = batch·H·W), best of `repeats`. */
  static double timeGemm(ConvShape s, int repeats) {
    int m = s.outChannels(), k = s.inChannels() * s.kernelSize() * s.kernelSize(), n = s.batch() * s.height() * s.width();
    try (FloatPointer w = new FloatPointer((long) m * k); FloatPointer col = new FloatPointer((long) k * n);
        FloatPointer y = new FloatPointer((long) m * n)) {
      double best = Double.MAX_VALUE;
      for (int r = 0; r <= repeats; r++) {
        long t0 = System.nanoTime();
        openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasNoTrans, m, n, k, 1f, w, k, col, n, 0f, y, n);
        openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasTrans, openblas.CblasNoTrans, k, n, m, 1f, w, k, y, n, 0f, col, n);
        openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasTrans, m, k, n, 1f, y, n, col, n, 0f, w, k);
        double ms = (System.nanoTime() - t0) / 1e6;
        if (r > 0) best = Math.min(best, ms);
      }
      return best;
    }
  }
}
