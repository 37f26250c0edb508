package org.flowrt.data;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;

/**
 * Readers for the supported formats: MNIST/Fashion-MNIST IDX files (gzipped or not), CIFAR-10
 * binary batches, and folders of PNG/JPEG images. {@link #open} picks by what the path holds.
 */
public final class Datasets {
  private Datasets() {}

  public enum Split {
    TRAIN,
    TEST
  }

  /**
   * Opens the split of the dataset at `path`: a folder with IDX files (train-images-idx3-ubyte[.gz],
   * t10k-…), a folder with CIFAR-10 batches (data_batch_*.bin, test_batch.bin), or a folder of
   * images (its train/ and test/ subfolders when present). Folder images are center-cropped and
   * resized to height×width with `channels` channels.
   */
  public static ImageDataset open(Path path, Split split, int channels, int height, int width) throws IOException {
    if (!Files.exists(path)) throw new NoSuchFileException(path.toString(), null, "dataset path does not exist");
    if (!Files.isDirectory(path)) throw new IOException(path + " is not a folder of dataset files");
    String prefix = split == Split.TRAIN ? "train" : "t10k";
    Path idxImages = firstExisting(path, prefix + "-images-idx3-ubyte.gz", prefix + "-images.idx3-ubyte", prefix + "-images-idx3-ubyte");
    if (idxImages != null) {
      Path idxLabels = firstExisting(path, prefix + "-labels-idx1-ubyte.gz", prefix + "-labels.idx1-ubyte", prefix + "-labels-idx1-ubyte");
      return readIdx(idxImages, idxLabels);
    }
    List<Path> cifar = new ArrayList<>();
    if (split == Split.TRAIN) for (int i = 1; i <= 5; i++) addIfExists(cifar, path.resolve("data_batch_" + i + ".bin"));
    else addIfExists(cifar, path.resolve("test_batch.bin"));
    if (!cifar.isEmpty()) return readCifar(cifar);
    Path sub = path.resolve(split == Split.TRAIN ? "train" : "test");
    Path folder = Files.isDirectory(sub) ? sub : path;
    ImageDataset images = readImageFolder(folder, channels, height, width);
    if (images.size() == 0)
      throw new IOException("no dataset found at " + path + ": expected IDX files (" + prefix
          + "-images-idx3-ubyte[.gz]), CIFAR-10 batches (data_batch_N.bin / test_batch.bin) or PNG/JPEG images");
    return images;
  }

  private static void addIfExists(List<Path> list, Path p) {
    if (Files.isRegularFile(p)) list.add(p);
  }

  private static Path firstExisting(Path dir, String... names) {
    for (String n : names) if (Files.isRegularFile(dir.resolve(n))) return dir.resolve(n);
    return null;
  }

  private static InputStream openMaybeGzip(Path p) throws IOException {
    InputStream in = new BufferedInputStream(Files.newInputStream(p), 1 << 16);
    in.mark(2);
    int a = in.read(), b = in.read();
    in.reset();
    return a == 0x1f && b == 0x8b ? new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16) : in;
  }

  /** An IDX image file (magic 0x00000803) and optional label file (0x00000801). */
  public static InMemoryDataset readIdx(Path images, Path labels) throws IOException {
    byte[] pixels;
    int n, h, w;
    try (DataInputStream in = new DataInputStream(openMaybeGzip(images))) {
      int magic = in.readInt();
      if (magic != 0x803) throw new IOException(images + " is not an IDX image file (magic 0x" + Integer.toHexString(magic) + ", expected 0x803)");
      n = in.readInt();
      h = in.readInt();
      w = in.readInt();
      if (n <= 0 || h <= 0 || w <= 0 || (long) n * h * w > Integer.MAX_VALUE)
        throw new IOException(images + ": the IDX header declares " + n + " images of " + h + "×" + w + " pixels; a dataset needs at least"
            + " one image of at least 1×1, and at most 2^31 pixel values in all");
      pixels = new byte[n * h * w];
      in.readFully(pixels);
    } catch (EOFException e) {
      throw new IOException(images + " is truncated", e);
    }
    int[] lab = null;
    if (labels != null) {
      try (DataInputStream in = new DataInputStream(openMaybeGzip(labels))) {
        int magic = in.readInt();
        if (magic != 0x801) throw new IOException(labels + " is not an IDX label file (magic 0x" + Integer.toHexString(magic) + ")");
        int count = in.readInt();
        if (count != n) throw new IOException(labels + " has " + count + " labels for " + n + " images");
        byte[] raw = new byte[count];
        in.readFully(raw);
        lab = new int[count];
        for (int i = 0; i < count; i++) lab[i] = raw[i] & 0xff;
      } catch (EOFException e) {
        throw new IOException(labels + " is truncated", e);
      }
    }
    return new InMemoryDataset(pixels, lab, 1, h, w);
  }

  /** CIFAR-10 binary batches: records of 1 label byte + 3072 pixel bytes (R, G, B planes of 32×32). */
  public static InMemoryDataset readCifar(List<Path> batches) throws IOException {
    final int record = 1 + 3 * 32 * 32;
    List<byte[]> parts = new ArrayList<>();
    long total = 0;
    for (Path p : batches) {
      byte[] all = Files.readAllBytes(p);
      if (all.length % record != 0) throw new IOException(p + " is not a CIFAR-10 batch: " + all.length + " bytes is not a multiple of " + record);
      parts.add(all);
      total += all.length / record;
    }
    if (total == 0) throw new IOException(batches + ": CIFAR-10 batches holding no images");
    if (total * 3072 > Integer.MAX_VALUE) throw new IOException(batches + ": more CIFAR-10 images than one array holds");
    byte[] pixels = new byte[(int) (total * 3072)];
    int[] labels = new int[(int) total];
    int k = 0;
    for (byte[] all : parts)
      for (int r = 0; r < all.length / record; r++, k++) {
        labels[k] = all[r * record] & 0xff;
        System.arraycopy(all, r * record + 1, pixels, k * 3072, 3072);
      }
    return new InMemoryDataset(pixels, labels, 3, 32, 32);
  }

  /** PNG/JPEG files in a folder (recursively), center-cropped to a square-aspect crop and resized. */
  public static InMemoryDataset readImageFolder(Path folder, int channels, int height, int width) throws IOException {
    if (channels != 1 && channels != 3) throw new IllegalArgumentException("image folders load as 1 (grey) or 3 (RGB) channels, not " + channels);
    List<Path> files;
    try (Stream<Path> walk = Files.walk(folder)) {
      files = walk.filter(Files::isRegularFile).filter(p -> {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
      }).sorted().toList();
    }
    int per = channels * height * width;
    byte[] pixels = new byte[files.size() * per];
    for (int i = 0; i < files.size(); i++) {
      BufferedImage img;
      try {
        img = ImageIO.read(files.get(i).toFile());
      } catch (IOException | RuntimeException e) {
        throw new IOException(files.get(i) + " is not a readable image (" + e.getMessage() + ")", e);
      }
      if (img == null) throw new IOException(files.get(i) + " could not be decoded as an image");
      BufferedImage fitted = cropAndResize(img, height, width);
      for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++) {
          int rgb = fitted.getRGB(x, y);
          int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
          if (channels == 1) pixels[i * per + y * width + x] = (byte) Math.round(0.299 * r + 0.587 * g + 0.114 * b);
          else {
            pixels[i * per + y * width + x] = (byte) r;
            pixels[i * per + (height + y) * width + x] = (byte) g;
            pixels[i * per + (2 * height + y) * width + x] = (byte) b;
          }
        }
    }
    return new InMemoryDataset(pixels, null, channels, height, width);
  }

  static BufferedImage cropAndResize(BufferedImage img, int height, int width) {
    double target = (double) width / height;
    int w = img.getWidth(), h = img.getHeight();
    int cw = w, ch = h;
    if ((double) w / h > target) cw = (int) Math.round(h * target);
    else ch = (int) Math.round(w / target);
    BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    int x0 = (w - cw) / 2, y0 = (h - ch) / 2;
    g.drawImage(img, 0, 0, width, height, x0, y0, x0 + cw, y0 + ch, null);
    g.dispose();
    return out;
  }
}
