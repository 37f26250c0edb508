package org.flowrt.bench;

import static org.bytedeco.dnnl.global.dnnl.*;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.javacpp.BytePointer;

/** What the oneDNN benchmarks beside it share: status checks, descriptors, and memory they own. */
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
}
