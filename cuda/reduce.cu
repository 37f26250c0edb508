// reduce.cu — reductions that feed parameter updates and checks.
//   channel_moments: per channel c, S1 = Σ a and S2 = Σ a·b over (n, h, w), as per-chunk partials in
//     double (grid: x = chunk of samples, y = channel). Used for actnorm's data-dependent init (a = b = x).
//     Moves 2 floats in per element (1 when a == b), 2 FLOPs per element.
//   flat_reduce_partial + flat_reduce_final: over a flat array, Σ x² (gradient norm, finiteness
//     check) or max |a − b| (NaN-propagating: the reversible backward's check of its rebuilt
//     input). 4–8 B per element.
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

enum FlatReduction { REDUCE_SUM_SQUARES = 0, REDUCE_MAX_ABS_DIFF = 1 };

// Sum or maximum (NaN-propagating, so a broken value is never hidden) of two partial results.
FLOWRT_DEVICE double combine(int op, double acc, double v) {
  if (op == REDUCE_SUM_SQUARES) return acc + v;
  // Keep a NaN once seen (acc != acc), take a new NaN (v <= acc is false for it).
  return acc != acc || v <= acc ? acc : v;
}

// partial[block] = Σ x² (REDUCE_SUM_SQUARES; b unused) or max |a − b| (REDUCE_MAX_ABS_DIFF) over
// the block's slice of a flat array.
extern "C" __global__ void flat_reduce_partial(const float* a, const float* b, int op, long long n, double* partial) {
  long long begin, end;
  chunk_bounds(n, blockIdx.x, gridDim.x, &begin, &end);
  double acc = 0.0;
  IndexRange r = block_range(end - begin);
  for (long long i = begin + r.begin; i < begin + r.end; i += r.step) {
    double v = op == REDUCE_SUM_SQUARES ? (double)a[i] * a[i] : fabs((double)a[i] - (double)b[i]);
    acc = combine(op, acc, v);
  }
  acc = op == REDUCE_SUM_SQUARES ? block_sum(acc) : block_max_nan(acc);
  if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}
FLOWRT_HOST_KERNEL(flat_reduce_partial)

// out[0] = the partials combined in a fixed order (one block), so results are reproducible.
extern "C" __global__ void flat_reduce_final(const double* partial, int count, int op, double* out) {
  double acc = 0.0;
  IndexRange r = block_range(count);
  for (long long i = r.begin; i < r.end; i += r.step) acc = combine(op, acc, partial[i]);
  acc = op == REDUCE_SUM_SQUARES ? block_sum(acc) : block_max_nan(acc);
  if (threadIdx.x == 0) out[0] = acc;
}
FLOWRT_HOST_KERNEL(flat_reduce_final)

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
