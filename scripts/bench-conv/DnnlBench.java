package org.flowrt.bench;

import static org.bytedeco.dnnl.global.dnnl.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Arrays;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * What the oneDNN benchmarks beside it share: status checks, descriptors, memory they own, the name
 * of the implementation oneDNN picked and the timing protocol.
 */
final class DnnlBench {
  private DnnlBench() {}

  private static final List<Object> KEEP = new ArrayList<>();  // the bytes behind every memory, for the program's life

  static void check(int status, String call) {
    if (status != dnnl_success) throw new IllegalStateException(call + " failed: oneDNN status " + status);
  }

  static dnnl_memory_desc desc(long[] dims, int tag) {
    dnnl_memory_desc md = new dnnl_memory_desc();
    check(dnnl_memory_desc_create_with_tag(md, dims.length, dims, dnnl_f32, tag), "dnnl_memory_desc_create_with_tag");
    return md;
  }

  /** A memory object over freshly allocated bytes, filled with small positive floats. */
  static dnnl_memory memory(dnnl_engine engine, dnnl_memory_desc md) {
    dnnl_memory m = new dnnl_memory();
    check(dnnl_memory_create(m, md, engine, null), "dnnl_memory_create");
    BytePointer bytes = new BytePointer(Math.max(1, dnnl_memory_desc_get_size(md)));
    bytes.fill(0x3c);
    KEEP.add(bytes);
    check(dnnl_memory_set_data_handle(m, bytes), "dnnl_memory_set_data_handle");
    return m;
  }

  /** The implementation oneDNN chose for pd, e.g. "x64:gemm:jit". */
  static String implementation(dnnl_primitive_desc pd) {
    PointerPointer<BytePointer> name = new PointerPointer<>(1);
    check(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, name), "dnnl_primitive_desc_query");
    return name.get(BytePointer.class, 0).getString();
  }

  /**
   * The median over `rounds` timings of `calls` executions of p (ms a call), after `warmup` untimed
   * executions; the stream is waited on after the warm-up and after each round.
   */
  static double medianMs(dnnl_primitive p, dnnl_stream stream, int count, dnnl_exec_arg_t exec, int warmup, int rounds,
      int calls) {
    for (int i = 0; i < warmup; i++) check(dnnl_primitive_execute(p, stream, count, exec), "dnnl_primitive_execute");
    check(dnnl_stream_wait(stream), "dnnl_stream_wait");
    double[] ms = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < calls; i++) check(dnnl_primitive_execute(p, stream, count, exec), "dnnl_primitive_execute");
      check(dnnl_stream_wait(stream), "dnnl_stream_wait");
      ms[r] = (System.nanoTime() - t0) / 1e6 / calls;
    }
    Arrays.sort(ms);
    return ms[rounds / 2];
  }
}
