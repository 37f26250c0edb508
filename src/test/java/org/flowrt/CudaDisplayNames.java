package org.flowrt;

import java.lang.reflect.Method;
import org.flowrt.backend.cuda.CudaProbe;
import org.junit.jupiter.api.DisplayNameGenerator;

/** Test names that say which CUDA device ran them: a GPU's name, or "flowrt host shim ...". */
final class CudaDisplayNames extends DisplayNameGenerator.Standard {
  private static String device() {
    CudaProbe.Result probe = CudaProbe.probe();
    return probe.available() ? " [" + probe.deviceName() + "]" : "";
  }

  @Override
  public String generateDisplayNameForClass(Class<?> testClass) {
    return super.generateDisplayNameForClass(testClass) + device();
  }

  @Override
  public String generateDisplayNameForNestedClass(Class<?> nestedClass) {
    return super.generateDisplayNameForNestedClass(nestedClass) + device();
  }

  @Override
  public String generateDisplayNameForMethod(Class<?> testClass, Method testMethod) {
    return super.generateDisplayNameForMethod(testClass, testMethod) + device();
  }
}
