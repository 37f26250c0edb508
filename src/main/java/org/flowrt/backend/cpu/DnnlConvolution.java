package org.flowrt.backend.cpu;

import static org.bytedeco.dnnl.global.dnnl.*;
import static org.flowrt.backend.cpu.DnnlEngine.check;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.flowrt.backend.ConvShape;
import org.flowrt.backend.Convolution;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.NativeAddress;

/**
 * A oneDNN convolution plan (forward, backward data, backward weights) for one shape, on flowrt's
 * plain NCHW / OIHW buffers. Primitives are created once; each call only points the memory objects
 * at the buffers and executes.
 */
final class DnnlConvolution implements Convolution, AutoCloseable {
  private final DnnlEngine dnnl;
  private final ConvShape shape;
  private final List<dnnl_memory_desc> descs = new ArrayList<>();
  private final List<dnnl_primitive_desc> primitiveDescs = new ArrayList<>();
  private final List<dnnl_primitive> primitives = new ArrayList<>();
  private final List<dnnl_memory> memories = new ArrayList<>();
  private final dnnl_primitive forward;
  private final dnnl_primitive backwardData;
  private final dnnl_primitive backwardWeights;
  private final dnnl_memory src;
  private final dnnl_memory weights;
  private final dnnl_memory dst;
  private final dnnl_exec_arg_t execArgs = new dnnl_exec_arg_t(3);
  private boolean closed;

  DnnlConvolution(DnnlEngine dnnl, ConvShape shape) {
    this.dnnl = dnnl;
    this.shape = shape;
    int k = shape.kernelSize();
    dnnl_memory_desc srcMd = desc(new long[] {shape.batch(), shape.inChannels(), shape.height(), shape.width()}, dnnl_nchw);
    dnnl_memory_desc weiMd = desc(new long[] {shape.outChannels(), shape.inChannels(), k, k}, dnnl_oihw);
    dnnl_memory_desc dstMd = desc(new long[] {shape.batch(), shape.outChannels(), shape.height(), shape.width()}, dnnl_nchw);
    long[] strides = {1, 1};
    long[] dilates = {0, 0};
    long[] pad = {shape.padding(), shape.padding()};

    dnnl_primitive_desc fwdPd = new dnnl_primitive_desc();
    check(dnnl_convolution_forward_primitive_desc_create(fwdPd, dnnl.engine, dnnl_forward_training,
        dnnl_convolution_direct, srcMd, weiMd, null, dstMd, strides, dilates, pad, pad, null),
        "dnnl_convolution_forward_primitive_desc_create");
    primitiveDescs.add(fwdPd);
    dnnl_primitive_desc bwdDataPd = new dnnl_primitive_desc();
    check(dnnl_convolution_backward_data_primitive_desc_create(bwdDataPd, dnnl.engine, dnnl_convolution_direct,
        srcMd, weiMd, dstMd, strides, dilates, pad, pad, fwdPd, null),
        "dnnl_convolution_backward_data_primitive_desc_create");
    primitiveDescs.add(bwdDataPd);
    dnnl_primitive_desc bwdWeiPd = new dnnl_primitive_desc();
    check(dnnl_convolution_backward_weights_primitive_desc_create(bwdWeiPd, dnnl.engine, dnnl_convolution_direct,
        srcMd, weiMd, null, dstMd, strides, dilates, pad, pad, fwdPd, null),
        "dnnl_convolution_backward_weights_primitive_desc_create");
    primitiveDescs.add(bwdWeiPd);

    forward = primitive(fwdPd);
    backwardData = primitive(bwdDataPd);
    backwardWeights = primitive(bwdWeiPd);
    src = memory(srcMd);
    weights = memory(weiMd);
    dst = memory(dstMd);
  }

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

  @Override
  public ConvShape shape() {
    return shape;
  }

  private void run(dnnl_primitive primitive, String call, int argA, dnnl_memory memA, DeviceBuffer bufA, int argB,
      dnnl_memory memB, DeviceBuffer bufB, int argC, dnnl_memory memC, DeviceBuffer bufC) {
    if (closed) throw new IllegalStateException("convolution plan used after close");
    check(dnnl_memory_set_data_handle(memA, NativeAddress.pointer(bufA.address())), "dnnl_memory_set_data_handle");
    check(dnnl_memory_set_data_handle(memB, NativeAddress.pointer(bufB.address())), "dnnl_memory_set_data_handle");
    check(dnnl_memory_set_data_handle(memC, NativeAddress.pointer(bufC.address())), "dnnl_memory_set_data_handle");
    execArgs.position(0).arg(argA).memory(memA);
    execArgs.position(1).arg(argB).memory(memB);
    execArgs.position(2).arg(argC).memory(memC);
    execArgs.position(0);
    check(dnnl_primitive_execute(primitive, dnnl.stream, 3, execArgs), call);
    check(dnnl_stream_wait(dnnl.stream), "dnnl_stream_wait");
  }

  @Override
  public void forward(DeviceBuffer x, DeviceBuffer w, DeviceBuffer y) {
    checkBuffers(x, w, y);
    run(forward, "dnnl_primitive_execute(convolution forward)", DNNL_ARG_SRC, src, x, DNNL_ARG_WEIGHTS, weights, w,
        DNNL_ARG_DST, dst, y);
  }

  @Override
  public void backwardData(DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx) {
    checkBuffers(dx, w, dy);
    run(backwardData, "dnnl_primitive_execute(convolution backward data)", DNNL_ARG_DIFF_DST, dst, dy,
        DNNL_ARG_WEIGHTS, weights, w, DNNL_ARG_DIFF_SRC, src, dx);
  }

  @Override
  public void backwardFilter(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw) {
    checkBuffers(x, dw, dy);
    run(backwardWeights, "dnnl_primitive_execute(convolution backward weights)", DNNL_ARG_SRC, src, x,
        DNNL_ARG_DIFF_DST, dst, dy, DNNL_ARG_DIFF_WEIGHTS, weights, dw);
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    for (dnnl_primitive p : primitives) check(dnnl_primitive_destroy(p), "dnnl_primitive_destroy");
    for (dnnl_memory m : memories) check(dnnl_memory_destroy(m), "dnnl_memory_destroy");
    for (dnnl_primitive_desc pd : primitiveDescs) check(dnnl_primitive_desc_destroy(pd), "dnnl_primitive_desc_destroy");
    for (dnnl_memory_desc md : descs) check(dnnl_memory_desc_destroy(md), "dnnl_memory_desc_destroy");
    execArgs.close();
  }
}
