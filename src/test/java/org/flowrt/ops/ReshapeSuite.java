package org.flowrt.ops;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.reference.ReshapeRef;
import org.flowrt.testing.Check;
import org.flowrt.testing.Rand;
import org.junit.jupiter.api.Test;

/** cuda/reshape.cu: pure data movement, so every comparison is exact. */
public abstract class ReshapeSuite extends OpSuite {
  static final List<Nchw> SHAPES = List.of(new Nchw(1, 3, 4, 6), new Nchw(2, 1, 2, 2), new Nchw(3, 6, 8, 2),
      new Nchw(1, 48, 2, 4));

  protected ReshapeSuite(Backend be) {
    super(be);
  }

  @Test
  void squeezeMatchesSpecAndUnsqueezeInvertsIt() {
    Rand r = new Rand(41);
    for (Nchw s : SHAPES) {
      float[] x = r.normal(s.count(), 1);
      DeviceBuffer y = floats(s.count()), back = floats(s.count());
      ReshapeOps.squeeze(be, up(x), s, y);
      Check.exact("squeeze " + s, ReshapeRef.squeeze(x, s), down(y));
      ReshapeOps.unsqueeze(be, y, s, back);
      Check.exact("unsqueeze(squeeze(x)) " + s, x, down(back));
    }
  }

  @Test
  void squeezeRejectsOddSizes() {
    Nchw s = new Nchw(1, 3, 5, 4);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ReshapeOps.squeeze(be, floats(s.count()), s, floats(s.count())));
    assertTrue(e.getMessage().contains("height 5"), e.getMessage());
  }

  @Test
  void splitAndConcatAreInverse() {
    Rand r = new Rand(42);
    for (Nchw s : List.of(new Nchw(2, 6, 3, 5), new Nchw(1, 5, 2, 2), new Nchw(3, 96, 1, 3))) {
      int c1 = s.c() / 2;
      float[] z = r.normal(s.count(), 1);
      DeviceBuffer z1 = floats(s.withChannels(c1).count()), z2 = floats(s.withChannels(s.c() - c1).count());
      ReshapeOps.split(be, up(z), s, c1, z1, z2);
      float[] a = down(z1), b = down(z2);
      for (int n = 0; n < s.n(); n++)
        for (int c = 0; c < s.c(); c++)
          for (int p = 0; p < s.hw(); p++) {
            float want = z[(n * s.c() + c) * s.hw() + p];
            float got = c < c1 ? a[(n * c1 + c) * s.hw() + p] : b[(n * (s.c() - c1) + c - c1) * s.hw() + p];
            if (want != got) throw new AssertionError("split " + s + " at n=" + n + " c=" + c + " p=" + p);
          }
      DeviceBuffer back = floats(s.count());
      ReshapeOps.concat(be, z1, z2, s, c1, back);
      Check.exact("concat(split(z)) " + s, z, down(back));
    }
  }

  @Test
  void channelPermutationAndItsInverse() {
    Rand r = new Rand(43);
    for (Nchw s : List.of(new Nchw(2, 7, 3, 2), new Nchw(1, 12, 2, 2))) {
      int[] perm = r.permutation(s.c());
      float[] x = r.normal(s.count(), 1);
      DeviceBuffer y = floats(s.count()), back = floats(s.count());
      ReshapeOps.permuteChannels(be, up(x), up(perm), s, y);
      float[] got = down(y);
      for (int n = 0; n < s.n(); n++)
        for (int c = 0; c < s.c(); c++)
          for (int p = 0; p < s.hw(); p++)
            if (got[(n * s.c() + c) * s.hw() + p] != x[(n * s.c() + perm[c]) * s.hw() + p])
              throw new AssertionError("permute " + s + " channel " + c);
      ReshapeOps.permuteChannels(be, y, up(ReshapeOps.inversePermutation(perm)), s, back);
      Check.exact("inverse permutation " + s, x, down(back));
    }
  }
}
