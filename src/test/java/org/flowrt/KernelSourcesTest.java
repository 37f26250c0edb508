package org.flowrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.flowrt.backend.Kernel;
import org.flowrt.backend.cpu.HostKernels;
import org.junit.jupiter.api.Test;

/**
 * Keeps the three views of the kernel set in step: the files in cuda/ (all listed in all.cu),
 * their extern "C" __global__ kernels (each registered with the host launcher), and the Kernel
 * enum (each constant names a kernel that exists, and the host library resolves it).
 */
class KernelSourcesTest {
  private static final Path CUDA = Path.of("cuda");
  private static final Pattern KERNEL = Pattern.compile("extern \"C\" __global__ void (\\w+)\\(");
  private static final Pattern REGISTERED = Pattern.compile("FLOWRT_HOST_KERNEL\\((\\w+)\\)");

  private static Set<String> matches(Pattern p) throws IOException {
    Set<String> out = new TreeSet<>();
    try (Stream<Path> files = Files.list(CUDA)) {
      for (Path f : files.filter(f -> f.toString().endsWith(".cu")).collect(Collectors.toList())) {
        Matcher m = p.matcher(Files.readString(f));
        while (m.find()) out.add(m.group(1));
      }
    }
    return out;
  }

  @Test
  void everyKernelFileIsInTheTranslationUnit() throws IOException {
    String all = Files.readString(CUDA.resolve("all.cu"));
    try (Stream<Path> files = Files.list(CUDA)) {
      files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".cu") && !n.equals("all.cu"))
          .forEach(n -> assertTrue(all.contains("#include \"" + n + "\""), "cuda/all.cu does not include " + n));
    }
  }

  @Test
  void everyKernelIsRegisteredAndEnumerated() throws IOException {
    Set<String> kernels = matches(KERNEL);
    assertEquals(kernels, matches(REGISTERED), "kernels vs FLOWRT_HOST_KERNEL registrations");
    Set<String> enumerated = Arrays.stream(Kernel.values()).map(Kernel::symbol).collect(Collectors.toCollection(TreeSet::new));
    assertEquals(kernels, enumerated, "kernels in cuda/ vs org.flowrt.backend.Kernel");
  }

  @Test
  void hostLibraryResolvesEveryKernel() {
    for (Kernel k : Kernel.values()) assertNotEquals(0L, HostKernels.lookup(k.symbol()), k.symbol());
    assertEquals(0L, HostKernels.lookup("no_such_kernel"));
  }
}
