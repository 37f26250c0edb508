package org.flowrt.ops;

import org.flowrt.backend.KernelCode;

/** Which part of z conditions the rest (glow-spec §4; codes match cuda/coupling.cu). */
public enum CouplingMask implements KernelCode {
  /** Channels [0, C/2) condition channels [C/2, C) (parity 1: the last C/2 condition the first C − C/2). */
  CHANNEL(0),
  /** Positions with (i + j + parity) odd condition the even ones, every channel. */
  CHECKERBOARD(1);

  private final int code;

  CouplingMask(int code) {
    this.code = code;
  }

  @Override
  public int code() {
    return code;
  }

  /** Channels of the conditioner tensor fed to the coupling network. */
  public int conditionerChannels(int c) {
    return this == CHANNEL ? c / 2 : c;
  }

  /** Channels the coupling transforms. */
  public int transformedChannels(int c) {
    return this == CHANNEL ? c - c / 2 : c;
  }
}
