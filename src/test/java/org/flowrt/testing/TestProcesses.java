package org.flowrt.testing;

/** What tests that start flowrt in another JVM need to know. */
public final class TestProcesses {
  private TestProcesses() {}

  /**
   * The classpath of flowrt and its tests: Maven's test classpath, or, under the distribution's
   * flowrt-test (JUnit's console launcher, whose own classpath is only its jar), the one it passes
   * as the system property flowrt.testClasspath.
   */
  public static String classpath() {
    return System.getProperty("flowrt.testClasspath", System.getProperty("java.class.path"));
  }
}
