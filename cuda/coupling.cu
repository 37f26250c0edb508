// coupling.cu — additive and affine coupling (glow-spec §4), in place on z, with the per-sample
// log-det sum fused in (block reduction in double, one atomic add per block and sample).
//   mask CHANNEL (0):      x1 = channels [0, C/2) condition x2 = channels [C/2, C).
//   mask CHECKERBOARD (1): b(i,j) = (i + j + parity) mod 2; positions with b = 1 pass unchanged
//                          and condition the b = 0 positions, every channel.
//   kind ADDITIVE (0): y = x + shift, h has T channels (T = transformed channels: C - C/2 or C).
//   kind AFFINE_SIGMOID (1): h has 2T channels, shift = h[2t], scale = sigmoid(h[2t+1] + 2).
//   kind AFFINE_EXP (2): as above with scale = exp(h[2t+1]).
//   y = (x + shift)·scale;  logdet[n] += Σ log scale.   Inverse: x = y/scale − shift.
// Per transformed element: 12 B moved (affine: 16 B), ~10 FLOPs + 1 exp + 1 log.
// coupling_backward works from the OUTPUT y alone (x + shift = y/scale), so the reversible backward
// rebuilds x in place in the same pass. coupling_conditioner copies x1 (or b⊙x) into the coupling
// network's input; coupling_conditioner_backward adds its gradient back into dz.
// Checked by CouplingSuite: float64 reference, inverse(forward) ≈ x, brute-force log-det, finite
// differences for dz and dh, every mask × kind, odd channel counts.
#include "portable.h"

enum CouplingMask { MASK_CHANNEL = 0, MASK_CHECKERBOARD = 1 };
enum CouplingKind { COUPLING_ADDITIVE = 0, COUPLING_AFFINE_SIGMOID = 1, COUPLING_AFFINE_EXP = 2 };

// Where element (c, p) of a sample stands in the coupling: is it transformed, and if so which of
// the T transformed channels t it belongs to.
FLOWRT_DEVICE bool transformed(int mask, int parity, int C, int W, int c, long long p, int* t) {
  if (mask == MASK_CHANNEL) {
    *t = c - C / 2;
    return c >= C / 2;
  }
  long long i = p / W, j = p - i * W;
  *t = c;
  return ((i + j + parity) & 1) == 0;
}

FLOWRT_DEVICE int transformed_channels(int mask, int C) { return mask == MASK_CHANNEL ? C - C / 2 : C; }

FLOWRT_DEVICE float coupling_scale(int kind, float logit) {
  return kind == COUPLING_AFFINE_SIGMOID ? sigmoidf(logit + 2.f) : expf(logit);
}

// direction +1: forward (logdet += Σ log s); −1: inverse (logdet −= Σ log s). Grid: x = chunk, y = n.
FLOWRT_DEVICE void coupling_apply(float* z, const float* h, int mask, int parity, int kind, int direction, int N,
                                  int C, int H, int W, double* logdet) {
  int n = blockIdx.y, chunk = blockIdx.x, chunks = gridDim.x;
  long long HW = (long long)H * W;
  int T = transformed_channels(mask, C);
  int Ch = kind == COUPLING_ADDITIVE ? T : 2 * T;
  // Channel mask: only channels [C/2, C) move, so the blocks share just those.
  long long first = mask == MASK_CHANNEL ? (long long)(C / 2) * HW : 0;
  long long count = (long long)T * HW;
  long long begin = first + count * chunk / chunks, end = first + count * (chunk + 1) / chunks;
  float* zn = z + (long long)n * C * HW;
  const float* hn = h + (long long)n * Ch * HW;
  double log_scale_sum = 0.0;
  IndexRange r = block_range(end - begin);
  for (long long e = begin + r.begin; e < begin + r.end; e += r.step) {
    int c = (int)(e / HW);
    long long p = e - c * HW;
    int t;
    if (!transformed(mask, parity, C, W, c, p, &t)) continue;
    if (kind == COUPLING_ADDITIVE) {
      zn[e] += direction * hn[t * HW + p];
    } else {
      float shift = hn[2LL * t * HW + p];
      float logit = hn[(2LL * t + 1) * HW + p];
      float s = coupling_scale(kind, logit);
      zn[e] = direction > 0 ? (zn[e] + shift) * s : zn[e] / s - shift;
      // log s exactly: log(sigmoid(a)) = -softplus(-a), stable for any a.
      double a = (double)logit + (kind == COUPLING_AFFINE_SIGMOID ? 2.0 : 0.0);
      log_scale_sum += kind == COUPLING_AFFINE_SIGMOID ? (a >= 0 ? -log1p(exp(-a)) : a - log1p(exp(a))) : a;
    }
  }
  if (kind != COUPLING_ADDITIVE) {
    log_scale_sum = block_sum(log_scale_sum);
    if (threadIdx.x == 0) atomicAdd(&logdet[n], direction * log_scale_sum);
  }
}

extern "C" __global__ void coupling_forward(float* z, const float* h, int mask, int parity, int kind, int N, int C,
                                            int H, int W, double* logdet) {
  coupling_apply(z, h, mask, parity, kind, +1, N, C, H, W, logdet);
}
FLOWRT_HOST_KERNEL(coupling_forward)

extern "C" __global__ void coupling_inverse(float* z, const float* h, int mask, int parity, int kind, int N, int C,
                                            int H, int W, double* logdet) {
  coupling_apply(z, h, mask, parity, kind, -1, N, C, H, W, logdet);
}
FLOWRT_HOST_KERNEL(coupling_inverse)

// Given the output y (rebuilt into x in place when rebuild != 0), dy (turned into dx in place for
// the transformed elements; kept elements pass dy through) and dlogdet[n], writes dh for every
// element of h (zero where h is not read). Elementwise, grid-stride.
extern "C" __global__ void coupling_backward(float* y, float* dy, const float* h, int mask, int parity, int kind,
                                             int rebuild, int N, int C, int H, int W, const double* dlogdet,
                                             float* dh) {
  long long HW = (long long)H * W;
  long long total = (long long)N * C * HW;
  int T = transformed_channels(mask, C);
  int Ch = kind == COUPLING_ADDITIVE ? T : 2 * T;
  IndexRange r = grid_range(total);
  for (long long e = r.begin; e < r.end; e += r.step) {
    long long n = e / (C * HW);
    long long rest = e - n * C * HW;
    int c = (int)(rest / HW);
    long long p = rest - (long long)c * HW;
    int t;
    bool moved = transformed(mask, parity, C, W, c, p, &t);
    if (mask == MASK_CHECKERBOARD && !moved) {  // h is read only at transformed positions
      if (kind == COUPLING_ADDITIVE) {
        dh[(n * Ch + t) * HW + p] = 0.f;
      } else {
        dh[(n * Ch + 2 * t) * HW + p] = 0.f;
        dh[(n * Ch + 2 * t + 1) * HW + p] = 0.f;
      }
    }
    if (!moved) continue;
    float g = dy[e];
    if (kind == COUPLING_ADDITIVE) {
      dh[(n * Ch + t) * HW + p] = g;
      if (rebuild) y[e] -= h[(n * Ch + t) * HW + p];
      continue;
    }
    long long i_shift = (n * Ch + 2 * t) * HW + p, i_logit = i_shift + HW;
    float shift = h[i_shift];
    float s = coupling_scale(kind, h[i_logit]);
    float u = y[e] / s;  // = x + shift
    float gl = (float)dlogdet[n];
    dy[e] = g * s;
    dh[i_shift] = g * s;
    dh[i_logit] = kind == COUPLING_AFFINE_SIGMOID ? (g * u * s + gl) * (1.f - s) : g * u * s + gl;
    if (rebuild) y[e] = u - shift;
  }
}
FLOWRT_HOST_KERNEL(coupling_backward)

// Conditioner input of the coupling network: [N, C/2, H, W] (channel mask) or [N, C, H, W] holding
// b⊙z (checkerboard). Elementwise over the conditioner's elements.
extern "C" __global__ void coupling_conditioner(const float* z, int mask, int parity, int N, int C, int H, int W,
                                                float* cond) {
  long long HW = (long long)H * W;
  int Cc = mask == MASK_CHANNEL ? C / 2 : C;
  long long total = (long long)N * Cc * HW;
  IndexRange r = grid_range(total);
  for (long long e = r.begin; e < r.end; e += r.step) {
    long long n = e / (Cc * HW);
    long long rest = e - n * Cc * HW;
    int c = (int)(rest / HW);
    long long p = rest - (long long)c * HW;
    int t;
    float v = z[(n * C + c) * HW + p];
    cond[e] = mask == MASK_CHANNEL || !transformed(mask, parity, C, W, c, p, &t) ? v : 0.f;
  }
}
FLOWRT_HOST_KERNEL(coupling_conditioner)

extern "C" __global__ void coupling_conditioner_backward(const float* dcond, int mask, int parity, int N, int C,
                                                         int H, int W, float* dz) {
  long long HW = (long long)H * W;
  int Cc = mask == MASK_CHANNEL ? C / 2 : C;
  long long total = (long long)N * Cc * HW;
  IndexRange r = grid_range(total);
  for (long long e = r.begin; e < r.end; e += r.step) {
    long long n = e / (Cc * HW);
    long long rest = e - n * Cc * HW;
    int c = (int)(rest / HW);
    long long p = rest - (long long)c * HW;
    int t;
    if (mask == MASK_CHANNEL || !transformed(mask, parity, C, W, c, p, &t)) dz[(n * C + c) * HW + p] += dcond[e];
  }
}
FLOWRT_HOST_KERNEL(coupling_conditioner_backward)
