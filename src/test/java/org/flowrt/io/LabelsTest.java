package org.flowrt.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pictures survive a Java runtime that cannot draw text (a GPU node without libharfbuzz). */
class LabelsTest {
  @AfterEach
  void forget() {
    Labels.reset();
  }

  @Test
  void aMissingFontLibraryTurnsLabelsOffOnce() {
    int[] calls = {0};
    assertFalse(Labels.attempt(() -> {
      calls[0]++;
      throw new UnsatisfiedLinkError("libfontmanager.so: libharfbuzz.so.0: cannot open shared object file");
    }));
    assertTrue(Labels.unavailable());
    // Later labels are skipped, not retried: the font classes failed their initialization.
    assertFalse(Labels.attempt(() -> calls[0]++));
    assertEquals(1, calls[0]);
  }

  @Test
  void noFontsAtAllTurnsLabelsOff() {
    assertFalse(Labels.attempt(() -> {
      throw new InternalError("Fontconfig head is null, check your fonts or fonts configuration");
    }));
    assertTrue(Labels.unavailable());
  }

  @Test
  void lossCurveIsWrittenWithoutLabels(@TempDir Path dir) throws Exception {
    Labels.attempt(() -> {
      throw new UnsatisfiedLinkError("no font library");
    });
    Path png = dir.resolve("loss-curve.png");
    Pictures.writeLossCurve(png, List.of(new double[] {1, 5.0}, new double[] {2, 4.0}, new double[] {3, 3.5}),
        List.of(new double[] {3, 3.6}));
    BufferedImage image = javax.imageio.ImageIO.read(png.toFile());
    assertTrue(Files.size(png) > 0 && image.getWidth() > 100, "a loss curve without labels");
  }
}
