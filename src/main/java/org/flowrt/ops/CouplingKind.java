package org.flowrt.ops;

import org.flowrt.backend.KernelCode;

/** The coupling's transform (glow-spec §4; codes match cuda/coupling.cu). */
public enum CouplingKind implements KernelCode {
  /** y = x + shift (NICE); no log-det. */
  ADDITIVE(0),
  /** y = (x + shift)·sigmoid(h + 2) — Glow's reference code, the default. */
  AFFINE_SIGMOID(1),
  /** y = (x + shift)·exp(h) — the paper's formula. */
  AFFINE_EXP(2),
  /** y = (x + shift)·exp(tanh(h)) — RealNVP's bounded log-scale. */
  AFFINE_TANH(3);

  private final int code;

  CouplingKind(int code) {
    this.code = code;
  }

  @Override
  public int code() {
    return code;
  }

  /** Channels the coupling network must output for `transformed` transformed channels. */
  public int networkOutputs(int transformed) {
    return this == ADDITIVE ? transformed : 2 * transformed;
  }
}
