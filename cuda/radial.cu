// radial.cu — radial flows (Rezende & Mohamed 2015) in their closed-form (generative) direction:
// f(z) = z + β·h(α, r)·(z − z0), r = ‖z − z0‖, h = 1/(α + r), with α = softplus(α̂) > 0 and
// β = −α + softplus(β̂) ≥ −α (invertible). log|det| = (d−1)·log(1 + βh) + log(1 + βh + βh′r)
//                                                  = (d−1)·log(1 + β/A) + log(1 + βα/A²), A = α + r.
// The inverse has no closed form: flowrt refuses it.
//   radial_forward    y, logdet[n] += …; one block per sample
//   radial_backward   dz and per-sample partials (dz0 [d], dα̂, dβ̂) for Σ g·y + Σ q·logdet
// Per sample: 3d floats moved, ~8d FLOPs + 2 logs. Checked by ClassicFlowSuite.
#include "portable.h"

// params: [α̂, β̂]. Rows (samples) over the blocks.
extern "C" __global__ void radial_forward(const float* z, const float* z0, const float* params, int N, int d,
                                          float* y, double* logdet) {
  double alpha = softplus(params[0]);
  double beta = -alpha + softplus(params[1]);
  IndexRange rows = row_range(N);
  for (long long n = rows.begin; n < rows.end; n += rows.step) {
    const float* zn = z + n * d;
    double rr = 0.0;
    IndexRange r = block_range(d);
    for (long long i = r.begin; i < r.end; i += r.step) {
      double v = (double)zn[i] - z0[i];
      rr += v * v;
    }
    double rad = sqrt(block_sum(rr)), A = alpha + rad;
    for (long long i = r.begin; i < r.end; i += r.step) y[n * d + i] = (float)(zn[i] + beta / A * ((double)zn[i] - z0[i]));
    if (logdet != nullptr && threadIdx.x == 0)
      logdet[n] += (d - 1) * log(1.0 + beta / A) + log(1.0 + beta * alpha / (A * A));
  }
}
FLOWRT_HOST_KERNEL(radial_forward)

// partial[n] = (dz0 [d], dα̂, dβ̂): d + 2 doubles per sample. dz overwritten.
extern "C" __global__ void radial_backward(const float* z, const float* z0, const float* params, const float* g,
                                           const double* q, int N, int d, float* dz, double* partial) {
  double alpha = softplus(params[0]);
  double beta = -alpha + softplus(params[1]);
  double s_alpha = 1.0 / (1.0 + exp(-(double)params[0])), s_beta = 1.0 / (1.0 + exp(-(double)params[1]));
  IndexRange rows = row_range(N);
  for (long long n = rows.begin; n < rows.end; n += rows.step) {
    const float* zn = z + n * d;
    const float* gn = g + n * d;
    double rr = 0.0, gv = 0.0;
    IndexRange r = block_range(d);
    for (long long i = r.begin; i < r.end; i += r.step) {
      double v = (double)zn[i] - z0[i];
      rr += v * v;
      gv += gn[i] * v;
    }
    rr = block_sum(rr);
    gv = block_sum(gv);
    double rad = sqrt(rr), A = alpha + rad, qn = q == nullptr ? 0.0 : q[n];
    double P = 1.0 + beta / A, Q = 1.0 + beta * alpha / (A * A);
    double dlogdet_dA = (d - 1) * (-beta / (A * A)) / P + (-2.0 * beta * alpha / (A * A * A)) / Q;
    // ∂L/∂A collects the y term (g·v)·β·(−1/A²) and the log-det term.
    double dA = -beta * gv / (A * A) + qn * dlogdet_dA;
    double d_alpha = dA + qn * (beta / (A * A)) / Q;       // A and Q depend on α
    double d_beta = gv / A + qn * ((d - 1) * (1.0 / A) / P + (alpha / (A * A)) / Q);
    double radial_term = rad > 0 ? dA / rad : 0.0;          // ∂A/∂v = v/r (0 at the center)
    double* pn = partial + n * (d + 2LL);
    for (long long i = r.begin; i < r.end; i += r.step) {
      double v = (double)zn[i] - z0[i];
      double dv = gn[i] * beta / A + radial_term * v;  // ∂L/∂v through β·h(r)·v
      dz[n * d + i] = (float)(gn[i] + dv);             // y = z + β·h·v: the identity plus v's part
      pn[i] = -dv;                                      // z0 enters only through v = z − z0
    }
    if (threadIdx.x == 0) {
      pn[d] = s_alpha * (d_alpha - d_beta);  // β = −α + softplus(β̂) depends on α too
      pn[d + 1] = s_beta * d_beta;
    }
  }
}
FLOWRT_HOST_KERNEL(radial_backward)
