package org.flowrt.glow;

/** How the backward pass gets each step's activations. */
public enum BackwardMode {
  /** Rebuild each step's input from its output and recompute its coupling network (default): memory flat in depth. */
  REVERSIBLE,
  /** Keep every step's activations from the forward pass: memory grows with depth. For comparison. */
  STORED
}
