package org.flowrt.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The safetensors writer's atomic replace and the reader's checksums. */
class SafetensorsTest {
  @TempDir Path dir;

  private static Map<String, Safetensors.Tensor> tensors(float first) {
    Map<String, Safetensors.Tensor> t = new LinkedHashMap<>();
    t.put("a", Safetensors.Tensor.of(new float[] {first, 2, 3}, 3));
    t.put("b", Safetensors.Tensor.of(new int[] {2, 0, 1}, 3));
    return t;
  }

  /**
   * A save that fails part-way (after the header, after the data, just before the rename) leaves
   * the previous file byte for byte and no temporary file. The observer also proves the failure
   * happened while a temporary file was being written, not before any file was touched.
   */
  @ParameterizedTest
  @EnumSource(Safetensors.WriteStage.class)
  void aSaveThatFailsPartWayLeavesThePreviousFileIntact(Safetensors.WriteStage failAt) throws IOException {
    Path file = dir.resolve("c.safetensors");
    Safetensors.write(file, tensors(1), Map.of("step", "1"));
    byte[] before = Files.readAllBytes(file);
    List<Long> temporarySizes = new ArrayList<>();
    IOException e = assertThrows(IOException.class, () -> Safetensors.write(file, tensors(9), Map.of("step", "2"), (stage, tmp) -> {
      if (stage != failAt) return;
      assertTrue(AtomicFiles.isTemporaryOf(tmp, file), "writes go to a temporary file beside the target: " + tmp);
      temporarySizes.add(Files.size(tmp));
      throw new IOException("simulated failure at " + stage);
    }));
    assertEquals("simulated failure at " + failAt, e.getMessage());
    assertEquals(1, temporarySizes.size(), "the failure was injected");
    assertTrue(temporarySizes.get(0) > 8, "the temporary file held the new header when the save failed");
    assertArrayEquals(before, Files.readAllBytes(file), "the previous file is untouched");
    try (var files = Files.list(dir)) {
      assertEquals(List.of(file), files.toList(), "no temporary file is left behind");
    }
    assertEquals(1f, Safetensors.read(file).tensors().get("a").floats()[0]);
  }

  @Test
  void checksumsCoverTensorsAndMetadata() throws IOException {
    Path file = dir.resolve("c.safetensors");
    Safetensors.write(file, tensors(1), Map.of("step", "7"));
    Safetensors.Contents c = Safetensors.read(file);
    assertTrue(c.checksummed());
    assertEquals(Map.of("step", "7"), c.metadata(), "the checksum entry is not handed to callers");
    byte[] bytes = Files.readAllBytes(file);
    byte[] flipped = bytes.clone();
    flipped[bytes.length - 1] ^= 0x01;  // the last I32 of tensor b
    Files.write(file, flipped);
    IOException e = assertThrows(IOException.class, () -> Safetensors.read(file));
    assertTrue(e.getMessage().contains("tensor b does not match its checksum"), e.getMessage());
    String text = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1).replace("\"step\":\"7\"", "\"step\":\"8\"");
    Files.write(file, text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    e = assertThrows(IOException.class, () -> Safetensors.read(file));
    assertTrue(e.getMessage().contains("metadata does not match its checksum"), e.getMessage());
  }

  @Test
  void duplicateKeysAndGapsAreRefused() throws IOException {
    Path file = dir.resolve("c.safetensors");
    Safetensors.write(file, tensors(1), Map.of());
    byte[] bytes = Files.readAllBytes(file);
    String text = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1);
    // Rename tensor b to a: same length, so offsets stay valid; the header now names a twice.
    Files.write(file, text.replace("\"b\":{", "\"a\":{").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    IOException e = assertThrows(IOException.class, () -> Safetensors.read(file));
    assertTrue(e.getMessage().contains("names a twice"), e.getMessage());
  }
}
