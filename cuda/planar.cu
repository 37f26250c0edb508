// planar.cu — planar flows (Rezende & Mohamed 2015) on vectors z ∈ R^d, in their closed-form
// (generative) direction: f(z) = z + û·tanh(wᵀz + b), log|det ∂f/∂z| = log|1 + (1 − t²)·wᵀû|,
// t = tanh(wᵀz + b). û = u + (m(wᵀu) − wᵀu)·w/‖w‖², m(x) = −1 + softplus(x), guarantees wᵀû ≥ −1,
// hence invertibility. The inverse has no closed form: flowrt refuses it.
//   planar_reparam            û from (w, u) (one block; d values)
//   planar_forward            y, logdet[n] += …; one block per sample (block-reduced dot products)
//   planar_backward           dz and per-sample partials of (dw, dû, db) for Σ g·y + Σ q·logdet
//   planar_reparam_backward   chains dû into dw and du (after the partials are summed)
// Per sample: 3d floats moved, ~6d FLOPs + 1 tanh + 1 log. Checked by ClassicFlowSuite against a
// float64 reference, a brute-force Jacobian and central finite differences.
#include "portable.h"

// One block. w, u: [d]; writes u_hat [d].
extern "C" __global__ void planar_reparam(const float* w, const float* u, int d, float* u_hat) {
  double wu = 0.0, ww = 0.0;
  IndexRange r = block_range(d);
  for (long long i = r.begin; i < r.end; i += r.step) {
    wu += (double)w[i] * u[i];
    ww += (double)w[i] * w[i];
  }
  wu = block_sum(wu);
  ww = block_sum(ww);
  double c = (-1.0 + softplus(wu) - wu) / ww;
  for (long long i = r.begin; i < r.end; i += r.step) u_hat[i] = (float)(u[i] + c * w[i]);
}
FLOWRT_HOST_KERNEL(planar_reparam)

// Rows (samples) over the blocks. z may not alias y. logdet may be null.
extern "C" __global__ void planar_forward(const float* z, const float* w, const float* u_hat, const float* b, int N,
                                          int d, float* y, double* logdet) {
  IndexRange rows = row_range(N);
  for (long long n = rows.begin; n < rows.end; n += rows.step) {
    const float* zn = z + n * d;
    double a = 0.0, wu = 0.0;
    IndexRange r = block_range(d);
    for (long long i = r.begin; i < r.end; i += r.step) {
      a += (double)w[i] * zn[i];
      wu += (double)w[i] * u_hat[i];
    }
    a = block_sum(a) + b[0];
    wu = block_sum(wu);
    double t = tanh(a);
    for (long long i = r.begin; i < r.end; i += r.step) y[n * d + i] = (float)(zn[i] + u_hat[i] * t);
    if (logdet != nullptr && threadIdx.x == 0) logdet[n] += log(fabs(1.0 + (1.0 - t * t) * wu));
  }
}
FLOWRT_HOST_KERNEL(planar_forward)

// For the objective Σ g·y + Σ_n q[n]·logdet[n]: dz [N, d] (overwritten) and per-sample partials
// partial[n] = (dw [d], dû [d], db) — 2d + 1 doubles per sample, summed by column_sums.
extern "C" __global__ void planar_backward(const float* z, const float* w, const float* u_hat, const float* b,
                                           const float* g, const double* q, int N, int d, float* dz,
                                           double* partial) {
  IndexRange rows = row_range(N);
  for (long long n = rows.begin; n < rows.end; n += rows.step) {
    const float* zn = z + n * d;
    const float* gn = g + n * d;
    double a = 0.0, wu = 0.0, gu = 0.0;
    IndexRange r = block_range(d);
    for (long long i = r.begin; i < r.end; i += r.step) {
      a += (double)w[i] * zn[i];
      wu += (double)w[i] * u_hat[i];
      gu += (double)gn[i] * u_hat[i];
    }
    a = block_sum(a) + b[0];
    wu = block_sum(wu);
    gu = block_sum(gu);
    double t = tanh(a), dt = 1.0 - t * t, D = 1.0 + dt * wu, qn = q == nullptr ? 0.0 : q[n];
    // a = wᵀz + b:  ∂L/∂a = dt·(gᵀû) + q·(−2t·dt·wu)/D
    double da = dt * gu - qn * 2.0 * t * dt * wu / D;
    double dwu = qn * dt / D;  // ∂L/∂(wᵀû) through the log-det
    double* pn = partial + n * (2LL * d + 1);
    for (long long i = r.begin; i < r.end; i += r.step) {
      dz[n * d + i] = (float)(gn[i] + da * w[i]);
      pn[i] = da * zn[i] + dwu * u_hat[i];       // dw
      pn[d + i] = gn[i] * t + dwu * w[i];        // dû
    }
    if (threadIdx.x == 0) pn[2 * d] = da;        // db
  }
}
FLOWRT_HOST_KERNEL(planar_backward)

// One block. From the summed dw_direct [d], dû [d]: adds the reparametrization's chain rule and
// writes dw, du (overwrite). û = u + c·w, c = (m(α) − α)/‖w‖², α = wᵀu, m'(α) = sigmoid(α).
extern "C" __global__ void planar_reparam_backward(const float* w, const float* u, const double* sums, int d,
                                                   float* dw, float* du) {
  double wu = 0.0, ww = 0.0, w_du = 0.0;
  const double* dw_direct = sums;
  const double* du_hat = sums + d;
  IndexRange r = block_range(d);
  for (long long i = r.begin; i < r.end; i += r.step) {
    wu += (double)w[i] * u[i];
    ww += (double)w[i] * w[i];
    w_du += (double)w[i] * du_hat[i];
  }
  wu = block_sum(wu);
  ww = block_sum(ww);
  w_du = block_sum(w_du);
  double m = -1.0 + softplus(wu), dm = 1.0 / (1.0 + exp(-wu));
  double c = (m - wu) / ww;
  for (long long i = r.begin; i < r.end; i += r.step) {
    // ∂c/∂u = (m' − 1)·w/‖w‖²;  ∂c/∂w = (m' − 1)·u/‖w‖² − 2(m − α)·w/‖w‖⁴
    du[i] = (float)(du_hat[i] + w_du * (dm - 1.0) * w[i] / ww);
    dw[i] = (float)(dw_direct[i] + c * du_hat[i] + w_du * ((dm - 1.0) * u[i] / ww - 2.0 * (m - wu) * w[i] / (ww * ww)));
  }
}
FLOWRT_HOST_KERNEL(planar_reparam_backward)
