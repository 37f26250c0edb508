// prior.cu — diagonal Gaussian priors (glow-spec §1, §5), with (mean, logs) read from a tensor h:
//   layout INTERLEAVED (0): mean = h[:, 0::2], logs = h[:, 1::2]  (split priors)
//   layout HALVES (1):      mean = h[:, :C],   logs = h[:, C:]    (top prior)
//   gaussian_logp           logp[n] += Σ −½(log 2π + 2·logs + (z−mean)²·exp(−2·logs)), the
//                           per-sample sum fused in (double, one atomic add per block and sample).
//                           12 B moved, ~8 FLOPs + 1 exp per element.
//   gaussian_logp_backward  for the objective Σ_n dlogp[n]·logp[n]: dz, dmean, dlogs (overwrite).
//   gaussian_sample         z = mean + T·exp(logs)·ε, ε ~ N(0,1) from the counter-based generator
//                           (same draws on GPU and host for the same seed).
// Checked by PriorSuite: float64 reference, finite differences, sample moments.
#include "portable.h"

enum PriorLayout { PRIOR_INTERLEAVED = 0, PRIOR_HALVES = 1 };

FLOWRT_DEVICE void prior_params(const float* h, int layout, long long n, int C, long long HW, int c, long long p,
                                long long* i_mean, long long* i_logs) {
  if (layout == PRIOR_INTERLEAVED) {
    *i_mean = (n * 2 * C + 2 * c) * HW + p;
    *i_logs = *i_mean + HW;
  } else {
    *i_mean = (n * 2 * C + c) * HW + p;
    *i_logs = *i_mean + (long long)C * HW;
  }
}

// Grid: x = chunk of a sample's C·HW elements, y = sample.
extern "C" __global__ void gaussian_logp(const float* z, const float* h, int layout, int N, int C, int HW,
                                         double* logp) {
  int n = blockIdx.y, chunk = blockIdx.x, chunks = gridDim.x;
  long long count = (long long)C * HW;
  long long begin = count * chunk / chunks, end = count * (chunk + 1) / chunks;
  double s = 0.0;
  IndexRange r = block_range(end - begin);
  for (long long e = begin + r.begin; e < begin + r.end; e += r.step) {
    int c = (int)(e / HW);
    long long p = e - (long long)c * HW, im, il;
    prior_params(h, layout, n, C, HW, c, p, &im, &il);
    double logs = h[il];
    double d = (double)z[(long long)n * count + e] - h[im];
    s += -0.5 * (1.8378770664093453 + 2.0 * logs + d * d * exp(-2.0 * logs));
  }
  s = block_sum(s);
  if (threadIdx.x == 0) atomicAdd(&logp[n], s);
}
FLOWRT_HOST_KERNEL(gaussian_logp)

extern "C" __global__ void gaussian_logp_backward(const float* z, const float* h, int layout, int N, int C, int HW,
                                                  const double* dlogp, float* dz, float* dh) {
  long long total = (long long)N * C * HW;
  IndexRange r = grid_range(total);
  for (long long e = r.begin; e < r.end; e += r.step) {
    long long n = e / ((long long)C * HW);
    long long rest = e - n * C * HW;
    int c = (int)(rest / HW);
    long long p = rest - (long long)c * HW, im, il;
    prior_params(h, layout, n, C, HW, c, p, &im, &il);
    float g = (float)dlogp[n];
    float inv_var = expf(-2.f * h[il]);
    float d = z[e] - h[im];
    dz[e] = -g * d * inv_var;
    dh[im] = g * d * inv_var;
    dh[il] = g * (d * d * inv_var - 1.f);
  }
}
FLOWRT_HOST_KERNEL(gaussian_logp_backward)

extern "C" __global__ void gaussian_sample(const float* h, int layout, int N, int C, int HW, float temperature,
                                           unsigned long long seed, float* z) {
  long long total = (long long)N * C * HW;
  IndexRange r = grid_range(total);
  for (long long e = r.begin; e < r.end; e += r.step) {
    long long n = e / ((long long)C * HW);
    long long rest = e - n * C * HW;
    int c = (int)(rest / HW);
    long long p = rest - (long long)c * HW, im, il;
    prior_params(h, layout, n, C, HW, c, p, &im, &il);
    z[e] = h[im] + temperature * expf(h[il]) * (float)standard_normal(seed, (unsigned long long)e);
  }
}
FLOWRT_HOST_KERNEL(gaussian_sample)
