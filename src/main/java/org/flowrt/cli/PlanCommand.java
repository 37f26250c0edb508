package org.flowrt.cli;

import java.util.Locale;
import java.util.concurrent.Callable;
import org.flowrt.backend.Backend;
import org.flowrt.backend.BackendKind;
import org.flowrt.backend.BackendOptions;
import org.flowrt.backend.Backends;
import org.flowrt.backend.ConvScratch;
import org.flowrt.backend.CountingBackend;
import org.flowrt.backend.OutOfDeviceMemoryException;
import org.flowrt.backend.cpu.CpuBackend;
import org.flowrt.backend.cuda.CudaProbe;
import org.flowrt.glow.BackwardMode;
import org.flowrt.glow.GlowConfig;
import org.flowrt.train.OptimizerKind;
import org.flowrt.train.Planner;
import org.flowrt.train.TrainSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Prints the device memory one training step needs, computed by replaying the step's allocations
 * on a byte-counting model of the backend (no data, no compute): parameters and gradients,
 * optimizer state, and the step's peak with activations, batch and scratch.
 */
@Command(name = "plan", mixinStandardHelpOptions = true,
    description = "Peak device memory of a training step, without running it (same model options as train).")
final class PlanCommand implements Callable<Integer> {
  @Mixin ModelOptions model;

  @Option(names = "--image-size", required = true, description = "square image side")
  int imageSize;

  @Option(names = "--channels", description = "image channels (default ${DEFAULT-VALUE})")
  int channels = 3;

  @Option(names = "--batch", description = "images per step (default ${DEFAULT-VALUE})")
  int batch = 64;

  @Option(names = "--store-activations", description = "plan the stored-activation backward instead of the reversible one")
  boolean storeActivations;

  @Option(names = "--optimizer", description = "adamax or adam (default ${DEFAULT-VALUE})")
  String optimizer = "adamax";

  @Option(names = "--polyak", description = "Polyak averaging decay (0 = off, default): an extra copy of the weights")
  float polyak;

  @Option(names = "--classes", description = "classes of a class-conditional model (0 = unconditional, default)")
  int classes;

  @Option(names = "--device", description = "cuda (default) or cpu: whose allocations to replay")
  String device = "cuda";

  @Option(names = "--multiprocessors", description = "CUDA: streaming multiprocessors, which size reduction buffers (default ${DEFAULT-VALUE}, an H100 SXM)")
  int multiprocessors = 132;

  @Option(names = "--memory", description = "device memory to plan against, e.g. 80GiB (default: unlimited)")
  String memory;

  @Option(names = "--fit-batch", description = "find the largest batch that fits in --memory")
  boolean fitBatch;

  @Override
  public Integer call() throws Exception {
    model.validate();
    Require.between("--image-size", imageSize, 1, 1 << 15);
    Require.between("--channels", channels, 1, 64);
    Require.between("--batch", batch, 1, 1 << 20);
    OptimizerKind.parse(optimizer);
    Require.fraction("--polyak", polyak, 0, 1);
    Require.between("--classes", classes, 0, 1 << 16);
    Require.oneOf("--device", device, "cuda", "cpu");
    Require.between("--multiprocessors", multiprocessors, 1, 4096);
    long capacity = memory == null ? Long.MAX_VALUE : bytes(memory);
    if (fitBatch && memory == null) throw new IllegalArgumentException("--fit-batch needs --memory");
    GlowConfig cfg = model.config(channels, imageSize, imageSize);
    if (classes > 0) cfg = cfg.withClasses(classes, 0.01f);
    // The real backend when it can run here (its geometry and convolution scratch are then exact);
    // without a GPU, a model of the CUDA backend.
    Backend real = device.equals("cpu") ? new CpuBackend()
        : CudaProbe.probe().available() ? Backends.open(BackendKind.CUDA, BackendOptions.defaults()) : null;
    try {
      System.out.printf("plan: Glow L=%d K=%d width %d on %d×%d×%d, %s, %s backward, %s%n", cfg.levels(), cfg.steps(), cfg.hiddenWidth(),
          channels, imageSize, imageSize, cfg.permutation().cliName(), storeActivations ? "stored" : "reversible",
          real != null ? real.description() + ", its geometry and convolution scratch replayed"
              : "CUDA backend model (256 threads per block, " + multiprocessors + " multiprocessors)");
      if (fitBatch) {
        // The bound must fit, not just a healthy step: a step whose rebuilds fail must not run out of memory.
        int fits = largestBatch(cfg, real, capacity);
        if (fits == 0) {
          System.out.printf("batch 1 does not fit in %s%n", human(capacity));
          return 1;
        }
        System.out.printf("largest batch whose bound fits in %s: %d%n", human(capacity), fits);
        batch = fits;
      }
      Planner.Plan p;
      try (CountingBackend be = counting(real, capacity)) {
        p = Planner.plan(be, cfg, settings(batch));
      } catch (OutOfDeviceMemoryException e) {
        System.out.printf("does not fit: %s%n", e.getMessage());
        return 1;
      }
      System.out.printf("  parameters        %,d%n", p.parameters());
      System.out.printf("  model             %s  (parameters, gradients, permutations)%n", human(p.modelBytes()));
      System.out.printf("  optimizer state   %s  (%s moments%s)%n", human(p.optimizerBytes()), optimizer, polyak > 0 ? ", Polyak average" : "");
      System.out.printf("  step, batch %-5d %s  (activations, batch, scratch at the peak)%n", batch, human(p.stepBytes()));
      System.out.printf("  peak              %s  (%d bytes)%n", human(p.peakBytes()), p.peakBytes());
      if (!storeActivations)
        System.out.printf("  bound             %s  (%d bytes: the peak when every segment's rebuild fails and is repaired)%n",
            human(p.worstRepairPeakBytes()), p.worstRepairPeakBytes());
      if (real == null)
        System.out.println("assumes: cuDNN convolution workspaces of 0 bytes (their sizes depend on the algorithm cuDNN picks on the"
            + " GPU) and the caching pool's size classes; the CUDA context itself (~0.5 GiB) is not device memory flowrt allocates");
      return 0;
    } finally {
      if (real != null) real.close();
    }
  }

  private TrainSettings settings(int n) {
    return TrainSettings.defaults(n, 1).withWarmupImages(0).with(OptimizerKind.parse(optimizer), 1e-3f, 0, polyak,
        storeActivations ? BackwardMode.STORED : BackwardMode.REVERSIBLE, 1);
  }

  private CountingBackend counting(Backend real, long capacity) {
    return real != null ? CountingBackend.of(real, capacity)
        : new CountingBackend(BackendKind.CUDA, 256, multiprocessors * 8, ConvScratch.NONE, capacity);
  }

  private boolean fits(GlowConfig cfg, Backend real, long capacity, int n) {
    try (CountingBackend be = counting(real, capacity)) {
      Planner.plan(be, cfg, settings(n));
      return true;
    } catch (OutOfDeviceMemoryException e) {
      return false;
    }
  }

  /** Doubling, then bisection: the largest batch whose step fits (0 when batch 1 does not). */
  private int largestBatch(GlowConfig cfg, Backend real, long capacity) {
    if (!fits(cfg, real, capacity, 1)) return 0;
    int lo = 1, hi = 2;
    while (hi <= (1 << 20) && fits(cfg, real, capacity, hi)) {
      lo = hi;
      hi *= 2;
    }
    while (hi - lo > 1) {
      int mid = lo + (hi - lo) / 2;
      if (fits(cfg, real, capacity, mid)) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  /** "80GiB", "80GB", "512MiB", "1000000" (bytes). */
  static long bytes(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    String[][] units = {{"tib", "1099511627776"}, {"gib", "1073741824"}, {"mib", "1048576"}, {"kib", "1024"}, {"tb", "1000000000000"},
        {"gb", "1000000000"}, {"mb", "1000000"}, {"kb", "1000"}, {"b", "1"}};
    for (String[] u : units)
      if (t.endsWith(u[0])) return scaled("--memory", t.substring(0, t.length() - u[0].length()), Long.parseLong(u[1]), text);
    return scaled("--memory", t, 1, text);
  }

  private static long scaled(String option, String number, long unit, String text) {
    try {
      double v = Double.parseDouble(number.trim());
      if (!(v > 0) || v * unit >= Long.MAX_VALUE) throw new NumberFormatException();
      return (long) (v * unit);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " must be a size such as 80GiB or 512MiB, got '" + text + "'");
    }
  }

  static String human(long bytes) {
    if (bytes == Long.MAX_VALUE) return "unlimited memory";
    if (bytes >= 1L << 30) return String.format("%.2f GiB", bytes / (double) (1L << 30));
    if (bytes >= 1L << 20) return String.format("%.1f MiB", bytes / (double) (1L << 20));
    return String.format("%.1f KiB", bytes / 1024.0);
  }
}
