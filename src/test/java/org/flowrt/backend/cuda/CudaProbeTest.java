package org.flowrt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import org.flowrt.backend.Backend;
import org.flowrt.backend.BackendKind;
import org.flowrt.backend.Backends;
import org.junit.jupiter.api.Test;

/** Finding 4: the probe says which library is missing, and the automatic choice falls back to the CPU. */
class CudaProbeTest {
  @Test
  void rootCauseNamesTheLibraryTheLoaderCouldNotOpen() {
    UnsatisfiedLinkError inner = new UnsatisfiedLinkError(
        "/root/.javacpp/cache/cuda.jar/org/bytedeco/cuda/linux-x86_64/libjnicudnn.so: libcudnn_cnn.so.9: cannot open shared object file: No such file or directory");
    UnsatisfiedLinkError outer = new UnsatisfiedLinkError("no jnicudnn in java.library.path: /usr/lib");
    outer.initCause(inner);
    assertEquals("libcudnn_cnn.so.9: cannot open shared object file: No such file or directory (needed by libjnicudnn.so)",
        CudaProbe.rootCause(new ExceptionInInitializerError(outer)));
    assertEquals("java.lang.IllegalStateException: other", CudaProbe.rootCause(new IllegalStateException("other")));
  }

  @Test
  void withoutTheCudaLibrariesTheReasonIsTheLoadersAndTheCpuIsChosen() {
    CudaProbe.Result probe = CudaProbe.probe();
    assumeFalse(probe.available(), "a CUDA device is usable here");
    assumeFalse(CudaProbe.required(), "FLOWRT_REQUIRE_GPU=1");
    assertFalse(probe.reason().contains("java.library.path"), probe.reason());
    if (probe.reason().contains("did not load"))
      assertTrue(probe.reason().contains(".so") && probe.reason().contains("needed by"), probe.reason());
    if (System.getenv("FLOWRT_BACKEND") == null && System.getProperty(Backends.PROPERTY) == null) {
      try (Backend be = Backends.open()) {
        assertEquals(BackendKind.CPU, be.kind());
      }
    }
  }
}
