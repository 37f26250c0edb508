package org.flowrt.io;

import java.awt.Font;
import java.awt.Graphics2D;
import java.util.logging.Logger;

/**
 * Text on pictures, where the Java runtime can draw it. AWT text needs the font libraries of the
 * system (libfontmanager needs libharfbuzz and libfreetype; fontconfig needs fonts), which a headless
 * GPU node may lack: seen on an H100 node, where the first drawString threw UnsatisfiedLinkError
 * (libharfbuzz.so.0) after a finished training run. Pictures are then drawn without their labels,
 * with one warning, rather than failing the command.
 */
public final class Labels {
  private static final Logger LOG = Logger.getLogger(Labels.class.getName());
  private static volatile boolean unavailable;

  private Labels() {}

  /** Draws text at (x, y) in a sans-serif font of the given size; false when text cannot be drawn. */
  public static boolean draw(Graphics2D g, String text, int x, int y, int size) {
    return attempt(() -> {
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, size));
      g.drawString(text, x, y);
    });
  }

  /** Runs a text drawing unless text already failed once; false (and one warning) when it fails. */
  static boolean attempt(Runnable drawing) {
    if (unavailable) return false;
    try {
      drawing.run();
      return true;
    } catch (LinkageError | InternalError e) {  // a missing native font library, or no fonts at all
      unavailable = true;
      LOG.warning("pictures are drawn without labels: this Java runtime cannot draw text (" + e + ")");
      return false;
    }
  }

  /** Whether a text drawing has failed in this process (later labels are skipped). */
  static boolean unavailable() {
    return unavailable;
  }

  /** For tests: forget an earlier failure. */
  static void reset() {
    unavailable = false;
  }
}
