package org.flowrt.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.flowrt.backend.Backend;
import org.flowrt.classic.Energy;
import org.flowrt.classic.VectorFlow;
import org.flowrt.io.PlotCanvas;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Variational inference with a planar or radial flow posterior: minimizes the free energy
 * E_q[log q(z) + U(z)] for one of the four test energies of Rezende & Mohamed (2015), then draws the
 * target exp(−U) beside a histogram of the fitted flow's samples.
 */
@Command(name = "vi", mixinStandardHelpOptions = true, description = "Fit a planar or radial flow to an unnormalized 2-D density.")
final class ViCommand implements Callable<Integer> {
  @Mixin BackendOption backendOption;

  @Option(names = "--energy", description = "1, 2, 3 or 4 (default ${DEFAULT-VALUE})")
  String energy = "1";

  @Option(names = "--flow", description = "planar or radial (default ${DEFAULT-VALUE})")
  String flow = "planar";

  @Option(names = "--layers", description = "flow length K (default ${DEFAULT-VALUE})")
  int layers = 32;

  @Option(names = "--iterations", description = "training steps (default ${DEFAULT-VALUE})")
  int iterations = 5000;

  @Option(names = "--batch", description = "samples per step (default ${DEFAULT-VALUE})")
  int batch = 256;

  @Option(names = "--lr", description = "Adam learning rate (default ${DEFAULT-VALUE})")
  float lr = 2e-3f;

  @Option(names = "--anneal", description = "iterations over which β in E[log q + β·U] rises linearly from 0.01 to 1 (default ${DEFAULT-VALUE})")
  int anneal = 2000;

  @Option(names = "--seed", description = "default ${DEFAULT-VALUE}")
  long seed = 1;

  @Option(names = "--out", description = "output folder (default runs/vi-ENERGY-FLOW)")
  Path out;

  /** E_{z ~ N(0, I)}[log N(z) + U(z)] by Monte Carlo: the free energy of the untrained (identity) flow. */
  static double baseGaussianFreeEnergy(Energy u, long seed) {
    java.util.Random r = new java.util.Random(seed);
    int n = 200_000;
    double s = 0;
    for (int i = 0; i < n; i++) {
      double x = r.nextGaussian(), y = r.nextGaussian();
      s += -Math.log(2 * Math.PI) - 0.5 * (x * x + y * y) + u.value(x, y);
    }
    return s / n;
  }

  @Override
  public Integer call() throws Exception {
    Energy u = Energy.parse(energy);
    if (!flow.equals("planar") && !flow.equals("radial"))
      throw new IllegalArgumentException("--flow must be planar or radial for variational inference, got " + flow);
    Require.atLeast("--layers", layers, 1);
    Require.atLeast("--iterations", iterations, 1);
    Require.atLeast("--batch", batch, 1);
    Require.positive("--lr", lr);
    Require.atLeast("--anneal", anneal, 0);
    if (out != null) Require.path("--out", out);
    Path dir = out != null ? out : Path.of("runs", "vi-" + u.name().toLowerCase() + "-" + flow);
    Files.createDirectories(dir);
    try (Backend be = backendOption.open(); VectorFlow f = VectorFlow.preset(be, flow, 2, layers, seed, lr)) {
      Progress progress = new Progress("vi " + u + " " + flow);
      double base = baseGaussianFreeEnergy(u, seed);
      double free = Double.NaN;
      for (int i = 0; i < iterations; i++) {
        double beta = anneal > 0 ? Math.min(1.0, 0.01 + (double) i / anneal) : 1.0;
        free = f.viStep(u, beta, batch, seed * 1_000_003L + i, 10f);
        progress.update((i + 1.0) / iterations, String.format("step %d, β %.2f, free energy %.3f", i + 1, beta, free));
      }
      progress.finish();
      double finalFree = 0;
      VectorFlow.Samples s = f.sampleWithLogDensity(20000, seed + 99);
      for (int i = 0; i < 20000; i++) finalFree += s.logDensity()[i] + u.value(s.samples()[2 * i], s.samples()[2 * i + 1]);
      finalFree /= 20000;
      System.out.printf("%s flow (K=%d) on %s: free energy E[log q + U] %.4f (standard normal base: %.4f)%n", flow, layers, u,
          finalFree, base);
      Files.writeString(dir.resolve("result.json"), String.format("{\"energy\": \"%s\", \"flow\": \"%s\", \"layers\": %d, "
          + "\"iterations\": %d, \"free_energy\": %.6f, \"base_gaussian_free_energy\": %.6f}%n", u, flow, layers, iterations, finalFree, base));
      PlotCanvas c = new PlotCanvas(360, 4, 2);
      c.heat(0, (x, y) -> Math.exp(-u.value(x, y)));
      c.title(0, "target exp(−" + u + ")");
      c.histogram(1, f.sampleWithLogDensity(200000, seed + 123).samples());
      c.title(1, flow + " flow K=" + layers + " (samples)");
      c.write(dir.resolve("target-vs-fit.png"));
    }
    System.out.println("wrote " + dir.resolve("target-vs-fit.png"));
    return 0;
  }
}
