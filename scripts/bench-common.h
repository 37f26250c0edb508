// bench-common.h — what the host benchmark programs in scripts/ share (bench-host-kernels.cpp,
// bench-roofline.cpp, bench-gemm-layouts.cpp, bench-gemm-libraries.cpp): seeded normal inputs, the
// median time of repeated calls, and config A's coupling-network GEMMs.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <random>
#include <vector>

// n floats from N(0, sd²), the same for the same seed.
static std::vector<float> normal(size_t n, unsigned seed, float sd = 1.f) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0.f, sd);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

// The median of `runs` timed calls in ms, after 3 untimed ones.
static double median_ms(int runs, const std::function<void()>& call) {
  for (int i = 0; i < 3; i++) call();
  std::vector<double> ms;
  for (int i = 0; i < runs; i++) {
    auto t0 = std::chrono::steady_clock::now();
    call();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

// One GEMM of config A's coupling networks per image on NCHW (batch 64): y[M×HW] = W[M×K]·x[K×HW].
struct GemmShape {
  int M, K, HW;
  const char* what;
};

// The 1×1 convolutions, the taps of the few-output 3×3 ones (TapsConvolution's output side) and the
// im2col of the few-input ones (its input side), level by level.
static const GemmShape CONFIG_A_GEMMS[] = {
    {128, 128, 256, "1×1 128 → 128 at 16×16"}, {36, 128, 256, "taps of 128 → 4 at 16×16 (1×1 128 → 36)"},
    {128, 18, 256, "im2col of 2 → 128 at 16×16 (1×1 18 → 128)"}, {128, 128, 64, "1×1 128 → 128 at 8×8"},
    {72, 128, 64, "taps of 128 → 8 at 8×8"}, {128, 36, 64, "im2col of 4 → 128 at 8×8"},
    {128, 128, 16, "1×1 128 → 128 at 4×4"}, {144, 128, 16, "taps of 128 → 16 at 4×4"},
    {128, 72, 16, "im2col of 8 → 128 at 4×4"}};
