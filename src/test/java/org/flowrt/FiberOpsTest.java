package org.flowrt;

import org.flowrt.backend.BackendSuite;
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
import org.junit.jupiter.api.Nested;

/**
 * The op suites on the CPU backend with the GPU's block geometry: 256 threads per block as fibers,
 * real barriers, per-block shared memory, GPU-sized grids. The threads of a block take turns in the
 * order given by the system property flowrt.fiberOrder (ascending, descending, shuffled); the build
 * runs this class once in each order, so a kernel with a race between barriers fails in one.
 */
class FiberOpsTest {

  @Nested
  class Backend extends BackendSuite {
    Backend() {
      super(TestBackends.fibers(TestBackends.fiberOrder()));
    }
  }

  @Nested
  class ActNorm extends ActNormSuite {
    ActNorm() {
      super(TestBackends.fibers(TestBackends.fiberOrder()));
    }
  }

  @Nested
  class InvConv extends InvConvSuite {
    InvConv() {
      super(TestBackends.fibers(TestBackends.fiberOrder()));
    }
  }

  @Nested
  class Coupling extends CouplingSuite {
    Coupling() {
      super(TestBackends.fibers(TestBackends.fiberOrder()));
    }
  }

  @Nested
  class Reshape extends ReshapeSuite {
    Reshape() {
      super(TestBackends.fibers(TestBackends.fiberOrder()));
    }
  }

  @Nested
  class Conv extends ConvSuite {
    Conv() {
      super(TestBackends.fibers(TestBackends.fiberOrder()));
    }
  }
  @Nested
  class ConvTaps extends org.flowrt.ops.ConvTapsSuite {
    ConvTaps() {
      super(TestBackends.fibers(TestBackends.fiberOrder()));
    }
  }


  @Nested
  class Prior extends PriorSuite {
    Prior() {
      super(TestBackends.fibers(TestBackends.fiberOrder()));
    }
  }

  @Nested
  class Optimizer extends OptimizerSuite {
    Optimizer() {
      super(TestBackends.fibers(TestBackends.fiberOrder()));
    }
  }

  @Nested
  class Reduce extends ReduceSuite {
    Reduce() {
      super(TestBackends.fibers(TestBackends.fiberOrder()));
    }
  }

  @Nested
  class ClassicFlow extends ClassicFlowSuite {
    ClassicFlow() {
      super(TestBackends.fibers(TestBackends.fiberOrder()));
    }
  }

  @Nested
  class Conditional extends ConditionalSuite {
    Conditional() {
      super(TestBackends.fibers(TestBackends.fiberOrder()));
    }
  }
}
