// edge_bias.cu — the edge-bias channel of a 3×3 'same' convolution (glow-spec §4): one extra input
// channel that is 0 inside the image and 1 in the zero-padding border. Inside the image it
// contributes nothing, so instead of materializing a padded copy with that channel, the convolution
// runs on the real channels and these kernels add the extra channel's part at the border pixels:
//   edge_bias_forward   y[n,o,i,j] += Σ_{taps (kh,kw) falling outside} w_edge[o,kh,kw]
//   edge_bias_backward  dw_edge[o,kh,kw] = Σ_n Σ_{border (i,j) whose tap falls outside} dy[n,o,i,j]
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

extern "C" __global__ void edge_bias_forward(const float* w_edge, int N, int O, int H, int W, float* y) {
  long long nb = border_count(H, W);
  long long total = (long long)N * O * nb;
  IndexRange r = grid_range(total);
  for (long long e = r.begin; e < r.end; e += r.step) {
    long long no = e / nb, b = e - no * nb;
    int o = (int)(no % O), i, j;
    border_pixel(b, H, W, &i, &j);
    float s = 0.f;
    for (int kh = 0; kh < 3; kh++)
      for (int kw = 0; kw < 3; kw++)
        if (tap_outside(i, j, kh, kw, H, W)) s += w_edge[o * 9 + kh * 3 + kw];
    y[no * H * W + (long long)i * W + j] += s;
  }
}
FLOWRT_HOST_KERNEL(edge_bias_forward)

// One block per (o, tap): grid x = O·9. Overwrites dw_edge.
extern "C" __global__ void edge_bias_backward(const float* dy, int N, int O, int H, int W, float* dw_edge) {
  int o = blockIdx.x / 9, tap = blockIdx.x - o * 9, kh = tap / 3, kw = tap - kh * 3;
  long long nb = border_count(H, W);
  double s = 0.0;
  IndexRange r = block_range((long long)N * nb);
  for (long long e = r.begin; e < r.end; e += r.step) {
    long long n = e / nb, b = e - n * nb;
    int i, j;
    border_pixel(b, H, W, &i, &j);
    if (tap_outside(i, j, kh, kw, H, W)) s += dy[((n * O + o) * H + i) * (long long)W + j];
  }
  s = block_sum(s);
  if (threadIdx.x == 0) dw_edge[blockIdx.x] = (float)s;
}
FLOWRT_HOST_KERNEL(edge_bias_backward)
