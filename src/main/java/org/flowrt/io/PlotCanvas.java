package org.flowrt.io;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.DoubleBinaryOperator;
import javax.imageio.ImageIO;

/**
 * Square 2-D plots over [−extent, extent]² for the toy flows: heat maps, scatter points, polylines,
 * and side-by-side panels written as one PNG.
 */
public final class PlotCanvas {
  private final int size;
  private final double extent;
  private final BufferedImage image;
  private final Graphics2D g;

  public PlotCanvas(int size, double extent, int panels) {
    this.size = size;
    this.extent = extent;
    image = new BufferedImage(size * panels, size + 24, BufferedImage.TYPE_INT_RGB);
    g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, image.getWidth(), image.getHeight());
  }

  private int px(int panel, double x) {
    return panel * size + (int) Math.round((x + extent) / (2 * extent) * (size - 1));
  }

  private int py(double y) {
    return 24 + (int) Math.round((extent - y) / (2 * extent) * (size - 1));
  }

  /** The point at pixel (i, j) of a panel. */
  public double coordinate(int pixel) {
    return -extent + 2 * extent * pixel / (size - 1.0);
  }

  public int size() {
    return size;
  }

  public void title(int panel, String text) {
    g.setColor(Color.BLACK);
    Labels.draw(g, text, panel * size + 6, 17, 13);
  }

  /** A heat map of values[j·size + i] (row j from the top), normalized to its maximum. */
  public void heat(int panel, double[] values) {
    double max = 0;
    for (double v : values) if (Double.isFinite(v)) max = Math.max(max, v);
    for (int j = 0; j < size; j++)
      for (int i = 0; i < size; i++) {
        double v = values[j * size + i];
        double t = max > 0 && Double.isFinite(v) ? Math.max(0, Math.min(1, v / max)) : 0;
        image.setRGB(panel * size + i, 24 + j, viridis(t));
      }
  }

  /** A heat map of f(x, y) sampled at each pixel center. */
  public void heat(int panel, DoubleBinaryOperator f) {
    double[] v = new double[size * size];
    for (int j = 0; j < size; j++)
      for (int i = 0; i < size; i++) v[j * size + i] = f.applyAsDouble(coordinate(i), coordinate(size - 1 - j));
    heat(panel, v);
  }

  /** A 2-D histogram of points as a heat map. */
  public void histogram(int panel, float[] xy) {
    double[] counts = new double[size * size];
    for (int k = 0; k + 1 < xy.length; k += 2) {
      int i = (int) Math.floor((xy[k] + extent) / (2 * extent) * size), j = (int) Math.floor((extent - xy[k + 1]) / (2 * extent) * size);
      if (i >= 0 && i < size && j >= 0 && j < size) counts[j * size + i]++;
    }
    heat(panel, counts);
  }

  public void points(int panel, float[] xy, Color color, int radius) {
    g.setColor(color);
    for (int k = 0; k + 1 < xy.length; k += 2) {
      if (Math.abs(xy[k]) > extent || Math.abs(xy[k + 1]) > extent) continue;
      g.fillOval(px(panel, xy[k]) - radius, py(xy[k + 1]) - radius, 2 * radius + 1, 2 * radius + 1);
    }
  }

  /** A polyline through points [x0, y0, x1, y1, …] (segments leaving the panel are skipped). */
  public void line(int panel, float[] xy, Color color) {
    g.setColor(color);
    g.setStroke(new BasicStroke(1f));
    for (int k = 0; k + 3 < xy.length; k += 2) {
      if (Math.abs(xy[k]) > extent || Math.abs(xy[k + 1]) > extent || Math.abs(xy[k + 2]) > extent || Math.abs(xy[k + 3]) > extent) continue;
      g.drawLine(px(panel, xy[k]), py(xy[k + 1]), px(panel, xy[k + 2]), py(xy[k + 3]));
    }
  }

  public void write(Path path) throws IOException {
    g.dispose();
    java.nio.file.Files.createDirectories(path.toAbsolutePath().getParent());
    if (!ImageIO.write(image, "png", path.toFile())) throw new IOException("no PNG writer available");
  }

  /** A compact viridis-like color map from dark blue through green to yellow. */
  static int viridis(double t) {
    double[][] stops = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    double x = t * (stops.length - 1);
    int i = Math.min(stops.length - 2, (int) Math.floor(x));
    double f = x - i;
    int r = (int) Math.round(stops[i][0] + f * (stops[i + 1][0] - stops[i][0]));
    int gr = (int) Math.round(stops[i][1] + f * (stops[i + 1][1] - stops[i][1]));
    int b = (int) Math.round(stops[i][2] + f * (stops[i + 1][2] - stops[i][2]));
    return (r << 16) | (gr << 8) | b;
  }
}
