package org.flowrt;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.flowrt.backend.BackendSuite;
import org.flowrt.classic.VectorFlowSuite;
import org.flowrt.glow.GlowSuite;
import org.flowrt.train.PlannerSuite;
import org.flowrt.train.TrainingSuite;
import org.flowrt.ops.ActNormSuite;
import org.flowrt.ops.ClassicFlowSuite;
import org.flowrt.ops.ConditionalSuite;
import org.flowrt.ops.InvConvSuite;
import org.flowrt.ops.CouplingSuite;
import org.flowrt.ops.ReshapeSuite;
import org.flowrt.ops.ConvSuite;
import org.flowrt.ops.PriorSuite;
import org.flowrt.ops.OptimizerSuite;
import org.flowrt.ops.ReduceSuite;
import org.flowrt.testing.TestBackends;
import org.flowrt.backend.cuda.CudaProbe;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.Tag;

/**
 * The same suites on the CUDA backend (the fatbin, cuDNN). Tagged gpu; skipped, not failed, where
 * no GPU or driver is present, unless FLOWRT_REQUIRE_GPU=1. The build also runs this class against
 * the host shim of the CUDA driver and cuDNN (target/cuda-shim, Maven execution "cuda-host-shim"):
 * there the device is named "flowrt host shim", and so are the display names of these tests.
 */
@Tag("gpu")
@DisplayNameGeneration(CudaDisplayNames.class)
class CudaBackendTest {
  @BeforeAll
  static void requireGpu() {
    CudaProbe.Result probe = CudaProbe.probe();
    if (CudaProbe.required()) assertTrue(probe.available(), () -> "FLOWRT_REQUIRE_GPU=1 but the CUDA backend cannot run: " + probe.reason());
    assumeTrue(probe.available(), () -> "no usable GPU: " + probe.reason());
  }

  @Nested
  class Backend extends BackendSuite {
    Backend() {
      super(TestBackends.cuda());
    }
  }

  @Nested
  class ActNorm extends ActNormSuite {
    ActNorm() {
      super(TestBackends.cuda());
    }
  }

  @Nested
  class InvConv extends InvConvSuite {
    InvConv() {
      super(TestBackends.cuda());
    }
  }

  @Nested
  class Coupling extends CouplingSuite {
    Coupling() {
      super(TestBackends.cuda());
    }
  }

  @Nested
  class Reshape extends ReshapeSuite {
    Reshape() {
      super(TestBackends.cuda());
    }
  }

  @Nested
  class Conv extends ConvSuite {
    Conv() {
      super(TestBackends.cuda());
    }
  }
  @Nested
  class ConvTaps extends org.flowrt.ops.ConvTapsSuite {
    ConvTaps() {
      super(TestBackends.cuda());
    }
  }


  @Nested
  class Prior extends PriorSuite {
    Prior() {
      super(TestBackends.cuda());
    }
  }

  @Nested
  class Optimizer extends OptimizerSuite {
    Optimizer() {
      super(TestBackends.cuda());
    }
  }

  @Nested
  class Reduce extends ReduceSuite {
    Reduce() {
      super(TestBackends.cuda());
    }
  }

  @Nested
  class Glow extends GlowSuite {
    Glow() {
      super(TestBackends.cuda());
    }
  }

  @Nested
  class Planner extends PlannerSuite {
    Planner() {
      super(TestBackends.cuda());
    }
  }

  @Nested
  class DataParallel extends org.flowrt.train.DataParallelSuite {
    DataParallel() {
      super(() -> new org.flowrt.backend.cuda.CudaBackend(0));
    }
  }

  /** The same data-parallel checks with the gradients summed by NCCL (ranks as threads: the host shim only). */
  @Nested
  class DataParallelNccl extends org.flowrt.train.DataParallelSuite {
    DataParallelNccl() {
      super(() -> new org.flowrt.backend.cuda.CudaBackend(0), org.flowrt.testing.NcclRanks::on);
    }

    @org.junit.jupiter.api.BeforeEach
    void onTheShim() {
      org.junit.jupiter.api.Assumptions.assumeTrue(TestBackends.cuda().description().contains("host shim"),
          "several ranks on one GPU: NCCL refuses them");
    }
  }

  @Nested
  class Nccl extends org.flowrt.dist.NcclSuite {
    Nccl() {
      super(() -> new org.flowrt.backend.cuda.CudaBackend(0));
    }
  }

  @Nested
  class Training extends TrainingSuite {
    Training() {
      super(TestBackends.cuda());
    }
  }

  @Nested
  class ClassicFlow extends ClassicFlowSuite {
    ClassicFlow() {
      super(TestBackends.cuda());
    }
  }

  @Nested
  class VectorFlow extends VectorFlowSuite {
    VectorFlow() {
      super(TestBackends.cuda());
    }
  }

  @Nested
  class Conditional extends ConditionalSuite {
    Conditional() {
      super(TestBackends.cuda());
    }
  }
}
