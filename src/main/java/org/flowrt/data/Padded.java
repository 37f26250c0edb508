package org.flowrt.data;

/** Centers each image in a larger canvas of zero pixels (Fashion-MNIST 28×28 → 32×32). */
public final class Padded implements ImageDataset {
  private final ImageDataset base;
  private final int height;
  private final int width;
  private final byte[] scratch;

  public Padded(ImageDataset base, int height, int width) {
    if (height < base.height() || width < base.width())
      throw new IllegalArgumentException("cannot pad " + base.height() + "×" + base.width() + " images to a smaller " + height + "×" + width);
    this.base = base;
    this.height = height;
    this.width = width;
    this.scratch = new byte[base.pixels()];
  }

  @Override
  public int size() {
    return base.size();
  }

  @Override
  public int channels() {
    return base.channels();
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
  public synchronized void image(int index, byte[] out) {
    base.image(index, scratch);
    java.util.Arrays.fill(out, 0, pixels(), (byte) 0);
    int top = (height - base.height()) / 2, left = (width - base.width()) / 2;
    for (int c = 0; c < channels(); c++)
      for (int i = 0; i < base.height(); i++)
        System.arraycopy(scratch, (c * base.height() + i) * base.width(), out, (c * height + top + i) * width + left, base.width());
  }

  @Override
  public int label(int index) {
    return base.label(index);
  }
}
