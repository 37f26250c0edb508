package org.flowrt.backend.cpu;

import static org.bytedeco.dnnl.global.dnnl.*;
import static org.flowrt.backend.cpu.DnnlEngine.check;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.BytePointer;
import org.flowrt.backend.ConvShape;
import org.flowrt.backend.ConvScratch;
import org.flowrt.backend.Convolution;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.MemoryPool;
import org.flowrt.backend.NativeAddress;

/**
 * A oneDNN convolution plan (forward, backward data, backward weights) for one shape. oneDNN picks
 * its own (blocked) layouts for each pass; on flowrt's plain NCHW / OIHW buffers its 3×3 kernels
 * fall back to a reference implementation (measured 100× slower, docs/benchmarks.md), so each
 * operand whose chosen layout differs from the plain one is reordered into a cached buffer before
 * the pass (inputs) or back after it (outputs). Primitives are created once per shape; the reorder
 * buffers come from the backend's pool for the duration of one pass (reused from its free list).
 * Forward and backward data of the 1×1 convolutions on plain NCHW run in pieces of the batch on the
 * backend's {@link ConvWorkers} ({@link Pieces}), so an unevenly shared CPU does not hold a
 * pass to the pace of its slower core.
 */
final class DnnlConvolution implements CpuConvolution {
  private final DnnlEngine dnnl;
  private final MemoryPool pool;
  private final ConvShape shape;
  private final List<dnnl_memory_desc> descs = new ArrayList<>();
  private final List<dnnl_primitive_desc> primitiveDescs = new ArrayList<>();
  private final List<dnnl_primitive> primitives = new ArrayList<>();
  private final List<dnnl_memory> memories = new ArrayList<>();
  private final List<dnnl_stream> streams = new ArrayList<>();
  private final List<dnnl_exec_arg_t> execs = new ArrayList<>();
  private final List<BytePointer> scratchBuffers = new ArrayList<>();
  private final ConvWorkers workers;
  private final Pass forward;
  private final Pass backwardData;
  private final Pieces pieces;  // null where forward and backward data run whole
  private final Pass backwardWeights;
  private final dnnl_exec_arg_t execArgs = new dnnl_exec_arg_t(3);
  private boolean closed;

  DnnlConvolution(DnnlEngine dnnl, MemoryPool pool, ConvWorkers workers, ConvShape shape) {
    this.dnnl = dnnl;
    this.pool = pool;
    this.workers = workers;
    this.shape = shape;
    int k = shape.kernelSize();
    long[] srcDims = {shape.batch(), shape.inChannels(), shape.height(), shape.width()};
    long[] weiDims = {shape.outChannels(), shape.inChannels(), k, k};
    long[] dstDims = {shape.batch(), shape.outChannels(), shape.height(), shape.width()};
    dnnl_memory_desc srcPlain = desc(srcDims, dnnl_nchw), weiPlain = desc(weiDims, dnnl_oihw), dstPlain = desc(dstDims, dnnl_nchw);
    // A 1×1 convolution on plain NCHW activations is a GEMM per image (oneDNN's gemm:jit), with no
    // reorder of the activations into and out of oneDNN's blocked layout: config A trains 10–13 %
    // faster than with the blocked jit_1x1 kernels and their reorders (docs/benchmarks.md). K×K
    // convolutions keep the layout oneDNN prefers: forcing NCHW on them was 15 % slower overall.
    boolean plainActivations = k == 1;
    dnnl_memory_desc srcAny = plainActivations ? srcPlain : desc(srcDims, dnnl_format_tag_any);
    dnnl_memory_desc weiAny = desc(weiDims, dnnl_format_tag_any);
    dnnl_memory_desc dstAny = plainActivations ? dstPlain : desc(dstDims, dnnl_format_tag_any);
    long[] pad = {shape.padding(), shape.padding()};

    dnnl_primitive_desc fwdPd = new dnnl_primitive_desc();
    check(dnnl_convolution_forward_primitive_desc_create(fwdPd, dnnl.engine, dnnl_forward_training,
        dnnl_convolution_direct, srcAny, weiAny, null, dstAny, STRIDES, DILATES, pad, pad, null),
        "dnnl_convolution_forward_primitive_desc_create");
    primitiveDescs.add(fwdPd);
    dnnl_primitive_desc dataPd = new dnnl_primitive_desc();
    check(dnnl_convolution_backward_data_primitive_desc_create(dataPd, dnnl.engine, dnnl_convolution_direct,
        srcAny, weiAny, dstAny, STRIDES, DILATES, pad, pad, fwdPd, null),
        "dnnl_convolution_backward_data_primitive_desc_create");
    primitiveDescs.add(dataPd);
    dnnl_primitive_desc weiPd = new dnnl_primitive_desc();
    check(dnnl_convolution_backward_weights_primitive_desc_create(weiPd, dnnl.engine, dnnl_convolution_direct,
        srcAny, weiAny, null, dstAny, STRIDES, DILATES, pad, pad, fwdPd, null),
        "dnnl_convolution_backward_weights_primitive_desc_create");
    primitiveDescs.add(weiPd);

    forward = new Pass(fwdPd, "convolution forward",
        new Operand(DNNL_ARG_SRC, false, srcPlain, dnnl_primitive_desc_query_md(fwdPd, dnnl_query_src_md, 0)),
        new Operand(DNNL_ARG_WEIGHTS, false, weiPlain, dnnl_primitive_desc_query_md(fwdPd, dnnl_query_weights_md, 0)),
        new Operand(DNNL_ARG_DST, true, dstPlain, dnnl_primitive_desc_query_md(fwdPd, dnnl_query_dst_md, 0)));
    backwardData = new Pass(dataPd, "convolution backward data",
        new Operand(DNNL_ARG_DIFF_DST, false, dstPlain, dnnl_primitive_desc_query_md(dataPd, dnnl_query_diff_dst_md, 0)),
        new Operand(DNNL_ARG_WEIGHTS, false, weiPlain, dnnl_primitive_desc_query_md(dataPd, dnnl_query_weights_md, 0)),
        new Operand(DNNL_ARG_DIFF_SRC, true, srcPlain, dnnl_primitive_desc_query_md(dataPd, dnnl_query_diff_src_md, 0)));
    boolean piecewise = plainActivations && workers.count() > 1
        && forward.scratchBytes().length == 0 && backwardData.scratchBytes().length == 0;
    int images = piecewise ? imagesPerPiece(shape, workers.count()) : shape.batch();
    pieces = images < shape.batch() ? new Pieces(images, weiPlain) : null;
    backwardWeights = new Pass(weiPd, "convolution backward weights",
        new Operand(DNNL_ARG_SRC, false, srcPlain, dnnl_primitive_desc_query_md(weiPd, dnnl_query_src_md, 0)),
        new Operand(DNNL_ARG_DIFF_DST, false, dstPlain, dnnl_primitive_desc_query_md(weiPd, dnnl_query_diff_dst_md, 0)),
        new Operand(DNNL_ARG_DIFF_WEIGHTS, true, weiPlain, dnnl_primitive_desc_query_md(weiPd, dnnl_query_diff_weights_md, 0)));
  }

  private static final long[] STRIDES = {1, 1};
  private static final long[] DILATES = {0, 0};

  private dnnl_memory_desc desc(long[] dims, int tag) {
    dnnl_memory_desc md = new dnnl_memory_desc();
    check(dnnl_memory_desc_create_with_tag(md, dims.length, dims, dnnl_f32, tag), "dnnl_memory_desc_create_with_tag");
    descs.add(md);
    return md;
  }

  private dnnl_primitive primitive(dnnl_primitive_desc pd) {
    dnnl_primitive p = new dnnl_primitive();
    check(dnnl_primitive_create(p, pd), "dnnl_primitive_create");
    primitives.add(p);
    return p;
  }

  private dnnl_memory memory(dnnl_memory_desc md) {
    dnnl_memory m = new dnnl_memory();
    check(dnnl_memory_create(m, md, dnnl.engine, null), "dnnl_memory_create");
    memories.add(m);
    return m;
  }

  /** One operand of a pass: the user's plain buffer and, when oneDNN wants another layout, a reordered copy. */
  private final class Operand {
    final int arg;
    final boolean output;
    final dnnl_memory user;
    final dnnl_memory inner;
    final dnnl_primitive reorder;
    final long innerBytes;

    Operand(int arg, boolean output, dnnl_memory_desc plain, dnnl_memory_desc chosen) {
      this.arg = arg;
      this.output = output;
      user = memory(plain);
      if (dnnl_memory_desc_equal(plain, chosen) != 0) {
        inner = user;
        reorder = null;
        innerBytes = 0;
        return;
      }
      innerBytes = dnnl_memory_desc_get_size(chosen);
      inner = memory(chosen);
      dnnl_primitive_desc pd = new dnnl_primitive_desc();
      check(output ? dnnl_reorder_primitive_desc_create(pd, chosen, dnnl.engine, plain, dnnl.engine, null)
          : dnnl_reorder_primitive_desc_create(pd, plain, dnnl.engine, chosen, dnnl.engine, null),
          "dnnl_reorder_primitive_desc_create");
      primitiveDescs.add(pd);
      reorder = primitive(pd);
    }

    /** Points the operand at the user's buffer; returns the pass-long reorder buffer, or null. */
    DeviceBuffer bind(DeviceBuffer b) {
      setHandle(user, b.address());
      if (reorder == null) return null;
      DeviceBuffer buffer = DeviceBuffer.allocate(pool, DType.F32, (innerBytes + 3) / 4);
      setHandle(inner, buffer.address());
      return buffer;
    }

    void reorder(String what) {
      if (reorder == null) return;
      execArgs.position(0).arg(DNNL_ARG_FROM).memory(output ? inner : user);
      execArgs.position(1).arg(DNNL_ARG_TO).memory(output ? user : inner);
      execArgs.position(0);
      check(dnnl_primitive_execute(reorder, dnnl.stream, 2, execArgs), "dnnl_primitive_execute(reorder for " + what + ")");
    }
  }

  private static void setHandle(dnnl_memory m, long address) {
    check(dnnl_memory_set_data_handle(m, NativeAddress.pointer(address)), "dnnl_memory_set_data_handle");
  }

  /** One convolution primitive with its three operands. */
  private final class Pass {
    final dnnl_primitive primitive;
    final String name;
    final Operand[] operands;

    Pass(dnnl_primitive_desc pd, String name, Operand... operands) {
      this.primitive = primitive(pd);
      this.name = name;
      this.operands = operands;
    }

    void run(DeviceBuffer a, DeviceBuffer b, DeviceBuffer c) {
      if (closed) throw new IllegalStateException("convolution plan used after close");
      DeviceBuffer[] bufs = {a, b, c};
      DeviceBuffer[] scratch = new DeviceBuffer[3];
      try {
        for (int i = 0; i < 3; i++) scratch[i] = operands[i].bind(bufs[i]);
        for (Operand o : operands) if (!o.output) o.reorder(name);
        for (int i = 0; i < 3; i++) execArgs.position(i).arg(operands[i].arg).memory(operands[i].inner);
        execArgs.position(0);
        check(dnnl_primitive_execute(primitive, dnnl.stream, 3, execArgs), "dnnl_primitive_execute(" + name + ")");
        for (Operand o : operands) if (o.output) o.reorder(name);
        check(dnnl_stream_wait(dnnl.stream), "dnnl_stream_wait");
      } finally {
        for (DeviceBuffer d : scratch) if (d != null) d.close();
      }
    }

    /** The reorder buffers this pass takes from the pool, in the order it takes them. */
    long[] scratchBytes() {
      return java.util.Arrays.stream(operands).filter(o -> o.reorder != null).mapToLong(o -> o.innerBytes).toArray();
    }
  }

  /**
   * Images per piece of a pass run on the workers: about four pieces per worker, so the worker on the
   * busier core leaves its share to the other, and at least 16 MFLOP a piece (a oneDNN call and the
   * helper's wake-up cost microseconds; with 4 MFLOP config A sampled up to 10 % slower alone); the
   * whole batch (no pieces) where that leaves fewer than two.
   */
  static int imagesPerPiece(ConvShape s, int workers) {
    long flopsPerImage = 2L * s.height() * s.width() * s.inChannels() * s.outChannels() * s.kernelSize() * s.kernelSize();
    int byWorkers = (s.batch() + 4 * workers - 1) / (4 * workers);
    int byCost = (int) Math.min(s.batch(), (16_000_000L + flopsPerImage - 1) / flopsPerImage);
    int images = Math.max(1, Math.max(byWorkers, byCost));
    return (s.batch() + images - 1) / images >= 2 ? images : s.batch();
  }

  /**
   * Forward and backward data in pieces of `images` images on the backend's convolution workers (the
   * images are independent in both). Only for passes with no reorder (the 1×1 convolutions on plain
   * NCHW: oneDNN's GEMM), so a piece is a primitive on offsets into the user's buffers. Per piece
   * size, one forward primitive descriptor (also backward data's hint); per worker and piece size,
   * each pass's own primitive, created single-threaded (oneDNN fixes its work split then), memory
   * objects, a user-owned scratchpad (concurrent primitives must not share oneDNN's) and stream.
   */
  private final class Pieces {
    final int images;
    final int count;
    final int lastImages;
    final long inPerImage;   // elements per image of x (and dx)
    final long outPerImage;  // and of y (and dy)
    final Piece[][] forward;  // [worker][0: a full piece, 1: the smaller last piece]
    final Piece[][] backwardData;

    /** wei: the plain OIHW weights' descriptor, the same for every piece. */
    Pieces(int images, dnnl_memory_desc wei) {
      this.images = images;
      int n = shape.batch();
      count = (n + images - 1) / images;
      lastImages = n - (count - 1) * images;
      long hw = (long) shape.height() * shape.width();
      inPerImage = shape.inChannels() * hw;
      outPerImage = shape.outChannels() * hw;
      int[] sizes = lastImages == images ? new int[] {images} : new int[] {images, lastImages};
      forward = new Piece[workers.count()][sizes.length];
      backwardData = new Piece[workers.count()][sizes.length];
      long[] pad = {shape.padding(), shape.padding()};
      int before = HostKernels.callingThreadOpenMpThreads();
      HostKernels.setCallingThreadOpenMpThreads(1);
      try {
        for (int i = 0; i < sizes.length; i++) {
          dnnl_memory_desc src = desc(new long[] {sizes[i], shape.inChannels(), shape.height(), shape.width()}, dnnl_nchw);
          dnnl_memory_desc dst = desc(new long[] {sizes[i], shape.outChannels(), shape.height(), shape.width()}, dnnl_nchw);
          dnnl_primitive_attr attr = new dnnl_primitive_attr();
          check(dnnl_primitive_attr_create(attr), "dnnl_primitive_attr_create");
          try {
            check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "dnnl_primitive_attr_set_scratchpad_mode");
            dnnl_primitive_desc fwd = new dnnl_primitive_desc();
            check(dnnl_convolution_forward_primitive_desc_create(fwd, dnnl.engine, dnnl_forward_training,
                dnnl_convolution_direct, src, wei, null, dst, STRIDES, DILATES, pad, pad, attr),
                "dnnl_convolution_forward_primitive_desc_create (piece of " + sizes[i] + " images)");
            primitiveDescs.add(fwd);
            dnnl_primitive_desc data = new dnnl_primitive_desc();
            check(dnnl_convolution_backward_data_primitive_desc_create(data, dnnl.engine, dnnl_convolution_direct,
                src, wei, dst, STRIDES, DILATES, pad, pad, fwd, attr),
                "dnnl_convolution_backward_data_primitive_desc_create (piece of " + sizes[i] + " images)");
            primitiveDescs.add(data);
            for (int w = 0; w < workers.count(); w++) {
              forward[w][i] = new Piece(fwd, "convolution forward (piece)", DNNL_ARG_SRC, src, DNNL_ARG_WEIGHTS, wei, DNNL_ARG_DST, dst);
              backwardData[w][i] = new Piece(data, "convolution backward data (piece)", DNNL_ARG_DIFF_DST, dst,
                  DNNL_ARG_WEIGHTS, wei, DNNL_ARG_DIFF_SRC, src);
            }
          } finally {
            check(dnnl_primitive_attr_destroy(attr), "dnnl_primitive_attr_destroy");
          }
        }
      } finally {
        HostKernels.setCallingThreadOpenMpThreads(before);
      }
    }

    /** Runs `pass` (forward or backward data) piece by piece: first → third, through the weights. */
    void run(Piece[][] pass, long firstPerImage, long thirdPerImage, DeviceBuffer first, DeviceBuffer weights,
        DeviceBuffer third) {
      if (closed) throw new IllegalStateException("convolution plan used after close");
      long a = first.address(), w = weights.address(), c = third.address();
      int before = HostKernels.callingThreadOpenMpThreads();
      HostKernels.setCallingThreadOpenMpThreads(1);
      try {
        workers.run(count, (worker, i) -> {
          long image = (long) i * images;
          pass[worker][i == count - 1 && lastImages != images ? 1 : 0]
              .run(a + image * firstPerImage * Float.BYTES, w, c + image * thirdPerImage * Float.BYTES);
        });
      } finally {
        HostKernels.setCallingThreadOpenMpThreads(before);
      }
    }
  }

  /** A piece's primitive on one worker, with its own memory objects, scratchpad and stream. */
  private final class Piece {
    final dnnl_primitive primitive;
    final String name;
    final dnnl_memory[] operands = new dnnl_memory[3];
    final dnnl_stream stream = new dnnl_stream();
    final dnnl_exec_arg_t exec = new dnnl_exec_arg_t(4);
    final int count;

    Piece(dnnl_primitive_desc pd, String name, int arg0, dnnl_memory_desc md0, int arg1, dnnl_memory_desc md1, int arg2,
        dnnl_memory_desc md2) {
      this.primitive = primitive(pd);
      this.name = name;
      check(dnnl_stream_create(stream, dnnl.engine, dnnl_stream_default_flags), "dnnl_stream_create");
      streams.add(stream);
      execs.add(exec);
      int[] args = {arg0, arg1, arg2};
      dnnl_memory_desc[] mds = {md0, md1, md2};
      for (int i = 0; i < 3; i++) {
        operands[i] = memory(mds[i]);
        exec.position(i).arg(args[i]).memory(operands[i]);
      }
      dnnl_memory_desc scratchMd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
      long bytes = scratchMd == null ? 0 : dnnl_memory_desc_get_size(scratchMd);
      if (bytes > 0) {
        dnnl_memory scratchpad = memory(scratchMd);
        BytePointer buffer = new BytePointer(bytes);
        scratchBuffers.add(buffer);
        setHandle(scratchpad, buffer.address());
        exec.position(3).arg(DNNL_ARG_SCRATCHPAD).memory(scratchpad);
        count = 4;
      } else {
        count = 3;
      }
      exec.position(0);
    }

    void run(long a, long b, long c) {
      setHandle(operands[0], a);
      setHandle(operands[1], b);
      setHandle(operands[2], c);
      check(dnnl_primitive_execute(primitive, stream, count, exec), "dnnl_primitive_execute(" + name + ")");
      check(dnnl_stream_wait(stream), "dnnl_stream_wait");
    }
  }

  /** Whether forward and backward data run in pieces of the batch on the workers. */
  boolean runsInPieces() {
    return pieces != null;
  }

  @Override
  public ConvShape shape() {
    return shape;
  }

  /** The reorder buffers a pass takes from the pool, in the order it takes them (for the planner). */
  @Override
  public long[] scratchBytes(ConvScratch.Pass pass) {
    return switch (pass) {
      case FORWARD -> forward.scratchBytes();
      case BACKWARD_DATA -> backwardData.scratchBytes();
      case BACKWARD_FILTER -> backwardWeights.scratchBytes();
    };
  }

  @Override
  public void forward(DeviceBuffer x, DeviceBuffer w, DeviceBuffer y) {
    checkBuffers(x, w, y);
    if (pieces != null) pieces.run(pieces.forward, pieces.inPerImage, pieces.outPerImage, x, w, y);
    else forward.run(x, w, y);
  }

  @Override
  public void backwardData(DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx) {
    checkBuffers(dx, w, dy);
    if (pieces != null) pieces.run(pieces.backwardData, pieces.outPerImage, pieces.inPerImage, dy, w, dx);
    else backwardData.run(dy, w, dx);
  }

  @Override
  public void backwardFilter(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw) {
    checkBuffers(x, dw, dy);
    backwardWeights.run(x, dy, dw);
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    for (dnnl_primitive p : primitives) check(dnnl_primitive_destroy(p), "dnnl_primitive_destroy");
    for (dnnl_stream st : streams) check(dnnl_stream_destroy(st), "dnnl_stream_destroy");
    for (dnnl_exec_arg_t e : execs) e.close();
    for (BytePointer b : scratchBuffers) b.close();
    for (dnnl_memory m : memories) check(dnnl_memory_destroy(m), "dnnl_memory_destroy");
    for (dnnl_primitive_desc pd : primitiveDescs) check(dnnl_primitive_desc_destroy(pd), "dnnl_primitive_desc_destroy");
    for (dnnl_memory_desc md : descs) check(dnnl_memory_desc_destroy(md), "dnnl_memory_desc_destroy");
    execArgs.close();
  }
}
