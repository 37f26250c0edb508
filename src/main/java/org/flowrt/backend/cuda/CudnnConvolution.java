package org.flowrt.backend.cuda;

import static org.bytedeco.cuda.global.cudnn.*;
import static org.flowrt.backend.cuda.CudaStatus.cudnn;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import java.util.List;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdDataAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdFilterAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionFwdAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionStruct;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.flowrt.backend.BackendOptions;
import org.flowrt.backend.ConvAlgorithms;
import org.flowrt.backend.ConvMath;
import org.flowrt.backend.ConvScratch;
import org.flowrt.backend.ConvShape;
import org.flowrt.backend.Convolution;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.MemoryPool;
import org.flowrt.backend.NativeAddress;

/**
 * cuDNN plan for one convolution shape: descriptors and, for each pass, the algorithm chosen once
 * from cudnnFind*'s measurements. By default FP32 FMA math, so GPU results match the float64
 * reference as closely as the CPU's, and the fastest deterministic algorithm
 * ({@link ConvAlgorithms}, {@link ConvMath}). With TF32 allowed each pass runs with the math type
 * cudnnFind* measured its algorithm with (one pass may take tensor cores and another not). A pass's workspace is taken from the backend's caching pool for that
 * pass only and given back when the call is enqueued: the block stays cached for reuse, work on the
 * backend's one stream runs in order so a later user of the block cannot overtake this pass, and the
 * allocator's in-use bytes still return to their level after every pass (the suites' leak checks).
 */
final class CudnnConvolution implements Convolution {
  private static final int CANDIDATES = 8;

  /**
   * One pass's choice: the algorithm, its workspace, whether it is deterministic, and the cuDNN math
   * type it was measured with.
   */
  record Choice(int algorithm, long workspaceBytes, boolean deterministic, int mathType) {}

  private final CudaBackend backend;
  private final cudnnContext handle;
  private final MemoryPool pool;
  private final ConvShape shape;
  private final cudnnTensorStruct xDesc = new cudnnTensorStruct();
  private final cudnnTensorStruct yDesc = new cudnnTensorStruct();
  private final cudnnFilterStruct wDesc = new cudnnFilterStruct();
  private final cudnnConvolutionStruct convDesc = new cudnnConvolutionStruct();
  private final FloatPointer one = new FloatPointer(1f);
  private final FloatPointer zero = new FloatPointer(0f);
  private final Choice forward;
  private final Choice data;
  private final Choice filter;
  private int descriptorMath;  // the math type convDesc holds now
  private boolean closed;

  CudnnConvolution(CudaBackend backend, cudnnContext handle, MemoryPool pool, ConvShape s, BackendOptions options) {
    this.backend = backend;
    this.handle = handle;
    this.pool = pool;
    this.shape = s;
    int k = s.kernelSize(), p = s.padding();
    cudnn(cudnnCreateTensorDescriptor(xDesc), "cudnnCreateTensorDescriptor");
    cudnn(cudnnCreateTensorDescriptor(yDesc), "cudnnCreateTensorDescriptor");
    cudnn(cudnnCreateFilterDescriptor(wDesc), "cudnnCreateFilterDescriptor");
    cudnn(cudnnCreateConvolutionDescriptor(convDesc), "cudnnCreateConvolutionDescriptor");
    cudnn(cudnnSetTensor4dDescriptor(xDesc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, s.batch(), s.inChannels(), s.height(),
        s.width()), "cudnnSetTensor4dDescriptor(x)");
    cudnn(cudnnSetTensor4dDescriptor(yDesc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, s.batch(), s.outChannels(), s.height(),
        s.width()), "cudnnSetTensor4dDescriptor(y)");
    cudnn(cudnnSetFilter4dDescriptor(wDesc, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, s.outChannels(), s.inChannels(), k, k),
        "cudnnSetFilter4dDescriptor");
    cudnn(cudnnSetConvolution2dDescriptor(convDesc, p, p, 1, 1, 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
        "cudnnSetConvolution2dDescriptor");
    ConvAlgorithms policy = options.convAlgorithms();
    // With TF32 each pass takes the math type its algorithm was measured with, as PyTorch does.
    int math = mathType(options.convMath());
    cudnn(cudnnSetConvolutionMathType(convDesc, math), "cudnnSetConvolutionMathType");
    descriptorMath = math;

    // cudnnFind* runs every candidate on the device; it needs the context current on this thread.
    backend.checkOpen();
    try (IntPointer found = new IntPointer(1);
        cudnnConvolutionFwdAlgoPerf_t fwd = new cudnnConvolutionFwdAlgoPerf_t(CANDIDATES);
        cudnnConvolutionBwdDataAlgoPerf_t bwd = new cudnnConvolutionBwdDataAlgoPerf_t(CANDIDATES);
        cudnnConvolutionBwdFilterAlgoPerf_t flt = new cudnnConvolutionBwdFilterAlgoPerf_t(CANDIDATES)) {
      cudnn(cudnnFindConvolutionForwardAlgorithm(handle, xDesc, wDesc, convDesc, yDesc, CANDIDATES, found, fwd),
          "cudnnFindConvolutionForwardAlgorithm");
      forward = choose(found.get(), j -> {
        cudnnConvolutionFwdAlgoPerf_t r = fwd.getPointer(j);
        return candidate(r.status(), r.algo(), r.memory(), r.determinism(), r.mathType(), math);
      }, policy, "forward");
      cudnn(cudnnFindConvolutionBackwardDataAlgorithm(handle, wDesc, yDesc, convDesc, xDesc, CANDIDATES, found, bwd),
          "cudnnFindConvolutionBackwardDataAlgorithm");
      data = choose(found.get(), j -> {
        cudnnConvolutionBwdDataAlgoPerf_t r = bwd.getPointer(j);
        return candidate(r.status(), r.algo(), r.memory(), r.determinism(), r.mathType(), math);
      }, policy, "backward data");
      cudnn(cudnnFindConvolutionBackwardFilterAlgorithm(handle, xDesc, yDesc, convDesc, wDesc, CANDIDATES, found, flt),
          "cudnnFindConvolutionBackwardFilterAlgorithm");
      filter = choose(found.get(), j -> {
        cudnnConvolutionBwdFilterAlgoPerf_t r = flt.getPointer(j);
        return candidate(r.status(), r.algo(), r.memory(), r.determinism(), r.mathType(), math);
      }, policy, "backward filter");
    }
  }

  private record Candidate(int status, Choice choice) {}

  /**
   * One row of cudnnFind*'s results. With the descriptor at FMA math (FP32) the pass stays there
   * whatever the row reports; otherwise it runs with the math type the row was measured with.
   */
  private static Candidate candidate(int status, int algo, long memory, int determinism, int measuredMath,
      int descriptorMath) {
    int math = descriptorMath == CUDNN_FMA_MATH ? descriptorMath : measuredMath;
    return new Candidate(status, new Choice(algo, memory, determinism == CUDNN_DETERMINISTIC, math));
  }

  /** cuDNN's math type for a ConvMath: TF32 is what CUDNN_DEFAULT_MATH permits on Ampere and later. */
  static int mathType(ConvMath math) {
    return switch (math) {
      case FP32 -> CUDNN_FMA_MATH;
      case TF32 -> CUDNN_DEFAULT_MATH;
    };
  }

  /**
   * Sets the descriptor to the math type the pass's algorithm was measured with, when it holds another
   * one. With FP32 every pass takes FMA math, the type it was created with, so no pass makes the call.
   */
  private void useMath(Choice c) {
    if (c.mathType() == descriptorMath) return;
    cudnn(cudnnSetConvolutionMathType(convDesc, c.mathType()), "cudnnSetConvolutionMathType");
    descriptorMath = c.mathType();
  }

  /** cudnnFind* lists candidates fastest first: the first that ran and satisfies the policy. */
  private Choice choose(int count, java.util.function.IntFunction<Candidate> candidate, ConvAlgorithms policy, String pass) {
    for (int j = 0; j < count; j++) {
      Candidate c = candidate.apply(j);
      if (c.status() == CUDNN_STATUS_SUCCESS && (policy == ConvAlgorithms.FASTEST || c.choice().deterministic())) return c.choice();
    }
    throw new IllegalStateException("cuDNN found no working " + (policy == ConvAlgorithms.FASTEST ? "" : "deterministic ") + pass
        + " algorithm for " + shape + (policy == ConvAlgorithms.FASTEST ? "" : " (--fastest-conv allows non-deterministic ones)"));
  }

  /** The algorithms chosen for forward, backward data and backward filter. */
  List<Choice> choices() {
    return List.of(forward, data, filter);
  }

  Choice choice(ConvScratch.Pass pass) {
    return switch (pass) {
      case FORWARD -> forward;
      case BACKWARD_DATA -> data;
      case BACKWARD_FILTER -> filter;
    };
  }

  @Override
  public ConvShape shape() {
    return shape;
  }

  /** The pass's workspace from the pool, or null when it needs none. */
  private DeviceBuffer workspace(Choice c) {
    return c.workspaceBytes() == 0 ? null : DeviceBuffer.allocate(pool, DType.F32, (c.workspaceBytes() + 3) / 4);
  }

  private static Pointer at(DeviceBuffer b) {
    return b == null ? null : NativeAddress.pointer(b.address());
  }

  @Override
  public void forward(DeviceBuffer x, DeviceBuffer w, DeviceBuffer y) {
    checkBuffers(x, w, y);
    backend.checkOpen();
    useMath(forward);
    try (DeviceBuffer ws = workspace(forward)) {
      cudnn(cudnnConvolutionForward(handle, one, xDesc, at(x), wDesc, at(w), convDesc, forward.algorithm(), at(ws),
          forward.workspaceBytes(), zero, yDesc, at(y)), "cudnnConvolutionForward");
    }
    backend.afterEnqueue("cudnnConvolutionForward");
  }

  @Override
  public void backwardData(DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx) {
    checkBuffers(dx, w, dy);
    backend.checkOpen();
    useMath(data);
    try (DeviceBuffer ws = workspace(data)) {
      cudnn(cudnnConvolutionBackwardData(handle, one, wDesc, at(w), yDesc, at(dy), convDesc, data.algorithm(), at(ws),
          data.workspaceBytes(), zero, xDesc, at(dx)), "cudnnConvolutionBackwardData");
    }
    backend.afterEnqueue("cudnnConvolutionBackwardData");
  }

  @Override
  public void backwardFilter(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw) {
    checkBuffers(x, dw, dy);
    backend.checkOpen();
    useMath(filter);
    try (DeviceBuffer ws = workspace(filter)) {
      cudnn(cudnnConvolutionBackwardFilter(handle, one, xDesc, at(x), yDesc, at(dy), convDesc, filter.algorithm(), at(ws),
          filter.workspaceBytes(), zero, wDesc, at(dw)), "cudnnConvolutionBackwardFilter");
    }
    backend.afterEnqueue("cudnnConvolutionBackwardFilter");
  }

  void close() {
    if (closed) return;
    closed = true;
    cudnn(cudnnDestroyTensorDescriptor(xDesc), "cudnnDestroyTensorDescriptor");
    cudnn(cudnnDestroyTensorDescriptor(yDesc), "cudnnDestroyTensorDescriptor");
    cudnn(cudnnDestroyFilterDescriptor(wDesc), "cudnnDestroyFilterDescriptor");
    cudnn(cudnnDestroyConvolutionDescriptor(convDesc), "cudnnDestroyConvolutionDescriptor");
    one.close();
    zero.close();
  }
}
