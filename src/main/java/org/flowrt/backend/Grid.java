package org.flowrt.backend;

/** A launch's grid of blocks (the block size is the backend's {@link Backend#threadsPerBlock()}). */
public record Grid(int x, int y, int z) {
  public Grid {
    if (x < 1 || y < 1 || z < 1) throw new IllegalArgumentException("grid " + x + "×" + y + "×" + z + " has an empty side");
  }

  public static Grid of(int x) {
    return new Grid(x, 1, 1);
  }

  public static Grid of(int x, int y) {
    return new Grid(x, y, 1);
  }
}
