package org.flowrt;

import org.flowrt.classic.VectorFlowSuite;
import org.flowrt.glow.GlowSuite;
import org.flowrt.train.PlannerSuite;
import org.flowrt.train.TrainingSuite;
import org.flowrt.testing.TestBackends;
import org.flowrt.backend.cpu.FiberOrder;
import org.junit.jupiter.api.Nested;

/**
 * The model suites (Glow, training, vector flows) on the CPU backend with the GPU's block geometry,
 * in one thread order: the whole model runs the kernels as the GPU would launch them.
 */
class FiberModelsTest {

  @Nested
  class Glow extends GlowSuite {
    Glow() {
      super(TestBackends.fibers(FiberOrder.ASCENDING));
    }
  }

  @Nested
  class Planner extends PlannerSuite {
    Planner() {
      super(TestBackends.fibers(FiberOrder.ASCENDING));
    }
  }

  @Nested
  class DataParallel extends org.flowrt.train.DataParallelSuite {
    DataParallel() {
      super(() -> new org.flowrt.backend.cpu.CpuBackend(org.flowrt.backend.cpu.HostGeometry.GPU_BLOCKS, FiberOrder.ASCENDING));
    }
  }

  @Nested
  class Training extends TrainingSuite {
    Training() {
      super(TestBackends.fibers(FiberOrder.ASCENDING));
    }
  }

  @Nested
  class VectorFlow extends VectorFlowSuite {
    VectorFlow() {
      super(TestBackends.fibers(FiberOrder.ASCENDING));
    }
  }
}
