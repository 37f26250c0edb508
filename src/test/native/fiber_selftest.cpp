// fiber_selftest.cpp — checks that the fiber runtime (src/main/native/fiber_runtime.h) behaves like a
// GPU block where it matters to flowrt's kernels, with deliberately broken kernels that only this
// program contains:
//   - a barrier reached by part of a block, and threads at different barriers, stop the launch with a
//     message naming the kernel and the barrier's line;
//   - a shared-memory exchange without its barrier gives different results in ascending and
//     descending order (so running the op suites in every order catches a missing barrier), while the
//     same exchange with the barrier gives the right result in all three orders;
//   - block_sum over 256 threads is exact in every order; blockDim, threadIdx and grid-stride loops
//     see the real geometry; a non-power-of-two block is refused.
// Prints one line per check and "N passed, M failed"; exits 1 if any failed. Run by FiberRuntimeTest.
#define FLOWRT_FIBERS 1
#include "fiber_runtime.h"

#include <string>
#include <vector>

__shared__ float exchange[FLOWRT_MAX_BLOCK];

extern "C" __global__ void partial_barrier(float* out) {
  if (threadIdx.x < blockDim.x / 2) __syncthreads();
  out[threadIdx.x] = 1.f;
}
FLOWRT_HOST_KERNEL(partial_barrier)

extern "C" __global__ void split_barriers(float* out) {
  if (threadIdx.x % 2 == 0) {
    __syncthreads();
  } else {
    __syncthreads();
  }
  out[threadIdx.x] = 1.f;
}
FLOWRT_HOST_KERNEL(split_barriers)

// Each thread publishes t + 1 and reads its mirror's value: correct only with the barrier.
extern "C" __global__ void mirror_exchange(int with_barrier, float* out) {
  unsigned t = threadIdx.x, n = blockDim.x;
  exchange[t] = (float)(t + 1);
  if (with_barrier) __syncthreads();
  out[t] = exchange[n - 1 - t];
  if (with_barrier) __syncthreads();
  exchange[t] = -1.f;  // leave stale values behind for the next launch
}
FLOWRT_HOST_KERNEL(mirror_exchange)

extern "C" __global__ void sum_of_thread_numbers(double* out) {
  double total = block_sum((double)threadIdx.x + 1.0);
  if (threadIdx.x == 0) out[blockIdx.x] = total;
}
FLOWRT_HOST_KERNEL(sum_of_thread_numbers)

extern "C" __global__ void grid_stride_fill(long long n, float* out) {
  IndexRange r = grid_range(n);
  for (long long i = r.begin; i < r.end; i += r.step) out[i] += (float)(blockDim.x * 1000 + 1);
}
FLOWRT_HOST_KERNEL(grid_stride_fill)

static int passed = 0, failed = 0;

static void check(bool ok, const std::string& what) {
  printf("%s: %s\n", ok ? "ok" : "FAILED", what.c_str());
  (ok ? passed : failed)++;
}

static int launch(const char* kernel, int grid, int block, FiberOrder order, std::vector<void*> args) {
  long long entry = flowrt_fiber_lookup(kernel);
  if (entry == 0) {
    printf("FAILED: kernel %s not registered\n", kernel);
    failed++;
    return -1;
  }
  return flowrt_fiber_launch(entry, grid, 1, 1, block, order, args.data());
}

int main() {
  std::vector<float> out(256);
  float* outp = out.data();
  const FiberOrder orders[] = {FIBER_ORDER_ASCENDING, FIBER_ORDER_DESCENDING, FIBER_ORDER_SHUFFLED};
  const char* names[] = {"ascending", "descending", "shuffled"};

  int status = launch("partial_barrier", 3, 256, FIBER_ORDER_ASCENDING, {&outp});
  std::string message = flowrt_fiber_error();
  check(status == FIBER_BARRIER_MISMATCH && message.find("partial_barrier") != std::string::npos &&
            message.find("fiber_selftest.cpp:") != std::string::npos && message.find("128 of the 256") != std::string::npos,
        "a barrier reached by half a block is an error naming kernel and line: " + message);

  status = launch("split_barriers", 1, 256, FIBER_ORDER_SHUFFLED, {&outp});
  message = flowrt_fiber_error();
  check(status == FIBER_BARRIER_MISMATCH && message.find("different barriers") != std::string::npos,
        "threads at different barriers are an error: " + message);

  std::vector<float> results[3];
  for (int with_barrier = 0; with_barrier < 2; with_barrier++) {
    for (int o = 0; o < 3; o++) {
      status = launch("mirror_exchange", 1, 256, orders[o], {&with_barrier, &outp});
      results[o] = out;
      bool right = status == FIBER_OK;
      for (int t = 0; t < 256; t++) right = right && out[t] == (float)(256 - t);
      if (with_barrier) check(right, std::string("exchange with its barrier is right in ") + names[o] + " order");
    }
    if (!with_barrier)
      check(results[0] != results[1], "exchange without its barrier differs between ascending and descending order");
  }

  std::vector<double> sums(4);
  double* sumsp = sums.data();
  for (int o = 0; o < 3; o++) {
    status = launch("sum_of_thread_numbers", 4, 256, orders[o], {&sumsp});
    bool right = status == FIBER_OK;
    for (double s : sums) right = right && s == 256.0 * 257.0 / 2.0;
    check(right, std::string("block_sum over 256 threads is exact in ") + names[o] + " order");
  }

  std::vector<float> filled(1001, 0.f);
  float* filledp = filled.data();
  long long n = (long long)filled.size();
  status = launch("grid_stride_fill", 3, 64, FIBER_ORDER_SHUFFLED, {&n, &filledp});
  bool once = status == FIBER_OK;
  for (float v : filled) once = once && v == 64001.f;
  check(once, "a grid-stride loop over 1001 items with 3 blocks of 64 threads writes each item once");

  status = launch("grid_stride_fill", 1, 100, FIBER_ORDER_ASCENDING, {&n, &filledp});
  check(status == FIBER_BAD_GEOMETRY, std::string("a block of 100 threads is refused: ") + flowrt_fiber_error());

  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
