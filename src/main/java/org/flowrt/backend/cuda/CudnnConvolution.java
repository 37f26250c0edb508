package org.flowrt.backend.cuda;

import static org.bytedeco.cuda.global.cudnn.*;
import static org.flowrt.backend.cuda.CudaStatus.cudnn;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdDataAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdFilterAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionFwdAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionStruct;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.flowrt.backend.ConvShape;
import org.flowrt.backend.Convolution;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.MemoryPool;
import org.flowrt.backend.NativeAddress;

/**
 * cuDNN plan for one convolution shape: descriptors, the fastest algorithm of each pass found once
 * by cudnnFind* (FP32 FMA math, so GPU results match the float64 reference as closely as the CPU's),
 * and one workspace sized for the largest of the three, taken from the backend's pool.
 */
final class CudnnConvolution implements Convolution {
  private static final int CANDIDATES = 8;

  private final cudnnContext handle;
  private final ConvShape shape;
  private final cudnnTensorStruct xDesc = new cudnnTensorStruct();
  private final cudnnTensorStruct yDesc = new cudnnTensorStruct();
  private final cudnnFilterStruct wDesc = new cudnnFilterStruct();
  private final cudnnConvolutionStruct convDesc = new cudnnConvolutionStruct();
  private final FloatPointer one = new FloatPointer(1f);
  private final FloatPointer zero = new FloatPointer(0f);
  private final int forwardAlgo;
  private final int dataAlgo;
  private final int filterAlgo;
  private final DeviceBuffer workspace;
  private boolean closed;

  CudnnConvolution(cudnnContext handle, MemoryPool pool, ConvShape s) {
    this.handle = handle;
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
    cudnn(cudnnSetConvolutionMathType(convDesc, CUDNN_FMA_MATH), "cudnnSetConvolutionMathType");

    long workspaceBytes = 0;
    try (IntPointer found = new IntPointer(1);
        cudnnConvolutionFwdAlgoPerf_t fwd = new cudnnConvolutionFwdAlgoPerf_t(CANDIDATES);
        cudnnConvolutionBwdDataAlgoPerf_t bwd = new cudnnConvolutionBwdDataAlgoPerf_t(CANDIDATES);
        cudnnConvolutionBwdFilterAlgoPerf_t flt = new cudnnConvolutionBwdFilterAlgoPerf_t(CANDIDATES)) {
      cudnn(cudnnFindConvolutionForwardAlgorithm(handle, xDesc, wDesc, convDesc, yDesc, CANDIDATES, found, fwd),
          "cudnnFindConvolutionForwardAlgorithm");
      int i = firstOk(found.get(), j -> fwd.position(j).status(), "forward");
      forwardAlgo = fwd.position(i).algo();
      workspaceBytes = Math.max(workspaceBytes, fwd.memory());
      cudnn(cudnnFindConvolutionBackwardDataAlgorithm(handle, wDesc, yDesc, convDesc, xDesc, CANDIDATES, found, bwd),
          "cudnnFindConvolutionBackwardDataAlgorithm");
      i = firstOk(found.get(), j -> bwd.position(j).status(), "backward data");
      dataAlgo = bwd.position(i).algo();
      workspaceBytes = Math.max(workspaceBytes, bwd.memory());
      cudnn(cudnnFindConvolutionBackwardFilterAlgorithm(handle, xDesc, yDesc, convDesc, wDesc, CANDIDATES, found, flt),
          "cudnnFindConvolutionBackwardFilterAlgorithm");
      i = firstOk(found.get(), j -> flt.position(j).status(), "backward filter");
      filterAlgo = flt.position(i).algo();
      workspaceBytes = Math.max(workspaceBytes, flt.memory());
    }
    workspace = DeviceBuffer.allocate(pool, DType.F32, (workspaceBytes + 3) / 4);
  }

  private int firstOk(int count, java.util.function.IntUnaryOperator status, String pass) {
    for (int j = 0; j < count; j++) if (status.applyAsInt(j) == CUDNN_STATUS_SUCCESS) return j;
    throw new IllegalStateException("cuDNN found no working " + pass + " algorithm for " + shape);
  }

  @Override
  public ConvShape shape() {
    return shape;
  }

  @Override
  public void forward(DeviceBuffer x, DeviceBuffer w, DeviceBuffer y) {
    checkBuffers(x, w, y);
    cudnn(cudnnConvolutionForward(handle, one, xDesc, NativeAddress.pointer(x.address()), wDesc,
        NativeAddress.pointer(w.address()), convDesc, forwardAlgo, NativeAddress.pointer(workspace.address()),
        workspace.bytes(), zero, yDesc, NativeAddress.pointer(y.address())), "cudnnConvolutionForward");
  }

  @Override
  public void backwardData(DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx) {
    checkBuffers(dx, w, dy);
    cudnn(cudnnConvolutionBackwardData(handle, one, wDesc, NativeAddress.pointer(w.address()), yDesc,
        NativeAddress.pointer(dy.address()), convDesc, dataAlgo, NativeAddress.pointer(workspace.address()),
        workspace.bytes(), zero, xDesc, NativeAddress.pointer(dx.address())), "cudnnConvolutionBackwardData");
  }

  @Override
  public void backwardFilter(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw) {
    checkBuffers(x, dw, dy);
    cudnn(cudnnConvolutionBackwardFilter(handle, one, xDesc, NativeAddress.pointer(x.address()), yDesc,
        NativeAddress.pointer(dy.address()), convDesc, filterAlgo, NativeAddress.pointer(workspace.address()),
        workspace.bytes(), zero, wDesc, NativeAddress.pointer(dw.address())), "cudnnConvolutionBackwardFilter");
  }

  void close() {
    if (closed) return;
    closed = true;
    workspace.close();
    cudnn(cudnnDestroyTensorDescriptor(xDesc), "cudnnDestroyTensorDescriptor");
    cudnn(cudnnDestroyTensorDescriptor(yDesc), "cudnnDestroyTensorDescriptor");
    cudnn(cudnnDestroyFilterDescriptor(wDesc), "cudnnDestroyFilterDescriptor");
    cudnn(cudnnDestroyConvolutionDescriptor(convDesc), "cudnnDestroyConvolutionDescriptor");
    one.close();
    zero.close();
  }
}
