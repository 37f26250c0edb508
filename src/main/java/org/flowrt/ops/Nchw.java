package org.flowrt.ops;

/** The shape of an NCHW float tensor: batch, channels, height, width. */
public record Nchw(int n, int c, int h, int w) {
  public Nchw {
    if (n < 1 || c < 1 || h < 1 || w < 1) throw new IllegalArgumentException("tensor shape with an empty dimension: " + n + "×" + c + "×" + h + "×" + w);
  }

  public int hw() {
    return h * w;
  }

  public long count() {
    return (long) n * c * h * w;
  }

  /** Elements per sample. */
  public long perSample() {
    return (long) c * h * w;
  }

  public Nchw withChannels(int channels) {
    return new Nchw(n, channels, h, w);
  }

  @Override
  public String toString() {
    return "[" + n + ", " + c + ", " + h + ", " + w + "]";
  }
}
