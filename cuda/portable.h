// portable.h — lets every kernel in cuda/ compile for three targets from one source:
//   nvcc                 the GPU (the fatbin).
//   g++                  the CPU backend's fast host build: a launch runs its blocks in parallel on
//                        the host cores (src/main/native/host_runtime.h), each block with ONE
//                        thread: threadIdx is 0, blockDim is 1, __syncthreads() is a no-op.
//   g++ -DFLOWRT_FIBERS  the geometry-checking host build: each block runs its real blockDim
//                        (256) threads as fibers on one OS thread (src/main/native/fiber_runtime.h),
//                        __syncthreads() is a real barrier, __shared__ is per block, and the order in
//                        which threads run between barriers is switchable, so a missing barrier or a
//                        block-size assumption changes the result on the CPU as it would on the GPU.
//
// Kernels therefore follow two rules:
//   1. Loops over work use grid_range()/block_range() below, never "if (tid < n)" single shots.
//      On the GPU and the fiber build these are the usual coalesced grid-/block-stride loops; on the
//      one-thread host build they hand each block a contiguous slice, which the compiler vectorizes.
//   2. Reductions accumulate in double (block_sum), so the host builds sum in double too.
// Checked by: every test in src/test (they run both host builds of these exact sources; the CUDA
// backend's suites run the fiber build behind a host shim of the driver).
#pragma once

#include <math.h>
#include <stdint.h>

#ifdef __CUDACC__
// ---------------------------------------------------------------- GPU build (nvcc)
#define FLOWRT_DEVICE __device__ __forceinline__
#define FLOWRT_MAX_BLOCK 256

#else
// ---------------------------------------------------------------- host builds (g++)
#include <string.h>

#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
// Shared memory is per block. A host block runs on one OS thread from start to end (all of its
// fibers too), and blocks on one OS thread run one after another, so thread-local storage has
// exactly the lifetime and visibility that __shared__ has on the GPU.
#define __shared__ static thread_local
// Always inlined, as nvcc's __forceinline__: a helper then takes the instruction set of the kernel
// copy it is inlined into (see __global__ below).
#define FLOWRT_DEVICE static inline __attribute__((always_inline))

struct dim3 {
  unsigned int x, y, z;
};

// Set by the host launcher for the block this OS thread is running.
extern thread_local dim3 blockIdx;
extern thread_local dim3 gridDim;

// atomicAdd on the host: a compare-and-swap loop, since host blocks run on several cores at once.
template <typename T>
static inline T host_atomic_add(T* address, T value) {
  T old, desired;
  __atomic_load(address, &old, __ATOMIC_RELAXED);
  do {
    desired = old + value;
  } while (!__atomic_compare_exchange(address, &old, &desired, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
  return old;
}
static inline double atomicAdd(double* address, double value) { return host_atomic_add(address, value); }
static inline float atomicAdd(float* address, float value) { return host_atomic_add(address, value); }

#ifdef FLOWRT_FIBERS
// ---------------------------------------------------------------- fiber build: real block geometry
#define __global__
#define FLOWRT_MAX_BLOCK 256

// Set by the fiber scheduler each time it switches into a thread of the block.
extern thread_local dim3 threadIdx;
extern thread_local dim3 blockDim;

// The barrier: the calling fiber waits until every thread of its block has reached the same
// __syncthreads(). Defined in fiber_runtime.h; not inline, so the compiler reloads threadIdx and
// shared memory after it.
void flowrt_fiber_barrier(const char* site);
#define FLOWRT_STRINGIFY2(x) #x
#define FLOWRT_STRINGIFY(x) FLOWRT_STRINGIFY2(x)
#define __syncthreads() flowrt_fiber_barrier(__FILE__ ":" FLOWRT_STRINGIFY(__LINE__))

#else
// ---------------------------------------------------------------- one-thread host build
#define FLOWRT_MAX_BLOCK 1

// Each kernel in two copies, picked once when the library loads (an ifunc): the baseline x86-64
// one, and one for x86-64-v3 (AVX2, FMA), whose wider float64 lanes the sums and the elementwise
// passes use. The library still runs on any x86-64.
#define __global__ __attribute__((target_clones("default", "arch=x86-64-v3")))

static const dim3 threadIdx = {0, 0, 0};
static const dim3 blockDim = {1, 1, 1};

static inline void __syncthreads() {}

struct IndexRange {
  long long begin, end;
  static constexpr long long step = 1;  // constant, so host loops vectorize
};

// Elements [0, n) split into gridDim.x contiguous slices, one per host block.
static inline IndexRange grid_range(long long n) {
  long long blocks = gridDim.x;
  long long slice = (n + blocks - 1) / blocks;
  long long begin = (long long)blockIdx.x * slice;
  if (begin > n) begin = n;
  long long end = begin + slice < n ? begin + slice : n;
  return {begin, end};
}

// A host block has one thread, which owns the whole block's range.
static inline IndexRange block_range(long long n) { return {0, n}; }

// Rows [0, rows) split into gridDim.x contiguous slices, one per host block.
static inline IndexRange row_range(long long rows) { return grid_range(rows); }
#endif
#endif

#if defined(__CUDACC__) || defined(FLOWRT_FIBERS)
// ---------------------------------------------------------------- loops with the GPU's geometry
// (nvcc and the fiber build; the one-thread host build has its own above)
struct IndexRange {
  long long begin, end, step;
};

// Elements [0, n) shared by every thread of the grid along x: coalesced grid-stride loop.
FLOWRT_DEVICE IndexRange grid_range(long long n) {
  return {(long long)blockIdx.x * blockDim.x + threadIdx.x, n, (long long)gridDim.x * blockDim.x};
}

// Elements [0, n) shared by the threads of one block: coalesced block-stride loop.
FLOWRT_DEVICE IndexRange block_range(long long n) {
  return {(long long)threadIdx.x, n, (long long)blockDim.x};
}

// Rows [0, rows) shared by the blocks of the grid (x), a whole row per block at a time: the
// block's threads then stride along the row with block_range.
FLOWRT_DEVICE IndexRange row_range(long long rows) {
  return {(long long)blockIdx.x, rows, (long long)gridDim.x};
}
#endif

// Marks a loop whose float64 sums (the listed variables) the host builds may split across SIMD
// lanes, so that it vectorizes (OpenMP simd); the sums' order then depends on the vector width, as
// on the GPU it depends on the block size. nvcc ignores it.
#ifdef __CUDACC__
#define FLOWRT_SIMD_SUMS(...)
#else
#define FLOWRT_PRAGMA(text) _Pragma(#text)
#define FLOWRT_SIMD_SUMS(...) FLOWRT_PRAGMA(omp simd reduction(+ : __VA_ARGS__))
#endif

// Sum of one double per thread over the whole block, returned to every thread. Written once for
// both targets: with blockDim.x == 1 (host) the tree loop does not run. blockDim.x must be a power
// of two no larger than FLOWRT_MAX_BLOCK.
FLOWRT_DEVICE double block_sum(double value) {
  __shared__ double partial[FLOWRT_MAX_BLOCK];
  partial[threadIdx.x] = value;
  __syncthreads();
  for (unsigned int width = blockDim.x / 2; width > 0; width >>= 1) {
    if (threadIdx.x < width) partial[threadIdx.x] += partial[threadIdx.x + width];
    __syncthreads();
  }
  double total = partial[0];
  __syncthreads();
  return total;
}

// Maximum of one double per thread over the block, NaN if any thread holds NaN (so a broken value
// is never hidden). Same tree as block_sum.
FLOWRT_DEVICE double block_max_nan(double value) {
  __shared__ double partial[FLOWRT_MAX_BLOCK];
  partial[threadIdx.x] = value;
  __syncthreads();
  for (unsigned int width = blockDim.x / 2; width > 0; width >>= 1) {
    if (threadIdx.x < width) {
      double mine = partial[threadIdx.x], other = partial[threadIdx.x + width];
      if (mine == mine && !(other <= mine)) partial[threadIdx.x] = other;  // a NaN, once held, stays
    }
    __syncthreads();
  }
  double result = partial[0];
  __syncthreads();
  return result;
}

// Counter-based random numbers: the value depends only on (seed, index), never on which thread or
// block computes it, so the GPU and the host build draw identical samples.
FLOWRT_DEVICE unsigned long long splitmix64(unsigned long long x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Uniform in [0, 1) with 53 random bits.
FLOWRT_DEVICE double uniform01(unsigned long long seed, unsigned long long index, unsigned int stream) {
  unsigned long long bits = splitmix64(splitmix64(seed ^ ((unsigned long long)stream << 56)) + index);
  return (double)(bits >> 11) * (1.0 / 9007199254740992.0);
}

// Standard normal by Box–Muller from two independent uniforms.
FLOWRT_DEVICE double standard_normal(unsigned long long seed, unsigned long long index) {
  double u1 = uniform01(seed, index, 1);
  double u2 = uniform01(seed, index, 2);
  return sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2);
}

// log(1 + e^x) in double, stable for large |x|.
FLOWRT_DEVICE double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

// sigmoid in float, stable for large |x|.
FLOWRT_DEVICE float sigmoidf(float x) {
  return x >= 0.f ? 1.f / (1.f + expf(-x)) : expf(x) / (1.f + expf(x));
}

// Registers a kernel with the host launcher (no-op under nvcc, where cuModuleGetFunction finds it).
#ifdef __CUDACC__
#define FLOWRT_HOST_KERNEL(name)
#else
#define FLOWRT_HOST_KERNEL(name) static const HostKernelRegistrar name##_registrar(#name, &host_launch<name>);
#endif
