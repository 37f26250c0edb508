package org.flowrt.cli;

import java.io.PrintStream;

/**
 * A one-line progress display (done/total, images/s, bpd, ETA): redrawn in place on a terminal,
 * printed as a plain line every few seconds otherwise (logs, CI).
 */
final class Progress {
  private final PrintStream out = System.err;
  private final boolean terminal = System.console() != null;
  private final String label;
  private final long start = System.nanoTime();
  private long lastPrint;

  Progress(String label) {
    this.label = label;
  }

  /** A display that shows nothing: the ranks other than 0 of a data-parallel job. */
  static Progress silent() {
    return new Progress(null);
  }

  void update(double fraction, String detail) {
    if (label == null) return;
    long now = System.nanoTime();
    if (!terminal && now - lastPrint < 5_000_000_000L && fraction < 1) return;
    lastPrint = now;
    double elapsed = (now - start) / 1e9;
    double eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : Double.NaN;
    int width = 24, filled = (int) Math.round(width * Math.max(0, Math.min(1, fraction)));
    String bar = "#".repeat(filled) + "-".repeat(width - filled);
    String line = String.format("%s [%s] %5.1f%% %s | %s elapsed, ETA %s", label, bar, 100 * fraction, detail,
        clock(elapsed), Double.isFinite(eta) ? clock(eta) : "?");
    if (terminal) out.print("\r" + line + "   ");
    else out.println(line);
  }

  void finish() {
    if (terminal && label != null) out.println();
  }

  static String clock(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format("%d:%02d", s / 60, s % 60);
  }
}
