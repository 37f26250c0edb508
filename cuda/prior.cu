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

// Grid: x = chunk of the sample's C channels, y = sample.
extern "C" __global__ void gaussian_logp(const float* z, const float* h, int layout, int N, int C, int HW,
                                         double* logp) {
  int n = blockIdx.y, chunk = blockIdx.x, chunks = gridDim.x;
  int c_begin = (int)((long long)C * chunk / chunks), c_end = (int)((long long)C * (chunk + 1) / chunks);
  double s = 0.0;
  for (int c = c_begin; c < c_end; c++) {
    long long im, il;
    prior_params(h, layout, n, C, HW, c, 0, &im, &il);
    const float* zr = z + ((long long)n * C + c) * HW;
    IndexRange r = block_range(HW);
    for (long long p = r.begin; p < r.end; p += r.step) {
      double logs = h[il + p];
      double d = (double)zr[p] - h[im + p];
      s += -0.5 * (1.8378770664093453 + 2.0 * logs + d * d * exp(-2.0 * logs));
    }
  }
  s = block_sum(s);
  if (threadIdx.x == 0) atomicAdd(&logp[n], s);
}
FLOWRT_HOST_KERNEL(gaussian_logp)

// Rows (n, c) over the blocks.
extern "C" __global__ void gaussian_logp_backward(const float* z, const float* h, int layout, int N, int C, int HW,
                                                  const double* dlogp, float* dz, float* dh) {
  IndexRange rows = row_range((long long)N * C);
  for (long long row = rows.begin; row < rows.end; row += rows.step) {
    long long n = row / C, im, il;
    int c = (int)(row - n * C);
    prior_params(h, layout, n, C, HW, c, 0, &im, &il);
    float g = (float)dlogp[n];
    IndexRange r = block_range(HW);
    for (long long p = r.begin; p < r.end; p += r.step) {
      float inv_var = expf(-2.f * h[il + p]);
      float d = z[row * HW + p] - h[im + p];
      dz[row * HW + p] = -g * d * inv_var;
      dh[im + p] = g * d * inv_var;
      dh[il + p] = g * (d * d * inv_var - 1.f);
    }
  }
}
FLOWRT_HOST_KERNEL(gaussian_logp_backward)

extern "C" __global__ void gaussian_sample(const float* h, int layout, int N, int C, int HW, float temperature,
                                           unsigned long long seed, float* z) {
  IndexRange rows = row_range((long long)N * C);
  for (long long row = rows.begin; row < rows.end; row += rows.step) {
    long long n = row / C, im, il;
    int c = (int)(row - n * C);
    prior_params(h, layout, n, C, HW, c, 0, &im, &il);
    IndexRange r = block_range(HW);
    for (long long p = r.begin; p < r.end; p += r.step) {
      unsigned long long e = (unsigned long long)(row * HW + p);
      z[e] = h[im + p] + temperature * expf(h[il + p]) * (float)standard_normal(seed, e);
    }
  }
}
FLOWRT_HOST_KERNEL(gaussian_sample)
