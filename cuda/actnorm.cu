// actnorm.cu — per-channel affine normalization y = (x + bias[c]) · exp(k·logs[c]) (glow-spec §4),
// optionally followed by ReLU (the coupling network's "actnorm + ReLU", fused), and
// logdet[n] += H·W·k·Σ_c logs[c]. k is the logscale factor (3 for actnorm, 3 for zeroconv's output
// scale, whose bias-then-scale form is the same map). Kernels:
//   actnorm_forward / actnorm_inverse   elementwise; 8 B moved, 2 FLOPs + 1 exp per element. The
//                                       forward can first add a 3×3 convolution's edge-bias channel.
//   actnorm_backward                    one pass over (y, dy) in memory order on the host: writes dx,
//                                       optionally rebuilds x from y (reversible backward) and
//                                       per-(channel, chunk) partial sums Σdy' and Σdy'·y in double;
//                                       16 B moved per element.
//   actnorm_param_grad                  folds the partials into dbias, dlogs (per channel).
//   actnorm_init_from_moments           data-dependent init from channel_moments partials.
// Checked by ActNormSuite: float64 reference, inverse(forward) ≈ x, brute-force log-det, central
// finite differences of every gradient; the edge-bias forward by ConvSuite (zero-conv and the fused
// pass against an explicitly padded float64 convolution).
#include "edge_classes.h"

// w_edge (may be null): a 3×3 convolution's edge-bias weights [C][3][3], added to x before the
// affine map (edge_classes.h) — the convolution's edge-bias pass fused into this one, plane by plane,
// so the convolution's output is read from memory once. It is added in place, so y must be x then.
// The planes go in memory order, each one's edge values computed afresh: on the host 0.22–0.23 ms on
// 64×128×16×16 values against 0.25–0.29 ms channel-major with each channel's values computed once
// (a block's planes 128 KiB apart; scripts/bench-host-kernels.sh, 2 threads, five alternations).
extern "C" __global__ void actnorm_forward(const float* x, const float* w_edge, const float* bias, const float* logs,
                                           float k, int relu, int N, int C, int H, int W, float* y, double* logdet) {
  long long HW = (long long)H * W;
  IndexRange rows = row_range((long long)N * C);
  for (long long row = rows.begin; row < rows.end; row += rows.step) {
    long long n = row / C, c = row - n * C;
    float scale = expf(k * logs[c]), b = bias[c];
    const float* xr = x + (n * C + c) * HW;
    float* yr = y + (n * C + c) * HW;
    if (w_edge != nullptr) {
      add_edge(yr, edge_values(w_edge + c * 9, H, W), H, W);  // yr is xr
      __syncthreads();  // another thread's border pixels are read below
    }
    IndexRange r = block_range(HW);
    for (long long p = r.begin; p < r.end; p += r.step) {
      float v = (xr[p] + b) * scale;
      yr[p] = relu && v < 0.f ? 0.f : v;
    }
  }
  if (logdet != nullptr) {
    IndexRange rn = grid_range(N);
    for (long long n = rn.begin; n < rn.end; n += rn.step) {
      double s = 0.0;
      for (int c = 0; c < C; c++) s += logs[c];
      logdet[n] += (double)HW * k * s;
    }
  }
}
FLOWRT_HOST_KERNEL(actnorm_forward)

extern "C" __global__ void actnorm_inverse(const float* y, const float* bias, const float* logs, float k, int N,
                                           int C, int HW, float* x, double* logdet) {
  IndexRange rows = row_range((long long)N * C);
  for (long long row = rows.begin; row < rows.end; row += rows.step) {
    int c = (int)(row % C);
    float inv_scale = expf(-k * logs[c]), b = bias[c];
    const float* yr = y + row * HW;
    float* xr = x + row * HW;
    IndexRange r = block_range(HW);
    for (long long p = r.begin; p < r.end; p += r.step) xr[p] = yr[p] * inv_scale - b;
  }
  if (logdet != nullptr) {
    IndexRange rn = grid_range(N);
    for (long long n = rn.begin; n < rn.end; n += rn.step) {
      double s = 0.0;
      for (int c = 0; c < C; c++) s += logs[c];
      logdet[n] -= (double)HW * k * s;
    }
  }
}
FLOWRT_HOST_KERNEL(actnorm_inverse)

// v where keep, else +0 — by masking v's bits, with no branch or select for a compiler to keep.
FLOWRT_DEVICE float keep_or_zero(bool keep, float v) {
  uint32_t bits;
  memcpy(&bits, &v, sizeof bits);
  bits &= 0u - (uint32_t)keep;
  memcpy(&v, &bits, sizeof bits);
  return v;
}

// Plane (n, c): dx (and, with Rebuild, the rebuilt input), and adds Σdy' and Σdy'·y to the two
// float64 sums. The host build splits the sums across SIMD lanes (FLOWRT_SIMD_SUMS) so the loop
// vectorizes; the ReLU mask is a bit mask, since GCC leaves a select in this loop as a branch once it
// is inlined. Measured on 64×128×16×16 values, 2 threads: 7.1 ms with a branch, 2.5 ms as scalar
// code with 8 hand-made lanes, 0.9–1.2 ms vectorized (AVX2 copy). Rebuild is a template argument, so
// the loop has no branch on it.
template <bool Rebuild>
FLOWRT_DEVICE void actnorm_backward_plane(const float* y, const float* dy, float masked_at_or_below, float scale,
                                          float inv_scale, float b, long long base, int HW, float* dx,
                                          float* x_rebuilt, double* sum_dy, double* sum_dyy) {
  double s_dy = *sum_dy, s_dyy = *sum_dyy;
  const float* yp = y + base;
  const float* dyp = dy + base;
  float* dxp = dx + base;
  float* xrp = Rebuild ? x_rebuilt + base : nullptr;
  IndexRange r = block_range(HW);
  FLOWRT_SIMD_SUMS(s_dy, s_dyy)
  for (long long p = r.begin; p < r.end; p += r.step) {
    float yv = yp[p], d = dyp[p];  // both loaded unconditionally: the mask needs no branch
    float g = keep_or_zero(!(yv <= masked_at_or_below), d);
    dxp[p] = g * scale;
    if (Rebuild) xrp[p] = yv * inv_scale - b;
    s_dy += g;
    s_dyy += (double)g * yv;
  }
  *sum_dy = s_dy;
  *sum_dyy = s_dyy;
}

// Adds a channel's block-wide sums to its partials (thread 0 writes; every thread takes part).
FLOWRT_DEVICE void actnorm_flush_sums(double s_dy, double s_dyy, double* partial_c) {
  s_dy = block_sum(s_dy);
  s_dyy = block_sum(s_dyy);
  if (threadIdx.x == 0) {
    partial_c[0] += s_dy;
    partial_c[1] += s_dyy;
  }
}

// Grid: x = chunk of the N samples, y = group of the C channels (Backend.planeBlocks). A block takes
// the planes of its samples and channels in memory order — sample by sample, each sample's channels
// in turn — and adds a channel's sums to partial[c][chunk] whenever the channel changes. On the GPU a
// group is one channel, so a block sums one channel and adds once; on the host (one thread a block)
// a group is every channel, so a block walks its samples' memory in order: 0.73 → 0.37 ms on
// 64×128×16×16 values against a channel's planes one by one, 128 KiB apart (2 threads).
// dy' = dy, or 0 where relu && y <= 0. dx = dy'·exp(k·logs). x_rebuilt (may alias y, may be null) =
// y·exp(-k·logs) - bias. dx may alias dy.
extern "C" __global__ void actnorm_backward(const float* y, const float* dy, const float* bias, const float* logs,
                                            float k, int relu, int N, int C, int HW, float* dx,
                                            float* x_rebuilt, double* partial) {
  int chunk = blockIdx.x, chunks = gridDim.x;
  long long n_begin = (long long)N * chunk / chunks, n_end = (long long)N * (chunk + 1) / chunks;
  int c_begin = (int)((long long)C * blockIdx.y / gridDim.y), c_end = (int)((long long)C * (blockIdx.y + 1) / gridDim.y);
  IndexRange zero = block_range(2LL * (c_end - c_begin));
  for (long long i = zero.begin; i < zero.end; i += zero.step)
    partial[((long long)(c_begin + i / 2) * chunks + chunk) * 2 + i % 2] = 0.0;
  __syncthreads();
  // The ReLU's mask as one comparison: y ≤ 0 with the ReLU, never without it (NaN compares false).
  const float masked_at_or_below = relu ? 0.f : NAN;
  int current = -1;
  float scale = 0.f, inv_scale = 0.f, b = 0.f;
  double s_dy = 0.0, s_dyy = 0.0;
  for (long long n = n_begin; n < n_end; n++)
    for (int c = c_begin; c < c_end; c++) {
      if (c != current) {  // the same in every thread of the block, so the flush's block sums are safe
        if (current >= 0) actnorm_flush_sums(s_dy, s_dyy, partial + ((long long)current * chunks + chunk) * 2);
        current = c;
        s_dy = s_dyy = 0.0;
        scale = expf(k * logs[c]);
        inv_scale = expf(-k * logs[c]);
        b = bias[c];
      }
      long long base = (n * C + c) * HW;
      if (x_rebuilt != nullptr)
        actnorm_backward_plane<true>(y, dy, masked_at_or_below, scale, inv_scale, b, base, HW, dx, x_rebuilt, &s_dy,
                                     &s_dyy);
      else
        actnorm_backward_plane<false>(y, dy, masked_at_or_below, scale, inv_scale, b, base, HW, dx, x_rebuilt, &s_dy,
                                      &s_dyy);
    }
  if (current >= 0) actnorm_flush_sums(s_dy, s_dyy, partial + ((long long)current * chunks + chunk) * 2);
}
FLOWRT_HOST_KERNEL(actnorm_backward)

// dbias[c] = exp(k·logs[c])·Σdy';  dlogs[c] = k·(Σdy'·y + HW·Σ_n dlogdet[n]) — the logdet term only
// when dlogdet is not null (flow actnorm; the coupling network's actnorms add nothing to logdet).
extern "C" __global__ void actnorm_param_grad(const double* partial, int chunks, int C, const float* logs, float k,
                                              const double* dlogdet, int N, int HW, float* dbias, float* dlogs) {
  double logdet_weight = 0.0;
  if (dlogdet != nullptr)
    for (int n = 0; n < N; n++) logdet_weight += dlogdet[n];
  IndexRange r = grid_range(C);
  for (long long c = r.begin; c < r.end; c += r.step) {
    double s_dy = 0.0, s_dyy = 0.0;
    for (int j = 0; j < chunks; j++) {
      s_dy += partial[(c * chunks + j) * 2];
      s_dyy += partial[(c * chunks + j) * 2 + 1];
    }
    dbias[c] = (float)(exp((double)k * logs[c]) * s_dy);
    dlogs[c] = (float)(k * (s_dyy + (double)HW * logdet_weight));
  }
}
FLOWRT_HOST_KERNEL(actnorm_param_grad)

// From channel_moments(x, x) partials over `count` = N·HW values per channel:
// bias = -mean, stored logs = log(1 / (std + 1e-6)) / k (glow-spec §4).
extern "C" __global__ void actnorm_init_from_moments(const double* partial, int chunks, int C, long long count,
                                                     float k, float* bias, float* logs) {
  IndexRange r = grid_range(C);
  for (long long c = r.begin; c < r.end; c += r.step) {
    double s1 = 0.0, s2 = 0.0;
    for (int j = 0; j < chunks; j++) {
      s1 += partial[(c * chunks + j) * 2];
      s2 += partial[(c * chunks + j) * 2 + 1];
    }
    double mean = s1 / count;
    double var = s2 / count - mean * mean;
    if (var < 0.0) var = 0.0;
    bias[c] = (float)(-mean);
    logs[c] = (float)(log(1.0 / (sqrt(var) + 1e-6)) / k);
  }
}
FLOWRT_HOST_KERNEL(actnorm_init_from_moments)
