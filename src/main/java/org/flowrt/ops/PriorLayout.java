package org.flowrt.ops;

import org.flowrt.backend.KernelCode;

/** Where a prior's mean and log-std sit in its parameter tensor h (glow-spec §5; codes match cuda/prior.cu). */
public enum PriorLayout implements KernelCode {
  /** mean = h[:, 0::2], logs = h[:, 1::2] — split priors. */
  INTERLEAVED(0),
  /** mean = h[:, :C], logs = h[:, C:] — the top prior. */
  HALVES(1);

  private final int code;

  PriorLayout(int code) {
    this.code = code;
  }

  @Override
  public int code() {
    return code;
  }
}
