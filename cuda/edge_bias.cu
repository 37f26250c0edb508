// edge_bias.cu — the edge-bias channel of a 3×3 'same' convolution (glow-spec §4): one extra input
// channel that is 0 inside the image and 1 in the zero-padding border. Inside the image it
// contributes nothing, so instead of materializing a padded copy with that channel, the convolution
// runs on the real channels and these kernels add the extra channel's part at the border pixels:
//   edge_bias_forward   y[n,o,i,j] += Σ_{taps (kh,kw) falling outside} w_edge[o,kh,kw]   (rows (n, o))
//   edge_bias_backward  dw_edge[o,kh,kw] = Σ_n Σ_{border (i,j) whose tap falls outside} dy[n,o,i,j]
//                       (one block per o, nine sums in one pass)
// Work is proportional to the border (2H + 2W pixels), not the image. The extra channel's input is
// constant, so it has no input gradient. Checked by EdgeBiasSuite against an explicit padded
// convolution in float64, and by finite differences.
#include "portable.h"

FLOWRT_DEVICE long long border_count(int H, int W) {
  long long inner_h = H > 2 ? H - 2 : 0, inner_w = W > 2 ? W - 2 : 0;
  return (long long)H * W - inner_h * inner_w;
}

// The b-th border pixel: top row, then bottom row, then the left and right ends of middle rows.
FLOWRT_DEVICE void border_pixel(long long b, int H, int W, int* i, int* j) {
  if (b < W) { *i = 0; *j = (int)b; return; }
  b -= W;
  if (H > 1) {
    if (b < W) { *i = H - 1; *j = (int)b; return; }
    b -= W;
  }
  int per_row = W > 1 ? 2 : 1;
  *i = 1 + (int)(b / per_row);
  *j = (b % per_row) == 0 ? 0 : W - 1;
}

FLOWRT_DEVICE bool tap_outside(int i, int j, int kh, int kw, int H, int W) {
  int a = i + kh - 1, b = j + kw - 1;
  return a < 0 || a >= H || b < 0 || b >= W;
}

// Sum of the edge weights of output channel o over the taps of pixel (i, j) that fall outside.
FLOWRT_DEVICE float edge_value(const float* w9, int i, int j, int H, int W) {
  float s = 0.f;
  for (int kh = 0; kh < 3; kh++)
    for (int kw = 0; kw < 3; kw++)
      if (tap_outside(i, j, kh, kw, H, W)) s += w9[kh * 3 + kw];
  return s;
}

// Rows (n, o) over the blocks, border pixels over the threads.
extern "C" __global__ void edge_bias_forward(const float* w_edge, int N, int O, int H, int W, float* y) {
  long long nb = border_count(H, W);
  IndexRange rows = row_range((long long)N * O);
  for (long long row = rows.begin; row < rows.end; row += rows.step) {
    const float* w9 = w_edge + (row % O) * 9;
    float* yr = y + row * H * W;
    IndexRange r = block_range(nb);
    for (long long b = r.begin; b < r.end; b += r.step) {
      int i, j;
      border_pixel(b, H, W, &i, &j);
      yr[(long long)i * W + j] += edge_value(w9, i, j, H, W);
    }
  }
}
FLOWRT_HOST_KERNEL(edge_bias_forward)

// One block per output channel o (grid x = O): all nine taps accumulated in one pass over the
// border pixels of every sample. Overwrites dw_edge.
extern "C" __global__ void edge_bias_backward(const float* dy, int N, int O, int H, int W, float* dw_edge) {
  int o = blockIdx.x;
  long long nb = border_count(H, W);
  double acc[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
  IndexRange r = block_range((long long)N * nb);
  for (long long e = r.begin; e < r.end; e += r.step) {
    long long n = e / nb, b = e - n * nb;
    int i, j;
    border_pixel(b, H, W, &i, &j);
    double v = dy[((n * O + o) * H + i) * (long long)W + j];
    for (int kh = 0; kh < 3; kh++)
      for (int kw = 0; kw < 3; kw++)
        if (tap_outside(i, j, kh, kw, H, W)) acc[kh * 3 + kw] += v;
  }
  for (int tap = 0; tap < 9; tap++) {
    double total = block_sum(acc[tap]);
    if (threadIdx.x == 0) dw_edge[o * 9 + tap] = (float)total;
  }
}
FLOWRT_HOST_KERNEL(edge_bias_backward)
