package org.flowrt.backend;

/** An enum whose constants are passed to kernels as the int code the kernel's C enum uses. */
public interface KernelCode {
  int code();
}
