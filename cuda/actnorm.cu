// actnorm.cu — per-channel affine normalization y = (x + bias[c]) · exp(k·logs[c]) (glow-spec §4),
// optionally followed by ReLU (the coupling network's "actnorm + ReLU", fused), and
// logdet[n] += H·W·k·Σ_c logs[c]. k is the logscale factor (3 for actnorm, 3 for zeroconv's output
// scale, whose bias-then-scale form is the same map). Kernels:
//   actnorm_forward / actnorm_inverse   elementwise; 8 B moved, 2 FLOPs + 1 exp per element.
//   actnorm_backward                    one pass over (y, dy): writes dx, optionally rebuilds x from y
//                                       (reversible backward) and per-(chunk, channel) partial sums
//                                       Σdy' and Σdy'·y in double; 16 B moved per element.
//   actnorm_param_grad                  folds the partials into dbias, dlogs (per channel).
//   actnorm_init_from_moments           data-dependent init from channel_moments partials.
// Checked by ActNormSuite: float64 reference, inverse(forward) ≈ x, brute-force log-det, central
// finite differences of every gradient.
#include "portable.h"

extern "C" __global__ void actnorm_forward(const float* x, const float* bias, const float* logs, float k, int relu,
                                           int N, int C, int HW, float* y, double* logdet) {
  IndexRange rows = row_range((long long)N * C);
  for (long long row = rows.begin; row < rows.end; row += rows.step) {
    int c = (int)(row % C);
    float scale = expf(k * logs[c]), b = bias[c];
    const float* xr = x + row * HW;
    float* yr = y + row * HW;
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

// v where keep, else +0 — by masking v's bits: host compilers turn `keep ? v : 0` into a branch,
// which mispredicts on every other value of a ReLU's random signs.
FLOWRT_DEVICE float keep_or_zero(bool keep, float v) {
  uint32_t bits;
  memcpy(&bits, &v, sizeof bits);
  bits &= 0u - (uint32_t)keep;
  memcpy(&v, &bits, sizeof bits);
  return v;
}

// One element of actnorm_backward: dx (and, with Rebuild, the rebuilt input) and the two sums' terms.
// Rebuild is a template argument and relu a mask, so a lane's code has no branch.
template <bool Rebuild>
FLOWRT_DEVICE void actnorm_backward_element(const float* y, const float* dy, long long i, int relu, float scale,
                                            float inv_scale, float b, float* dx, float* x_rebuilt, double* sum,
                                            double* sum_y) {
  float yv = y[i];
  float g = keep_or_zero((relu == 0) | !(yv <= 0.f), dy[i]);
  dx[i] = g * scale;
  if (Rebuild) x_rebuilt[i] = yv * inv_scale - b;
  *sum += g;
  *sum_y += (double)g * yv;
}

#define ACTNORM_LANES 8

// Planes n_begin … n_end − 1 of channel c. A thread's elements go round-robin into ACTNORM_LANES
// float64 partial sums, added in lane order by the caller: independent add chains for the host's
// out-of-order core, in a fixed order. Measured on 64×128×16×16 values, 2 threads: 7.1 ms with a
// branch for the ReLU mask and one ordered sum, 3.0 ms without the branch, 2.5 ms with 8 lanes.
template <bool Rebuild>
FLOWRT_DEVICE void actnorm_backward_planes(const float* y, const float* dy, int relu, float scale, float inv_scale,
                                           float b, long long n_begin, long long n_end, int C, int c, int HW,
                                           float* dx, float* x_rebuilt, double* lane_dy, double* lane_dyy) {
  for (long long n = n_begin; n < n_end; n++) {
    long long base = (n * C + c) * HW;
    IndexRange r = block_range(HW);
    long long p = r.begin;
    for (; p + (ACTNORM_LANES - 1) * r.step < r.end; p += ACTNORM_LANES * r.step)
      for (int j = 0; j < ACTNORM_LANES; j++)
        actnorm_backward_element<Rebuild>(y, dy, base + p + j * r.step, relu, scale, inv_scale, b, dx, x_rebuilt,
                                          &lane_dy[j], &lane_dyy[j]);
    for (int j = 0; p < r.end; p += r.step, j++)
      actnorm_backward_element<Rebuild>(y, dy, base + p, relu, scale, inv_scale, b, dx, x_rebuilt, &lane_dy[j],
                                        &lane_dyy[j]);
  }
}

// Grid: x = chunk of the N samples, y = channel. dy' = dy, or 0 where relu && y <= 0.
// dx = dy'·exp(k·logs). x_rebuilt (may alias y, may be null) = y·exp(-k·logs) - bias.
// dx may alias dy.
extern "C" __global__ void actnorm_backward(const float* y, const float* dy, const float* bias, const float* logs,
                                            float k, int relu, int N, int C, int HW, float* dx,
                                            float* x_rebuilt, double* partial) {
  int c = blockIdx.y, chunk = blockIdx.x, chunks = gridDim.x;
  long long n_begin = (long long)N * chunk / chunks, n_end = (long long)N * (chunk + 1) / chunks;
  float scale = expf(k * logs[c]);
  float inv_scale = expf(-k * logs[c]);
  float b = bias[c];
  double lane_dy[ACTNORM_LANES] = {0}, lane_dyy[ACTNORM_LANES] = {0};
  if (x_rebuilt != nullptr)
    actnorm_backward_planes<true>(y, dy, relu, scale, inv_scale, b, n_begin, n_end, C, c, HW, dx, x_rebuilt, lane_dy,
                                  lane_dyy);
  else
    actnorm_backward_planes<false>(y, dy, relu, scale, inv_scale, b, n_begin, n_end, C, c, HW, dx, x_rebuilt, lane_dy,
                                   lane_dyy);
  double s_dy = 0.0, s_dyy = 0.0;
  for (int j = 0; j < ACTNORM_LANES; j++) {
    s_dy += lane_dy[j];
    s_dyy += lane_dyy[j];
  }
  s_dy = block_sum(s_dy);
  s_dyy = block_sum(s_dyy);
  if (threadIdx.x == 0) {
    partial[((long long)c * chunks + chunk) * 2] = s_dy;
    partial[((long long)c * chunks + chunk) * 2 + 1] = s_dyy;
  }
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
