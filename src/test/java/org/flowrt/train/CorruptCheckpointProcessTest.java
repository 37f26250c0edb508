package org.flowrt.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.flowrt.glow.Glow;
import org.flowrt.io.Safetensors;
import org.flowrt.testing.TestBackends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The class of input that used to crash the JVM (a permutation index out of range reached a
 * kernel): `flowrt sample` on such a checkpoint, in its own process, now exits 2 with one line that
 * names the file and the tensor, leaves no JVM crash log and writes no image.
 */
class CorruptCheckpointProcessTest {
  @TempDir Path dir;

  @Test
  void aPermutationIndexOutOfRangeExitsTwoWithAMessage() throws Exception {
    Path good = dir.resolve("good.safetensors");
    try (Glow g = new Glow(TestBackends.cpu(), CheckpointBatteryTest.CFG, 3)) {
      Checkpoint.save(good, g, null, 3);
    }
    Safetensors.Contents c = Safetensors.read(good);
    Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>(c.tensors());
    String perm = tensors.keySet().stream().filter(n -> n.endsWith(".perm")).findFirst().orElseThrow();
    int[] p = tensors.get(perm).ints().clone();
    p[0] = 1 << 20;  // far outside the channel count: a gather with it reads outside the buffer
    tensors.put(perm, Safetensors.Tensor.of(p, p.length));
    Path bad = dir.resolve("bad.safetensors");
    Safetensors.write(bad, tensors, c.metadata());  // fresh checksums: only the meaning check can refuse it

    Path png = dir.resolve("out.png");
    Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xss8m",
        "-XX:ErrorFile=" + dir.resolve("hs_err_pid%p.log"), "-cp", org.flowrt.testing.TestProcesses.classpath(), "org.flowrt.cli.Main",
        "sample", "--checkpoint", bad.toString(), "--out", png.toString(), "--count", "2", "--backend", "cpu")
        .directory(dir.toFile()).redirectErrorStream(false).start();
    process.getOutputStream().close();
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the process ends");
    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(2, process.exitValue(), err);
    List<String> lines = err.lines().filter(l -> l.startsWith("flowrt: error:")).toList();
    assertEquals(1, lines.size(), err);
    assertTrue(lines.get(0).contains(bad.toString()) && lines.get(0).contains(perm) && lines.get(0).contains("not a permutation"), lines.get(0));
    assertFalse(err.contains("Exception") || err.contains("\tat "), "no stack trace: " + err);
    assertFalse(Files.exists(png), "no image is written");
    try (var files = Files.list(dir)) {
      assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith("hs_err")), "no JVM crash");
    }
  }
}
