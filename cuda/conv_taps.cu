// conv_taps.cu — a K×K 'same' convolution with few channels on one side, recast as a 1×1 convolution
// with K² times the channels on that side (the CPU backend's per-shape choice, TapsConvolution: oneDNN's
// direct K×K kernels are 2–3× slower than a 1×1 GEMM of the taps for 4–8 output or 2 input channels).
// A tap is (ky, kx) of the kernel; off(tap) = (ky − K/2, kx − K/2); channel c·K² + tap of a "taps"
// tensor holds channel c shifted by sign·off(tap), zero where the shift leaves the image.
//   taps_gather       y[n, c, q] = Σ_tap t[n, c·K² + tap, q + sign·off(tap)]          K²+1 floats/output
//   taps_spread       t[n, c·K² + tap, q] = y[n, c, q − sign·off(tap)]                2 floats/element
//                     (the adjoint of taps_gather: each is the other's gradient)
//   batched_transpose y[b, j, i] = x[b, i, j]: weights [O][I][K²] ↔ [O][K²][I]       2 floats/element
// sign +1 (output side): y = taps_gather(conv1×1(W', x)), W'[o·K² + tap][i] = W[o][i][tap].
// sign −1 (input side): taps_spread(x) is im2col, and y = conv1×1(W, im2col(x)) with W as it is.
// Pure data movement and adds. Checked by ConvTapsSuite against float64 index-by-index references
// and the adjoint identity, and through ConvSuite's shapes that take this path on the CPU.
#include "portable.h"

FLOWRT_DEVICE bool taps_source(int h, int w, int H, int W) { return h >= 0 && h < H && w >= 0 && w < W; }

// t: [N, C·K², H, W] → y: [N, C, H, W]. A row is one output plane (n, c); a block's threads stride
// over its pixels, each adding its K² shifted taps (one integer division per pixel).
extern "C" __global__ void taps_gather(const float* t, int N, int C, int H, int W, int K, int sign, float* y) {
  int KK = K * K, p = K / 2, HW = H * W;
  IndexRange rows = row_range((long long)N * C);
  for (long long row = rows.begin; row < rows.end; row += rows.step) {
    const float* taps = t + row * KK * HW;
    float* out = y + row * HW;
    IndexRange r = block_range(HW);
    for (long long q = r.begin; q < r.end; q += r.step) {
      int h = (int)q / W, w = (int)q - h * W;
      float acc = 0.f;
      for (int ky = 0; ky < K; ky++)
        for (int kx = 0; kx < K; kx++) {
          int hs = h + sign * (ky - p), ws = w + sign * (kx - p);
          if (taps_source(hs, ws, H, W)) acc += taps[(ky * K + kx) * HW + hs * W + ws];
        }
      out[q] = acc;
    }
  }
}
FLOWRT_HOST_KERNEL(taps_gather)

// y: [N, C, H, W] → t: [N, C·K², H, W]. A row is one taps plane (n, c, tap): plane (n, c) of y shifted.
extern "C" __global__ void taps_spread(const float* y, int N, int C, int H, int W, int K, int sign, float* t) {
  int KK = K * K, p = K / 2, HW = H * W;
  IndexRange rows = row_range((long long)N * C * KK);
  for (long long row = rows.begin; row < rows.end; row += rows.step) {
    int tap = (int)(row % KK);
    int dy = sign * (tap / K - p), dx = sign * (tap % K - p);
    const float* in = y + row / KK * HW;
    float* out = t + row * HW;
    IndexRange r = block_range(HW);
    for (long long q = r.begin; q < r.end; q += r.step) {
      int h = (int)q / W, w = (int)q - h * W;
      out[q] = taps_source(h - dy, w - dx, H, W) ? in[(h - dy) * W + w - dx] : 0.f;
    }
  }
}
FLOWRT_HOST_KERNEL(taps_spread)

// x: [B, R, C] → y: [B, C, R].
extern "C" __global__ void batched_transpose(const float* x, int B, int R, int C, float* y) {
  long long total = (long long)B * R * C;
  IndexRange r = grid_range(total);
  for (long long e = r.begin; e < r.end; e += r.step) {
    long long c = e % C, i = e / C % R, b = e / ((long long)R * C);
    y[(b * C + c) * R + i] = x[e];
  }
}
FLOWRT_HOST_KERNEL(batched_transpose)
