// kernel_registry.h — what both host runtimes share: kernels registered by name (FLOWRT_HOST_KERNEL
// in cuda/portable.h), and a kernel called from a cuLaunchKernel-style argument list (an array of
// pointers, one per kernel parameter, each pointing at that parameter's value), with each kernel's
// parameter types read off its own signature, so there is no per-kernel glue to keep in step.
// Each runtime (host_runtime.h, fiber_runtime.h) defines host_launch<Kernel> before including this.
#pragma once

#include <cstddef>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>

// Runs a kernel's whole grid; returns 0, or an error status with the message in the runtime.
using HostLauncher = int (*)(const char* name, dim3 grid, unsigned block, void** args);

struct HostKernelEntry {
  HostLauncher launcher;
  const char* name;
};

static std::unordered_map<std::string, HostKernelEntry>& host_kernel_registry() {
  static std::unordered_map<std::string, HostKernelEntry> registry;
  return registry;
}

struct HostKernelRegistrar {
  HostKernelRegistrar(const char* name, HostLauncher launcher) { host_kernel_registry()[name] = {launcher, name}; }
};

template <typename... P, std::size_t... I>
static inline void host_call(void (*kernel)(P...), void** args, std::index_sequence<I...>) {
  kernel(*static_cast<std::remove_cv_t<P>*>(args[I])...);
}

// Calls the kernel once (one thread of one block) with its arguments from the list.
template <typename... P>
static inline void host_invoke(void (*kernel)(P...), void** args) {
  host_call(kernel, args, std::index_sequence_for<P...>{});
}

// The registry entry of a kernel by name, or null.
static inline const HostKernelEntry* host_kernel_find(const char* name) {
  auto it = host_kernel_registry().find(name);
  return it == host_kernel_registry().end() ? nullptr : &it->second;
}
