// edge_bias.cu — the edge-bias channel of a 3×3 'same' convolution (glow-spec §4): one extra input
// channel that is 0 inside the image and 1 in the zero-padding border. Inside the image it
// contributes nothing, so instead of materializing a padded copy with that channel, the convolution
// runs on the real channels and these kernels add the extra channel's part at the border pixels:
//   edge_bias_forward   y[n,o,i,j] += Σ_{taps (kh,kw) falling outside} w_edge[o,kh,kw]
//   edge_bias_backward  dw_edge[o,kh,kw] = Σ_n Σ_{border (i,j) whose tap falls outside} dy[n,o,i,j]
// Which taps fall outside depends only on the pixel's row class (first row, last row, both when
// H = 1, or neither) and column class, so a pixel's value is one of at most 16 per output channel:
// the kernels work per class (a border row is left end, middle run, right end) instead of testing
// nine taps at every pixel. Work is proportional to the border (2H + 2W pixels), not the image.
// The extra channel's input is constant, so it has no input gradient. Checked by ConvSuite against
// an explicitly padded float64 convolution, and by finite differences.
#include "edge_classes.h"

// Rows (o, n), o-major, over the blocks (a host block's slice then reuses one channel's values);
// border pixels over the threads.
extern "C" __global__ void edge_bias_forward(const float* w_edge, int N, int O, int H, int W, float* y) {
  IndexRange rows = row_range((long long)N * O);
  int cached_o = -1;
  EdgeValues e = {{0, 0, 0}, {0, 0, 0}, {0, 0}};
  for (long long row = rows.begin; row < rows.end; row += rows.step) {
    int o = (int)(row / N), n = (int)(row - (long long)o * N);
    if (o != cached_o) {
      e = edge_values(w_edge + (long long)o * 9, H, W);
      cached_o = o;
    }
    add_edge(y + ((long long)n * O + o) * H * W, e, H, W);
  }
}
FLOWRT_HOST_KERNEL(edge_bias_forward)

// Adds a border line's sums of dy to out3: its left end, its middle run (the whole line less its
// two ends, in double) and its right end.
FLOWRT_DEVICE void add_line_sums(const float* line, int W, double* out3) {
  double total = 0;
  for (int j = 0; j < W; j++) total += line[j];
  double left = line[0], right = W > 1 ? line[W - 1] : 0.0;
  out3[0] += left, out3[1] += total - left - right, out3[2] += right;
}

// One block per output channel o (grid x = O), images over the threads: each thread sums its images'
// 8 border classes (first line: left, middle, right; last line: the same; the other lines' left and
// right ends), the block adds them up, and thread 0 spreads each class over the taps it covers.
// Overwrites dw_edge.
extern "C" __global__ void edge_bias_backward(const float* dy, int N, int O, int H, int W, float* dw_edge) {
  int o = blockIdx.x;
  double sums[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  IndexRange images = block_range(N);
  for (long long n = images.begin; n < images.end; n += images.step) {
    const float* image = dy + ((long long)n * O + o) * H * W;
    add_line_sums(image, W, sums);
    if (H > 1) add_line_sums(image + (long long)(H - 1) * W, W, sums + 3);
    for (int i = 1; i < H - 1; i++) {
      sums[6] += image[(long long)i * W];
      if (W > 1) sums[7] += image[(long long)i * W + W - 1];
    }
  }
  for (int c = 0; c < 8; c++) sums[c] = block_sum(sums[c]);
  if (threadIdx.x != 0) return;
  int first = edge_class(0, W), last = edge_class(W - 1, W), rc_top = edge_class(0, H), rc_bottom = edge_class(H - 1, H);
  // Each class's (row class, column class), in the order of sums; an empty class (no last line when
  // H = 1, no other lines when H ≤ 2) has sum 0.
  const int rc[8] = {rc_top, rc_top, rc_top, rc_bottom, rc_bottom, rc_bottom, 0, 0};
  const int cc[8] = {first, 0, last, first, 0, last, first, last};
  for (int kh = 0; kh < 3; kh++)
    for (int kw = 0; kw < 3; kw++) {
      double total = 0;
      for (int c = 0; c < 8; c++)
        if (tap_outside(kh, kw, rc[c], cc[c])) total += sums[c];
      dw_edge[o * 9 + kh * 3 + kw] = (float)total;
    }
}
FLOWRT_HOST_KERNEL(edge_bias_backward)
