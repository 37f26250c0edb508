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

// The border classes' sums of dy over one image of one channel. A row run sums in double: its middle
// is the whole row less its two ends.
struct BorderSums {
  double top[3], bottom[3], side[2];  // as in edge_bias_forward: left, middle, right; left, right ends
};

FLOWRT_DEVICE void add_row_sums(const float* row, int W, double* out3) {
  double total = 0;
  for (int j = 0; j < W; j++) total += row[j];
  double left = row[0], right = W > 1 ? row[W - 1] : 0.0;
  out3[0] += left, out3[1] += total - left - right, out3[2] += right;
}

// One block per output channel o (grid x = O), images over the threads: each thread sums its images'
// border classes, the block adds them up, and thread 0 spreads each class over the taps it covers.
// Overwrites dw_edge.
extern "C" __global__ void edge_bias_backward(const float* dy, int N, int O, int H, int W, float* dw_edge) {
  int o = blockIdx.x;
  BorderSums s = {{0, 0, 0}, {0, 0, 0}, {0, 0}};
  IndexRange images = block_range(N);
  for (long long n = images.begin; n < images.end; n += images.step) {
    const float* image = dy + ((long long)n * O + o) * H * W;
    add_row_sums(image, W, s.top);
    if (H > 1) add_row_sums(image + (long long)(H - 1) * W, W, s.bottom);
    for (int i = 1; i < H - 1; i++) {
      s.side[0] += image[(long long)i * W];
      if (W > 1) s.side[1] += image[(long long)i * W + W - 1];
    }
  }
  double* parts[3] = {s.top, s.bottom, s.side};
  int counts[3] = {3, 3, 2};
  for (int p = 0; p < 3; p++)
    for (int k = 0; k < counts[p]; k++) parts[p][k] = block_sum(parts[p][k]);
  if (threadIdx.x != 0) return;
  int first = edge_class(0, W), last = edge_class(W - 1, W), rc_top = edge_class(0, H), rc_bottom = edge_class(H - 1, H);
  // (row class, column class, sum) of every nonempty class; H = 1 has no bottom row, H ≤ 2 no sides.
  struct Part { int rc, cc; double sum; };
  Part classes[8] = {{rc_top, first, s.top[0]}, {rc_top, 0, s.top[1]}, {rc_top, last, s.top[2]},
                     {rc_bottom, first, s.bottom[0]}, {rc_bottom, 0, s.bottom[1]}, {rc_bottom, last, s.bottom[2]},
                     {0, first, s.side[0]}, {0, last, s.side[1]}};
  for (int kh = 0; kh < 3; kh++)
    for (int kw = 0; kw < 3; kw++) {
      double total = 0;
      for (int c = 0; c < 8; c++)
        if (tap_outside(kh, kw, classes[c].rc, classes[c].cc)) total += classes[c].sum;
      dw_edge[o * 9 + kh * 3 + kw] = (float)total;
    }
}
FLOWRT_HOST_KERNEL(edge_bias_backward)
