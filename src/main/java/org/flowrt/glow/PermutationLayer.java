package org.flowrt.glow;

import java.util.Random;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.ops.InvConvOps;
import org.flowrt.ops.Nchw;
import org.flowrt.ops.ReshapeOps;

/** The flow step's permutation: invconv, its LU form, or a fixed channel permutation (glow-spec §4). */
final class PermutationLayer {
  private final Permutation kind;
  private final int channels;
  private final ParameterStore store;
  private Param weight;
  private Param lower;
  private Param upper;
  private Param sign;
  private Param logS;
  private String perm;
  private String inversePerm;

  PermutationLayer(ParameterStore store, String name, int channels, Permutation kind, Random random) {
    this.kind = kind;
    this.channels = channels;
    this.store = store;
    int c = channels;
    // A store that holds no values (the planner) needs only the shapes: skip the O(C³) rotation
    // and LU factorization, and register identity orders (NONE draws nothing from `random`).
    boolean values = store.holdsValues();
    switch (kind) {
      case INVCONV -> weight = store.add(name + ".weight", new int[] {c, c}, () -> Init.toFloat(Init.rotation(random, c)));
      case INVCONV_LU -> {
        Init.Lu lu = values ? Init.lu(Init.rotation(random, c), c) : null;
        int[] p = values ? lu.perm() : Init.permutation(c, Permutation.NONE, random);
        perm = store.addIntegers(name + ".perm", p);
        inversePerm = store.addIntegers(name + ".inverse_perm", ReshapeOps.inversePermutation(p));
        lower = store.add(name + ".lower", new int[] {c, c}, () -> Init.toFloat(lu.lower()));
        upper = store.add(name + ".upper", new int[] {c, c}, () -> Init.toFloat(lu.upper()));
        sign = store.add(name + ".sign", new int[] {c}, () -> Init.toFloat(lu.sign()), false);
        logS = store.add(name + ".log_s", new int[] {c}, () -> Init.toFloat(lu.logS()));
      }
      case NONE, REVERSE, SHUFFLE -> {
        int[] p = Init.permutation(c, values ? kind : Permutation.NONE, random);
        perm = store.addIntegers(name + ".perm", p);
        inversePerm = store.addIntegers(name + ".inverse_perm", ReshapeOps.inversePermutation(p));
      }
    }
  }

  private boolean learned() {
    return kind == Permutation.INVCONV || kind == Permutation.INVCONV_LU;
  }

  /** The weight W as a buffer: the parameter itself, or composed from the LU factors (caller closes). */
  private DeviceBuffer composedWeight(Backend be) {
    if (kind == Permutation.INVCONV) return weight.value().slice(0, weight.count());
    DeviceBuffer w = be.allocate(DType.F32, (long) channels * channels);
    InvConvOps.luCompose(be, store.integerBuffer(perm), lower.value(), upper.value(), sign.value(), logS.value(), channels, w);
    return w;
  }

  /** The LU parametrization's W⁻¹ from its factors (caller closes). */
  private DeviceBuffer luInverse(Backend be) {
    DeviceBuffer wInv = be.allocate(DType.F32, (long) channels * channels);
    InvConvOps.luInvert(be, store.integerBuffer(perm), lower.value(), upper.value(), sign.value(), logS.value(), channels, wInv);
    return wInv;
  }

  /**
   * y = permute(x); y must not alias x. The LU form adds its log-det as H·W·Σ log_s (spec §4), the
   * plain invconv as H·W·log|det W| from a float64 LU of W.
   */
  void forward(Backend be, DeviceBuffer x, Nchw s, DeviceBuffer y, DeviceBuffer logdet) {
    if (!learned()) {
      ReshapeOps.permuteChannels(be, x, store.integerBuffer(perm), s, y);
      return;
    }
    try (DeviceBuffer w = composedWeight(be)) {
      if (kind == Permutation.INVCONV) {
        InvConvOps.forward(be, x, w, s, y, logdet);
      } else {
        InvConvOps.forward(be, x, w, s, y, null);
        if (logdet != null) InvConvOps.luLogdet(be, logS.value(), channels, s.hw(), logdet, s.n());
      }
    }
  }

  void inverse(Backend be, DeviceBuffer y, Nchw s, DeviceBuffer x, DeviceBuffer logdet) {
    if (!learned()) {
      ReshapeOps.permuteChannels(be, y, store.integerBuffer(inversePerm), s, x);
      return;
    }
    if (kind == Permutation.INVCONV_LU) {
      try (DeviceBuffer wInv = luInverse(be)) {
        InvConvOps.inverse(be, y, wInv, s, x, null);
        if (logdet != null) InvConvOps.luLogdet(be, logS.value(), channels, -s.hw(), logdet, s.n());
      }
      return;
    }
    try (DeviceBuffer w = composedWeight(be); DeviceBuffer wInv = be.allocate(DType.F32, (long) channels * channels)) {
      InvConvOps.invert(be, w, channels, wInv);
      InvConvOps.inverse(be, y, wInv, s, x, logdet);
    }
  }

  /**
   * From output y and its gradient dy: writes the input into xOut (rebuilt as W⁻¹·y, or copied from
   * `storedInput` when the stored-activation mode kept it), dx into dxOut, and the weight gradients.
   */
  void backward(Backend be, DeviceBuffer y, DeviceBuffer dy, Nchw s, DeviceBuffer xOut, DeviceBuffer dxOut,
      DeviceBuffer dlogdet, DeviceBuffer storedInput) {
    if (!learned()) {
      if (storedInput != null) be.copy(storedInput, xOut);
      else ReshapeOps.permuteChannels(be, y, store.integerBuffer(inversePerm), s, xOut);
      ReshapeOps.permuteChannels(be, dy, store.integerBuffer(inversePerm), s, dxOut);
      return;
    }
    long cc = (long) channels * channels;
    if (kind == Permutation.INVCONV_LU) {
      // W⁻¹ only to rebuild the input; the log-det's gradient goes straight to log_s.
      try (DeviceBuffer w = composedWeight(be); DeviceBuffer dw = be.allocate(DType.F32, cc)) {
        if (storedInput != null) {
          be.copy(storedInput, xOut);
        } else {
          try (DeviceBuffer wInv = luInverse(be)) {
            InvConvOps.inverse(be, y, wInv, s, xOut, null);
          }
        }
        InvConvOps.backwardData(be, dy, w, s, dxOut);
        InvConvOps.weightGrad(be, xOut, dy, null, null, s, dw);
        InvConvOps.luComposeBackward(be, store.integerBuffer(inversePerm), lower.value(), upper.value(), sign.value(),
            logS.value(), dw, channels, lower.grad(), upper.grad(), logS.grad());
        InvConvOps.luLogdetBackward(be, dlogdet, s.n(), s.hw(), channels, logS.grad());
      }
      return;
    }
    try (DeviceBuffer w = composedWeight(be); DeviceBuffer wInv = be.allocate(DType.F32, cc)) {
      InvConvOps.invert(be, w, channels, wInv);
      if (storedInput != null) be.copy(storedInput, xOut);
      else InvConvOps.inverse(be, y, wInv, s, xOut, null);
      InvConvOps.backwardData(be, dy, w, s, dxOut);
      InvConvOps.weightGrad(be, xOut, dy, wInv, dlogdet, s, weight.grad());
    }
  }
}
