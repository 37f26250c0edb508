package org.flowrt.backend;

/** A native library call (CUDA driver, cuDNN, cuBLAS, oneDNN) returned an error status. */
public class NativeCallException extends RuntimeException {
  private final String call;
  private final int status;

  public NativeCallException(String call, int status, String detail) {
    super(call + " failed with status " + status + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")"));
    this.call = call;
    this.status = status;
  }

  /** The name of the native function that failed. */
  public String call() {
    return call;
  }

  public int status() {
    return status;
  }
}
