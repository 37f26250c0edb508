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
// Both work line by line (an image row), each tap's valid run as one contiguous loop, so the host
// build copies and adds whole vectors instead of testing every pixel. Pure data movement and adds.
// Checked by ConvTapsSuite against float64 index-by-index references and the adjoint identity, and
// through ConvSuite's shapes that take this path on the CPU.
#include "portable.h"

// The first index of a block-stride range r that is ≥ lo: the range restricted to [lo, end) keeps
// each index with the thread that owns it in the whole range.
FLOWRT_DEVICE long long first_owned(IndexRange r, long long lo) {
  return lo <= r.begin ? r.begin : r.begin + (lo - r.begin + r.step - 1) / r.step * r.step;
}

// t: [N, C·K², H, W] → y: [N, C, H, W]. A row is one output plane (n, c), taken line by line; for
// each tap in turn the block's threads add the tap plane's shifted line over the pixels where the
// shift stays inside, every thread on the same pixels for every tap (no two threads write one pixel).
extern "C" __global__ void taps_gather(const float* t, int N, int C, int H, int W, int K, int sign, float* y) {
  int KK = K * K, p = K / 2;
  long long HW = (long long)H * W;
  IndexRange rows = row_range((long long)N * C);
  for (long long row = rows.begin; row < rows.end; row += rows.step) {
    const float* taps = t + row * KK * HW;
    for (int h = 0; h < H; h++) {
      float* out = y + row * HW + (long long)h * W;
      IndexRange r = block_range(W);
      for (long long w = r.begin; w < r.end; w += r.step) out[w] = 0.f;
      for (int ky = 0; ky < K; ky++) {
        int hs = h + sign * (ky - p);
        if (hs < 0 || hs >= H) continue;
        for (int kx = 0; kx < K; kx++) {
          int shift = sign * (kx - p);  // out[w] += line[w + shift] where 0 ≤ w + shift < W
          const float* line = taps + (ky * K + kx) * HW + (long long)hs * W;
          long long hi = shift > 0 ? W - shift : W;
          for (long long w = first_owned(r, shift < 0 ? -shift : 0); w < hi; w += r.step) out[w] += line[w + shift];
        }
      }
    }
  }
}
FLOWRT_HOST_KERNEL(taps_gather)

// y: [N, C, H, W] → t: [N, C·K², H, W]. A row is one taps plane (n, c, tap), taken line by line: line
// h − dy of plane (n, c) of y shifted by dx, zero where the shift leaves the image.
extern "C" __global__ void taps_spread(const float* y, int N, int C, int H, int W, int K, int sign, float* t) {
  int KK = K * K, p = K / 2;
  long long HW = (long long)H * W;
  IndexRange rows = row_range((long long)N * C * KK);
  for (long long row = rows.begin; row < rows.end; row += rows.step) {
    int tap = (int)(row % KK);
    int dy = sign * (tap / K - p), dx = sign * (tap % K - p);
    const float* in = y + row / KK * HW;
    long long lo = dx > 0 ? dx : 0, hi = dx < 0 ? W + dx : W;  // out[w] = line[w − dx] for lo ≤ w < hi
    for (int h = 0; h < H; h++) {
      float* out = t + row * HW + (long long)h * W;
      IndexRange r = block_range(W);
      if (h - dy < 0 || h - dy >= H) {
        for (long long w = r.begin; w < r.end; w += r.step) out[w] = 0.f;
        continue;
      }
      const float* line = in + (long long)(h - dy) * W;
      for (long long w = r.begin; w < lo; w += r.step) out[w] = 0.f;
      for (long long w = first_owned(r, lo); w < hi; w += r.step) out[w] = line[w - dx];
      for (long long w = first_owned(r, hi); w < r.end; w += r.step) out[w] = 0.f;
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
