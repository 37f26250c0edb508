// conditional.cu — the class-conditional parts of the image model (glow-spec §5):
//   class_prior_add            h[n, c, :] += (W[c, y_n] + b[c])·exp(3·logs[c]): linearZeros(onehot(y))
//                              added to the top prior's parameters, broadcast over H, W. Rows (n, c).
//   class_prior_backward       per-(n, c) sums of dh over H, W (partial[n][c])
//   class_prior_param_grad     dW, db, dlogs from those sums (grid-stride over c; overwrite)
//   class_head_forward         per sample: m = mean over H, W of z_top; logits = (W·m + b)·exp(3·logs);
//                              ce[n] = logsumexp(logits) − logits[y_n] (one block per sample)
//   class_head_backward        dz += ∂(Σ dce[n]·ce[n])/∂z and per-sample partials of (dW, db, dlogs)
// Per element of z: 4 B read twice; per sample K·C FLOPs. Checked by ConditionalSuite against a
// float64 reference and central finite differences.
#include "portable.h"

extern "C" __global__ void class_prior_add(const int* labels, const float* w, const float* b, const float* logs, int N,
                                           int C2, int HW, int K, float* h) {
  IndexRange rows = row_range((long long)N * C2);
  for (long long row = rows.begin; row < rows.end; row += rows.step) {
    long long n = row / C2;
    int c = (int)(row - n * C2);
    float v = (w[(long long)c * K + labels[n]] + b[c]) * expf(3.f * logs[c]);
    IndexRange r = block_range(HW);
    for (long long p = r.begin; p < r.end; p += r.step) h[row * HW + p] += v;
  }
}
FLOWRT_HOST_KERNEL(class_prior_add)

extern "C" __global__ void class_prior_backward(const float* dh, int N, int C2, int HW, double* partial) {
  IndexRange rows = row_range((long long)N * C2);
  for (long long row = rows.begin; row < rows.end; row += rows.step) {
    double s = 0.0;
    IndexRange r = block_range(HW);
    for (long long p = r.begin; p < r.end; p += r.step) s += dh[row * HW + p];
    s = block_sum(s);
    if (threadIdx.x == 0) partial[row] = s;
  }
}
FLOWRT_HOST_KERNEL(class_prior_backward)

extern "C" __global__ void class_prior_param_grad(const int* labels, const float* w, const float* b, const float* logs,
                                                  const double* partial, int N, int C2, int K, float* dw, float* db,
                                                  float* dlogs) {
  IndexRange r = grid_range(C2);
  for (long long c = r.begin; c < r.end; c += r.step) {
    double scale = exp(3.0 * logs[c]), sb = 0.0, sl = 0.0;
    for (int k = 0; k < K; k++) dw[c * K + k] = 0.f;
    for (int n = 0; n < N; n++) {
      double s = partial[(long long)n * C2 + c];
      int y = labels[n];
      dw[c * K + y] += (float)(s * scale);
      sb += s * scale;
      sl += 3.0 * s * ((double)w[c * K + y] + b[c]) * scale;
    }
    db[c] = (float)sb;
    dlogs[c] = (float)sl;
  }
}
FLOWRT_HOST_KERNEL(class_prior_param_grad)

// One block per sample (rows). logits [N, K] (float), ce [N] (double, overwritten).
extern "C" __global__ void class_head_forward(const float* z, const float* w, const float* b, const float* logs,
                                              const int* labels, int N, int C, int HW, int K, float* logits, double* ce) {
  IndexRange rows = row_range(N);
  for (long long n = rows.begin; n < rows.end; n += rows.step) {
    const float* zn = z + n * C * HW;
    for (int k = 0; k < K; k++) {
      double acc = 0.0;
      IndexRange r = block_range((long long)C * HW);
      for (long long e = r.begin; e < r.end; e += r.step) acc += (double)w[(long long)k * C + e / HW] * zn[e];
      acc = block_sum(acc);
      if (threadIdx.x == 0) logits[n * K + k] = (float)((acc / HW + b[k]) * exp(3.0 * logs[k]));
    }
    __syncthreads();
    if (threadIdx.x == 0) {
      double m = logits[n * K];
      for (int k = 1; k < K; k++) m = fmax(m, (double)logits[n * K + k]);
      double s = 0.0;
      for (int k = 0; k < K; k++) s += exp((double)logits[n * K + k] - m);
      ce[n] = m + log(s) - logits[n * K + labels[n]];
    }
    __syncthreads();
  }
}
FLOWRT_HOST_KERNEL(class_head_forward)

// For the objective Σ dce[n]·ce[n]: dz += (added, the top latent also gets the prior's gradient),
// partial[n] = (dW [K·C], db [K], dlogs [K]) for column_sums.
extern "C" __global__ void class_head_backward(const float* z, const float* w, const float* logs, const int* labels,
                                               const float* logits, const double* dce, int N, int C, int HW, int K,
                                               float* dz, double* partial) {
  IndexRange rows = row_range(N);
  for (long long n = rows.begin; n < rows.end; n += rows.step) {
    const float* zn = z + n * C * HW;
    const float* ln = logits + n * K;
    double m = ln[0];
    for (int k = 1; k < K; k++) m = fmax(m, (double)ln[k]);
    double total = 0.0;
    for (int k = 0; k < K; k++) total += exp((double)ln[k] - m);
    double* pn = partial + n * ((long long)K * C + 2 * K);
    IndexRange r = block_range(C);
    for (long long c = r.begin; c < r.end; c += r.step) {
      double mean = 0.0;
      for (int p = 0; p < HW; p++) mean += zn[c * HW + p];
      mean /= HW;
      double dmean = 0.0;
      for (int k = 0; k < K; k++) {
        double dlogit = dce[n] * (exp((double)ln[k] - m) / total - (k == labels[n] ? 1.0 : 0.0));
        double du = dlogit * exp(3.0 * logs[k]);
        pn[(long long)k * C + c] = du * mean;
        dmean += du * w[(long long)k * C + c];
      }
      for (int p = 0; p < HW; p++) dz[n * C * HW + c * HW + p] += (float)(dmean / HW);
    }
    if (threadIdx.x == 0)
      for (int k = 0; k < K; k++) {
        double dlogit = dce[n] * (exp((double)ln[k] - m) / total - (k == labels[n] ? 1.0 : 0.0));
        pn[(long long)K * C + k] = dlogit * exp(3.0 * logs[k]);
        pn[(long long)K * C + K + k] = 3.0 * dlogit * ln[k];
      }
  }
}
FLOWRT_HOST_KERNEL(class_head_backward)
