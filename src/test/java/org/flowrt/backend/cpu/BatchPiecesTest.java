package org.flowrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.flowrt.backend.Backend;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.glow.Glow;
import org.flowrt.glow.GlowConfig;
import org.flowrt.glow.Permutation;
import org.flowrt.testing.Rand;
import org.junit.jupiter.api.Test;

/**
 * The CPU backend's pieces of the batch (CpuBackend.inPieces, which sampling's coupling networks run
 * in): how the batch is cut, that every image is covered once on a worker's own backend, and that a
 * model samples and decodes the same in pieces as whole. The same models' inverse(forward(x)) ≈ x and
 * samples are also checked by GlowSuite on the shared CPU backend, where the pieces are on.
 */
class BatchPiecesTest {
  private record Piece(Backend be, int first, int count) {}

  private static List<Piece> pieces(CpuBackend be, int batch, long bytesPerImage) {
    List<Piece> seen = Collections.synchronizedList(new ArrayList<>());
    be.inPieces(batch, bytesPerImage, (pb, first, count) -> seen.add(new Piece(pb, first, count)));
    List<Piece> sorted = new ArrayList<>(seen);
    sorted.sort((a, b) -> Integer.compare(a.first(), b.first()));
    int next = 0;
    for (Piece p : sorted) {
      assertEquals(next, p.first(), "pieces cover the batch once, in order: " + sorted);
      assertTrue(p.count() > 0, "no empty piece");
      next += p.count();
    }
    assertEquals(batch, next, "pieces cover the whole batch");
    return sorted;
  }

  @Test
  void theBatchIsCutByCacheSizeIntoPiecesOnTheWorkersOwnBackends() {
    try (CpuBackend be = new CpuBackend()) {
      assumeTrue(be.parallelism() > 1, "one thread: the batch runs whole");
      long level1 = 128L * 16 * 16 * Float.BYTES;  // config A's level-1 hidden activation of one image: 128 KiB
      List<Piece> a = pieces(be, 64, level1);
      assertEquals(16, a.size(), "512 KiB pieces: 4 images each");
      for (Piece p : a) {
        assertEquals(4, p.count());
        assertNotSame(be, p.be(), "a piece runs on its worker's backend");
      }
      assertEquals(be.parallelism() * 2, pieces(be, 64, 1024).size(), "small images: two pieces per worker at least");
      assertEquals(3, pieces(be, 3, level1).size(), "a batch of 3: pieces of one image");
      List<Piece> one = pieces(be, 1, level1);
      assertEquals(1, one.size(), "a batch of 1 runs whole");
      assertSame(be, one.get(0).be(), "on the backend itself");
      be.batchPieces(false);
      List<Piece> off = pieces(be, 64, level1);
      assertEquals(1, off.size(), "switched off: the whole batch");
      assertSame(be, off.get(0).be());
    }
  }

  /**
   * Both ways run the same single-image GEMMs and elementwise kernels, so samples and decodes are
   * expected equal bit for bit; assertArrayEquals with 1e-6 leaves oneDNN room to block a GEMM
   * differently for a piece's batch size, far below the flow's own inverse error (GlowSuite).
   */
  @Test
  void samplesAndDecodesAreTheSameInPiecesAsWhole() {
    try (CpuBackend be = new CpuBackend()) {
      assumeTrue(be.parallelism() > 1, "one thread: the batch runs whole");
      GlowConfig cfg = GlowConfig.defaults(1, 16, 16, 2, 2).withWidth(24).withPermutation(Permutation.INVCONV_LU);
      int n = 13;  // odd: a last piece smaller than the others
      float[] images = new Rand(3).uniform((int) (n * cfg.dimensions()), -0.5f, 0.5f);
      try (DeviceBuffer x = be.uploadNew(images); Glow glow = new Glow(be, cfg, 5)) {
        glow.initialize(x, n);
        float[][] samples = new float[2][], decoded = new float[2][];
        for (int way = 0; way < 2; way++) {
          be.batchPieces(way == 0);
          try (DeviceBuffer s = glow.sample(n, 0.7f, 11); var z = glow.encode(x, n); DeviceBuffer back = glow.decode(z)) {
            samples[way] = be.downloadFloats(s);
            decoded[way] = be.downloadFloats(back);
          }
        }
        assertArrayEquals(samples[1], samples[0], 1e-6f, "samples in pieces against whole");
        assertArrayEquals(decoded[1], decoded[0], 1e-6f, "decodes in pieces against whole");
        for (int i = 0; i < images.length; i++)
          assertEquals(images[i], decoded[0][i], 1e-3f, "decode(encode(x)) ≈ x in pieces, value " + i);
      }
    }
  }
}
