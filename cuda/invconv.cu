// invconv.cu — invertible 1×1 convolution (glow-spec §4): y[n,c,p] = Σ_k W[c,k]·x[n,k,p].
//   invconv_forward        the channel mix AND, in the same launch, log|det W| by LU with partial
//                          pivoting in float64 (block 0, in `lu_scratch`), logdet[n] += HW·log|det W|.
//                          Per pixel: 2C floats moved, 2C² FLOPs; the O(C³) determinant runs once,
//                          beside the other blocks' pixels.
//   invconv_backward_data  dx = Wᵀ·dy (same loop, transposed weight; no determinant).
//   invconv_invert         W⁻¹ by Gauss–Jordan in float64 (one block): the inverse pass runs
//                          invconv_forward with W⁻¹, whose log|det| is −log|det W|. Both
//                          eliminations pivot and update with the whole block (block_pivot,
//                          block_eliminate).
//   invconv_gj_*           the same determinant and inverse with each column's elimination spread
//                          over the grid (one launch pair per column), for many channels.
//   channel_gram           partial sums of G[c,k] = Σ_{n,p} a[n,c,p]·b[n,k,p] (grid: C² pairs × chunks).
//   invconv_weight_grad    dW = G + HW·Σ_n dlogdet[n]·W⁻ᵀ.
//   invconv_lu_compose     W = P·L·(U + diag(sign·exp(log_s))) and its backward.
//   invconv_lu_triangular_inverse, invconv_lu_inverse_product
//                          W⁻¹ = U'⁻¹·L⁻¹·Pᵀ of the LU parametrization in float64, over the whole
//                          grid: one block per column of L⁻¹ or U'⁻¹ (a substitution of C
//                          block-wide steps), then the product, one output entry per thread.
//   invconv_lu_logdet      the LU parametrization's log-det, logdet[n] += scale·Σ log_s (spec §4),
//                          and its backward dlog_s += scale·Σ_n dlogdet[n].
// Checked by InvConvSuite: float64 reference, inverse(forward) ≈ x, brute-force log-det, finite
// differences for dx, dW and the LU parameters.
#include "portable.h"

// Pixels per thread in mix_channels: one on the GPU (and in the fiber build, its geometry), a run of
// 8 in the one-thread host build, whose 8 accumulators are one AVX vector: each weight is then
// broadcast once per 8 pixels and the channel loops run on vectors. Measured (2 threads) for 12
// channels at 16×16, batch 16: 0.30 ms a call one pixel at a time, 0.06 ms in runs of 8; for 48
// channels at 4×4: 0.31 → 0.05 ms. Each output sums its C products in the same order either way.
// Output channels per work item (`group`, chosen by InvConvOps.mixGroup): on the GPU one pixel and
// `group` outputs, from 1 (a layer of many channels on few pixels: the top level of a 256×256 model
// at L = 6 has 384 channels on 8 images of 4×4 pixels) to 16 (many pixels: threads enough either
// way, and fewer threads load the same inputs). One thread per pixel for all C made
// 128 threads of 147k multiply-adds at that top level; groups of 16 still left ~23 threads per SM
// there, bound by load latency (ncu on an H100: 99 µs a launch on average over the 256×256 model's
// levels, at 1 % of the copy bandwidth; docs/benchmarks.md). On the one-thread host build mixGroup
// gives every channel to one group: a run of 8 pixels there already makes a thread's work large.
#if defined(__CUDACC__) || defined(FLOWRT_FIBERS)
#define MIX_TILE 1
#else
#define MIX_TILE 8
#endif

// y[n,c,p] = Σ_k W[c,k]·x[n,k,p] (transpose: W[k,c]) for the channels [c_begin, c_end) and `len` ≤
// MIX_TILE pixels from p of image n. Full tiles take the constant-length path, so its loops unroll
// into vector operations.
template <int Len>
FLOWRT_DEVICE void mix_tile(const float* xp, const float* w, int transpose, int C, long long HW, int len, int c_begin,
                            int c_end, float* yp) {
  int count = Len > 0 ? Len : len;
  for (int c = c_begin; c < c_end; c++) {
    float acc[MIX_TILE];
    for (int t = 0; t < MIX_TILE; t++) acc[t] = 0.f;
    for (int k = 0; k < C; k++) {
      float wv = transpose ? w[k * C + c] : w[c * C + k];
      const float* xk = xp + k * HW;
      for (int t = 0; t < count; t++) acc[t] += wv * xk[t];
    }
    float* yc = yp + c * HW;
    for (int t = 0; t < count; t++) yc[t] = acc[t];
  }
}

FLOWRT_DEVICE void mix_channels(const float* x, const float* w, int transpose, int N, int C, int HW, int group,
                                float* y) {
  long long tiles = (HW + MIX_TILE - 1) / MIX_TILE;
  long long groups = (C + (long long)group - 1) / group;
  IndexRange r = grid_range((long long)N * groups * tiles);
  for (long long q = r.begin; q < r.end; q += r.step) {  // pixels fastest: neighbouring threads, neighbouring pixels
    long long n = q / (groups * tiles), rest = q - n * groups * tiles;
    long long g = rest / tiles, p = (rest - g * tiles) * MIX_TILE;
    int c_begin = (int)(g * group), c_end = C - c_begin < group ? C : c_begin + group;
    int len = HW - p < MIX_TILE ? (int)(HW - p) : MIX_TILE;
    const float* xp = x + n * C * HW + p;
    float* yp = y + n * C * HW + p;
    if (len == MIX_TILE)
      mix_tile<MIX_TILE>(xp, w, transpose, C, HW, len, c_begin, c_end, yp);
    else
      mix_tile<0>(xp, w, transpose, C, HW, len, c_begin, c_end, yp);
  }
}

// Gauss–Jordan's matrix a (row-major, `width` doubles a row) for the entries of r: [W | I] in
// float64 when width = 2C, W alone when width = C.
FLOWRT_DEVICE void load_augmented(const float* w, int C, long long width, double* a, IndexRange r) {
  for (long long e = r.begin; e < r.end; e += r.step) {
    long long i = e / width, k = e - i * width;
    a[e] = k < C ? (double)w[i * C + k] : (k - C == i ? 1.0 : 0.0);
  }
}

// W⁻¹ as floats, for the entries of r, from the right half of the reduced [W | I] (width 2C).
FLOWRT_DEVICE void store_inverse(const double* a, int C, float* w_inv, IndexRange r) {
  for (long long e = r.begin; e < r.end; e += r.step) {
    long long i = e / C, k = e - i * C;
    w_inv[e] = (float)a[i * 2 * C + C + k];
  }
}

// Row j's entries right of column j divided by the pivot, by the calling block (the pivot itself is
// left: no later step reads it).
FLOWRT_DEVICE void divide_pivot_row(double* a, long long width, int j, double pivot) {
  IndexRange r = block_range(width - (j + 1));
  for (long long t = r.begin; t < r.end; t += r.step) a[(long long)j * width + j + 1 + t] /= pivot;
}

// The elimination's update a[i,k] −= (a[i,j] / divisor)·a[j,k] for the (row, column) pairs of r,
// numbered from (row_begin, j + 1) with the column fastest, `cols` columns a row; row j is skipped.
FLOWRT_DEVICE void eliminate_entries(double* a, long long stride, int j, int row_begin, long long cols, double divisor,
                                     IndexRange r) {
  const double* pivot_row = a + (long long)j * stride;
  for (long long e = r.begin; e < r.end; e += r.step) {
    long long i = row_begin + e / cols, k = j + 1 + e % cols;
    if (i == j) continue;
    double f = a[i * stride + j] / divisor;
    a[i * stride + k] -= f * pivot_row[k];
  }
}

// Partial pivoting for column j of the rows [j, C) of a (row-major, `stride` doubles a row): the row
// whose entry in column j has the largest magnitude, the first such row on ties (as the serial
// scan it replaces, and LAPACK's getrf), is swapped into row j (`width` entries of each row). Every
// thread of the block takes part: on an H100 the serial scan on thread 0 made a 384-channel
// inverse cost tens of milliseconds (docs/benchmarks.md). A NaN never wins; a column of NaNs keeps
// row j.
FLOWRT_DEVICE void block_pivot(double* a, long long stride, int C, int j, long long width) {
  __shared__ double best_abs[FLOWRT_MAX_BLOCK];
  __shared__ int best_row[FLOWRT_MAX_BLOCK];
  double mine = -1.0;
  int row = C;
  IndexRange r = block_range(C - j);
  for (long long t = r.begin; t < r.end; t += r.step) {  // ascending rows: a thread keeps its first maximum
    double v = fabs(a[(j + t) * stride + j]);
    if (v > mine) {
      mine = v;
      row = (int)(j + t);
    }
  }
  best_abs[threadIdx.x] = mine;
  best_row[threadIdx.x] = row;
  __syncthreads();
  for (unsigned int half = blockDim.x / 2; half > 0; half >>= 1) {
    if (threadIdx.x < half) {
      double other = best_abs[threadIdx.x + half];
      int other_row = best_row[threadIdx.x + half];
      if (other > best_abs[threadIdx.x] || (other == best_abs[threadIdx.x] && other_row < best_row[threadIdx.x])) {
        best_abs[threadIdx.x] = other;
        best_row[threadIdx.x] = other_row;
      }
    }
    __syncthreads();
  }
  int best = best_row[0] < C ? best_row[0] : j;
  __syncthreads();  // everyone has read best_row[0] before a later call writes it
  if (best != j) {
    IndexRange rs = block_range(width);
    for (long long k = rs.begin; k < rs.end; k += rs.step) {
      double t = a[(long long)j * stride + k];
      a[(long long)j * stride + k] = a[(long long)best * stride + k];
      a[(long long)best * stride + k] = t;
    }
  }
  __syncthreads();
}

// Elimination with pivot row j: a[i,k] −= (a[i,j] / divisor)·a[j,k] for the rows [row_begin, C)
// other than j and the columns (j, col_end). Column j itself is left alone, so the factors stay
// readable while other threads update their rows (no later step reads it). On the GPU the block's
// threads share the (row, column) pairs with the column fastest: coalesced, and every thread busy
// however few rows remain. The host's one thread walks rows then columns (the inner loop
// vectorizes). Each entry gets the same single update either way.
FLOWRT_DEVICE void block_eliminate(double* a, long long stride, int C, int j, int row_begin, long long col_end,
                                   double divisor) {
  long long cols = col_end - (j + 1);
  if (cols <= 0) return;
#if defined(__CUDACC__) || defined(FLOWRT_FIBERS)
  eliminate_entries(a, stride, j, row_begin, cols, divisor, block_range((long long)(C - row_begin) * cols));
#else
  const double* pivot_row = a + (long long)j * stride;
  for (long long i = row_begin; i < C; i++) {
    if (i == j) continue;
    double f = a[i * stride + j] / divisor;
    if (f == 0.0) continue;
    double* row = a + i * stride;
    for (long long k = j + 1; k < col_end; k++) row[k] -= f * pivot_row[k];
  }
#endif
  __syncthreads();
}

// log|det A| of the C×C matrix in a (row-major, float64, overwritten by its LU factors), computed by
// the calling block. Returns the value to every thread of the block.
FLOWRT_DEVICE double block_log_abs_det(double* a, int C) {
  double log_abs = 0.0;
  for (int j = 0; j < C; j++) {
    block_pivot(a, C, C, j, C);
    double pivot = a[(long long)j * C + j];
    log_abs += log(fabs(pivot));
    block_eliminate(a, C, C, j, j + 1, C, pivot);
  }
  return log_abs;
}

// logdet may be null (then no determinant is computed, and lu_scratch may be null); else lu_scratch
// holds C·C doubles.
extern "C" __global__ void invconv_forward(const float* x, const float* w, int N, int C, int HW, int group, float* y,
                                           double* logdet, double* lu_scratch) {
  if (logdet != nullptr && blockIdx.x == 0 && blockIdx.y == 0) {
    load_augmented(w, C, C, lu_scratch, block_range((long long)C * C));
    __syncthreads();
    double log_abs = block_log_abs_det(lu_scratch, C);
    IndexRange rn = block_range(N);
    for (long long n = rn.begin; n < rn.end; n += rn.step) logdet[n] += (double)HW * log_abs;
  }
  mix_channels(x, w, 0, N, C, HW, group, y);
}
FLOWRT_HOST_KERNEL(invconv_forward)

extern "C" __global__ void invconv_backward_data(const float* dy, const float* w, int N, int C, int HW, int group,
                                                 float* dx) {
  mix_channels(dy, w, 1, N, C, HW, group, dx);
}
FLOWRT_HOST_KERNEL(invconv_backward_data)

// One block. scratch: 2·C·C doubles holding [W | I]; its right half is reduced to W⁻¹ (the left half's
// finished columns are not cleared: nothing reads them again).
extern "C" __global__ void invconv_invert(const float* w, int C, double* scratch, float* w_inv) {
  int C2 = 2 * C;
  load_augmented(w, C, C2, scratch, block_range((long long)C * C2));
  __syncthreads();
  for (int j = 0; j < C; j++) {
    block_pivot(scratch, C2, C, j, C2);
    double pivot = scratch[(long long)j * C2 + j];
    __syncthreads();  // every thread holds the pivot before row j is divided
    divide_pivot_row(scratch, C2, j, pivot);
    __syncthreads();
    block_eliminate(scratch, C2, C, j, 0, C2, 1.0);
  }
  store_inverse(scratch, C, w_inv, block_range((long long)C * C));
}
FLOWRT_HOST_KERNEL(invconv_invert)

// Gauss–Jordan over the grid, one launch pair per column, for the plain invconv's log|det W| and
// W⁻¹ at many channels (InvConvOps picks it from GRID_GAUSS_JORDAN_CHANNELS on): in one block the
// C steps each update C·2C entries with one block's threads (a 384-channel inverse took ~100 ms on
// an H100); here each step's elimination spreads over the whole grid, and the pivot search, swap and
// normalization stay on one block. `a` is row-major, `width` doubles a row: [W | I] (width 2C) for
// the inverse, [W] (width C) for the determinant alone. Same arithmetic, entry for entry, as the
// one-block kernels above.
extern "C" __global__ void invconv_gj_load(const float* w, int C, int width, double* a) {
  load_augmented(w, C, width, a, grid_range((long long)C * width));
}
FLOWRT_HOST_KERNEL(invconv_gj_load)

// Step j, one block: partial pivoting for column j, log|pivot| summed into *log_abs_det (set at
// j = 0), and with `inverse` row j divided by its pivot. After the last step, logdet (if given) gets
// += HW·log|det W| for each of its N samples.
extern "C" __global__ void invconv_gj_pivot(double* a, int C, int width, int j, int inverse, double* log_abs_det,
                                            double* logdet, int N, int HW) {
  block_pivot(a, width, C, j, width);
  double pivot = a[(long long)j * width + j];
  double log_abs = (j == 0 ? 0.0 : *log_abs_det) + log(fabs(pivot));
  __syncthreads();  // every thread has read *log_abs_det and the pivot before either is written
  if (threadIdx.x == 0) *log_abs_det = log_abs;
  if (inverse) divide_pivot_row(a, width, j, pivot);
  if (logdet != nullptr && j == C - 1) {
    IndexRange rs = block_range(N);
    for (long long n = rs.begin; n < rs.end; n += rs.step) logdet[n] += (double)HW * log_abs;
  }
}
FLOWRT_HOST_KERNEL(invconv_gj_pivot)

// Step j's elimination, over the grid: a[i,k] −= (a[i,j] / d)·a[j,k] for the columns (j, width) and
// the rows other than j: all of them with `inverse` (row j normalized, d = 1), else those below j
// (d = the pivot). Column j is left alone, so every thread reads the factors unchanged.
extern "C" __global__ void invconv_gj_eliminate(double* a, int C, int width, int j, int inverse) {
  int row_begin = inverse ? 0 : j + 1;
  long long cols = width - (j + 1);
  double divisor = inverse ? 1.0 : a[(long long)j * width + j];
  eliminate_entries(a, width, j, row_begin, cols, divisor, grid_range((C - row_begin) * cols));
}
FLOWRT_HOST_KERNEL(invconv_gj_eliminate)

// W⁻¹ as floats from the right half of the reduced [I | W⁻¹].
extern "C" __global__ void invconv_gj_store(const double* a, int C, float* w_inv) {
  store_inverse(a, C, w_inv, grid_range((long long)C * C));
}
FLOWRT_HOST_KERNEL(invconv_gj_store)

// Columns of the LU factors' inverses, for W⁻¹ of the LU parametrization (spec §4) without
// Gauss–Jordan on one block: L⁻¹ and U'⁻¹ are triangular, so each column is a substitution
// independent of the others, and the 2C columns spread over the grid. `task` t < C: column t of L⁻¹
// (L unit lower), stored as row t of lt (lt[t·C + i] = L⁻¹[i,t]); task C + j: column j of U'⁻¹
// (U' = strict upper part of `upper` + diag(sign·exp(log_s))), stored as row j of ut. A column's
// substitution is C block-wide steps in float64, each step reading the entry the last one finished.
extern "C" __global__ void invconv_lu_triangular_inverse(const float* lower, const float* upper, const float* sign,
                                                         const float* log_s, int C, double* lt, double* ut) {
  IndexRange tasks = row_range(2LL * C);
  for (long long task = tasks.begin; task < tasks.end; task += tasks.step) {
    bool is_lower = task < C;
    int j = (int)(is_lower ? task : task - C);
    double* col = (is_lower ? lt : ut) + (long long)j * C;
    IndexRange r = block_range(C);
    for (long long i = r.begin; i < r.end; i += r.step) col[i] = i == j ? 1.0 : 0.0;
    __syncthreads();
    if (is_lower) {  // forward substitution: col[m] is final once the rows above it are eliminated
      for (int m = j; m < C - 1; m++) {
        double am = col[m];
        IndexRange ri = block_range(C - m - 1);
        for (long long t = ri.begin; t < ri.end; t += ri.step) {
          long long i = m + 1 + t;
          col[i] -= (double)lower[i * C + m] * am;
        }
        __syncthreads();
      }
    } else {  // back substitution, unscaled: col[m]/d[m] is the solution's entry m
      for (int m = j; m >= 0; m--) {
        double bm = col[m] / ((double)sign[m] * exp((double)log_s[m]));
        IndexRange ri = block_range(m);
        for (long long i = ri.begin; i < ri.end; i += ri.step) col[i] -= (double)upper[i * C + m] * bm;
        __syncthreads();
      }
      for (long long i = r.begin; i < r.end; i += r.step) col[i] /= (double)sign[i] * exp((double)log_s[i]);
    }
    __syncthreads();  // the block's next task starts only when every thread is done with this one
  }
}
FLOWRT_HOST_KERNEL(invconv_lu_triangular_inverse)

// W⁻¹[k, r] = (U'⁻¹·L⁻¹)[k, perm[r]] = Σ_{j ≥ max(k, perm[r])} U'⁻¹[k,j]·L⁻¹[j,perm[r]] from the
// columns above. Entries with k fastest: neighbouring threads read neighbouring entries of a row of
// ut and the same entry of lt.
extern "C" __global__ void invconv_lu_inverse_product(const int* perm, const double* lt, const double* ut, int C,
                                                      float* w_inv) {
  IndexRange r = grid_range((long long)C * C);
  for (long long e = r.begin; e < r.end; e += r.step) {
    long long col = e / C, k = e - col * C;
    long long i = perm[col];
    const double* l_col = lt + i * C;
    double s = 0.0;
    for (long long j = k > i ? k : i; j < C; j++) s += ut[j * C + k] * l_col[j];
    w_inv[k * C + col] = (float)s;
  }
}
FLOWRT_HOST_KERNEL(invconv_lu_inverse_product)

// logdet[n] += scale·Σ_c log_s[c] (one block): the LU parametrization's log|det W| is Σ log_s
// exactly (det P = ±1, det L = 1), so no determinant is computed. scale = ±H·W (an int: exact).
extern "C" __global__ void invconv_lu_logdet(const float* log_s, int C, int scale, int N, double* logdet) {
  double s = 0.0;
  IndexRange r = block_range(C);
  for (long long c = r.begin; c < r.end; c += r.step) s += log_s[c];
  s = block_sum(s);
  IndexRange rn = block_range(N);
  for (long long n = rn.begin; n < rn.end; n += rn.step) logdet[n] += (double)scale * s;
}
FLOWRT_HOST_KERNEL(invconv_lu_logdet)

// Backward of invconv_lu_logdet: dlog_s[c] += scale·Σ_n dlogdet[n].
extern "C" __global__ void invconv_lu_logdet_backward(const double* dlogdet, int N, int scale, int C, float* dlog_s) {
  double total = 0.0;
  for (int n = 0; n < N; n++) total += dlogdet[n];
  IndexRange r = grid_range(C);
  for (long long c = r.begin; c < r.end; c += r.step) dlog_s[c] = (float)((double)dlog_s[c] + (double)scale * total);
}
FLOWRT_HOST_KERNEL(invconv_lu_logdet_backward)

// Grid: x = chunk of the N samples, y = pair index c·C + k. partial[(pair·chunks + chunk)].
extern "C" __global__ void channel_gram(const float* a, const float* b, int N, int C, int HW, double* partial) {
  int pair = blockIdx.x, chunk = blockIdx.y, chunks = gridDim.y;
  int c = pair / C, k = pair - c * C;
  long long n_begin = (long long)N * chunk / chunks, n_end = (long long)N * (chunk + 1) / chunks;
  double s = 0.0;
  for (long long n = n_begin; n < n_end; n++) {
    const float* ar = a + (n * C + c) * HW;
    const float* br = b + (n * C + k) * HW;
    IndexRange r = block_range(HW);
    FLOWRT_SIMD_SUMS(s)
    for (long long p = r.begin; p < r.end; p += r.step) s += (double)ar[p] * br[p];
  }
  s = block_sum(s);
  if (threadIdx.x == 0) partial[(long long)pair * chunks + chunk] = s;
}
FLOWRT_HOST_KERNEL(channel_gram)

// dW[c,k] = Σ_chunks G + HW·(Σ_n dlogdet[n])·W⁻¹[k,c]. Overwrites dw. dlogdet (and w_inv) null: the
// data term alone (the LU parametrization takes its log-det gradient through log_s).
extern "C" __global__ void invconv_weight_grad(const double* partial, int chunks, int C, const float* w_inv,
                                               const double* dlogdet, int N, int HW, float* dw) {
  double logdet_weight = 0.0;
  if (dlogdet != nullptr)
    for (int n = 0; n < N; n++) logdet_weight += dlogdet[n];
  IndexRange r = grid_range((long long)C * C);
  for (long long pair = r.begin; pair < r.end; pair += r.step) {
    long long c = pair / C, k = pair - c * C;
    double s = 0.0;
    for (int j = 0; j < chunks; j++) s += partial[pair * chunks + j];
    dw[pair] = (float)(dlogdet != nullptr ? s + (double)HW * logdet_weight * w_inv[k * C + c] : s);
  }
}
FLOWRT_HOST_KERNEL(invconv_weight_grad)

// Entries of the LU factors: L unit lower (strict lower part of `lower`), U' = strict upper part
// of `upper` plus diag(sign·exp(log_s)).
FLOWRT_DEVICE double lu_lower(const float* lower, int C, int i, int j) {
  return i == j ? 1.0 : (j < i ? (double)lower[i * C + j] : 0.0);
}
FLOWRT_DEVICE double lu_upper(const float* upper, const float* sign, const float* log_s, int C, int j, int k) {
  return j == k ? (double)sign[j] * exp((double)log_s[j]) : (j < k ? (double)upper[j * C + k] : 0.0);
}

// W[r,k] = (L·U')[perm[r], k]: row r of W is row perm[r] of L·U' (P has P[r, perm[r]] = 1).
extern "C" __global__ void invconv_lu_compose(const int* perm, const float* lower, const float* upper,
                                              const float* sign, const float* log_s, int C, float* w) {
  IndexRange r = grid_range((long long)C * C);
  for (long long e = r.begin; e < r.end; e += r.step) {
    int row = (int)(e / C), k = (int)(e - (long long)row * C);
    int i = perm[row];
    double s = 0.0;
    int jmax = i < k ? i : k;
    for (int j = 0; j <= jmax; j++) s += lu_lower(lower, C, i, j) * lu_upper(upper, sign, log_s, C, j, k);
    w[e] = (float)s;
  }
}
FLOWRT_HOST_KERNEL(invconv_lu_compose)

// From dW: dM = Pᵀ·dW (dM[perm[r], :] = dW[r, :]); dL = dM·U'ᵀ (strict lower), dU = Lᵀ·dM (strict
// upper), dlog_s[j] = (Lᵀ·dM)[j,j]·sign[j]·exp(log_s[j]). inv_perm[i] = r with perm[r] = i. Overwrites.
extern "C" __global__ void invconv_lu_compose_backward(const int* inv_perm, const float* lower, const float* upper,
                                                       const float* sign, const float* log_s, const float* dw,
                                                       int C, float* dlower, float* dupper, float* dlog_s) {
  IndexRange r = grid_range((long long)C * C);
  for (long long e = r.begin; e < r.end; e += r.step) {
    int i = (int)(e / C), j = (int)(e - (long long)i * C);
    if (j < i) {  // dL[i,j] = Σ_k dM[i,k]·U'[j,k], k ≥ j
      const float* dm_row = dw + (long long)inv_perm[i] * C;
      double s = 0.0;
      for (int k = j; k < C; k++) s += dm_row[k] * lu_upper(upper, sign, log_s, C, j, k);
      dlower[e] = (float)s;
      dupper[e] = 0.f;
    } else {  // (Lᵀ·dM)[i,j] = Σ_m L[m,i]·dM[m,j], m ≥ i   (row index i of U', column j)
      double s = 0.0;
      for (int m = i; m < C; m++) s += lu_lower(lower, C, m, i) * dw[(long long)inv_perm[m] * C + j];
      dlower[e] = 0.f;
      if (j == i) {
        dupper[e] = 0.f;
        dlog_s[i] = (float)(s * sign[i] * exp((double)log_s[i]));
      } else {
        dupper[e] = (float)s;
      }
    }
  }
}
FLOWRT_HOST_KERNEL(invconv_lu_compose_backward)
