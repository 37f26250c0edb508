// bench-common.h — what the host benchmark programs in scripts/ share (bench-host-kernels.cpp,
// bench-roofline.cpp, bench-gemm-layouts.cpp): seeded normal inputs and the median time of repeated
// calls.
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
