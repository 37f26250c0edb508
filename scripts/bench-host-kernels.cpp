// bench-host-kernels.cpp — times the CPU backend's hottest custom kernels on config A's shapes
// (batch 64, 128 channels at 16×16; the 3-channel configs' invertible 1×1 convolutions), launched
// exactly as the backend launches them (host_runtime.h, the same cuda/*.cu). Built and run by
// scripts/bench-host-kernels.sh, which can build it against an older revision's kernels too.
// Prints the median of 21 calls per kernel, in ms, after 3 untimed ones.
#include "host_runtime.h"

#include <cstdio>
#include <functional>
#include <vector>

#include "bench-common.h"

static void report(const char* what, const std::function<void()>& call) {
  printf("| %s | %.3f |\n", what, median_ms(21, call));
}

int main() {
  const unsigned blocks = 2 * 4;  // the CPU backend's rowwise/elementwise grids: 4 blocks per thread
  {
    int N = 64, C = 128, HW = 256, relu = 1;
    float k = 3;
    auto y = normal((size_t)N * C * HW, 1), dy = normal((size_t)N * C * HW, 2), bias = normal(C, 3), logs = normal(C, 4);
    std::vector<float> dx(y.size());
    std::vector<double> partial(2 * C * blocks);
    const float *yp = y.data(), *dyp = dy.data(), *bp = bias.data(), *lp = logs.data();
    float* dxp = dx.data();
    float* rebuilt = nullptr;
    double* pp = partial.data();
    void* args[] = {&yp, &dyp, &bp, &lp, &k, &relu, &N, &C, &HW, &dxp, &rebuilt, &pp};
    // Backend.planeBlocks on the host: chunks of the samples, about four a thread, every channel in one group.
    report("actnorm_backward, ReLU, 64×128×16×16", [&] { host_run_grid(actnorm_backward, dim3{blocks, 1, 1}, args); });
  }
  {
    int N = 64, C = 128, H = 16, W = 16, relu = 1;
    float k = 3;
    auto x = normal((size_t)N * C * H * W, 9), w_edge = normal(9 * C, 10), bias = normal(C, 11), logs = normal(C, 12);
    const float *xp = x.data(), *wp = w_edge.data(), *bp = bias.data(), *lp = logs.data();
    float* yp = x.data();  // in place, as the model runs it with the edge bias
    double* logdet = nullptr;
    void* args[] = {&xp, &wp, &bp, &lp, &k, &relu, &N, &C, &H, &W, &yp, &logdet};
    report("actnorm_forward, edge bias and ReLU, 64×128×16×16", [&] { host_run_grid(actnorm_forward, dim3{blocks, 1, 1}, args); });
  }
  {
    int N = 64, O = 128, H = 16, W = 16;
    auto w = normal(9 * O, 5), y = normal((size_t)N * O * H * W, 6);
    std::vector<float> dw(9 * O);
    const float* wp = w.data();
    float* yp = y.data();
    void* fargs[] = {&wp, &N, &O, &H, &W, &yp};
    report("edge_bias_forward, 64×128×16×16", [&] { host_run_grid(edge_bias_forward, dim3{blocks, 1, 1}, fargs); });
    const float* dyp = y.data();
    float* dwp = dw.data();
    void* bargs[] = {&dyp, &N, &O, &H, &W, &dwp};
    report("edge_bias_backward, 64×128×16×16", [&] { host_run_grid(edge_bias_backward, dim3{(unsigned)O, 1, 1}, bargs); });
  }
  for (int side : {1, -1}) {  // output side: 4 channels (zero-conv); input side: 2 channels (first conv)
    int N = 64, C = side > 0 ? 4 : 2, H = 16, W = 16, K = 3;
    auto small = normal((size_t)N * C * H * W, 7), taps = normal((size_t)N * C * 9 * H * W, 8);
    const float* sp = small.data();
    float* tp = taps.data();
    void* sargs[] = {&sp, &N, &C, &H, &W, &K, &side, &tp};
    const float* tc = taps.data();
    float* out = small.data();
    void* gargs[] = {&tc, &N, &C, &H, &W, &K, &side, &out};
    char what[96];
    snprintf(what, sizeof what, "taps_spread, %d channels (%s side), 64×·×16×16", C, side > 0 ? "output" : "input");
    report(what, [&] { host_run_grid(taps_spread, dim3{blocks, 1, 1}, sargs); });
    snprintf(what, sizeof what, "taps_gather, %d channels (%s side), 64×·×16×16", C, side > 0 ? "output" : "input");
    report(what, [&] { host_run_grid(taps_gather, dim3{blocks, 1, 1}, gargs); });
  }
  for (auto [C, HW] : {std::pair{12, 256}, std::pair{48, 16}}) {
    int N = 16;
    auto x = normal((size_t)N * C * HW, 9), w = normal((size_t)C * C, 10);
    std::vector<float> y(x.size());
    const float *xp = x.data(), *wp = w.data();
    float* yp = y.data();
    int group = C;  // InvConvOps.mixGroup on the host: every channel in one group
    void* args[] = {&xp, &wp, &N, &C, &HW, &group, &yp};
    char what[96];
    snprintf(what, sizeof what, "invconv_backward_data (the channel mix), 16×%d×%d", C, HW);
    report(what, [&] { host_run_grid(invconv_backward_data, dim3{blocks, 1, 1}, args); });
  }
  return 0;
}
