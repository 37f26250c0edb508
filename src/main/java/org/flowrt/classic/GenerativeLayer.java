package org.flowrt.classic;

/** A layer closed-form (and trained) only from base to data: planar and radial flows. */
abstract class GenerativeLayer implements VectorLayer {
  @Override
  public boolean evaluates(Direction direction) {
    return direction == Direction.GENERATIVE;
  }

  @Override
  public boolean trains(Direction direction) {
    return direction == Direction.GENERATIVE;
  }

  /** Throws the refusal for the normalizing direction, naming this layer. */
  void requireGenerative(Direction direction) {
    if (direction != Direction.GENERATIVE)
      throw new DirectionException("a " + describe() + " is closed-form only in the generative direction z → x (its inverse"
          + " has no closed form): use it to sample and for variational inference, not for the density of given data");
  }
}
