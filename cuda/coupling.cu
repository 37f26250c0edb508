// coupling.cu — additive and affine coupling (glow-spec §4), in place on z, with the per-sample
// log-det sum fused in (block reduction in double, one atomic add per block and sample).
//   mask CHANNEL (0):      parity 0: x1 = channels [0, C/2) condition x2 = channels [C/2, C);
//                          parity 1: the last C/2 channels condition the first C − C/2 (NICE and
//                          RealNVP alternate partitions; Glow always uses parity 0).
//   mask CHECKERBOARD (1): b(i,j) = (i + j + parity) mod 2; positions with b = 1 pass unchanged
//                          and condition the b = 0 positions, every channel.
//   kind ADDITIVE (0): y = x + shift, h has T channels (T = transformed channels: C - C/2 or C).
//   kind AFFINE_SIGMOID (1): h has 2T channels, shift = h[2t], scale = sigmoid(h[2t+1] + 2).
//   kind AFFINE_EXP (2): as above with scale = exp(h[2t+1]).
//   kind AFFINE_TANH (3): scale = exp(tanh(h[2t+1])), RealNVP's bounded log-scale.
//   y = (x + shift)·scale;  logdet[n] += Σ log scale.   Inverse: x = y/scale − shift.
// Per transformed element: 12 B moved (affine: 16 B), ~10 FLOPs + 1 exp + 1 log.
// coupling_backward works from the OUTPUT y alone (its gradients need no division by the scale), and
// the reversible backward rebuilds x = y/scale − shift in place in the same pass. coupling_conditioner copies x1 (or b⊙x) into the coupling
// network's input; coupling_conditioner_backward adds its gradient back into dz.
// Checked by CouplingSuite: float64 reference, inverse(forward) ≈ x, brute-force log-det, finite
// differences for dz and dh, every mask × kind, odd channel counts.
#include "portable.h"

enum CouplingMask { MASK_CHANNEL = 0, MASK_CHECKERBOARD = 1 };
enum CouplingKind { COUPLING_ADDITIVE = 0, COUPLING_AFFINE_SIGMOID = 1, COUPLING_AFFINE_EXP = 2, COUPLING_AFFINE_TANH = 3 };

// Where element (c, p) of a sample stands in the coupling: is it transformed, and if so which of
// the T transformed channels t it belongs to.
FLOWRT_DEVICE bool transformed(int mask, int parity, int C, int W, int c, long long p, int* t) {
  if (mask == MASK_CHANNEL) {
    if (parity == 0) {
      *t = c - C / 2;
      return c >= C / 2;
    }
    *t = c;
    return c < C - C / 2;
  }
  long long i = p / W, j = p - i * W;
  *t = c;
  return ((i + j + parity) & 1) == 0;
}

FLOWRT_DEVICE int transformed_channels(int mask, int C) { return mask == MASK_CHANNEL ? C - C / 2 : C; }

// The channel of z that transformed channel t is.
FLOWRT_DEVICE int moved_channel(int mask, int parity, int C, int t) {
  return mask == MASK_CHANNEL && parity == 0 ? C / 2 + t : t;
}

// The channel of z that conditioner channel cc copies.
FLOWRT_DEVICE int conditioner_channel(int mask, int parity, int C, int cc) {
  return mask == MASK_CHANNEL && parity == 1 ? C - C / 2 + cc : cc;
}

FLOWRT_DEVICE float coupling_scale(int kind, float logit) {
  return kind == COUPLING_AFFINE_SIGMOID ? sigmoidf(logit + 2.f) : kind == COUPLING_AFFINE_TANH ? expf(tanhf(logit)) : expf(logit);
}

// log(scale) in double, exactly: log(sigmoid(a)) = −softplus(−a), stable for any a.
FLOWRT_DEVICE double coupling_log_scale(int kind, float logit) {
  if (kind == COUPLING_AFFINE_TANH) return tanh((double)logit);
  if (kind == COUPLING_AFFINE_EXP) return logit;
  return -softplus(-((double)logit + 2.0));
}

// ∂scale/∂logit divided by scale: 1 − s (sigmoid), 1 (exp), 1 − tanh² (tanh).
FLOWRT_DEVICE float coupling_dlog_scale(int kind, float logit, float s) {
  if (kind == COUPLING_AFFINE_SIGMOID) return 1.f - s;
  if (kind == COUPLING_AFFINE_EXP) return 1.f;
  float th = tanhf(logit);
  return 1.f - th * th;
}

// direction +1: forward (logdet += Σ log s); −1: inverse (logdet −= Σ log s). logdet may be null
// (sampling and decoding need no log-density): then the float64 log-scales are not computed.
// Grid: x = chunk of the T transformed channels, y = sample n.
FLOWRT_DEVICE void coupling_apply(float* z, const float* h, int mask, int parity, int kind, int direction, int N,
                                  int C, int H, int W, double* logdet) {
  int n = blockIdx.y, chunk = blockIdx.x, chunks = gridDim.x;
  long long HW = (long long)H * W;
  int T = transformed_channels(mask, C);
  int Ch = kind == COUPLING_ADDITIVE ? T : 2 * T;
  int t_begin = (int)((long long)T * chunk / chunks), t_end = (int)((long long)T * (chunk + 1) / chunks);
  double log_scale_sum = 0.0;
  for (int t = t_begin; t < t_end; t++) {
    int c = moved_channel(mask, parity, C, t);
    float* zr = z + ((long long)n * C + c) * HW;
    const float* shift_row = h + ((long long)n * Ch + (kind == COUPLING_ADDITIVE ? t : 2 * t)) * HW;
    const float* logit_row = shift_row + HW;
    IndexRange r = block_range(HW);
    for (long long p = r.begin; p < r.end; p += r.step) {
      int unused;
      if (mask == MASK_CHECKERBOARD && !transformed(mask, parity, C, W, c, p, &unused)) continue;
      if (kind == COUPLING_ADDITIVE) {
        zr[p] += direction * shift_row[p];
        continue;
      }
      float logit = logit_row[p];
      float s = coupling_scale(kind, logit);
      zr[p] = direction > 0 ? (zr[p] + shift_row[p]) * s : zr[p] / s - shift_row[p];
      if (logdet != nullptr) log_scale_sum += coupling_log_scale(kind, logit);
    }
  }
  if (kind != COUPLING_ADDITIVE && logdet != nullptr) {  // the same for the whole block: block_sum's barriers hold
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
// element of h (zero where h is not read). Rows (n, c) over the blocks, pixels over the threads.
extern "C" __global__ void coupling_backward(float* y, float* dy, const float* h, int mask, int parity, int kind,
                                             int rebuild, int N, int C, int H, int W, const double* dlogdet,
                                             float* dh) {
  long long HW = (long long)H * W;
  int T = transformed_channels(mask, C);
  int Ch = kind == COUPLING_ADDITIVE ? T : 2 * T;
  IndexRange rows = row_range((long long)N * C);
  for (long long row = rows.begin; row < rows.end; row += rows.step) {
    long long n = row / C;
    int c = (int)(row - n * C);
    int t;
    if (mask == MASK_CHANNEL && !transformed(mask, parity, C, W, c, 0, &t)) continue;  // conditioner: dy passes
    t = mask == MASK_CHANNEL ? t : c;
    float* yr = y + row * HW;
    float* dyr = dy + row * HW;
    const float* shift_row = h + (n * Ch + (kind == COUPLING_ADDITIVE ? t : 2 * t)) * HW;
    const float* logit_row = shift_row + HW;
    float* dshift_row = dh + (n * Ch + (kind == COUPLING_ADDITIVE ? t : 2 * t)) * HW;
    float* dlogit_row = dshift_row + HW;
    float gl = (float)dlogdet[n];
    IndexRange r = block_range(HW);
    for (long long p = r.begin; p < r.end; p += r.step) {
      int unused;
      if (mask == MASK_CHECKERBOARD && !transformed(mask, parity, C, W, c, p, &unused)) {
        dshift_row[p] = 0.f;  // h is read only at transformed positions
        if (kind != COUPLING_ADDITIVE) dlogit_row[p] = 0.f;
        continue;
      }
      float g = dyr[p];
      if (kind == COUPLING_ADDITIVE) {
        dshift_row[p] = g;
        if (rebuild) yr[p] -= shift_row[p];
        continue;
      }
      float s = coupling_scale(kind, logit_row[p]);
      float yv = yr[p];
      dyr[p] = g * s;
      dshift_row[p] = g * s;
      // ∂y/∂logit = (x + shift)·∂s/∂logit = y·(1 − s) (sigmoid) or y (exp): no division by s, so the
      // gradient stays finite where a trained model drives s to 0 in float32.
      dlogit_row[p] = (g * yv + gl) * coupling_dlog_scale(kind, logit_row[p], s);
      if (rebuild) yr[p] = yv / s - shift_row[p];
    }
  }
}
FLOWRT_HOST_KERNEL(coupling_backward)

// Conditioner input of the coupling network: [N, C/2, H, W] (channel mask) or [N, C, H, W] holding
// b⊙z (checkerboard). Rows (n, c) of the conditioner over the blocks.
extern "C" __global__ void coupling_conditioner(const float* z, int mask, int parity, int N, int C, int H, int W,
                                                float* cond) {
  long long HW = (long long)H * W;
  int Cc = mask == MASK_CHANNEL ? C / 2 : C;
  IndexRange rows = row_range((long long)N * Cc);
  for (long long row = rows.begin; row < rows.end; row += rows.step) {
    long long n = row / Cc;
    int c = conditioner_channel(mask, parity, C, (int)(row - n * Cc));
    const float* zr = z + (n * C + c) * HW;
    float* out = cond + row * HW;
    IndexRange r = block_range(HW);
    for (long long p = r.begin; p < r.end; p += r.step) {
      int unused;
      out[p] = mask == MASK_CHANNEL || !transformed(mask, parity, C, W, c, p, &unused) ? zr[p] : 0.f;
    }
  }
}
FLOWRT_HOST_KERNEL(coupling_conditioner)

extern "C" __global__ void coupling_conditioner_backward(const float* dcond, int mask, int parity, int N, int C,
                                                         int H, int W, float* dz) {
  long long HW = (long long)H * W;
  int Cc = mask == MASK_CHANNEL ? C / 2 : C;
  IndexRange rows = row_range((long long)N * Cc);
  for (long long row = rows.begin; row < rows.end; row += rows.step) {
    long long n = row / Cc;
    int c = conditioner_channel(mask, parity, C, (int)(row - n * Cc));
    float* dzr = dz + (n * C + c) * HW;
    const float* in = dcond + row * HW;
    IndexRange r = block_range(HW);
    for (long long p = r.begin; p < r.end; p += r.step) {
      int unused;
      if (mask == MASK_CHANNEL || !transformed(mask, parity, C, W, c, p, &unused)) dzr[p] += in[p];
    }
  }
}
FLOWRT_HOST_KERNEL(coupling_conditioner_backward)
