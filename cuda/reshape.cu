// reshape.cu — data movement between flow levels (glow-spec §2–§3, §4 permutations).
//   squeeze / unsqueeze   [C,H,W] ↔ [4C,H/2,W/2]; channel c·4 + 2·dy + dx takes (c, 2i+dy, 2j+dx).
//                         Each is the other's inverse and the other's gradient. 8 B per element.
//   channel_copy          copies channels [src_c0, src_c0 + count) of one NCHW tensor into channels
//                         [dst_c0, …) of another: split and concat (and their gradients). 8 B/element.
//   channel_permute       y[:, c] = x[:, perm[c]] ('reverse' and 'shuffle' permutations; the
//                         gradient is the same kernel with the inverse permutation). 8 B/element.
// Pure data movement: no FLOPs. Checked by ReshapeSuite against index-by-index float64 references.
#include "portable.h"

// Output index e of squeeze ↔ input index of the [C, H, W] tensor it reads.
FLOWRT_DEVICE long long squeeze_source(long long e, int C, int H, int W) {
  int H2 = H / 2, W2 = W / 2;
  long long per_sample = (long long)C * H * W;
  long long n = e / per_sample;
  long long rest = e - n * per_sample;
  long long cs = rest / ((long long)H2 * W2);
  long long q = rest - cs * H2 * W2;
  long long i = q / W2, j = q - i * W2;
  long long c = cs / 4, sub = cs - c * 4, dy = sub / 2, dx = sub - dy * 2;
  return n * per_sample + (c * H + 2 * i + dy) * W + 2 * j + dx;
}

// x: [N, C, H, W] → y: [N, 4C, H/2, W/2].
extern "C" __global__ void squeeze2(const float* x, int N, int C, int H, int W, float* y) {
  long long total = (long long)N * C * H * W;
  IndexRange r = grid_range(total);
  for (long long e = r.begin; e < r.end; e += r.step) y[e] = x[squeeze_source(e, C, H, W)];
}
FLOWRT_HOST_KERNEL(squeeze2)

// y: [N, 4C, H/2, W/2] → x: [N, C, H, W]; (C, H, W) are the UNsqueezed sizes.
extern "C" __global__ void unsqueeze2(const float* y, int N, int C, int H, int W, float* x) {
  long long total = (long long)N * C * H * W;
  IndexRange r = grid_range(total);
  for (long long e = r.begin; e < r.end; e += r.step) x[squeeze_source(e, C, H, W)] = y[e];
}
FLOWRT_HOST_KERNEL(unsqueeze2)

extern "C" __global__ void channel_copy(const float* src, int src_channels, int src_c0, int count, float* dst,
                                        int dst_channels, int dst_c0, int N, int HW) {
  long long total = (long long)N * count * HW;
  IndexRange r = grid_range(total);
  for (long long e = r.begin; e < r.end; e += r.step) {
    long long n = e / ((long long)count * HW);
    long long rest = e - n * count * HW;
    dst[(n * dst_channels + dst_c0) * HW + rest] = src[(n * src_channels + src_c0) * HW + rest];
  }
}
FLOWRT_HOST_KERNEL(channel_copy)

extern "C" __global__ void channel_permute(const float* x, const int* perm, int N, int C, int HW, float* y) {
  long long total = (long long)N * C * HW;
  IndexRange r = grid_range(total);
  for (long long e = r.begin; e < r.end; e += r.step) {
    long long n = e / ((long long)C * HW);
    long long rest = e - n * C * HW;
    long long c = rest / HW, p = rest - c * HW;
    y[e] = x[(n * C + perm[c]) * HW + p];
  }
}
FLOWRT_HOST_KERNEL(channel_permute)
