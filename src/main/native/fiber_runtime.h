// fiber_runtime.h — the geometry-checking host launcher. It compiles the very kernels nvcc compiles
// (cuda/all.cu through cuda/portable.h with FLOWRT_FIBERS) and runs a launch the way the GPU does:
// every block of the grid with its real blockDim threads. Blocks run in parallel on the host cores
// (OpenMP); the threads of one block run as fibers on one OS thread, switched by hand-written
// x86-64 code (~tens of ns a switch, against ~2 µs for glibc's swapcontext).
//
// Between two barriers each thread runs until it reaches __syncthreads() or returns; the order in
// which the threads of a block take their turn is chosen per launch (ascending, descending, or a
// seeded shuffle per block and phase), so a missing barrier, a race on shared memory or a
// dependence on thread order shows up as a different result. A barrier that only part of a block
// reaches (the others returned), or threads waiting at different barriers, stop the launch with an
// error naming the kernel, the block and the barrier's source line.
//
// Used by two libraries: the CPU backend's FiberKernels JNI library and the test-only host shim of
// the CUDA driver (src/test/native/cuda_shim.cpp). Checked by FiberBackendTest (every suite) and the
// barrier tests in FiberRuntimeTest.
#pragma once

#if !defined(__x86_64__)
#error "the fiber runtime's context switch is written for x86-64"
#endif

#include <omp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#include <atomic>
#include <vector>

#include "portable.h"

thread_local dim3 blockIdx = {0, 0, 0};
thread_local dim3 gridDim = {1, 1, 1};
thread_local dim3 threadIdx = {0, 0, 0};
thread_local dim3 blockDim = {1, 1, 1};

#include "kernel_registry.h"

// ---------------------------------------------------------------- context switch
// Saves the callee-saved registers, MXCSR and the x87 control word on the current stack, stores
// the stack pointer in *save_sp, switches to next_sp and restores the same from there.
extern "C" void flowrt_fiber_switch(void** save_sp, void* next_sp) __attribute__((visibility("hidden")));
asm(R"(
  .text
  .p2align 4
  .globl flowrt_fiber_switch
  .hidden flowrt_fiber_switch
  .type flowrt_fiber_switch, @function
flowrt_fiber_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size flowrt_fiber_switch, .-flowrt_fiber_switch
)");

// ---------------------------------------------------------------- launch configuration and status
enum FiberOrder : int { FIBER_ORDER_ASCENDING = 0, FIBER_ORDER_DESCENDING = 1, FIBER_ORDER_SHUFFLED = 2 };

// The seed of the shuffled order: fixed, so a shuffled run repeats exactly.
static const unsigned long long FIBER_SHUFFLE_SEED = 0x5EEDF1BE5ULL;

enum FiberStatus : int {
  FIBER_OK = 0,
  FIBER_BARRIER_MISMATCH = 1,  // a barrier reached by part of a block, or different barriers
  FIBER_BAD_POINTER = 2,       // a pointer argument the pointer check refused (host shim: not device memory)
  FIBER_BAD_GEOMETRY = 3,      // a block size the kernels cannot run with
  FIBER_NO_STACK = 4,          // fiber stacks could not be mapped
};

// Optional check of pointer arguments (set by the host shim: "is this device memory?").
using FiberPointerCheck = bool (*)(const void* p);
static FiberPointerCheck fiber_pointer_check = nullptr;

struct FiberLaunch {
  const char* kernel;
  FiberOrder order;
  std::atomic<int> status{FIBER_OK};
  char message[512] = {0};

  void fail(int code, const char* format, ...) __attribute__((format(printf, 3, 4))) {
    int expected = FIBER_OK;
    if (!status.compare_exchange_strong(expected, code)) return;  // keep the first error
    va_list ap;
    va_start(ap, format);
    vsnprintf(message, sizeof message, format, ap);
    va_end(ap);
  }
};

// The calling thread's last launch error (read by the entry points after a failed launch).
static thread_local char fiber_last_error[512];

// ---------------------------------------------------------------- one block
enum FiberState : int { FIBER_RUNNING, FIBER_AT_BARRIER, FIBER_DONE };

struct Fiber {
  void* sp;
  FiberState state;
  const char* site;
};

struct BlockRun {
  void (*invoke)(void** args);
  void** args;
  unsigned threads;
  Fiber* fibers;
  void* scheduler_sp;
  unsigned current;
};

static thread_local BlockRun* fiber_block = nullptr;

// 64 KiB of stack per thread of a block (kernels and the libm calls they make need a few KiB), with
// an inaccessible guard page below each so an overflow faults instead of corrupting a neighbour.
struct FiberStacks {
  static constexpr size_t STACK = 64 * 1024, GUARD = 4096, EACH = STACK + GUARD;
  char* base = nullptr;
  unsigned count = 0;

  ~FiberStacks() {
    if (base != nullptr) munmap(base, count * EACH);
  }

  bool reserve(unsigned n) {
    if (n <= count) return true;
    if (base != nullptr) munmap(base, count * EACH);
    void* p = mmap(nullptr, n * EACH, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
      base = nullptr;
      count = 0;
      return false;
    }
    base = (char*)p;
    count = n;
    for (unsigned i = 0; i < n; i++) mprotect(base + i * EACH, GUARD, PROT_NONE);
    return true;
  }

  char* top(unsigned i) const { return base + (size_t)(i + 1) * EACH; }
};

static thread_local FiberStacks fiber_stacks;

// The first code a fiber runs: the kernel for its thread, then back to the scheduler for good.
static void fiber_main() {
  BlockRun* run = fiber_block;
  run->invoke(run->args);
  Fiber& self = run->fibers[run->current];
  self.state = FIBER_DONE;
  flowrt_fiber_switch(&self.sp, run->scheduler_sp);
  __builtin_unreachable();
}

// A fresh fiber's stack, laid out as flowrt_fiber_switch leaves a suspended one: control words,
// six callee-saved registers, then fiber_main as the return address (and a null return address
// above it, so fiber_main starts with the stack aligned as after a call).
static void* fiber_initial_sp(char* top, uint32_t mxcsr) {
  uint64_t* sp = (uint64_t*)((uintptr_t)top & ~(uintptr_t)15);
  *--sp = 0;
  *--sp = (uint64_t)(uintptr_t)&fiber_main;
  for (int i = 0; i < 6; i++) *--sp = 0;
  --sp;
  ((uint32_t*)sp)[0] = mxcsr;
  ((uint16_t*)sp)[2] = 0x037F;  // x87: all exceptions masked, double-extended precision, round to nearest
  return sp;
}

void flowrt_fiber_barrier(const char* site) {
  BlockRun* run = fiber_block;
  Fiber& self = run->fibers[run->current];
  self.state = FIBER_AT_BARRIER;
  self.site = site;
  flowrt_fiber_switch(&self.sp, run->scheduler_sp);
}

static void fiber_order(std::vector<unsigned>& order, unsigned threads, FiberOrder mode, unsigned long long block,
                        unsigned phase) {
  order.resize(threads);
  for (unsigned i = 0; i < threads; i++) order[i] = mode == FIBER_ORDER_DESCENDING ? threads - 1 - i : i;
  if (mode != FIBER_ORDER_SHUFFLED) return;
  unsigned long long state = splitmix64(FIBER_SHUFFLE_SEED ^ splitmix64(block * 0x100000001B3ULL + phase));
  for (unsigned i = threads - 1; i > 0; i--) {  // Fisher–Yates
    state = splitmix64(state);
    unsigned j = (unsigned)(state % (i + 1));
    unsigned t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}

// Runs one block to the end, phase by phase; false (with launch.status set) on a barrier error.
static bool fiber_run_block(FiberLaunch& launch, void (*invoke)(void**), void** args, unsigned threads,
                            unsigned long long block) {
  static thread_local std::vector<Fiber> fibers;
  static thread_local std::vector<unsigned> order;
  fibers.resize(threads);
  uint32_t mxcsr = __builtin_ia32_stmxcsr();
  for (unsigned i = 0; i < threads; i++) fibers[i] = {fiber_initial_sp(fiber_stacks.top(i), mxcsr), FIBER_RUNNING, nullptr};
  BlockRun run = {invoke, args, threads, fibers.data(), nullptr, 0};
  fiber_block = &run;
  for (unsigned phase = 0;; phase++) {
    fiber_order(order, threads, launch.order, block, phase);
    for (unsigned t : order) {
      run.current = t;
      threadIdx = {t, 0, 0};
      flowrt_fiber_switch(&run.scheduler_sp, fibers[t].sp);
    }
    unsigned done = 0, waiting = 0;
    const char* site = nullptr;
    const char* other = nullptr;
    for (unsigned t = 0; t < threads; t++) {
      if (fibers[t].state == FIBER_DONE) done++;
      else {
        waiting++;
        if (site == nullptr) site = fibers[t].site;
        else if (other == nullptr && fibers[t].site != site) other = fibers[t].site;
      }
    }
    if (done == threads) break;
    if (done > 0) {
      launch.fail(FIBER_BARRIER_MISMATCH,
                  "kernel %s: __syncthreads() at %s reached by %u of the %u threads of block (%u,%u,%u); the other %u had "
                  "returned",
                  launch.kernel, site, waiting, threads, blockIdx.x, blockIdx.y, blockIdx.z, done);
      break;
    }
    if (other != nullptr) {
      launch.fail(FIBER_BARRIER_MISMATCH, "kernel %s: threads of block (%u,%u,%u) wait at different barriers, %s and %s",
                  launch.kernel, blockIdx.x, blockIdx.y, blockIdx.z, site, other);
      break;
    }
    for (unsigned t = 0; t < threads; t++) fibers[t].state = FIBER_RUNNING;
  }
  // Fibers abandoned at a failed barrier hold no resources: their stacks are reused as they are.
  fiber_block = nullptr;
  return launch.status.load(std::memory_order_relaxed) == FIBER_OK;
}

// ---------------------------------------------------------------- a whole launch
template <typename T>
static bool fiber_argument_ok(void* slot) {
  if constexpr (std::is_pointer_v<T>) {
    const void* p = (const void*)*static_cast<T*>(slot);
    return p == nullptr || fiber_pointer_check == nullptr || fiber_pointer_check(p);
  } else {
    return true;
  }
}

// Index of the first pointer argument the pointer check refuses, or -1.
template <typename... P, std::size_t... I>
static int fiber_first_bad_argument(void (*)(P...), void** args, std::index_sequence<I...>) {
  int bad = -1;
  ((bad < 0 && !fiber_argument_ok<std::remove_cv_t<P>>(args[I]) ? (bad = (int)I) : 0), ...);
  return bad;
}

// What a fiber runs: the kernel for one thread (a plain function, so a block can hold it).
template <auto Kernel>
static void fiber_invoke(void** args) {
  host_invoke(Kernel, args);
}

// The thread order of the calling thread's next launches (set by the entry point).
static thread_local FiberOrder fiber_next_order = FIBER_ORDER_ASCENDING;

template <typename... P>
static void fiber_check_arguments(FiberLaunch& launch, void (*kernel)(P...), void** args) {
  int bad = fiber_first_bad_argument(kernel, args, std::index_sequence_for<P...>{});
  if (bad >= 0)
    launch.fail(FIBER_BAD_POINTER, "kernel %s: pointer argument %d (%p) is not device memory", launch.kernel, bad,
                *(void**)args[bad]);
}

template <auto Kernel>
static int host_launch(const char* name, dim3 grid, unsigned block, void** args) {
  FiberLaunch launch;
  launch.kernel = name;
  launch.order = fiber_next_order;
  if (block == 0 || block > FLOWRT_MAX_BLOCK || (block & (block - 1)) != 0) {
    launch.fail(FIBER_BAD_GEOMETRY, "kernel %s: block of %u threads (the kernels need a power of two up to %d)", name, block,
                FLOWRT_MAX_BLOCK);
  } else {
    fiber_check_arguments(launch, Kernel, args);
  }
  if (launch.status.load() == FIBER_OK) {
    long long total = (long long)grid.x * grid.y * grid.z;
#pragma omp parallel for schedule(static)
    for (long long b = 0; b < total; b++) {
      if (launch.status.load(std::memory_order_relaxed) != FIBER_OK) continue;
      if (!fiber_stacks.reserve(block)) {
        launch.fail(FIBER_NO_STACK, "kernel %s: could not map %u fiber stacks", name, block);
        continue;
      }
      gridDim = grid;
      blockDim = {block, 1, 1};
      blockIdx.x = (unsigned)(b % grid.x);
      blockIdx.y = (unsigned)((b / grid.x) % grid.y);
      blockIdx.z = (unsigned)(b / ((long long)grid.x * grid.y));
      fiber_run_block(launch, &fiber_invoke<Kernel>, args, block, (unsigned long long)b);
    }
  }
  int status = launch.status.load();
  snprintf(fiber_last_error, sizeof fiber_last_error, "%s", status == FIBER_OK ? "" : launch.message);
  return status;
}

#include "all.cu"

// ---- entry points (bound by org.flowrt.backend.cpu.FiberKernels; called by the host shim)

// The registry entry of a kernel by its name, or 0 when no kernel has that name.
static inline long long flowrt_fiber_lookup(const char* name) {
  const HostKernelEntry* e = host_kernel_find(name);
  return e == nullptr ? 0 : (long long)(intptr_t)e;
}

// Runs a launch with `block` threads per block, threads taking turns in `order` (FiberOrder).
// Returns a FiberStatus; the message of a failure is flowrt_fiber_error().
static inline int flowrt_fiber_launch(long long entry, int gx, int gy, int gz, int block, int order, void** args) {
  const HostKernelEntry* e = (const HostKernelEntry*)(intptr_t)entry;
  fiber_next_order = (FiberOrder)order;
  return e->launcher(e->name, dim3{(unsigned)gx, (unsigned)gy, (unsigned)gz}, (unsigned)block, args);
}

// The message of the calling thread's last failed launch ("" after a good one).
static inline const char* flowrt_fiber_error() { return fiber_last_error; }

static inline int flowrt_fiber_threads() { return omp_get_max_threads(); }
