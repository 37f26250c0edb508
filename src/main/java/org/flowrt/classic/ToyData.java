package org.flowrt.classic;

import java.util.Locale;
import java.util.Random;

/** 2-D toy densities, each scaled to about [−3, 3]². */
public enum ToyData {
  MOONS,
  RINGS,
  EIGHT_GAUSSIANS,
  CHECKERBOARD;

  public static ToyData parse(String s) {
    return switch (s.toLowerCase(Locale.ROOT)) {
      case "moons", "two-moons" -> MOONS;
      case "rings", "circles" -> RINGS;
      case "8gaussians", "8-gaussians", "eight-gaussians" -> EIGHT_GAUSSIANS;
      case "checkerboard" -> CHECKERBOARD;
      default -> throw new IllegalArgumentException("unknown toy data '" + s + "': expected moons, rings, 8gaussians or checkerboard");
    };
  }

  /** n points as [x0, y0, x1, y1, …]. */
  public float[] sample(int n, Random r) {
    float[] out = new float[2 * n];
    for (int i = 0; i < n; i++) {
      double x, y;
      switch (this) {
        case MOONS -> {
          double t = Math.PI * r.nextDouble();
          if (r.nextBoolean()) {
            x = Math.cos(t);
            y = Math.sin(t);
          } else {
            x = 1 - Math.cos(t);
            y = 0.5 - Math.sin(t);
          }
          x = 2 * (x - 0.5) + 0.1 * r.nextGaussian();
          y = 2 * (y - 0.25) + 0.1 * r.nextGaussian();
        }
        case RINGS -> {
          double t = 2 * Math.PI * r.nextDouble(), radius = r.nextBoolean() ? 1 : 2.5;
          x = radius * Math.cos(t) + 0.08 * r.nextGaussian();
          y = radius * Math.sin(t) + 0.08 * r.nextGaussian();
        }
        case EIGHT_GAUSSIANS -> {
          double t = 2 * Math.PI * r.nextInt(8) / 8;
          x = 2 * Math.cos(t) + 0.2 * r.nextGaussian();
          y = 2 * Math.sin(t) + 0.2 * r.nextGaussian();
        }
        default -> {
          double a = 4 * r.nextDouble() - 2;
          double b = r.nextDouble() - r.nextInt(2) * 2;
          x = a;
          y = b + (Math.floorMod((int) Math.floor(a), 2));
          x *= 1.4;
          y *= 1.4;
        }
      }
      out[2 * i] = (float) x;
      out[2 * i + 1] = (float) y;
    }
    return out;
  }
}
