package org.flowrt.io;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.flowrt.data.Preprocess;

/** PNG output: image grids of model-space images, and the loss curve. */
public final class Pictures {
  private Pictures() {}

  /** A grid of n images [n, C, H, W] in model space (x ∈ [−0.5, 0.5)), C = 1 or 3. */
  public static void writeGrid(Path path, float[] images, int n, int c, int h, int w, int nBits) throws IOException {
    int cols = (int) Math.ceil(Math.sqrt(n)), rows = (n + cols - 1) / cols, gap = 2;
    BufferedImage out = new BufferedImage(cols * (w + gap) + gap, rows * (h + gap) + gap, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    g.setColor(new Color(40, 40, 40));
    g.fillRect(0, 0, out.getWidth(), out.getHeight());
    g.dispose();
    int per = c * h * w;
    for (int k = 0; k < n; k++) {
      int x0 = gap + (k % cols) * (w + gap), y0 = gap + (k / cols) * (h + gap);
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
          int r = Preprocess.toPixel(images[k * per + y * w + x], nBits);
          int gr = c == 3 ? Preprocess.toPixel(images[k * per + (h + y) * w + x], nBits) : r;
          int b = c == 3 ? Preprocess.toPixel(images[k * per + (2 * h + y) * w + x], nBits) : r;
          out.setRGB(x0 + x, y0 + y, (r << 16) | (gr << 8) | b);
        }
    }
    write(path, out);
  }

  /** Training bpd per step (thin line) and evaluation bpd points. */
  public static void writeLossCurve(Path path, List<double[]> train, List<double[]> eval) throws IOException {
    int width = 800, height = 480, left = 70, right = 20, top = 30, bottom = 50;
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, width, height);
    double maxStep = 1, lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
    for (List<double[]> series : List.of(train, eval))
      for (double[] p : series) {
        maxStep = Math.max(maxStep, p[0]);
        if (Double.isFinite(p[1])) {
          lo = Math.min(lo, p[1]);
          hi = Math.max(hi, p[1]);
        }
      }
    if (lo > hi) {
      lo = 0;
      hi = 1;
    }
    // Skip the first steps' huge losses when setting the scale: show the range of the later 90%.
    if (train.size() > 20) {
      double later = -Double.MAX_VALUE;
      for (int i = train.size() / 10; i < train.size(); i++) later = Math.max(later, train.get(i)[1]);
      for (double[] p : eval) later = Math.max(later, p[1]);
      hi = Math.min(hi, later + 0.1 * (later - lo + 1e-9));
    }
    double span = Math.max(hi - lo, 1e-6);
    g.setColor(Color.GRAY);
    g.drawRect(left, top, width - left - right, height - top - bottom);
    for (int i = 0; i <= 5; i++) {
      double v = lo + span * i / 5;
      int y = (int) (height - bottom - (height - top - bottom) * i / 5.0);
      Labels.draw(g, String.format("%.3f", v), 8, y + 4, 12);
      Labels.draw(g, String.format("%.0f", maxStep * i / 5), left + (width - left - right) * i / 5 - 10, height - bottom + 18, 12);
    }
    Labels.draw(g, "step", width / 2, height - 12, 12);
    Labels.draw(g, "bits per dimension (blue: train, red: test)", left, 18, 12);
    g.setStroke(new BasicStroke(1.2f));
    g.setColor(new Color(30, 90, 200));
    int px = -1, py = -1;
    for (double[] p : train) {
      if (!Double.isFinite(p[1])) continue;
      int x = (int) (left + (width - left - right) * p[0] / maxStep);
      int y = (int) (height - bottom - (height - top - bottom) * Math.max(0, Math.min(1, (p[1] - lo) / span)));
      if (px >= 0) g.drawLine(px, py, x, y);
      px = x;
      py = y;
    }
    g.setColor(new Color(210, 40, 40));
    for (double[] p : eval) {
      int x = (int) (left + (width - left - right) * p[0] / maxStep);
      int y = (int) (height - bottom - (height - top - bottom) * Math.max(0, Math.min(1, (p[1] - lo) / span)));
      g.fillOval(x - 4, y - 4, 8, 8);
    }
    g.dispose();
    write(path, img);
  }

  private static void write(Path path, BufferedImage img) throws IOException {
    Path dir = path.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + path.getFileName(), ".tmp");
    try {
      if (!ImageIO.write(img, "png", tmp.toFile())) throw new IOException("no PNG writer available");
      Files.move(tmp, path, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
