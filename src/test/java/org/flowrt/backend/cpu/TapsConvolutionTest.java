package org.flowrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.flowrt.backend.ConvShape;
import org.flowrt.backend.ConvTaps.Side;
import org.flowrt.testing.TestBackends;
import org.junit.jupiter.api.Test;

/**
 * Which convolutions the CPU backend recasts as 1×1 convolutions of taps (their results are checked
 * against the float64 reference by ConvSuite, whose shapes include both sides).
 */
class TapsConvolutionTest {
  @Test
  void configAsFewChannelConvolutionsAreRecastAndTheOthersAreNot() {
    assertEquals(Side.OUTPUT, TapsConvolution.sideFor(new ConvShape(64, 128, 16, 16, 4, 3)), "zero-conv, 4 outputs");
    assertEquals(Side.INPUT, TapsConvolution.sideFor(new ConvShape(64, 2, 16, 16, 128, 3)), "first conv, 2 inputs");
    assertEquals(Side.INPUT, TapsConvolution.sideFor(new ConvShape(64, 4, 8, 8, 128, 3)), "first conv, 4 inputs");
    assertEquals(Side.OUTPUT, TapsConvolution.sideFor(new ConvShape(64, 128, 8, 8, 8, 3)), "zero-conv, 8 outputs");
    assertEquals(Side.INPUT, TapsConvolution.sideFor(new ConvShape(16, 6, 16, 16, 128, 3)), "first conv, 6 inputs");
    assertEquals(Side.OUTPUT, TapsConvolution.sideFor(new ConvShape(16, 128, 16, 16, 12, 3)), "zero-conv, 12 outputs");
    assertEquals(Side.INPUT, TapsConvolution.sideFor(new ConvShape(16, 12, 8, 8, 128, 3)), "first conv, 12 inputs at 8×8");
    // measured no gain or slower recast
    assertNull(TapsConvolution.sideFor(new ConvShape(64, 128, 4, 4, 16, 3)), "zero-conv, 16 outputs");
    assertNull(TapsConvolution.sideFor(new ConvShape(16, 128, 8, 8, 24, 3)), "zero-conv, 24 outputs");
    assertNull(TapsConvolution.sideFor(new ConvShape(64, 8, 4, 4, 128, 3)), "first conv, 8 inputs at 4×4");
    assertNull(TapsConvolution.sideFor(new ConvShape(16, 12, 8, 8, 24, 3)), "12 inputs, few outputs");
    assertNull(TapsConvolution.sideFor(new ConvShape(16, 24, 8, 8, 128, 3)), "first conv, 24 inputs");
    assertNull(TapsConvolution.sideFor(new ConvShape(64, 128, 16, 16, 128, 1)), "1×1");
    assertNull(TapsConvolution.sideFor(new ConvShape(1, 2, 3, 3, 2, 3)), "both sides small");
  }

  /**
   * Which convolutions run forward and backward data in pieces of the batch on the workers: about
   * four pieces a worker, at least 16 MFLOP a piece, at least two pieces. ConvSuite's last two shapes
   * are 3 + 3 and 2 + 2 + 1 images (checked against the float64 reference there).
   */
  @Test
  void piecesOfTheBatch() {
    assertEquals(8, DnnlConvolution.imagesPerPiece(new ConvShape(64, 128, 16, 16, 128, 1), 2), "config A's 1×1 at 16×16");
    assertEquals(31, DnnlConvolution.imagesPerPiece(new ConvShape(64, 128, 4, 4, 128, 1), 2), "at 4×4: 31 images for 16 MFLOP");
    assertEquals(3, DnnlConvolution.imagesPerPiece(new ConvShape(6, 96, 16, 16, 128, 1), 2));
    assertEquals(2, DnnlConvolution.imagesPerPiece(new ConvShape(5, 128, 16, 16, 128, 1), 2));
    assertEquals(3, DnnlConvolution.imagesPerPiece(new ConvShape(3, 12, 3, 5, 96, 1), 2), "tiny: the whole batch");
    assertEquals(1, DnnlConvolution.imagesPerPiece(new ConvShape(1, 128, 16, 16, 128, 1), 2), "batch 1: the whole batch");
    var be = TestBackends.cpu();
    assumeTrue(be.parallelism() > 1, "one thread: no workers to share pieces");
    assertTrue(((DnnlConvolution) be.convolution(new ConvShape(6, 96, 16, 16, 128, 1))).runsInPieces());
    assertTrue(((DnnlConvolution) be.convolution(new ConvShape(5, 128, 16, 16, 128, 1))).runsInPieces());
    assertFalse(((DnnlConvolution) be.convolution(new ConvShape(3, 12, 3, 5, 96, 1))).runsInPieces(), "too little work");
    assertFalse(((DnnlConvolution) be.convolution(new ConvShape(2, 7, 4, 4, 13, 3))).runsInPieces(), "3×3: reorders");
  }

  @Test
  void convSuitesShapesTakeBothPaths() {
    var be = TestBackends.cpu();
    assertInstanceOf(TapsConvolution.class, be.convolution(new ConvShape(2, 7, 5, 3, 4, 3)));
    assertInstanceOf(TapsConvolution.class, be.convolution(new ConvShape(3, 2, 6, 5, 13, 3)));
    assertInstanceOf(DnnlConvolution.class, be.convolution(new ConvShape(2, 7, 4, 4, 13, 3)));
  }
}
