// bench-gemm-layouts.cpp — whether config A's coupling-network GEMMs (the 1×1 convolutions, the taps
// of the few-output 3×3 ones, the im2col of the few-input ones) would run faster as ONE GEMM over the
// whole batch, which needs the activations channel-major across the batch ([C][N·H·W]), than as one
// GEMM per image on flowrt's NCHW, as flowrt runs them (oneDNN's gemm:jit, in pieces of the batch on
// its workers). oneDNN's dnnl_sgemm, row-major, batch 64, forward y = W·x and backward filter
// dW = Σ dy·xᵀ, three ways: per image with the threads inside each small GEMM; per image with whole
// images over the threads (each GEMM single-threaded, as flowrt's pieces); one GEMM for the batch.
// Built and run by scripts/bench-gemm-layouts.sh (docs/benchmarks.md, "Sixth round").
#include <dnnl.h>
#include <omp.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "bench-common.h"

// Row-major C[M×N] = A·B (or with A or B transposed), through oneDNN.
static void gemm(char ta, char tb, long M, long N, long K, const float* A, long lda, const float* B, long ldb, float beta,
                 float* C, long ldc) {
  if (dnnl_sgemm(ta, tb, M, N, K, 1.f, A, lda, B, ldb, beta, C, ldc) != dnnl_success) {
    fprintf(stderr, "dnnl_sgemm failed\n");
    exit(1);
  }
}

int main() {
  const int N = 64, threads = omp_get_max_threads();
  printf("| GEMM (batch 64) | pass | per image, threads inside (ms) | whole images over the threads (ms) | one GEMM for the batch (ms) |\n");
  printf("| --- | --- | --- | --- | --- |\n");
  for (const GemmShape& s : CONFIG_A_GEMMS) {
    long cols = (long)N * s.HW, wsize = (long)s.M * s.K;
    auto W = normal(wsize, 1), X = normal((size_t)s.K * cols, 2), Y = normal((size_t)s.M * cols, 3);
    std::vector<float> dW(wsize * threads);
    // NCHW: image n's x is X[n·K·HW …] as a K×HW matrix, its y Y[n·M·HW …] as M×HW. Channel-major: X is K×(N·HW).
    auto x_n = [&](int n) { return X.data() + (long)n * s.K * s.HW; };
    auto y_n = [&](int n) { return Y.data() + (long)n * s.M * s.HW; };
    double fwd[3] = {
        median_ms(11, [&] { for (int n = 0; n < N; n++) gemm('N', 'N', s.M, s.HW, s.K, W.data(), s.K, x_n(n), s.HW, 0.f, y_n(n), s.HW); }),
        median_ms(11, [&] {
#pragma omp parallel for num_threads(threads) schedule(dynamic)
          for (int n = 0; n < N; n++) gemm('N', 'N', s.M, s.HW, s.K, W.data(), s.K, x_n(n), s.HW, 0.f, y_n(n), s.HW);
        }),
        median_ms(11, [&] { gemm('N', 'N', s.M, cols, s.K, W.data(), s.K, X.data(), cols, 0.f, Y.data(), cols); })};
    double filter[3] = {
        median_ms(11, [&] {
          for (int n = 0; n < N; n++) gemm('N', 'T', s.M, s.K, s.HW, y_n(n), s.HW, x_n(n), s.HW, n ? 1.f : 0.f, dW.data(), s.K);
        }),
        median_ms(11, [&] {
#pragma omp parallel num_threads(threads)
          {  // each thread its images' sum, then the threads' sums added
            int t = omp_get_thread_num(), nt = omp_get_num_threads();
            float* mine = dW.data() + (long)t * wsize;
            for (int n = N * t / nt; n < N * (t + 1) / nt; n++)
              gemm('N', 'T', s.M, s.K, s.HW, y_n(n), s.HW, x_n(n), s.HW, n == N * t / nt ? 0.f : 1.f, mine, s.K);
          }
          for (int t = 1; t < threads; t++)
            for (long i = 0; i < wsize; i++) dW[i] += dW[(long)t * wsize + i];
        }),
        median_ms(11, [&] { gemm('N', 'T', s.M, s.K, cols, Y.data(), cols, X.data(), cols, 0.f, dW.data(), s.K); })};
    printf("| %s | forward | %.3f | %.3f | %.3f |\n", s.what, fwd[0], fwd[1], fwd[2]);
    printf("| | backward filter | %.3f | %.3f | %.3f |\n", filter[0], filter[1], filter[2]);
  }
}
