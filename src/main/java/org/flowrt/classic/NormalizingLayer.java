package org.flowrt.classic;

/** A layer closed-form both ways that trains in the normalizing direction (couplings, actnorm). */
abstract class NormalizingLayer implements VectorLayer {
  @Override
  public boolean evaluates(Direction direction) {
    return true;
  }

  @Override
  public boolean trains(Direction direction) {
    return direction == Direction.NORMALIZING;
  }

  /** Throws unless the direction is the one this layer has gradients in. */
  void requireTrainable(Direction direction) {
    if (direction != Direction.NORMALIZING)
      throw new DirectionException(describe() + " has gradients only in the normalizing direction (data → base)");
  }
}
