package org.flowrt.backend;

/**
 * A stride-1 'same' convolution: input [batch, inChannels, height, width], weights
 * [outChannels, inChannels, kernelSize, kernelSize] (odd size, zero padding kernelSize/2), output
 * [batch, outChannels, height, width]. No bias: flowrt's convolutions are followed by actnorm or by
 * the zero-conv's bias-and-scale kernel.
 */
public record ConvShape(int batch, int inChannels, int height, int width, int outChannels, int kernelSize) {
  public ConvShape {
    if (batch < 1 || inChannels < 1 || height < 1 || width < 1 || outChannels < 1)
      throw new IllegalArgumentException("convolution with an empty dimension: " + this);
    if (kernelSize < 1 || kernelSize % 2 == 0)
      throw new IllegalArgumentException("convolution kernel size must be odd, got " + kernelSize);
  }

  public int padding() {
    return kernelSize / 2;
  }

  public long inputCount() {
    return (long) batch * inChannels * height * width;
  }

  public long outputCount() {
    return (long) batch * outChannels * height * width;
  }

  public long weightCount() {
    return (long) outChannels * inChannels * kernelSize * kernelSize;
  }
}
