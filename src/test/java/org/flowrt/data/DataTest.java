package org.flowrt.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dataset readers, padding, preprocessing and the batch loader, on files the test writes itself. */
class DataTest {
  @TempDir Path dir;

  private static void writeIdx(Path p, boolean gzip, int magic, int[] dims, byte[] data) throws IOException {
    try (OutputStream raw = Files.newOutputStream(p); OutputStream o = gzip ? new GZIPOutputStream(raw) : raw;
        DataOutputStream out = new DataOutputStream(o)) {
      out.writeInt(magic);
      for (int d : dims) out.writeInt(d);
      out.write(data);
    }
  }

  private byte[] pixels(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) b[i] = (byte) (i * 37 + 11);
    return b;
  }

  @Test
  void idxFilesGzippedOrNot() throws IOException {
    byte[] img = pixels(3 * 5 * 4);
    writeIdx(dir.resolve("train-images-idx3-ubyte.gz"), true, 0x803, new int[] {3, 5, 4}, img);
    writeIdx(dir.resolve("train-labels-idx1-ubyte.gz"), true, 0x801, new int[] {3}, new byte[] {7, 1, 9});
    writeIdx(dir.resolve("t10k-images-idx3-ubyte"), false, 0x803, new int[] {3, 5, 4}, img);
    ImageDataset train = Datasets.open(dir, Datasets.Split.TRAIN, 1, 8, 8);
    ImageDataset test = Datasets.open(dir, Datasets.Split.TEST, 1, 8, 8);
    assertEquals(3, train.size());
    assertEquals(5, train.height());
    assertEquals(9, train.label(2));
    assertEquals(-1, test.label(0));
    byte[] one = new byte[20];
    test.image(1, one);
    assertArrayEquals(java.util.Arrays.copyOfRange(img, 20, 40), one);
  }

  @Test
  void truncatedOrForeignFilesAreNamed() throws IOException {
    writeIdx(dir.resolve("train-images-idx3-ubyte"), false, 0x803, new int[] {10, 5, 4}, pixels(30));
    IOException e = assertThrows(IOException.class, () -> Datasets.open(dir, Datasets.Split.TRAIN, 1, 8, 8));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    writeIdx(dir.resolve("train-images-idx3-ubyte"), false, 0x1234, new int[] {1, 1, 1}, pixels(1));
    e = assertThrows(IOException.class, () -> Datasets.open(dir, Datasets.Split.TRAIN, 1, 8, 8));
    assertTrue(e.getMessage().contains("not an IDX image file"), e.getMessage());
    // An IDX file declaring no images used to end in "/ by zero" far from the file.
    writeIdx(dir.resolve("train-images-idx3-ubyte"), false, 0x803, new int[] {0, 5, 4}, new byte[0]);
    e = assertThrows(IOException.class, () -> Datasets.open(dir, Datasets.Split.TRAIN, 1, 8, 8));
    assertTrue(e.getMessage().contains("train-images-idx3-ubyte") && e.getMessage().contains("declares 0 images"), e.getMessage());
    // A PNG that does not decode is named, not reported as a bare decoder message.
    Path pictures = Files.createDirectories(dir.resolve("pictures"));
    Files.write(pictures.resolve("broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0});
    e = assertThrows(IOException.class, () -> Datasets.open(pictures, Datasets.Split.TRAIN, 1, 8, 8));
    assertTrue(e.getMessage().contains("broken.png"), e.getMessage());
    Path empty = Files.createDirectory(dir.resolve("empty"));
    e = assertThrows(IOException.class, () -> Datasets.open(empty, Datasets.Split.TRAIN, 1, 8, 8));
    assertTrue(e.getMessage().contains("no dataset found"), e.getMessage());
    assertThrows(java.nio.file.NoSuchFileException.class, () -> Datasets.open(dir.resolve("nope"), Datasets.Split.TRAIN, 1, 8, 8));
  }

  @Test
  void cifarBatches() throws IOException {
    byte[] rec = new byte[2 * 3073];
    for (int i = 0; i < rec.length; i++) rec[i] = (byte) i;
    rec[0] = 3;
    rec[3073] = 8;
    Files.write(dir.resolve("data_batch_1.bin"), rec);
    ImageDataset d = Datasets.open(dir, Datasets.Split.TRAIN, 3, 32, 32);
    assertEquals(2, d.size());
    assertEquals(3, d.channels());
    assertEquals(8, d.label(1));
    byte[] img = new byte[3072];
    d.image(1, img);
    assertEquals((byte) (3073 + 1), img[0]);
  }

  @Test
  void imageFoldersAreCroppedAndResized() throws IOException {
    BufferedImage wide = new BufferedImage(40, 20, BufferedImage.TYPE_INT_RGB);
    for (int x = 0; x < 40; x++)
      for (int y = 0; y < 20; y++) wide.setRGB(x, y, x < 10 || x >= 30 ? 0xFF0000 : 0x00FF00);
    Files.createDirectories(dir.resolve("train"));
    ImageIO.write(wide, "png", dir.resolve("train/a.png").toFile());
    ImageDataset d = Datasets.open(dir, Datasets.Split.TRAIN, 3, 8, 8);
    assertEquals(1, d.size());
    byte[] img = new byte[3 * 64];
    d.image(0, img);
    // The center square crop holds only the green middle: red ≈ 0, green ≈ 255 everywhere.
    for (int p = 0; p < 64; p++) {
      assertTrue((img[p] & 0xff) < 30, "red at " + p + " = " + (img[p] & 0xff));
      assertTrue((img[64 + p] & 0xff) > 225, "green at " + p);
    }
  }

  @Test
  void paddingCentersTheImage() {
    InMemoryDataset d = new InMemoryDataset(new byte[] {1, 2, 3, 4}, null, 1, 2, 2);
    Padded p = new Padded(d, 4, 4);
    byte[] out = new byte[16];
    p.image(0, out);
    assertArrayEquals(new byte[] {0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0}, out);
  }

  @Test
  void preprocessingFollowsTheSpec() {
    float[] out = new float[3];
    Preprocess.toModel(new byte[] {0, (byte) 255, (byte) 130}, 3, 5, null, out, 0);
    // nBits 5: p >> 3, /32, −0.5: 0 → −0.5; 255 → 31/32 − 0.5; 130 → 16/32 − 0.5.
    assertArrayEquals(new float[] {-0.5f, 31f / 32 - 0.5f, 0f}, out);
    assertEquals(255, Preprocess.toPixel(31f / 32 - 0.5f + 0.01f, 5));
    assertEquals(0, Preprocess.toPixel(-0.7f, 5));
  }

  @Test
  void batchesDependOnSeedAndStepOnly() throws InterruptedException {
    InMemoryDataset d = new InMemoryDataset(pixels(40 * 4), null, 1, 2, 2);
    try (BatchLoader a = new BatchLoader(d, 8, 8, 9, 3); BatchLoader b = new BatchLoader(d, 8, 8, 9, 0)) {
      BatchLoader.Batch first = a.next();
      assertEquals(3, first.step());
      assertArrayEquals(b.make(3).images(), first.images());
      for (float v : first.images()) assertTrue(v >= -0.5f && v < 0.5f, "value " + v);
      assertTrue(!java.util.Arrays.equals(b.make(3).images(), b.make(4).images()));
    }
    assertThrows(IllegalArgumentException.class, () -> new BatchLoader(d, 100, 8, 1, 0));
  }
}
