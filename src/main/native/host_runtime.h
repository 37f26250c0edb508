// host_runtime.h — the CPU backend's fast kernel launcher. It compiles the very kernels nvcc
// compiles (cuda/all.cu, through cuda/portable.h) and runs a launch as every block of the grid once,
// blocks in parallel on the host cores (host_pool.h), ONE thread per block (the Java side then picks
// host-sized grids). fiber_runtime.h is the variant with the GPU's real block geometry.
#pragma once

#include <omp.h>

#include "portable.h"

thread_local dim3 blockIdx = {0, 0, 0};
thread_local dim3 gridDim = {1, 1, 1};

#include "kernel_registry.h"

// Threads of every launch, set by the Java side from the cores this process may use (0 = OpenMP's
// default, which counts the affinity mask but not a container's CPU quota).
static int flowrt_thread_count = 0;

static inline int flowrt_host_threads() { return flowrt_thread_count > 0 ? flowrt_thread_count : omp_get_max_threads(); }

#include "host_pool.h"

static HostPool& flowrt_host_pool() {
  static HostPool* pool = new HostPool();  // never destroyed: its helpers sleep until the process ends
  return *pool;
}

template <typename... P>
static void host_run_block(const HostJob* job, long long b) {
  dim3 grid = job->grid;
  gridDim = grid;
  blockIdx.x = (unsigned)(b % grid.x);
  blockIdx.y = (unsigned)((b / grid.x) % grid.y);
  blockIdx.z = (unsigned)(b / ((long long)grid.x * grid.y));
  host_invoke((void (*)(P...))job->kernel, job->args);
}

template <typename... P>
static inline void host_run_grid(void (*kernel)(P...), dim3 grid, void** args) {
  long long total = (long long)grid.x * grid.y * grid.z;
  HostJob job{&host_run_block<P...>, (const void*)kernel, args, grid};
  flowrt_host_pool().run(job, total, flowrt_host_threads());
}

// Blocks have one thread here: `block` is 1 (the backend's threadsPerBlock()).
template <auto Kernel>
static int host_launch(const char*, dim3 grid, unsigned, void** args) {
  host_run_grid(Kernel, grid, args);
  return 0;
}

#include "all.cu"

// ---- entry points bound by org.flowrt.backend.cpu.HostKernels

// The launcher of a kernel by its name, or 0 when no kernel has that name.
static inline long long flowrt_host_lookup(const char* name) {
  const HostKernelEntry* e = host_kernel_find(name);
  return e == nullptr ? 0 : (long long)(intptr_t)e;
}

static inline void flowrt_host_launch(long long entry, int gx, int gy, int gz, void** args) {
  const HostKernelEntry* e = (const HostKernelEntry*)(intptr_t)entry;
  e->launcher(e->name, dim3{(unsigned)gx, (unsigned)gy, (unsigned)gz}, 1, args);
}

// Also the calling thread's OpenMP default, which oneDNN's convolutions (same libgomp) follow.
static inline void flowrt_host_set_threads(int n) {
  flowrt_thread_count = n;
  omp_set_num_threads(n);
}
