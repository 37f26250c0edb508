package org.flowrt.classic;

/** A stack was asked for a direction one of its layers cannot compute. */
public final class DirectionException extends IllegalStateException {
  public DirectionException(String message) {
    super(message);
  }
}
