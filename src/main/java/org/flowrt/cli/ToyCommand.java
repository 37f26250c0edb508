package org.flowrt.cli;

import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.Callable;
import org.flowrt.backend.Backend;
import org.flowrt.classic.ToyData;
import org.flowrt.classic.VectorFlow;
import org.flowrt.io.PlotCanvas;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Density estimation on 2-D toy data with a classic flow, then pictures: the learned density, samples
 * over the data, the data-space grid pushed through f and the latent grid pulled back through f⁻¹.
 */
@Command(name = "toy", mixinStandardHelpOptions = true, description = "Fit a flow to 2-D toy data and draw what it learned.")
final class ToyCommand implements Callable<Integer> {
  @Mixin BackendOption backendOption;

  @Option(names = "--data", description = "moons, rings, 8gaussians or checkerboard (default ${DEFAULT-VALUE})")
  String data = "moons";

  @Option(names = "--flow", description = "realnvp or nice (planar and radial flows have no closed-form inverse: see flowrt vi) (default ${DEFAULT-VALUE})")
  String flow = "realnvp";

  @Option(names = "--layers", description = "coupling layers (default ${DEFAULT-VALUE})")
  int layers = 8;

  @Option(names = "--hidden", description = "MLP width (default ${DEFAULT-VALUE})")
  int hidden = 64;

  @Option(names = "--iterations", description = "training steps (default ${DEFAULT-VALUE})")
  int iterations = 3000;

  @Option(names = "--batch", description = "points per step (default ${DEFAULT-VALUE})")
  int batch = 512;

  @Option(names = "--lr", description = "Adam learning rate (default ${DEFAULT-VALUE})")
  float lr = 2e-3f;

  @Option(names = "--seed", description = "default ${DEFAULT-VALUE}")
  long seed = 1;

  @Option(names = "--out", description = "output folder (default runs/toy-DATA-FLOW)")
  Path out;

  @Override
  public Integer call() throws Exception {
    ToyData toy = ToyData.parse(data);
    Require.atLeast("--layers", layers, 1);
    Require.atLeast("--hidden", hidden, 1);
    Require.atLeast("--iterations", iterations, 1);
    Require.atLeast("--batch", batch, 1);
    Require.positive("--lr", lr);
    if (out != null) Require.path("--out", out);
    Path dir = out != null ? out : Path.of("runs", "toy-" + data + "-" + flow);
    Files.createDirectories(dir);
    Random random = new Random(seed);
    float[] test = toy.sample(4096, new Random(seed + 1000));
    try (Backend be = backendOption.open(); VectorFlow f = VectorFlow.preset(be, flow, 2, layers, seed, lr)) {
      // Refuse a flow that cannot evaluate data densities before any work is done.
      f.logDensity(new float[] {0f, 0f}, 1);
      Progress progress = new Progress("toy " + data + " " + flow);
      double ll = Double.NaN;
      for (int i = 0; i < iterations; i++) {
        ll = f.densityStep(toy.sample(batch, random), batch, 10f);
        progress.update((i + 1.0) / iterations, String.format("step %d, train log-likelihood %.3f", i + 1, ll));
      }
      progress.finish();
      double testLl = mean(f.logDensity(test, 4096));
      double baseLl = VectorFlow.baseLogLikelihood(test, 2);
      System.out.printf("%s on %s: test log-likelihood %.4f nats/point (standard normal base: %.4f)%n", flow, data, testLl, baseLl);
      Files.writeString(dir.resolve("result.json"), String.format("{\"data\": \"%s\", \"flow\": \"%s\", \"iterations\": %d, "
          + "\"test_log_likelihood\": %.6f, \"base_gaussian_log_likelihood\": %.6f}%n", data, flow, iterations, testLl, baseLl));
      draw(f, test, dir);
    }
    System.out.println("wrote " + dir.resolve("density.png") + ", samples.png, grid-forward.png, grid-inverse.png");
    return 0;
  }

  static double mean(double[] v) {
    double s = 0;
    for (double x : v) s += x;
    return s / v.length;
  }

  private void draw(VectorFlow f, float[] test, Path dir) throws java.io.IOException {
    double extent = 4;
    PlotCanvas density = new PlotCanvas(360, extent, 1);
    int s = density.size();
    float[] grid = new float[2 * s * s];
    for (int j = 0; j < s; j++)
      for (int i = 0; i < s; i++) {
        grid[2 * (j * s + i)] = (float) density.coordinate(i);
        grid[2 * (j * s + i) + 1] = (float) density.coordinate(s - 1 - j);
      }
    double[] logp = f.logDensity(grid, s * s);
    double[] p = new double[logp.length];
    for (int k = 0; k < p.length; k++) p[k] = Math.exp(logp[k]);
    density.heat(0, p);
    density.title(0, "learned density p(x)");
    density.write(dir.resolve("density.png"));

    PlotCanvas samples = new PlotCanvas(360, extent, 1);
    samples.points(0, test, new Color(150, 150, 150), 1);
    samples.points(0, f.sample(2048, seed + 7), new Color(200, 30, 30), 1);
    samples.title(0, "data (grey) and flow samples (red)");
    samples.write(dir.resolve("samples.png"));

    warp(dir.resolve("grid-forward.png"), "data grid pushed through f (data → latent)", xy -> f.normalize(xy, xy.length / 2), 3, extent);
    warp(dir.resolve("grid-inverse.png"), "latent grid pulled back through f⁻¹ (latent → data)", xy -> f.generate(xy, xy.length / 2), 3, extent);
  }

  /** Lines of a square grid over [−half, half]², mapped and drawn. */
  private static void warp(Path path, String title, java.util.function.UnaryOperator<float[]> map, double half, double extent)
      throws java.io.IOException {
    PlotCanvas c = new PlotCanvas(360, extent, 1);
    int lines = 25, points = 200;
    for (int axis = 0; axis < 2; axis++)
      for (int l = 0; l < lines; l++) {
        float[] xy = new float[2 * points];
        double fixed = -half + 2 * half * l / (lines - 1);
        for (int k = 0; k < points; k++) {
          double t = -half + 2 * half * k / (points - 1);
          xy[2 * k] = (float) (axis == 0 ? t : fixed);
          xy[2 * k + 1] = (float) (axis == 0 ? fixed : t);
        }
        c.line(0, map.apply(xy), axis == 0 ? new Color(30, 90, 200) : new Color(200, 60, 30));
      }
    c.title(0, title);
    c.write(path);
  }
}
