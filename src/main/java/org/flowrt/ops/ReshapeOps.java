package org.flowrt.ops;

import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.Kernel;

/** Squeeze/unsqueeze, channel split/concat and channel permutations (cuda/reshape.cu). */
public final class ReshapeOps {
  private ReshapeOps() {}

  /** The squeezed shape [N, 4C, H/2, W/2]; rejects odd sizes with a message naming them. */
  public static Nchw squeezed(Nchw s) {
    if (s.h() % 2 != 0 || s.w() % 2 != 0)
      throw new IllegalArgumentException("cannot squeeze " + s + ": height " + s.h() + " and width " + s.w()
          + " must both be divisible by 2");
    return new Nchw(s.n(), 4 * s.c(), s.h() / 2, s.w() / 2);
  }

  /** x [N, C, H, W] → y [N, 4C, H/2, W/2] (glow-spec §2). */
  public static void squeeze(Backend be, DeviceBuffer x, Nchw s, DeviceBuffer y) {
    Nchw out = squeezed(s);
    x.require(DType.F32, s.count(), "squeeze input " + s);
    y.require(DType.F32, out.count(), "squeeze output " + out);
    be.launch(Kernel.SQUEEZE, be.rowwise(4L * s.n() * s.c()), be.args().ptr(x).i32(s.n()).i32(s.c()).i32(s.h()).i32(s.w()).ptr(y));
  }

  /** y [N, 4C, H/2, W/2] → x [N, C, H, W]; `s` is the unsqueezed shape. Also squeeze's gradient. */
  public static void unsqueeze(Backend be, DeviceBuffer y, Nchw s, DeviceBuffer x) {
    Nchw in = squeezed(s);
    y.require(DType.F32, in.count(), "unsqueeze input " + in);
    x.require(DType.F32, s.count(), "unsqueeze output " + s);
    be.launch(Kernel.UNSQUEEZE, be.rowwise(4L * s.n() * s.c()), be.args().ptr(y).i32(s.n()).i32(s.c()).i32(s.h()).i32(s.w()).ptr(x));
  }

  /** Copies channels [srcFirst, srcFirst + count) of src (shape srcShape) into channels [dstFirst, …) of dst. */
  public static void copyChannels(Backend be, DeviceBuffer src, Nchw srcShape, int srcFirst, int count, DeviceBuffer dst,
      int dstChannels, int dstFirst) {
    if (srcFirst < 0 || count < 0 || srcFirst + count > srcShape.c() || dstFirst < 0 || dstFirst + count > dstChannels)
      throw new IndexOutOfBoundsException("channel copy [" + srcFirst + ", " + (srcFirst + count) + ") of " + srcShape
          + " into channel " + dstFirst + " of " + dstChannels);
    src.require(DType.F32, srcShape.count(), "channel copy source " + srcShape);
    dst.require(DType.F32, srcShape.withChannels(dstChannels).count(), "channel copy target");
    be.launch(Kernel.CHANNEL_COPY, be.rowwise((long) srcShape.n() * count), be.args().ptr(src).i32(srcShape.c()).i32(srcFirst).i32(count)
        .ptr(dst).i32(dstChannels).i32(dstFirst).i32(srcShape.n()).i32(srcShape.hw()));
  }

  /** z → (z1 = channels [0, c1), z2 = the rest). */
  public static void split(Backend be, DeviceBuffer z, Nchw s, int c1, DeviceBuffer z1, DeviceBuffer z2) {
    copyChannels(be, z, s, 0, c1, z1, c1, 0);
    copyChannels(be, z, s, c1, s.c() - c1, z2, s.c() - c1, 0);
  }

  /** (z1, z2) → z, the inverse of {@link #split}; s is the shape of z. */
  public static void concat(Backend be, DeviceBuffer z1, DeviceBuffer z2, Nchw s, int c1, DeviceBuffer z) {
    copyChannels(be, z1, s.withChannels(c1), 0, c1, z, s.c(), 0);
    copyChannels(be, z2, s.withChannels(s.c() - c1), 0, s.c() - c1, z, s.c(), c1);
  }

  /** y[:, c] = x[:, perm[c]]. The inverse (and gradient) uses the inverse permutation. */
  public static void permuteChannels(Backend be, DeviceBuffer x, DeviceBuffer perm, Nchw s, DeviceBuffer y) {
    x.require(DType.F32, s.count(), "permutation input " + s);
    y.require(DType.F32, s.count(), "permutation output " + s);
    perm.require(DType.I32, s.c(), "channel permutation");
    be.launch(Kernel.CHANNEL_PERMUTE, be.rowwise((long) s.n() * s.c()), be.args().ptr(x).ptr(perm).i32(s.n()).i32(s.c())
        .i32(s.hw()).ptr(y));
  }

  /** The inverse of a permutation given as an array (checks that it is one). */
  public static int[] inversePermutation(int[] perm) {
    int[] inv = new int[perm.length];
    java.util.Arrays.fill(inv, -1);
    for (int i = 0; i < perm.length; i++) {
      if (perm[i] < 0 || perm[i] >= perm.length || inv[perm[i]] != -1)
        throw new IllegalArgumentException("not a permutation of 0.." + (perm.length - 1) + ": " + java.util.Arrays.toString(perm));
      inv[perm[i]] = i;
    }
    return inv;
  }
}
