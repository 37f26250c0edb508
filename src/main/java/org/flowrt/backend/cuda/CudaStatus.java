package org.flowrt.backend.cuda;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.cudnn;
import org.bytedeco.cuda.global.nccl;
import org.flowrt.backend.NativeCallException;

/** Turns CUDA driver, cuDNN and NCCL statuses into exceptions that name the failed call. */
final class CudaStatus {
  private CudaStatus() {}

  static void driver(int status, String call) {
    if (status == cudart.CUDA_SUCCESS) return;
    String name;
    try (PointerPointer<BytePointer> text = new PointerPointer<>(1)) {
      name = cudart.cuGetErrorName(status, text) == cudart.CUDA_SUCCESS ? text.get(BytePointer.class, 0).getString() : "";
    }
    throw new NativeCallException(call, status, name);
  }

  static void cudnn(int status, String call) {
    if (status == cudnn.CUDNN_STATUS_SUCCESS) return;
    throw new NativeCallException(call, status, cudnn.cudnnGetErrorString(status).getString());
  }

  static void nccl(int status, String call) {
    if (status == nccl.ncclSuccess) return;
    throw new NativeCallException(call, status, nccl.ncclGetErrorString(status).getString());
  }
}
