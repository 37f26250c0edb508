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
 * What an actnorm (+ ReLU) epilogue costs on oneDNN's forward 1×1 convolution, by activation layout
 * (run by scripts/bench-conv-epilogue.sh; not a test). Config A's widest convolution, 128 → 128 at
 * 16×16, batch 64: plain NCHW (oneDNN's GEMM convolution, what flowrt runs) and nChw8c (the AVX2
 * jit kernels), bare; with actnorm as per-channel binary add + mul post-ops and ReLU; with actnorm
 * folded into the weights and bias (w·s, b·s per output channel) and ReLU as the only post-op.
 * Median of `rounds` timings of 30 calls each, after 5 warm-up calls.
 */
public final class EpilogueBench {
  private EpilogueBench() {}

  private enum Epilogue { NONE, BINARY_ADD_MUL_RELU, BIAS, BIAS_RELU }

  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    dnnl_engine engine = new dnnl_engine();
    check(dnnl_engine_create(engine, dnnl_cpu, 0), "dnnl_engine_create");
    dnnl_stream stream = new dnnl_stream();
    check(dnnl_stream_create(stream, engine, dnnl_stream_default_flags), "dnnl_stream_create");
    int n = 64, c = 128, h = 16, w = 16;
    long[] act = {n, c, h, w};
    System.out.println("| layout | epilogue | ms a call (median) |");
    System.out.println("| --- | --- | --- |");
    for (int tag : new int[] {dnnl_nchw, dnnl_nChw8c})
      for (Epilogue e : Epilogue.values()) {
        if (tag == dnnl_nchw && e == Epilogue.BINARY_ADD_MUL_RELU) continue;  // measured 87 ms: a reference path
        dnnl_memory_desc src = desc(act, tag), dst = desc(act, tag), wei = desc(new long[] {c, c, 1, 1}, dnnl_format_tag_any);
        dnnl_memory_desc perChannel = desc(new long[] {1, c, 1, 1}, dnnl_nchw), bias = desc(new long[] {c}, dnnl_a);
        dnnl_post_ops ops = new dnnl_post_ops();
        check(dnnl_post_ops_create(ops), "dnnl_post_ops_create");
        if (e == Epilogue.BINARY_ADD_MUL_RELU) {
          check(dnnl_post_ops_append_binary(ops, dnnl_binary_add, perChannel), "dnnl_post_ops_append_binary");
          check(dnnl_post_ops_append_binary(ops, dnnl_binary_mul, perChannel), "dnnl_post_ops_append_binary");
        }
        if (e == Epilogue.BINARY_ADD_MUL_RELU || e == Epilogue.BIAS_RELU)
          check(dnnl_post_ops_append_eltwise(ops, dnnl_eltwise_relu, 0f, 0f), "dnnl_post_ops_append_eltwise");
        dnnl_primitive_attr attr = new dnnl_primitive_attr();
        check(dnnl_primitive_attr_create(attr), "dnnl_primitive_attr_create");
        check(dnnl_primitive_attr_set_post_ops(attr, ops), "dnnl_primitive_attr_set_post_ops");
        boolean withBias = e == Epilogue.BIAS || e == Epilogue.BIAS_RELU;
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        check(dnnl_convolution_forward_primitive_desc_create(pd, engine, dnnl_forward_inference, dnnl_convolution_direct,
            src, wei, withBias ? bias : null, dst, new long[] {1, 1}, new long[] {0, 0}, new long[] {0, 0},
            new long[] {0, 0}, attr), "dnnl_convolution_forward_primitive_desc_create");
        dnnl_primitive conv = new dnnl_primitive();
        check(dnnl_primitive_create(conv, pd), "dnnl_primitive_create");
        dnnl_exec_arg_t exec = new dnnl_exec_arg_t(5);
        int count = 0;
        exec.position(count++).arg(DNNL_ARG_SRC).memory(DnnlBench.memory(engine, src));
        exec.position(count++).arg(DNNL_ARG_WEIGHTS).memory(DnnlBench.memory(engine, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0)));
        exec.position(count++).arg(DNNL_ARG_DST).memory(DnnlBench.memory(engine, dst));
        if (withBias) exec.position(count++).arg(DNNL_ARG_BIAS).memory(DnnlBench.memory(engine, bias));
        if (e == Epilogue.BINARY_ADD_MUL_RELU) {
          exec.position(count++).arg(DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE | DNNL_ARG_SRC_1).memory(DnnlBench.memory(engine, perChannel));
          exec.position(count++).arg(2 * DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE | DNNL_ARG_SRC_1).memory(DnnlBench.memory(engine, perChannel));
        }
        exec.position(0);
        double median = DnnlBench.medianMs(conv, stream, count, exec, 5, rounds, 30);
        System.out.printf("| %s | %s | %.2f |%n", tag == dnnl_nchw ? "plain NCHW (GEMM)" : "nChw8c (jit)",
            e.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '), median);
      }
  }
}
