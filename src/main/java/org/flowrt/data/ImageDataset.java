package org.flowrt.data;

/** Images of one size with 8-bit pixels, CHW order, and integer labels (−1 when unlabeled). */
public interface ImageDataset {
  int size();

  int channels();

  int height();

  int width();

  /** Copies image `index` (C·H·W bytes, unsigned pixels) into out. */
  void image(int index, byte[] out);

  int label(int index);

  default int pixels() {
    return channels() * height() * width();
  }
}
