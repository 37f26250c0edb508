// all.cu — the one translation unit of the kernels: nvcc compiles this file into the fatbin, and the
// CPU backend's JNI library includes it (src/main/native/host_runtime.h). Every other .cu file in
// this folder must be listed here (KernelSourcesTest checks).
#include "actnorm.cu"
#include "conditional.cu"
#include "conv_taps.cu"
#include "coupling.cu"
#include "dense.cu"
#include "edge_bias.cu"
#include "invconv.cu"
#include "optimizer.cu"
#include "planar.cu"
#include "prior.cu"
#include "radial.cu"
#include "reduce.cu"
#include "reshape.cu"
