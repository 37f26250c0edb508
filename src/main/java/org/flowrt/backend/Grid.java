package org.flowrt.backend;

/**
 * A launch's grid of blocks (the block size is the backend's {@link Backend#threadsPerBlock()}).
 * Checked against CUDA's limits here, on every backend, so a grid the GPU would refuse fails on the
 * CPU too: x up to 2³¹−1 blocks, y and z up to 65,535.
 */
public record Grid(int x, int y, int z) {
  public static final int MAX_Y_OR_Z = 65_535;

  public Grid {
    if (x < 1 || y < 1 || z < 1) throw new IllegalArgumentException("grid " + x + "×" + y + "×" + z + " has an empty side");
    if (y > MAX_Y_OR_Z || z > MAX_Y_OR_Z)
      throw new IllegalArgumentException("grid " + x + "×" + y + "×" + z + " exceeds CUDA's limit of " + MAX_Y_OR_Z
          + " blocks in y and z (put the large dimension on x)");
  }

  public static Grid of(int x) {
    return new Grid(x, 1, 1);
  }

  public static Grid of(int x, int y) {
    return new Grid(x, y, 1);
  }
}
