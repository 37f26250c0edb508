package org.flowrt.classic;

import java.util.Random;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.glow.Init;
import org.flowrt.glow.ParameterStore;
import org.flowrt.ops.Nchw;
import org.flowrt.ops.ReshapeOps;

/** A fixed permutation of the dimensions (reversed or shuffled): log-det 0, both directions, both gradients. */
final class PermutationVectorLayer implements VectorLayer {
  private final int dim;
  private final boolean shuffled;
  private final String perm;
  private final String inverse;
  private final ParameterStore store;

  PermutationVectorLayer(ParameterStore store, String name, int dim, boolean shuffle, Random random) {
    this.dim = dim;
    this.shuffled = shuffle;
    this.store = store;
    int[] p = Init.permutation(dim, shuffle, random);
    perm = store.addIntegers(name + ".perm", p);
    inverse = store.addIntegers(name + ".inverse_perm", ReshapeOps.inversePermutation(p));
  }

  @Override
  public String describe() {
    return shuffled ? "shuffle" : "reverse";
  }

  @Override
  public boolean evaluates(Direction direction) {
    return true;
  }

  @Override
  public boolean trains(Direction direction) {
    return true;
  }

  private DeviceBuffer permute(Backend be, DeviceBuffer x, int n, String which) {
    DeviceBuffer y = be.allocate(DType.F32, (long) n * dim);
    ReshapeOps.permuteChannels(be, x, store.integerBuffer(which), new Nchw(n, dim, 1, 1), y);
    return y;
  }

  @Override
  public DeviceBuffer apply(Backend be, Direction direction, DeviceBuffer x, int n, DeviceBuffer logdet) {
    return permute(be, x, n, direction == Direction.NORMALIZING ? perm : inverse);
  }

  @Override
  public DeviceBuffer backward(Backend be, Direction direction, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy,
      DeviceBuffer dlogdet, int n) {
    return permute(be, dy, n, direction == Direction.NORMALIZING ? inverse : perm);
  }
}
