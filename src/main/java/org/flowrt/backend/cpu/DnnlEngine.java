package org.flowrt.backend.cpu;

import static org.bytedeco.dnnl.global.dnnl.*;

import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_stream;
import org.flowrt.backend.NativeCallException;

/** oneDNN's CPU engine and stream, shared by the CPU backend's convolution plans. */
final class DnnlEngine implements AutoCloseable {
  final dnnl_engine engine = new dnnl_engine();
  final dnnl_stream stream = new dnnl_stream();
  private boolean closed;

  DnnlEngine() {
    check(dnnl_engine_create(engine, dnnl_cpu, 0), "dnnl_engine_create");
    check(dnnl_stream_create(stream, engine, dnnl_stream_default_flags), "dnnl_stream_create");
  }

  /** Turns a oneDNN status into an exception naming the call. */
  static void check(int status, String call) {
    if (status != dnnl_success) throw new NativeCallException(call, status, statusName(status));
  }

  private static String statusName(int status) {
    if (status == dnnl_out_of_memory) return "out of memory";
    if (status == dnnl_invalid_arguments) return "invalid arguments";
    if (status == dnnl_unimplemented) return "unimplemented";
    return "oneDNN status " + status;
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    check(dnnl_stream_destroy(stream), "dnnl_stream_destroy");
    check(dnnl_engine_destroy(engine), "dnnl_engine_destroy");
  }
}
