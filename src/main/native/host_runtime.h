// host_runtime.h — the CPU backend's kernel launcher. It compiles the very kernels nvcc compiles
// (cuda/all.cu, through cuda/portable.h) and runs a launch the way the GPU would: every block of the
// grid once, blocks in parallel on the host cores (OpenMP), one thread per block.
//
// Arguments arrive exactly as cuLaunchKernel takes them: an array of pointers, one per kernel
// parameter, each pointing at that parameter's value. So the Java side builds one argument list
// (org.flowrt.backend.KernelArgs) for both backends, and each kernel's parameter types are read
// off its own signature here (no per-kernel glue to keep in step).
#pragma once

#include <omp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "portable.h"

thread_local dim3 blockIdx = {0, 0, 0};
thread_local dim3 gridDim = {1, 1, 1};

using HostLauncher = void (*)(dim3 grid, void** args);

template <typename... P, std::size_t... I>
static inline void host_call(void (*kernel)(P...), void** args, std::index_sequence<I...>) {
  kernel(*static_cast<std::remove_cv_t<P>*>(args[I])...);
}

template <typename... P>
static inline void host_run_grid(void (*kernel)(P...), dim3 grid, void** args) {
  long long total = (long long)grid.x * grid.y * grid.z;
#pragma omp parallel for schedule(static)
  for (long long b = 0; b < total; b++) {
    gridDim = grid;
    blockIdx.x = (unsigned)(b % grid.x);
    blockIdx.y = (unsigned)((b / grid.x) % grid.y);
    blockIdx.z = (unsigned)(b / ((long long)grid.x * grid.y));
    host_call(kernel, args, std::index_sequence_for<P...>{});
  }
}

template <auto Kernel>
static void host_launch(dim3 grid, void** args) {
  host_run_grid(Kernel, grid, args);
}

static std::unordered_map<std::string, HostLauncher>& host_kernel_registry() {
  static std::unordered_map<std::string, HostLauncher> registry;
  return registry;
}

struct HostKernelRegistrar {
  HostKernelRegistrar(const char* name, HostLauncher launcher) { host_kernel_registry()[name] = launcher; }
};

#include "all.cu"

// ---- entry points bound by org.flowrt.backend.cpu.HostKernels

// The launcher of a kernel by its name, or 0 when no kernel has that name.
static inline long long flowrt_host_lookup(const char* name) {
  auto it = host_kernel_registry().find(name);
  return it == host_kernel_registry().end() ? 0 : (long long)(intptr_t)it->second;
}

static inline void flowrt_host_launch(long long launcher, int gx, int gy, int gz, void** args) {
  ((HostLauncher)(intptr_t)launcher)(dim3{(unsigned)gx, (unsigned)gy, (unsigned)gz}, args);
}

static inline int flowrt_host_threads() { return omp_get_max_threads(); }
