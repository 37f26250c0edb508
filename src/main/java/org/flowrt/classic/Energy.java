package org.flowrt.classic;

/**
 * The four unnormalized 2-D test densities exp(−U) of Rezende & Mohamed (2015), Table 1.
 * Gradients by central differences in double (step 1e-6: error ~1e-10, far below what VI needs).
 */
public enum Energy {
  U1 {
    @Override
    public double value(double z1, double z2) {
      double r = Math.hypot(z1, z2);
      return 0.5 * sq((r - 2) / 0.4) - logAddExp(-0.5 * sq((z1 - 2) / 0.6), -0.5 * sq((z1 + 2) / 0.6));
    }
  },
  U2 {
    @Override
    public double value(double z1, double z2) {
      return 0.5 * sq((z2 - w1(z1)) / 0.4);
    }
  },
  U3 {
    @Override
    public double value(double z1, double z2) {
      return -logAddExp(-0.5 * sq((z2 - w1(z1)) / 0.35), -0.5 * sq((z2 - w1(z1) + w2(z1)) / 0.35));
    }
  },
  U4 {
    @Override
    public double value(double z1, double z2) {
      return -logAddExp(-0.5 * sq((z2 - w1(z1)) / 0.4), -0.5 * sq((z2 - w1(z1) + w3(z1)) / 0.35));
    }
  };

  public abstract double value(double z1, double z2);

  public double[] gradient(double z1, double z2) {
    double h = 1e-6;
    return new double[] {(value(z1 + h, z2) - value(z1 - h, z2)) / (2 * h), (value(z1, z2 + h) - value(z1, z2 - h)) / (2 * h)};
  }

  public static Energy parse(String s) {
    return switch (s.toLowerCase(java.util.Locale.ROOT)) {
      case "1", "u1" -> U1;
      case "2", "u2" -> U2;
      case "3", "u3" -> U3;
      case "4", "u4" -> U4;
      default -> throw new IllegalArgumentException("unknown energy '" + s + "': expected 1, 2, 3 or 4");
    };
  }

  /** log(e^a + e^b) without overflow or underflow. */
  static double logAddExp(double a, double b) {
    double m = Math.max(a, b);
    return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
  }

  static double sq(double x) {
    return x * x;
  }

  static double w1(double z1) {
    return Math.sin(2 * Math.PI * z1 / 4);
  }

  static double w2(double z1) {
    return 3 * Math.exp(-0.5 * sq((z1 - 1) / 0.6));
  }

  static double w3(double z1) {
    return 3 / (1 + Math.exp(-(z1 - 1) / 0.3));
  }
}
