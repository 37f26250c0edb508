// bench-gemm-libraries.cpp — oneDNN's sgemm against OpenBLAS's on the GEMMs flowrt's CPU backend runs
// for config A's coupling networks (the 1×1 convolutions, the taps of the few-output 3×3 ones, the
// im2col of the few-input ones), the way it runs them: one row-major GEMM per image on NCHW, whole
// images handed to the threads, each GEMM single-threaded (DnnlConvolution.Pieces). Forward
// y = W·x, backward data dx = Wᵀ·dy, backward filter dW = Σ dy·xᵀ (one accumulator per thread).
// The two libraries alternate round after round, so the machine's drift falls on both alike; prints
// the median over the rounds of each one's median ms a pass. Built and run by
// scripts/bench-gemm-libraries.sh: the CPU backend would take OpenBLAS where it measures faster.
#include <cblas.h>
#include <dnnl.h>
#include <omp.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "bench-common.h"

extern "C" void openblas_set_num_threads(int);

enum class Library { ONEDNN, OPENBLAS };

// Row-major C[M×N] = op(A)·op(B) + beta·C, single-threaded, through the chosen library.
static void gemm(Library lib, bool ta, bool tb, long M, long N, long K, const float* A, long lda, const float* B,
                 long ldb, float beta, float* C, long ldc) {
  if (lib == Library::OPENBLAS) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, 1.f, A, lda, B,
                ldb, beta, C, ldc);
  } else if (dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, 1.f, A, lda, B, ldb, beta, C, ldc) != dnnl_success) {
    fprintf(stderr, "dnnl_sgemm failed\n");
    exit(1);
  }
}

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? atoi(argv[1]) : 3;
  const int count = sizeof CONFIG_A_GEMMS / sizeof CONFIG_A_GEMMS[0], N = 64, threads = omp_get_max_threads();
  openblas_set_num_threads(1);  // each GEMM on one thread, the images over the OpenMP threads
  omp_set_max_active_levels(1);
  std::vector<double> ms((size_t)rounds * count * 2 * 3);
  auto at = [&](int r, int s, int lib, int pass) -> double& { return ms[(((size_t)r * count + s) * 2 + lib) * 3 + pass]; };
  for (int r = 0; r < rounds; r++)
    for (int s = 0; s < count; s++) {
      const GemmShape& sh = CONFIG_A_GEMMS[s];
      long cols = (long)N * sh.HW;
      std::vector<float> w = normal((long)sh.M * sh.K, 1), x = normal((long)sh.K * cols, 2), dy = normal((long)sh.M * cols, 3);
      std::vector<float> y((long)sh.M * cols), dx((long)sh.K * cols), dw((long)sh.M * sh.K * threads);
      for (int l = 0; l < 2; l++) {
        int lib_index = r % 2 == 0 ? l : 1 - l;  // which library goes first alternates by round
        Library lib = lib_index == 0 ? Library::ONEDNN : Library::OPENBLAS;
        at(r, s, lib_index, 0) = median_ms(7, [&] {
#pragma omp parallel for schedule(dynamic)
          for (int n = 0; n < N; n++)
            gemm(lib, false, false, sh.M, sh.HW, sh.K, w.data(), sh.K, x.data() + (long)n * sh.K * sh.HW, sh.HW, 0.f,
                 y.data() + (long)n * sh.M * sh.HW, sh.HW);
        });
        at(r, s, lib_index, 1) = median_ms(7, [&] {
#pragma omp parallel for schedule(dynamic)
          for (int n = 0; n < N; n++)
            gemm(lib, true, false, sh.K, sh.HW, sh.M, w.data(), sh.K, dy.data() + (long)n * sh.M * sh.HW, sh.HW, 0.f,
                 dx.data() + (long)n * sh.K * sh.HW, sh.HW);
        });
        at(r, s, lib_index, 2) = median_ms(7, [&] {
#pragma omp parallel
          {
            int t = omp_get_thread_num(), T = omp_get_num_threads();
            float* acc = dw.data() + (long)t * sh.M * sh.K;
            for (int n = t; n < N; n += T)
              gemm(lib, false, true, sh.M, sh.K, sh.HW, dy.data() + (long)n * sh.M * sh.HW, sh.HW,
                   x.data() + (long)n * sh.K * sh.HW, sh.HW, n < T ? 0.f : 1.f, acc, sh.K);
          }
        });
      }
    }
  printf("| GEMM (batch 64, per image) | library | forward ms | backward data ms | backward filter ms |\n");
  printf("| --- | --- | --- | --- | --- |\n");
  for (int s = 0; s < count; s++)
    for (int lib = 0; lib < 2; lib++) {
      printf("| %s | %s", CONFIG_A_GEMMS[s].what, lib == 0 ? "oneDNN" : "OpenBLAS");
      for (int pass = 0; pass < 3; pass++) {
        std::vector<double> v;
        for (int r = 0; r < rounds; r++) v.push_back(at(r, s, lib, pass));
        std::sort(v.begin(), v.end());
        printf(" | %.3f", v[v.size() / 2]);
      }
      printf(" |\n");
    }
}
