// dense.cu — the pieces of the MLPs in NICE and RealNVP couplings on vectors ([N, C] seen as
// [N, C, 1, 1], so the matrix product is a 1×1 convolution through oneDNN / cuDNN):
//   bias_act_forward    y = act(x + bias[c]), act = identity (0), ReLU (1) or tanh (2)
//   bias_act_backward   from the output y: dx = dy·act′ (may alias dy) and partial sums of dx for
//                       the bias gradient, partial[chunk][c] (grid: x = chunk of samples, y = channel)
//   column_sums         out[k] = Σ_rows partial[row, k] in double (bias gradients; the per-sample
//                       parameter partials of planar and radial flows)
// 8–12 B per element, ≤ 3 FLOPs + 1 tanh. Checked by ClassicFlowSuite against float64 references.
#include "portable.h"

enum Activation { ACT_IDENTITY = 0, ACT_RELU = 1, ACT_TANH = 2 };

extern "C" __global__ void bias_act_forward(const float* x, const float* bias, int act, int N, int C, int HW, float* y) {
  IndexRange rows = row_range((long long)N * C);
  for (long long row = rows.begin; row < rows.end; row += rows.step) {
    float b = bias[row % C];
    IndexRange r = block_range(HW);
    for (long long p = r.begin; p < r.end; p += r.step) {
      float v = x[row * HW + p] + b;
      y[row * HW + p] = act == ACT_RELU ? (v > 0.f ? v : 0.f) : act == ACT_TANH ? tanhf(v) : v;
    }
  }
}
FLOWRT_HOST_KERNEL(bias_act_forward)

extern "C" __global__ void bias_act_backward(const float* y, const float* dy, int act, int N, int C, int HW, float* dx,
                                             double* partial) {
  int c = blockIdx.y, chunk = blockIdx.x, chunks = gridDim.x;
  long long n_begin = (long long)N * chunk / chunks, n_end = (long long)N * (chunk + 1) / chunks;
  double s = 0.0;
  for (long long n = n_begin; n < n_end; n++) {
    long long base = (n * C + c) * HW;
    IndexRange r = block_range(HW);
    for (long long p = r.begin; p < r.end; p += r.step) {
      float yv = y[base + p], g = dy[base + p];
      float d = act == ACT_RELU ? (yv > 0.f ? g : 0.f) : act == ACT_TANH ? g * (1.f - yv * yv) : g;
      dx[base + p] = d;
      s += d;
    }
  }
  s = block_sum(s);
  if (threadIdx.x == 0) partial[(long long)chunk * C + c] = s;
}
FLOWRT_HOST_KERNEL(bias_act_backward)

// partial: [rows][K] row-major; sums[k] = Σ_rows partial[row][k], written in double to out_d and/or
// rounded to float into out_f (either may be null). Grid-stride over k; fixed summation order.
extern "C" __global__ void column_sums(const double* partial, int rows, int K, double* out_d, float* out_f) {
  IndexRange r = grid_range(K);
  for (long long k = r.begin; k < r.end; k += r.step) {
    double s = 0.0;
    for (int row = 0; row < rows; row++) s += partial[(long long)row * K + k];
    if (out_d != nullptr) out_d[k] = s;
    if (out_f != nullptr) out_f[k] = (float)s;
  }
}
FLOWRT_HOST_KERNEL(column_sums)
