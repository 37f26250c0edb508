package org.flowrt.cli;

import java.util.function.Predicate;
import org.flowrt.glow.Architecture;
import org.flowrt.glow.GlowConfig;
import org.flowrt.glow.Permutation;
import org.flowrt.ops.CouplingKind;
import org.flowrt.ops.CouplingMask;
import picocli.CommandLine.Option;

/** Model architecture options; defaults are glow-spec's (except where a command overrides them). */
final class ModelOptions {
  @Option(names = "--preset", description = "glow (default), or realnvp: the RealNVP multi-scale layout (checkerboard then channel couplings per scale, exp(tanh) scales, no permutation, standard-normal top); --steps is then the couplings per half-scale (RealNVP: 3) and --coupling/--scale/--mask/--permutation/--no-learn-top do not apply")
  String preset = "glow";

  @Option(names = "--levels", description = "levels L (default ${DEFAULT-VALUE})")
  int levels = 3;

  @Option(names = "--steps", description = "flow steps K per level (default ${DEFAULT-VALUE})")
  int steps = 32;

  @Option(names = "--width", description = "coupling network width (default ${DEFAULT-VALUE})")
  int width = 512;

  @Option(names = "--coupling", description = "affine or additive (default ${DEFAULT-VALUE})")
  String coupling = "affine";

  @Option(names = "--scale", description = "affine scale: sigmoid (reference code) or exp (paper) (default ${DEFAULT-VALUE})")
  String scale = "sigmoid";

  @Option(names = "--mask", description = "channel or checkerboard (default ${DEFAULT-VALUE})")
  String mask = "channel";

  @Option(names = "--permutation", description = "invconv, invconv-lu, reverse or shuffle (default ${DEFAULT-VALUE})")
  String permutation = "invconv";

  @Option(names = "--no-edge-bias", description = "turn off the edge-bias channel of the 3×3 convolutions")
  boolean noEdgeBias;

  @Option(names = "--no-learn-top", description = "fixed standard-normal top prior instead of a learned one")
  boolean noLearnTop;

  @Option(names = "--n-bits", description = "bits per pixel value kept (default ${DEFAULT-VALUE})")
  int nBits = 8;

  /** Checks the options that do not depend on the data (levels against the image size is GlowConfig's check). */
  void validate() {
    Require.oneOf("--preset", preset, "glow", "realnvp");
    if (levels < 1 || levels > 15)
      throw new IllegalArgumentException("--levels must be in 1..15, got " + levels + ": each level halves the image side, and the"
          + " image must be divisible by 2^levels (2^15 = 32768 pixels is the largest side)");
    Require.atLeast("--steps", steps, 1);
    Require.atLeast("--width", width, 1);
    Require.oneOf("--coupling", coupling, "affine", "additive");
    Require.oneOf("--scale", scale, "sigmoid", "exp");
    Require.oneOf("--mask", mask, "channel", "checkerboard");
    Permutation.parse(permutation);
    Require.between("--n-bits", nBits, 1, 8);
  }

  /** Takes every option the command line did not give from a saved config (resuming a run). */
  void adopt(GlowConfig c, Predicate<String> given) {
    if (!given.test("--preset")) preset = c.architecture() == Architecture.REALNVP ? "realnvp" : "glow";
    if (!given.test("--levels")) levels = c.levels();
    if (!given.test("--steps")) steps = c.steps();
    if (!given.test("--width")) width = c.hiddenWidth();
    if (!given.test("--coupling")) coupling = c.coupling() == CouplingKind.ADDITIVE ? "additive" : "affine";
    if (!given.test("--scale")) scale = c.coupling() == CouplingKind.AFFINE_EXP ? "exp" : "sigmoid";
    if (!given.test("--mask")) mask = c.mask() == CouplingMask.CHECKERBOARD ? "checkerboard" : "channel";
    if (!given.test("--permutation")) permutation = c.permutation().cliName();
    if (!given.test("--no-edge-bias")) noEdgeBias = !c.edgeBias();
    if (!given.test("--no-learn-top")) noLearnTop = !c.learnTop();
    if (!given.test("--n-bits")) nBits = c.nBits();
  }

  GlowConfig config(int channels, int height, int width) {
    if (preset.equals("realnvp")) {
      GlowConfig c = GlowConfig.realnvp(channels, height, width, levels, steps, this.width);
      return new GlowConfig(c.channels(), c.height(), c.width(), c.levels(), c.steps(), c.hiddenWidth(), c.coupling(), c.mask(),
          c.permutation(), !noEdgeBias, c.learnTop(), nBits, c.architecture(), 0, 0f);
    }
    if (!preset.equals("glow")) throw new IllegalArgumentException("--preset must be glow or realnvp, got " + preset);
    CouplingKind kind = switch (coupling) {
      case "additive" -> CouplingKind.ADDITIVE;
      case "affine" -> switch (scale) {
        case "sigmoid" -> CouplingKind.AFFINE_SIGMOID;
        case "exp" -> CouplingKind.AFFINE_EXP;
        default -> throw new IllegalArgumentException("--scale must be sigmoid or exp, got " + scale);
      };
      default -> throw new IllegalArgumentException("--coupling must be affine or additive, got " + coupling);
    };
    CouplingMask m = switch (mask) {
      case "channel" -> CouplingMask.CHANNEL;
      case "checkerboard" -> CouplingMask.CHECKERBOARD;
      default -> throw new IllegalArgumentException("--mask must be channel or checkerboard, got " + mask);
    };
    return new GlowConfig(channels, height, width, levels, steps, this.width, kind, m, Permutation.parse(permutation),
        !noEdgeBias, !noLearnTop, nBits, Architecture.GLOW, 0, 0f);
  }
}
