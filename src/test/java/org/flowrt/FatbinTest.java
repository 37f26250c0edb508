package org.flowrt;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.flowrt.backend.cuda.Fatbin;
import org.junit.jupiter.api.Test;

/**
 * The build's GPU-target check: where nvcc exists, the jar's fatbin must hold SASS for sm_80 and
 * sm_90 and PTX for compute_90. Skipped (not failed) where the build had no nvcc.
 */
class FatbinTest {
  static boolean nvccPresent() {
    String nvcc = System.getenv("NVCC");
    if (nvcc != null && Files.isExecutable(Path.of(nvcc))) return true;
    if (Files.isExecutable(Path.of("/usr/local/cuda/bin/nvcc"))) return true;
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":"))
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "nvcc"))) return true;
    return false;
  }

  @Test
  void fatbinHoldsAmpereAndHopperCode() {
    assumeTrue(nvccPresent(), "nvcc not present: this build has no GPU kernels");
    byte[] fatbin = Fatbin.load();
    assertNotNull(fatbin, "nvcc is present but the jar has no " + Fatbin.RESOURCE);
    List<String> entries = Fatbin.entries(fatbin).stream().map(Fatbin.Entry::toString).toList();
    for (String required : List.of("sm_80", "sm_90", "compute_90"))
      assertTrue(entries.contains(required), "fatbin lacks " + required + "; it holds " + entries);
  }

  @Test
  void nonFatbinBytesAreRefused() {
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Fatbin.entries(new byte[64]));
    assertTrue(e.getMessage().contains("not a CUDA fatbin"), e.getMessage());
  }
}
