package org.flowrt.bench;

import static org.bytedeco.dnnl.global.dnnl.*;
import static org.flowrt.bench.DnnlBench.check;
import static org.flowrt.bench.DnnlBench.desc;

import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_post_ops;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;

/**
 * The coupling network's inference convolutions of config A (batch 64, width 128; levels at 16×16,
 * 8×8 and 4×4 with 2, 4 and 8 conditioner channels, one more with the edge bias's ones channel) by
 * activation layout, forward inference on 2 threads (run by scripts/bench-conv-inference.sh; not a
 * test). Prints oneDNN's implementation for each: where it is a reference loop ("ref:any") one call
 * is timed, else the median of `rounds` timings of 20 calls after 5 warm-up calls.
 */
public final class InferenceLayoutBench {
  private InferenceLayoutBench() {}

  private static dnnl_engine engine;
  private static dnnl_stream stream;

  private static String layout(int tag) {
    return tag == dnnl_nchw ? "NCHW" : tag == dnnl_nChw8c ? "nChw8c" : "oneDNN's choice";
  }

  /** One convolution: n×ci×hw×hw → co, k×k, src and dst in the given tags, with a bias + ReLU epilogue or none. */
  private static void run(int rounds, int n, int ci, int co, int hw, int k, int srcTag, int dstTag, boolean biasRelu) {
    long[] srcDims = {n, ci, hw, hw}, dstDims = {n, co, hw, hw};
    dnnl_memory_desc src = desc(srcDims, srcTag), dst = desc(dstDims, dstTag);
    dnnl_memory_desc wei = desc(new long[] {co, ci, k, k}, dnnl_format_tag_any), bias = desc(new long[] {co}, dnnl_a);
    dnnl_post_ops ops = new dnnl_post_ops();
    check(dnnl_post_ops_create(ops), "dnnl_post_ops_create");
    if (biasRelu) check(dnnl_post_ops_append_eltwise(ops, dnnl_eltwise_relu, 0f, 0f), "dnnl_post_ops_append_eltwise");
    dnnl_primitive_attr attr = new dnnl_primitive_attr();
    check(dnnl_primitive_attr_create(attr), "dnnl_primitive_attr_create");
    check(dnnl_primitive_attr_set_post_ops(attr, ops), "dnnl_primitive_attr_set_post_ops");
    long[] pad = {k / 2, k / 2};
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_convolution_forward_primitive_desc_create(pd, engine, dnnl_forward_inference, dnnl_convolution_direct, src,
        wei, biasRelu ? bias : null, dst, new long[] {1, 1}, new long[] {0, 0}, pad, pad, attr),
        "dnnl_convolution_forward_primitive_desc_create");
    String impl = DnnlBench.implementation(pd);
    dnnl_primitive conv = new dnnl_primitive();
    check(dnnl_primitive_create(conv, pd), "dnnl_primitive_create");
    dnnl_exec_arg_t exec = new dnnl_exec_arg_t(4);
    int count = 0;
    exec.position(count++).arg(DNNL_ARG_SRC).memory(DnnlBench.memory(engine, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0)));
    exec.position(count++).arg(DNNL_ARG_WEIGHTS).memory(DnnlBench.memory(engine, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0)));
    exec.position(count++).arg(DNNL_ARG_DST).memory(DnnlBench.memory(engine, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0)));
    if (biasRelu) exec.position(count++).arg(DNNL_ARG_BIAS).memory(DnnlBench.memory(engine, bias));
    exec.position(0);
    boolean reference = impl.startsWith("ref");
    int warmup = reference ? 0 : 5, calls = reference ? 1 : 20, times = reference ? 1 : rounds;
    double median = DnnlBench.medianMs(conv, stream, count, exec, warmup, times, calls);
    System.out.printf("| %d×%d %d → %d at %d×%d | %s → %s | %s | %s | %.2f |%n", k, k, ci, co, hw, hw, layout(srcTag),
        layout(dstTag), biasRelu ? "bias + ReLU" : "none", impl, median);
  }

  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    engine = new dnnl_engine();
    check(dnnl_engine_create(engine, dnnl_cpu, 0), "dnnl_engine_create");
    stream = new dnnl_stream();
    check(dnnl_stream_create(stream, engine, dnnl_stream_default_flags), "dnnl_stream_create");
    int n = 64, width = 128;
    System.out.println("| convolution | layouts | epilogue | oneDNN implementation | ms a call (median) |");
    System.out.println("| --- | --- | --- | --- | --- |");
    int[][] levels = {{16, 2, 4}, {8, 4, 8}, {4, 8, 16}};  // {size, conditioner channels, network outputs}
    for (int[] level : levels) {
      int hw = level[0], cond = level[1], out = level[2];
      for (int ci : new int[] {cond, cond + 1}) {
        run(rounds, n, ci, width, hw, 3, dnnl_nchw, dnnl_nChw8c, true);
        run(rounds, n, ci, width, hw, 3, dnnl_format_tag_any, dnnl_nChw8c, true);
      }
      run(rounds, n, width, width, hw, 1, dnnl_nChw8c, dnnl_nChw8c, true);
      run(rounds, n, width, width, hw, 1, dnnl_nchw, dnnl_nchw, false);
      run(rounds, n, width, width, hw, 1, dnnl_nchw, dnnl_nchw, true);
      run(rounds, n, width, out, hw, 3, dnnl_nChw8c, dnnl_format_tag_any, false);
      run(rounds, n, width, 9 * out, hw, 1, dnnl_nChw8c, dnnl_nChw8c, false);
      run(rounds, n, width, 9 * out, hw, 1, dnnl_nChw8c, dnnl_nchw, false);
      run(rounds, n, width, 9 * out, hw, 1, dnnl_nchw, dnnl_nchw, false);
    }
  }
}
