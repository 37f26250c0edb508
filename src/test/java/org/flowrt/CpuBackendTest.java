package org.flowrt;

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
import org.junit.jupiter.api.Nested;


/** Every suite on the CPU backend: the host build of cuda/*.cu, convolutions through oneDNN. */
class CpuBackendTest {

  @Nested
  class Backend extends BackendSuite {
    Backend() {
      super(TestBackends.cpu());
    }
  }

  @Nested
  class ActNorm extends ActNormSuite {
    ActNorm() {
      super(TestBackends.cpu());
    }
  }

  @Nested
  class InvConv extends InvConvSuite {
    InvConv() {
      super(TestBackends.cpu());
    }
  }

  @Nested
  class Coupling extends CouplingSuite {
    Coupling() {
      super(TestBackends.cpu());
    }
  }

  @Nested
  class Reshape extends ReshapeSuite {
    Reshape() {
      super(TestBackends.cpu());
    }
  }

  @Nested
  class Conv extends ConvSuite {
    Conv() {
      super(TestBackends.cpu());
    }
  }
  @Nested
  class ConvTaps extends org.flowrt.ops.ConvTapsSuite {
    ConvTaps() {
      super(TestBackends.cpu());
    }
  }


  @Nested
  class Prior extends PriorSuite {
    Prior() {
      super(TestBackends.cpu());
    }
  }

  @Nested
  class Optimizer extends OptimizerSuite {
    Optimizer() {
      super(TestBackends.cpu());
    }
  }

  @Nested
  class Reduce extends ReduceSuite {
    Reduce() {
      super(TestBackends.cpu());
    }
  }

  @Nested
  class Glow extends GlowSuite {
    Glow() {
      super(TestBackends.cpu());
    }
  }

  @Nested
  class Planner extends PlannerSuite {
    Planner() {
      super(TestBackends.cpu());
    }
  }

  @Nested
  class DataParallel extends org.flowrt.train.DataParallelSuite {
    DataParallel() {
      super(org.flowrt.backend.cpu.CpuBackend::new);
    }
  }

  @Nested
  class Training extends TrainingSuite {
    Training() {
      super(TestBackends.cpu());
    }
  }

  @Nested
  class ClassicFlow extends ClassicFlowSuite {
    ClassicFlow() {
      super(TestBackends.cpu());
    }
  }

  @Nested
  class VectorFlow extends VectorFlowSuite {
    VectorFlow() {
      super(TestBackends.cpu());
    }
  }

  @Nested
  class Conditional extends ConditionalSuite {
    Conditional() {
      super(TestBackends.cpu());
    }
  }
}
