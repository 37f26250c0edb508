// bench-roofline.cpp — what this CPU can do against what config A's coupling networks ask of it
// (issue 10): the FMA peak of the cores, the memory bandwidth at the size of a level-1 activation and
// far beyond the caches, and each level's coupling-network forward (conv3×3 → actnorm + ReLU →
// conv1×1 → actnorm + ReLU → zero-conv as 1×1 + taps gather: oneDNN's GEMM convolutions on plain
// NCHW and cuda/*.cu built for the host, as flowrt's CPU backend runs them, except that the first
// 3×3 is oneDNN's own NCHW GEMM convolution where flowrt runs im2col + 1×1 for 2 and 4 inputs, as
// fast alone: scripts/bench-conv-passes.sh) run two ways:
//   whole batch   each op over all 64 images, oneDNN and the kernels on every thread (flowrt today);
//   depth-first   pieces of P images, each taken by one thread through the whole network, so the
//                 piece's activations stay in that core's cache between ops.
// Built and run by scripts/bench-roofline.sh; a measurement, not a test (the depth-first outputs are
// compared with the whole-batch ones and the largest difference printed, expected 0: same GEMMs).
#include "host_runtime.h"
#include "oneapi/dnnl/dnnl.hpp"

#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "bench-common.h"

using dnnl::memory;
using Tag = memory::format_tag;

static double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Ten independent AVX2 FMA chains per thread: enough to cover the FMA latency on two pipes.
__attribute__((target("avx2,fma"))) static double fma_gflops(int threads) {
  const long iters = 20000000;
  double t0 = now_ms();
  float sink = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sink)
  {
    __m256 a[10];
    for (auto& v : a) v = _mm256_set1_ps(1.0f);
    const __m256 m = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-7f);
    for (long i = 0; i < iters; i++)
      for (auto& v : a) v = _mm256_fmadd_ps(v, m, c);
    float lanes[8];
    __m256 s = a[0];
    for (int j = 1; j < 10; j++) s = _mm256_add_ps(s, a[j]);
    _mm256_storeu_ps(lanes, s);
    sink += lanes[0];
  }
  double seconds = (now_ms() - t0) / 1e3;
  if (sink == 42.0f) printf("(sink)\n");  // keeps the chains alive
  return (double)iters * 10 * 16 * threads / seconds / 1e9;
}

// c = a·1.5 + b over n floats: 12 bytes moved per element.
static double triad_gbs(long n) {
  std::vector<float> a(n, 1.0f), b(n, 2.0f), c(n);
  float *ap = a.data(), *bp = b.data(), *cp = c.data();
  double ms = median_ms(9, [&] {
#pragma omp parallel for
    for (long i = 0; i < n; i++) cp[i] = ap[i] * 1.5f + bp[i];
  });
  return 12.0 * n / (ms / 1e3) / 1e9;
}

// All blocks of a grid on the calling thread, one after another (a depth-first piece's kernels).
template <typename... P>
static void run_on_this_thread(void (*kernel)(P...), dim3 grid, void** args) {
  HostJob job{&host_run_block<P...>, (const void*)kernel, args, grid};
  for (long long b = 0; b < (long long)grid.x * grid.y * grid.z; b++) host_run_block<P...>(&job, b);
}

// One coupling network's shape: in → width (3×3), width → width (1×1), width → out (3×3 as taps).
struct Shape {
  int in, width, out, side;
};

struct Parameters {
  std::vector<float> w1, w2, w3, bias1, logs1, bias2, logs2;
  explicit Parameters(const Shape& s)
      : w1(normal((size_t)s.width * s.in * 9, 1, 0.05f)), w2(normal((size_t)s.width * s.width, 2, 0.05f)),
        w3(normal((size_t)s.out * 9 * s.width, 3, 0.05f)), bias1(normal(s.width, 4, 1.f)),
        logs1(normal(s.width, 5, 0.1f)), bias2(normal(s.width, 6, 1.f)), logs2(normal(s.width, 7, 0.1f)) {}
};

// The network's three oneDNN convolutions for a batch of n images (created on the thread that runs
// them, so a depth-first worker's primitives are single-threaded and own their scratchpads).
struct Network {
  Shape s;
  int n;
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  memory::desc x, a, t, w1, w2, w3;
  dnnl::convolution_forward conv1, conv2, conv3;

  static dnnl::convolution_forward conv(const dnnl::engine& e, const memory::desc& src, const memory::desc& wei,
                                        const memory::desc& dst, int pad) {
    return dnnl::convolution_forward(dnnl::convolution_forward::primitive_desc(
        e, dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src, wei, dst, {1, 1}, {pad, pad},
        {pad, pad}));
  }

  Network(const Shape& s, int n)
      : s(s), n(n), x({n, s.in, s.side, s.side}, memory::data_type::f32, Tag::nchw),
        a({n, s.width, s.side, s.side}, memory::data_type::f32, Tag::nchw),
        t({n, s.out * 9, s.side, s.side}, memory::data_type::f32, Tag::nchw),
        w1({s.width, s.in, 3, 3}, memory::data_type::f32, Tag::oihw),
        w2({s.width, s.width, 1, 1}, memory::data_type::f32, Tag::oihw),
        w3({s.out * 9, s.width, 1, 1}, memory::data_type::f32, Tag::oihw), conv1(conv(engine, x, w1, a, 1)),
        conv2(conv(engine, a, w2, a, 0)), conv3(conv(engine, a, w3, t, 0)) {}

  // h = zero-conv(relu(actnorm(conv1x1(relu(actnorm(conv3x3(x))))))) for this network's n images.
  void forward(const Parameters& p, const float* xp, float* a1, float* a2, float* taps, float* h, bool one_thread) {
    auto mem = [&](const memory::desc& d, const float* ptr) { return memory(d, engine, (void*)ptr); };
    int N = n, C = s.width, H = s.side, W = s.side, relu = 1, O = s.out, K = 3, output_side = 1;
    float k = 3;
    const float* no_edge = nullptr;
    double* no_logdet = nullptr;
    const float *b1 = p.bias1.data(), *l1 = p.logs1.data(), *b2 = p.bias2.data(), *l2 = p.logs2.data();
    void* norm1[] = {&a1, &no_edge, &b1, &l1, &k, &relu, &N, &C, &H, &W, &a1, &no_logdet};
    void* norm2[] = {&a2, &no_edge, &b2, &l2, &k, &relu, &N, &C, &H, &W, &a2, &no_logdet};
    void* gather[] = {&taps, &N, &O, &H, &W, &K, &output_side, &h};
    dim3 grid{one_thread ? 1u : 4u * (unsigned)flowrt_host_threads(), 1, 1};  // the backend's rowwise grid
    auto launch = [&](auto kernel, void** args) {
      if (one_thread) run_on_this_thread(kernel, grid, args);
      else host_run_grid(kernel, grid, args);
    };
    conv1.execute(stream, {{DNNL_ARG_SRC, mem(x, xp)}, {DNNL_ARG_WEIGHTS, mem(w1, p.w1.data())}, {DNNL_ARG_DST, mem(a, a1)}});
    launch(actnorm_forward, norm1);
    conv2.execute(stream, {{DNNL_ARG_SRC, mem(a, a1)}, {DNNL_ARG_WEIGHTS, mem(w2, p.w2.data())}, {DNNL_ARG_DST, mem(a, a2)}});
    launch(actnorm_forward, norm2);
    conv3.execute(stream, {{DNNL_ARG_SRC, mem(a, a2)}, {DNNL_ARG_WEIGHTS, mem(w3, p.w3.data())}, {DNNL_ARG_DST, mem(t, taps)}});
    launch(taps_gather, gather);
    stream.wait();
  }
};

static void coupling_network(const Shape& s, int batch) {
  Parameters p(s);
  size_t plane = (size_t)s.side * s.side;
  auto x = normal(batch * s.in * plane, 8, 1.f);
  std::vector<float> a1(batch * s.width * plane), a2(a1.size()), taps(batch * s.out * 9 * plane);
  std::vector<float> h_whole(batch * s.out * plane), h(h_whole.size());
  Network whole(s, batch);
  double whole_ms = median_ms(15, [&] { whole.forward(p, x.data(), a1.data(), a2.data(), taps.data(), h_whole.data(), false); });
  double flops = 2.0 * batch * plane * s.width * (9.0 * s.in + s.width + 9.0 * s.out);
  printf("| %d → %d → %d at %d×%d | whole batch | %.3f | %.0f | |\n", s.in, s.width, s.out, s.side, s.side, whole_ms,
         flops / whole_ms / 1e6);
  int threads = flowrt_host_threads();
  for (int piece : {2, 4, 8}) {
    std::vector<std::unique_ptr<Network>> nets(threads);
    std::vector<std::vector<float>> scratch(3 * threads);
    double ms = median_ms(15, [&] {
#pragma omp parallel num_threads(threads)
      {
        int id = omp_get_thread_num();
        if (!nets[id]) {
          nets[id] = std::make_unique<Network>(s, piece);
          scratch[3 * id].resize(piece * s.width * plane);
          scratch[3 * id + 1].resize(piece * s.width * plane);
          scratch[3 * id + 2].resize(piece * s.out * 9 * plane);
        }
#pragma omp for schedule(dynamic, 1)
        for (int first = 0; first < batch; first += piece)
          nets[id]->forward(p, x.data() + first * s.in * plane, scratch[3 * id].data(), scratch[3 * id + 1].data(),
                            scratch[3 * id + 2].data(), h.data() + first * s.out * plane, true);
      }
    });
    double diff = 0;
    for (size_t i = 0; i < h.size(); i++) diff = std::max(diff, (double)std::fabs(h[i] - h_whole[i]));
    printf("| | depth-first, pieces of %d | %.3f | %.0f | %.2g |\n", piece, ms, flops / ms / 1e6, diff);
  }
}

int main() {
  int threads = flowrt_host_threads();
  printf("| machine | figure |\n| --- | --- |\n");
  for (int t = 1; t <= threads; t *= 2) printf("| AVX2 FMA peak, %d thread%s | %.1f GFLOP/s |\n", t, t > 1 ? "s" : "", fma_gflops(t));
  printf("| triad c = 1.5·a + b, 3 × 8 MiB (a level-1 activation) | %.1f GB/s |\n", triad_gbs(2L << 20));
  printf("| triad c = 1.5·a + b, 3 × 256 MiB (far beyond the caches) | %.1f GB/s |\n\n", triad_gbs(64L << 20));
  printf("| coupling network (config A, batch 64) | run | ms | GFLOP/s | max abs difference |\n| --- | --- | --- | --- | --- |\n");
  for (Shape s : {Shape{2, 128, 4, 16}, Shape{4, 128, 8, 8}, Shape{8, 128, 16, 4}}) coupling_network(s, 64);
}
