// reshape.cu — data movement between flow levels (glow-spec §2–§3, §4 permutations).
//   squeeze / unsqueeze   [C,H,W] ↔ [4C,H/2,W/2]; channel c·4 + 2·dy + dx takes (c, 2i+dy, 2j+dx).
//                         Each is the other's inverse and the other's gradient. 8 B per element.
//   channel_copy          copies channels [src_c0, src_c0 + count) of one NCHW tensor into channels
//                         [dst_c0, …) of another: split and concat (and their gradients). 8 B/element.
//   channel_permute       y[:, c] = x[:, perm[c]] ('reverse' and 'shuffle' permutations; the
//                         gradient is the same kernel with the inverse permutation). 8 B/element.
// Pure data movement: no FLOPs. Checked by ReshapeSuite against index-by-index float64 references.
#include "portable.h"

// All four work plane by plane: a row is one (sample, channel) plane of the output (of the input for
// unsqueeze2), its pixels over the block's threads, so no index is divided per element.

// Plane `row` = (n, cs) of squeeze's output reads plane c = cs / 4 of x at offset (dy, dx) = the
// sub-pixel cs % 4, every other pixel of every other line. Returns x's first pixel of that pattern.
FLOWRT_DEVICE long long squeeze_origin(long long row, int C, int H, int W) {
  long long n = row / (4LL * C), cs = row - n * 4 * C;
  long long c = cs / 4, sub = cs - c * 4, dy = sub / 2, dx = sub - dy * 2;
  return ((n * C + c) * H + dy) * W + dx;
}

// x: [N, C, H, W] → y: [N, 4C, H/2, W/2].
extern "C" __global__ void squeeze2(const float* x, int N, int C, int H, int W, float* y) {
  int H2 = H / 2, W2 = W / 2;
  IndexRange rows = row_range((long long)N * 4 * C);
  for (long long row = rows.begin; row < rows.end; row += rows.step) {
    const float* xp = x + squeeze_origin(row, C, H, W);
    float* yp = y + row * H2 * W2;
    for (int i = 0; i < H2; i++) {
      IndexRange r = block_range(W2);
      for (long long j = r.begin; j < r.end; j += r.step) yp[(long long)i * W2 + j] = xp[2LL * i * W + 2 * j];
    }
  }
}
FLOWRT_HOST_KERNEL(squeeze2)

// y: [N, 4C, H/2, W/2] → x: [N, C, H, W]; (C, H, W) are the UNsqueezed sizes. Writes each x pixel once.
extern "C" __global__ void unsqueeze2(const float* y, int N, int C, int H, int W, float* x) {
  int H2 = H / 2, W2 = W / 2;
  IndexRange rows = row_range((long long)N * 4 * C);
  for (long long row = rows.begin; row < rows.end; row += rows.step) {
    float* xp = x + squeeze_origin(row, C, H, W);
    const float* yp = y + row * H2 * W2;
    for (int i = 0; i < H2; i++) {
      IndexRange r = block_range(W2);
      for (long long j = r.begin; j < r.end; j += r.step) xp[2LL * i * W + 2 * j] = yp[(long long)i * W2 + j];
    }
  }
}
FLOWRT_HOST_KERNEL(unsqueeze2)

// Rows: the N·count planes copied.
extern "C" __global__ void channel_copy(const float* src, int src_channels, int src_c0, int count, float* dst,
                                        int dst_channels, int dst_c0, int N, int HW) {
  IndexRange rows = row_range((long long)N * count);
  for (long long row = rows.begin; row < rows.end; row += rows.step) {
    long long n = row / count, c = row - n * count;
    const float* from = src + (n * src_channels + src_c0 + c) * HW;
    float* to = dst + (n * dst_channels + dst_c0 + c) * HW;
    IndexRange r = block_range(HW);
    for (long long p = r.begin; p < r.end; p += r.step) to[p] = from[p];
  }
}
FLOWRT_HOST_KERNEL(channel_copy)

// Rows: the N·C output planes.
extern "C" __global__ void channel_permute(const float* x, const int* perm, int N, int C, int HW, float* y) {
  IndexRange rows = row_range((long long)N * C);
  for (long long row = rows.begin; row < rows.end; row += rows.step) {
    long long n = row / C, c = row - n * C;
    const float* from = x + (n * C + perm[c]) * HW;
    float* to = y + row * HW;
    IndexRange r = block_range(HW);
    for (long long p = r.begin; p < r.end; p += r.step) to[p] = from[p];
  }
}
FLOWRT_HOST_KERNEL(channel_permute)
