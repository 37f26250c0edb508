package org.flowrt.bench;

import static org.bytedeco.dnnl.global.dnnl.*;
import static org.flowrt.bench.DnnlBench.check;
import static org.flowrt.bench.DnnlBench.desc;

import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;

/**
 * oneDNN alone on each convolution shape of config A (batch 64), all three passes, with the
 * activations in plain NCHW (flowrt's layout; oneDNN then runs its GEMM convolution) and in the
 * layout oneDNN prefers (blocked; the reorders to and from NCHW are not timed), and each 1×1 shape
 * also as a batched matmul (weights broadcast over the images: W[O][I] · X[n][I][HW]), and the 1×1
 * GEMMs the taps recasting runs. Cache-warm: the same buffers every call. Run by
 * scripts/bench-conv-passes.sh; not a test. Median of 7 timings of 20 calls, after 5 warm-up calls.
 */
public final class ConvPassBench {
  private ConvPassBench() {}

  private static dnnl_engine engine;
  private static dnnl_stream stream;

  /** Times pd with three operands: each (argument, descriptor query) gets fresh memory of pd's layout. */
  private static String time(dnnl_primitive_desc pd, int[] args, int[] queries) {
    dnnl_primitive p = new dnnl_primitive();
    check(dnnl_primitive_create(p, pd), "dnnl_primitive_create");
    dnnl_exec_arg_t exec = new dnnl_exec_arg_t(args.length);
    for (int i = 0; i < args.length; i++)
      exec.position(i).arg(args[i]).memory(DnnlBench.memory(engine, dnnl_primitive_desc_query_md(pd, queries[i], 0)));
    exec.position(0);
    return String.format("%.3f (%s)", DnnlBench.medianMs(p, stream, args.length, exec, 5, 7, 20), DnnlBench.implementation(pd));
  }

  private static void convolution(int n, int in, int out, int side, int k, boolean plain) {
    long[] srcDims = {n, in, side, side}, dstDims = {n, out, side, side};
    int layout = plain ? dnnl_nchw : dnnl_format_tag_any;
    dnnl_memory_desc src = desc(srcDims, layout), dst = desc(dstDims, layout);
    dnnl_memory_desc wei = desc(new long[] {out, in, k, k}, dnnl_format_tag_any);
    long[] strides = {1, 1}, dilates = {0, 0}, pad = {k / 2, k / 2};
    dnnl_primitive_desc fwd = new dnnl_primitive_desc(), data = new dnnl_primitive_desc(), weights = new dnnl_primitive_desc();
    check(dnnl_convolution_forward_primitive_desc_create(fwd, engine, dnnl_forward_training, dnnl_convolution_direct,
        src, wei, null, dst, strides, dilates, pad, pad, null), "dnnl_convolution_forward_primitive_desc_create");
    check(dnnl_convolution_backward_data_primitive_desc_create(data, engine, dnnl_convolution_direct, src, wei, dst,
        strides, dilates, pad, pad, fwd, null), "dnnl_convolution_backward_data_primitive_desc_create");
    check(dnnl_convolution_backward_weights_primitive_desc_create(weights, engine, dnnl_convolution_direct, src, wei,
        null, dst, strides, dilates, pad, pad, fwd, null), "dnnl_convolution_backward_weights_primitive_desc_create");
    String f = time(fwd, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST},
        new int[] {dnnl_query_src_md, dnnl_query_weights_md, dnnl_query_dst_md});
    String d = time(data, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC},
        new int[] {dnnl_query_diff_dst_md, dnnl_query_weights_md, dnnl_query_diff_src_md});
    String w = time(weights, new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS},
        new int[] {dnnl_query_src_md, dnnl_query_diff_dst_md, dnnl_query_diff_weights_md});
    System.out.printf("| %d×%d %d → %d at %d×%d | %s | %s | %s | %s |%n", k, k, in, out, side, side,
        plain ? "NCHW" : "blocked", f, d, w);
  }

  private static void matmul(int n, int in, int out, int side) {
    long pixels = (long) side * side;
    dnnl_memory_desc w = desc(new long[] {1, out, in}, dnnl_abc), x = desc(new long[] {n, in, pixels}, dnnl_abc);
    dnnl_memory_desc y = desc(new long[] {n, out, pixels}, dnnl_abc);
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_matmul_primitive_desc_create(pd, engine, w, x, null, y, null), "dnnl_matmul_primitive_desc_create");
    String f = time(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST},
        new int[] {dnnl_query_src_md, dnnl_query_weights_md, dnnl_query_dst_md});
    System.out.printf("| 1×1 %d → %d at %d×%d | batched matmul | %s | | |%n", in, out, side, side, f);
  }

  public static void main(String[] args) {
    engine = new dnnl_engine();
    check(dnnl_engine_create(engine, dnnl_cpu, 0), "dnnl_engine_create");
    stream = new dnnl_stream();
    check(dnnl_stream_create(stream, engine, dnnl_stream_default_flags), "dnnl_stream_create");
    System.out.println("| shape (batch 64) | activations | forward ms | backward data ms | backward weights ms |");
    System.out.println("| --- | --- | --- | --- | --- |");
    int[][] threeByThree = {{2, 128, 16}, {128, 4, 16}, {4, 128, 8}, {128, 8, 8}, {8, 128, 4}, {128, 16, 4}};
    for (int[] s : threeByThree) {
      convolution(64, s[0], s[1], s[2], 3, true);
      convolution(64, s[0], s[1], s[2], 3, false);
    }
    for (int side : new int[] {16, 8, 4}) {
      convolution(64, 128, 128, side, 1, true);
      matmul(64, 128, 128, side);
    }
    // The 1×1 GEMMs of the taps recasting at level 1: im2col of 2 inputs (18 rows), 4 outputs' 36 taps.
    convolution(64, 18, 128, 16, 1, true);
    convolution(64, 128, 36, 16, 1, true);
  }
}
