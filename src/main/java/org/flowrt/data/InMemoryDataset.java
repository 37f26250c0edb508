package org.flowrt.data;

/** A dataset held as one byte array of CHW images. */
public final class InMemoryDataset implements ImageDataset {
  private final byte[] pixels;
  private final int[] labels;
  private final int channels;
  private final int height;
  private final int width;

  public InMemoryDataset(byte[] pixels, int[] labels, int channels, int height, int width) {
    int per = channels * height * width;
    if (per <= 0 || pixels.length % per != 0)
      throw new IllegalArgumentException(pixels.length + " bytes do not hold whole " + channels + "×" + height + "×" + width + " images");
    if (labels != null && labels.length != pixels.length / per)
      throw new IllegalArgumentException(labels.length + " labels for " + pixels.length / per + " images");
    this.pixels = pixels;
    this.labels = labels;
    this.channels = channels;
    this.height = height;
    this.width = width;
  }

  @Override
  public int size() {
    return pixels.length / pixels();
  }

  @Override
  public int channels() {
    return channels;
  }

  @Override
  public int height() {
    return height;
  }

  @Override
  public int width() {
    return width;
  }

  @Override
  public void image(int index, byte[] out) {
    System.arraycopy(pixels, index * pixels(), out, 0, pixels());
  }

  @Override
  public int label(int index) {
    return labels == null ? -1 : labels[index];
  }

  /** The first n images (for quick evaluations). */
  public InMemoryDataset head(int n) {
    int count = Math.min(n, size());
    byte[] p = java.util.Arrays.copyOf(pixels, count * pixels());
    return new InMemoryDataset(p, labels == null ? null : java.util.Arrays.copyOf(labels, count), channels, height, width);
  }
}
