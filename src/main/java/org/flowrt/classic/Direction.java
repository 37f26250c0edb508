package org.flowrt.classic;

/** The two directions of a flow on vectors. */
public enum Direction {
  /** data x → base z: gives the log-density of given data (density estimation). */
  NORMALIZING,
  /** base z → data x: gives samples and the density of the flow's own samples (variational inference). */
  GENERATIVE
}
