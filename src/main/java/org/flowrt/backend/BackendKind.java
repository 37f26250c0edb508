package org.flowrt.backend;

import java.util.Locale;

/** The two implementations of {@link Backend}. */
public enum BackendKind {
  /** The host build of the kernels in cuda/, convolutions through oneDNN. */
  CPU,
  /** The nvcc-built fatbin through the CUDA driver API, convolutions through cuDNN. */
  CUDA;

  /** Parses "cpu" / "cuda" (any case); names the accepted values when the text is neither. */
  public static BackendKind parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown backend '" + text + "': expected cpu or cuda");
    }
  }
}
