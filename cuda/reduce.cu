// reduce.cu — reductions that feed parameter updates and checks.
//   channel_moments: per channel c, S1 = Σ a and S2 = Σ a·b over (n, h, w), as per-chunk partials in
//     double (grid: x = chunk of samples, y = channel). Used for actnorm's data-dependent init (a = b = x).
//     Moves 2 floats in per element (1 when a == b), 2 FLOPs per element.
//   sum_squares_partial + sum_partials: Σ x² over a flat array (gradient norm, finiteness check).
//   max_abs_diff_partial + max_partials: max |a − b| (NaN-propagating) — the reversible backward's
//     check of its rebuilt input. 8 B per element.
//   axpy: y += alpha·x (accumulating a gradient that reaches a tensor by two paths). 12 B, 2 FLOPs.
// Checked by ReduceSuite (float64 Java reference, seeded random data, awkward shapes).
#include "portable.h"

// Slice [begin, end) of `count` items owned by chunk `chunk` of `chunks`.
FLOWRT_DEVICE void chunk_bounds(long long count, int chunk, int chunks, long long* begin, long long* end) {
  *begin = count * chunk / chunks;
  *end = count * (chunk + 1) / chunks;
}

// Grid: x = chunk of the N samples, y = channel.
extern "C" __global__ void channel_moments(const float* a, const float* b, int N, int C, int HW, double* partial) {
  int c = blockIdx.y, chunk = blockIdx.x, chunks = gridDim.x;
  long long n_begin, n_end;
  chunk_bounds(N, chunk, chunks, &n_begin, &n_end);
  double s1 = 0.0, s2 = 0.0;
  for (long long n = n_begin; n < n_end; n++) {
    long long base = (n * C + c) * HW;
    IndexRange r = block_range(HW);
    for (long long p = r.begin; p < r.end; p += r.step) {
      double av = a[base + p];
      s1 += av;
      s2 += av * (double)b[base + p];
    }
  }
  s1 = block_sum(s1);
  s2 = block_sum(s2);
  if (threadIdx.x == 0) {
    partial[((long long)c * chunks + chunk) * 2] = s1;
    partial[((long long)c * chunks + chunk) * 2 + 1] = s2;
  }
}
FLOWRT_HOST_KERNEL(channel_moments)

extern "C" __global__ void sum_squares_partial(const float* x, long long n, double* partial) {
  long long begin, end;
  chunk_bounds(n, blockIdx.x, gridDim.x, &begin, &end);
  double s = 0.0;
  IndexRange r = block_range(end - begin);
  for (long long i = begin + r.begin; i < begin + r.end; i += r.step) s += (double)x[i] * x[i];
  s = block_sum(s);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}
FLOWRT_HOST_KERNEL(sum_squares_partial)

// out[0] = Σ partial[0..count) in a fixed order (one block), so results are reproducible.
extern "C" __global__ void sum_partials(const double* partial, int count, double* out) {
  double s = 0.0;
  IndexRange r = block_range(count);
  for (long long i = r.begin; i < r.end; i += r.step) s += partial[i];
  s = block_sum(s);
  if (threadIdx.x == 0) out[0] = s;
}
FLOWRT_HOST_KERNEL(sum_partials)

extern "C" __global__ void max_abs_diff_partial(const float* a, const float* b, long long n, double* partial) {
  long long begin, end;
  chunk_bounds(n, blockIdx.x, gridDim.x, &begin, &end);
  double m = 0.0;
  IndexRange r = block_range(end - begin);
  for (long long i = begin + r.begin; i < begin + r.end; i += r.step) {
    double d = fabs((double)a[i] - (double)b[i]);
    if (!(d <= m)) m = d;
  }
  m = block_max_nan(m);
  if (threadIdx.x == 0) partial[blockIdx.x] = m;
}
FLOWRT_HOST_KERNEL(max_abs_diff_partial)

extern "C" __global__ void max_partials(const double* partial, int count, double* out) {
  double m = 0.0;
  IndexRange r = block_range(count);
  for (long long i = r.begin; i < r.end; i += r.step)
    if (!(partial[i] <= m)) m = partial[i];
  m = block_max_nan(m);
  if (threadIdx.x == 0) out[0] = m;
}
FLOWRT_HOST_KERNEL(max_partials)

extern "C" __global__ void axpy(const float* x, float alpha, long long n, float* y) {
  IndexRange r = grid_range(n);
  for (long long i = r.begin; i < r.end; i += r.step) y[i] += alpha * x[i];
}
FLOWRT_HOST_KERNEL(axpy)

extern "C" __global__ void fill(float value, long long n, float* y) {
  IndexRange r = grid_range(n);
  for (long long i = r.begin; i < r.end; i += r.step) y[i] = value;
}
FLOWRT_HOST_KERNEL(fill)
