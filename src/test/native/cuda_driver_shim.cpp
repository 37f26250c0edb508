// cuda_driver_shim.cpp — a test-only stand-in for the CUDA driver, built as libcuda.so.1 so that the
// real JavaCPP bindings (libjnicudart.so) and the real CudaBackend run in CI, where there is no GPU.
// Nothing can mistake it for a GPU: the device is named "flowrt host shim".
//
// It implements the driver calls CudaBackend makes, with the checks a real driver makes:
//   - cuInit first; a context current on the calling thread for everything that needs one
//     (CUDA_ERROR_INVALID_CONTEXT otherwise: a backend used from a new thread must make it current);
//   - device memory from cuMemAlloc only, 256-byte aligned, filled with 0xFF bytes (NaN as float) so
//     code that reads memory it never wrote sees garbage, and a capacity (FLOWRT_SHIM_MEMORY_BYTES,
//     4 GiB by default) past which cuMemAlloc returns CUDA_ERROR_OUT_OF_MEMORY;
//   - copies and memsets only within allocations; cuMemFree only of allocations;
//   - cuLaunchKernel: grid y, z ≤ 65,535, blocks of at most 1,024 threads, kernelParams an array of
//     pointers to each parameter's value (read through the kernel's own signature), `extra` null;
//     the kernel runs on the fiber build (src/main/native/fiber_runtime.h) with its real block size,
//     threads taking turns in the order FLOWRT_FIBER_ORDER names. A pointer argument outside every
//     allocation, or a barrier error, is a fault reported like the GPU reports one: the launch
//     succeeds and the next cuStreamSynchronize returns the error (CUDA_ERROR_ILLEGAL_ADDRESS or
//     CUDA_ERROR_LAUNCH_FAILED), with the reason on stderr. (A GPU's faults are sticky; the shim's are
//     reported once, so one test's deliberate fault does not end the test run.)
// Work is done when it is enqueued; streams are ordered trivially.
// Checked by CudaBackendTest run over this shim (every suite), and CudaShimTest.
#define FLOWRT_FIBERS 1
#include "fiber_runtime.h"

#include <stdlib.h>
#include <string.h>

#include <map>
#include <mutex>
#include <set>

#define SHIM_EXPORT extern "C" __attribute__((visibility("default")))

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;

enum : CUresult {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_INVALID_VALUE = 1,
  CUDA_ERROR_OUT_OF_MEMORY = 2,
  CUDA_ERROR_NOT_INITIALIZED = 3,
  CUDA_ERROR_INVALID_DEVICE = 101,
  CUDA_ERROR_INVALID_IMAGE = 200,
  CUDA_ERROR_INVALID_CONTEXT = 201,
  CUDA_ERROR_INVALID_HANDLE = 400,
  CUDA_ERROR_NOT_FOUND = 500,
  CUDA_ERROR_ILLEGAL_ADDRESS = 700,
  CUDA_ERROR_LAUNCH_FAILED = 719,
};

static const int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
static const int SHIM_MULTIPROCESSORS = 2;
static const char* const SHIM_DEVICE_NAME = "flowrt host shim (CUDA driver emulated on the CPU, no GPU)";

struct ShimContext {
  int retained = 0;
};
struct ShimStream {
  int unused = 0;
};
struct ShimModule {
  int unused = 0;
};

static std::mutex shim_lock;
static bool shim_initialized = false;
static ShimContext shim_primary;
static thread_local ShimContext* shim_current = nullptr;
static std::map<uintptr_t, size_t> shim_allocations;  // base → bytes
static size_t shim_allocated = 0;
static std::set<ShimStream*> shim_streams;
static std::set<ShimModule*> shim_modules;
static std::atomic<int> shim_pending_error{CUDA_SUCCESS};

static size_t shim_capacity() {
  const char* text = getenv("FLOWRT_SHIM_MEMORY_BYTES");
  return text != nullptr ? strtoull(text, nullptr, 10) : (4ULL << 30);
}

// True when [p, p + bytes) lies inside one allocation (bytes 0: p inside or at its end).
static bool shim_in_allocation(const void* p, size_t bytes) {
  uintptr_t a = (uintptr_t)p;
  std::lock_guard<std::mutex> guard(shim_lock);
  auto it = shim_allocations.upper_bound(a);
  if (it == shim_allocations.begin()) return false;
  --it;
  return a >= it->first && a + bytes <= it->first + it->second;
}

static bool shim_pointer_ok(const void* p) { return shim_in_allocation(p, 0); }

static const bool shim_installed = (fiber_pointer_check = &shim_pointer_ok, true);

// For the cuDNN shim: is [p, p + bytes) device memory?
SHIM_EXPORT bool flowrt_shim_device_range(const void* p, size_t bytes) { return shim_in_allocation(p, bytes); }

// A new handle of type T, remembered in `live` so later calls can check it.
template <typename T>
static CUresult shim_create(std::set<T*>& live, T** out) {
  std::lock_guard<std::mutex> guard(shim_lock);
  *out = new T();
  live.insert(*out);
  return CUDA_SUCCESS;
}

// Frees a handle made by shim_create; CUDA_ERROR_INVALID_HANDLE for anything else.
template <typename T>
static CUresult shim_destroy(std::set<T*>& live, T* handle) {
  std::lock_guard<std::mutex> guard(shim_lock);
  if (live.erase(handle) == 0) return CUDA_ERROR_INVALID_HANDLE;
  delete handle;
  return CUDA_SUCCESS;
}

static CUresult shim_ready() {
  if (!shim_initialized) return CUDA_ERROR_NOT_INITIALIZED;
  if (shim_current == nullptr || shim_current->retained <= 0) return CUDA_ERROR_INVALID_CONTEXT;
  return CUDA_SUCCESS;
}

static bool shim_stream_ok(void* stream) {
  std::lock_guard<std::mutex> guard(shim_lock);
  return stream == nullptr || shim_streams.count((ShimStream*)stream) > 0;
}

// A fault in enqueued work: reported by the next synchronize, as the GPU does.
static void shim_fault(CUresult error, const char* what) {
  int expected = CUDA_SUCCESS;
  shim_pending_error.compare_exchange_strong(expected, error);
  fprintf(stderr, "flowrt host shim: fault (reported at the next synchronize): %s\n", what);
}

// ---------------------------------------------------------------- initialization, devices, contexts
SHIM_EXPORT CUresult cuInit(unsigned int flags) {
  if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
  shim_initialized = true;
  return CUDA_SUCCESS;
}

SHIM_EXPORT CUresult cuDriverGetVersion(int* version) {
  if (version == nullptr) return CUDA_ERROR_INVALID_VALUE;
  *version = 13000;
  return CUDA_SUCCESS;
}

SHIM_EXPORT CUresult cuDeviceGetCount(int* count) {
  if (!shim_initialized) return CUDA_ERROR_NOT_INITIALIZED;
  if (count == nullptr) return CUDA_ERROR_INVALID_VALUE;
  *count = 1;
  return CUDA_SUCCESS;
}

SHIM_EXPORT CUresult cuDeviceGet(CUdevice* device, int ordinal) {
  if (!shim_initialized) return CUDA_ERROR_NOT_INITIALIZED;
  if (device == nullptr) return CUDA_ERROR_INVALID_VALUE;
  if (ordinal != 0) return CUDA_ERROR_INVALID_DEVICE;
  *device = 0;
  return CUDA_SUCCESS;
}

SHIM_EXPORT CUresult cuDeviceGetName(char* name, int length, CUdevice device) {
  if (!shim_initialized) return CUDA_ERROR_NOT_INITIALIZED;
  if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
  if (name == nullptr || length <= 0) return CUDA_ERROR_INVALID_VALUE;
  snprintf(name, (size_t)length, "%s", SHIM_DEVICE_NAME);
  return CUDA_SUCCESS;
}

SHIM_EXPORT CUresult cuDeviceGetAttribute(int* value, int attribute, CUdevice device) {
  if (!shim_initialized) return CUDA_ERROR_NOT_INITIALIZED;
  if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
  if (value == nullptr) return CUDA_ERROR_INVALID_VALUE;
  *value = attribute == CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT ? SHIM_MULTIPROCESSORS : 0;
  return CUDA_SUCCESS;
}

SHIM_EXPORT CUresult cuDevicePrimaryCtxRetain(ShimContext** context, CUdevice device) {
  if (!shim_initialized) return CUDA_ERROR_NOT_INITIALIZED;
  if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
  if (context == nullptr) return CUDA_ERROR_INVALID_VALUE;
  std::lock_guard<std::mutex> guard(shim_lock);
  shim_primary.retained++;
  *context = &shim_primary;
  return CUDA_SUCCESS;
}

SHIM_EXPORT CUresult cuDevicePrimaryCtxRelease_v2(CUdevice device) {
  if (!shim_initialized) return CUDA_ERROR_NOT_INITIALIZED;
  if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
  std::lock_guard<std::mutex> guard(shim_lock);
  if (shim_primary.retained <= 0) return CUDA_ERROR_INVALID_CONTEXT;
  shim_primary.retained--;
  return CUDA_SUCCESS;
}

SHIM_EXPORT CUresult cuCtxSetCurrent(ShimContext* context) {
  if (!shim_initialized) return CUDA_ERROR_NOT_INITIALIZED;
  if (context != nullptr && context != &shim_primary) return CUDA_ERROR_INVALID_CONTEXT;
  shim_current = context;
  return CUDA_SUCCESS;
}

SHIM_EXPORT CUresult cuCtxGetCurrent(ShimContext** context) {
  if (!shim_initialized) return CUDA_ERROR_NOT_INITIALIZED;
  if (context == nullptr) return CUDA_ERROR_INVALID_VALUE;
  *context = shim_current;
  return CUDA_SUCCESS;
}

SHIM_EXPORT CUresult cuCtxSynchronize() {
  CUresult ready = shim_ready();
  if (ready != CUDA_SUCCESS) return ready;
  return (CUresult)shim_pending_error.exchange(CUDA_SUCCESS);
}

// ---------------------------------------------------------------- streams
SHIM_EXPORT CUresult cuStreamCreate(ShimStream** stream, unsigned int flags) {
  CUresult ready = shim_ready();
  if (ready != CUDA_SUCCESS) return ready;
  if (stream == nullptr || flags > 1) return CUDA_ERROR_INVALID_VALUE;
  return shim_create(shim_streams, stream);
}

SHIM_EXPORT CUresult cuStreamDestroy_v2(ShimStream* stream) {
  CUresult ready = shim_ready();
  if (ready != CUDA_SUCCESS) return ready;
  return shim_destroy(shim_streams, stream);
}

SHIM_EXPORT CUresult cuStreamSynchronize(ShimStream* stream) {
  CUresult ready = shim_ready();
  if (ready != CUDA_SUCCESS) return ready;
  if (!shim_stream_ok(stream)) return CUDA_ERROR_INVALID_HANDLE;
  return (CUresult)shim_pending_error.exchange(CUDA_SUCCESS);
}

// ---------------------------------------------------------------- memory
SHIM_EXPORT CUresult cuMemAlloc_v2(CUdeviceptr* address, size_t bytes) {
  CUresult ready = shim_ready();
  if (ready != CUDA_SUCCESS) return ready;
  if (address == nullptr || bytes == 0) return CUDA_ERROR_INVALID_VALUE;
  {
    std::lock_guard<std::mutex> guard(shim_lock);
    if (shim_allocated + bytes > shim_capacity()) return CUDA_ERROR_OUT_OF_MEMORY;
  }
  void* p = nullptr;
  if (posix_memalign(&p, 256, bytes) != 0) return CUDA_ERROR_OUT_OF_MEMORY;
  memset(p, 0xFF, bytes);
  std::lock_guard<std::mutex> guard(shim_lock);
  shim_allocations[(uintptr_t)p] = bytes;
  shim_allocated += bytes;
  *address = (CUdeviceptr)(uintptr_t)p;
  return CUDA_SUCCESS;
}

SHIM_EXPORT CUresult cuMemFree_v2(CUdeviceptr address) {
  CUresult ready = shim_ready();
  if (ready != CUDA_SUCCESS) return ready;
  std::lock_guard<std::mutex> guard(shim_lock);
  auto it = shim_allocations.find((uintptr_t)address);
  if (it == shim_allocations.end()) return CUDA_ERROR_INVALID_VALUE;
  shim_allocated -= it->second;
  shim_allocations.erase(it);
  free((void*)(uintptr_t)address);
  return CUDA_SUCCESS;
}

SHIM_EXPORT CUresult cuMemGetInfo_v2(size_t* free_bytes, size_t* total_bytes) {
  CUresult ready = shim_ready();
  if (ready != CUDA_SUCCESS) return ready;
  if (free_bytes == nullptr || total_bytes == nullptr) return CUDA_ERROR_INVALID_VALUE;
  std::lock_guard<std::mutex> guard(shim_lock);
  *total_bytes = shim_capacity();
  *free_bytes = shim_capacity() - shim_allocated;
  return CUDA_SUCCESS;
}

static CUresult shim_copy_checks(const void* device_a, const void* device_b, size_t bytes, ShimStream* stream) {
  CUresult ready = shim_ready();
  if (ready != CUDA_SUCCESS) return ready;
  if (!shim_stream_ok(stream)) return CUDA_ERROR_INVALID_HANDLE;
  if (device_a != nullptr && !shim_in_allocation(device_a, bytes)) return CUDA_ERROR_INVALID_VALUE;
  if (device_b != nullptr && !shim_in_allocation(device_b, bytes)) return CUDA_ERROR_INVALID_VALUE;
  return CUDA_SUCCESS;
}

SHIM_EXPORT CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr target, const void* host, size_t bytes, ShimStream* stream) {
  CUresult ok = shim_copy_checks((void*)(uintptr_t)target, nullptr, bytes, stream);
  if (ok != CUDA_SUCCESS) return ok;
  if (host == nullptr) return CUDA_ERROR_INVALID_VALUE;
  memcpy((void*)(uintptr_t)target, host, bytes);
  return CUDA_SUCCESS;
}

SHIM_EXPORT CUresult cuMemcpyDtoHAsync_v2(void* host, CUdeviceptr source, size_t bytes, ShimStream* stream) {
  CUresult ok = shim_copy_checks((void*)(uintptr_t)source, nullptr, bytes, stream);
  if (ok != CUDA_SUCCESS) return ok;
  if (host == nullptr) return CUDA_ERROR_INVALID_VALUE;
  memcpy(host, (void*)(uintptr_t)source, bytes);
  return CUDA_SUCCESS;
}

SHIM_EXPORT CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr target, CUdeviceptr source, size_t bytes, ShimStream* stream) {
  CUresult ok = shim_copy_checks((void*)(uintptr_t)target, (void*)(uintptr_t)source, bytes, stream);
  if (ok != CUDA_SUCCESS) return ok;
  memmove((void*)(uintptr_t)target, (void*)(uintptr_t)source, bytes);
  return CUDA_SUCCESS;
}

SHIM_EXPORT CUresult cuMemsetD8Async(CUdeviceptr target, unsigned char value, size_t bytes, ShimStream* stream) {
  CUresult ok = shim_copy_checks((void*)(uintptr_t)target, nullptr, bytes, stream);
  if (ok != CUDA_SUCCESS) return ok;
  memset((void*)(uintptr_t)target, value, bytes);
  return CUDA_SUCCESS;
}

// ---------------------------------------------------------------- modules and launches
SHIM_EXPORT CUresult cuModuleLoadData(ShimModule** module, const void* image) {
  CUresult ready = shim_ready();
  if (ready != CUDA_SUCCESS) return ready;
  if (module == nullptr || image == nullptr) return CUDA_ERROR_INVALID_VALUE;
  uint32_t magic;
  memcpy(&magic, image, sizeof magic);
  if (magic != 0xBA55ED50u) return CUDA_ERROR_INVALID_IMAGE;  // not a fatbin
  return shim_create(shim_modules, module);
}

SHIM_EXPORT CUresult cuModuleUnload(ShimModule* module) {
  CUresult ready = shim_ready();
  if (ready != CUDA_SUCCESS) return ready;
  return shim_destroy(shim_modules, module);
}

SHIM_EXPORT CUresult cuModuleGetFunction(const HostKernelEntry** function, ShimModule* module, const char* name) {
  CUresult ready = shim_ready();
  if (ready != CUDA_SUCCESS) return ready;
  if (function == nullptr || name == nullptr) return CUDA_ERROR_INVALID_VALUE;
  {
    std::lock_guard<std::mutex> guard(shim_lock);
    if (shim_modules.count(module) == 0) return CUDA_ERROR_INVALID_HANDLE;
  }
  long long entry = flowrt_fiber_lookup(name);
  if (entry == 0) return CUDA_ERROR_NOT_FOUND;
  *function = (const HostKernelEntry*)(intptr_t)entry;
  return CUDA_SUCCESS;
}

static int shim_fiber_order() {
  const char* text = getenv("FLOWRT_FIBER_ORDER");
  if (text == nullptr || strcmp(text, "ascending") == 0) return FIBER_ORDER_ASCENDING;
  if (strcmp(text, "descending") == 0) return FIBER_ORDER_DESCENDING;
  return FIBER_ORDER_SHUFFLED;
}

SHIM_EXPORT CUresult cuLaunchKernel(const HostKernelEntry* function, unsigned int gx, unsigned int gy, unsigned int gz,
                                    unsigned int bx, unsigned int by, unsigned int bz, unsigned int shared_bytes,
                                    ShimStream* stream, void** kernel_params, void** extra) {
  CUresult ready = shim_ready();
  if (ready != CUDA_SUCCESS) return ready;
  if (function == nullptr) return CUDA_ERROR_INVALID_HANDLE;
  if (!shim_stream_ok(stream)) return CUDA_ERROR_INVALID_HANDLE;
  if (gx == 0 || gy == 0 || gz == 0 || gx > 0x7FFFFFFFu || gy > 65535 || gz > 65535) return CUDA_ERROR_INVALID_VALUE;
  if (bx == 0 || by != 1 || bz != 1 || bx > 1024) return CUDA_ERROR_INVALID_VALUE;
  if (shared_bytes != 0) return CUDA_ERROR_INVALID_VALUE;  // flowrt's kernels use static shared memory only
  if (kernel_params == nullptr || extra != nullptr) return CUDA_ERROR_INVALID_VALUE;
  int status =
      flowrt_fiber_launch((long long)(intptr_t)function, (int)gx, (int)gy, (int)gz, (int)bx, shim_fiber_order(), kernel_params);
  if (status != FIBER_OK)
    shim_fault(status == FIBER_BAD_POINTER ? CUDA_ERROR_ILLEGAL_ADDRESS : CUDA_ERROR_LAUNCH_FAILED, flowrt_fiber_error());
  return CUDA_SUCCESS;
}

// ---------------------------------------------------------------- errors
static const char* shim_error_name(CUresult error) {
  switch (error) {
    case CUDA_SUCCESS: return "CUDA_SUCCESS";
    case CUDA_ERROR_INVALID_VALUE: return "CUDA_ERROR_INVALID_VALUE";
    case CUDA_ERROR_OUT_OF_MEMORY: return "CUDA_ERROR_OUT_OF_MEMORY";
    case CUDA_ERROR_NOT_INITIALIZED: return "CUDA_ERROR_NOT_INITIALIZED";
    case CUDA_ERROR_INVALID_DEVICE: return "CUDA_ERROR_INVALID_DEVICE";
    case CUDA_ERROR_INVALID_IMAGE: return "CUDA_ERROR_INVALID_IMAGE";
    case CUDA_ERROR_INVALID_CONTEXT: return "CUDA_ERROR_INVALID_CONTEXT";
    case CUDA_ERROR_INVALID_HANDLE: return "CUDA_ERROR_INVALID_HANDLE";
    case CUDA_ERROR_NOT_FOUND: return "CUDA_ERROR_NOT_FOUND";
    case CUDA_ERROR_ILLEGAL_ADDRESS: return "CUDA_ERROR_ILLEGAL_ADDRESS";
    case CUDA_ERROR_LAUNCH_FAILED: return "CUDA_ERROR_LAUNCH_FAILED";
    default: return nullptr;
  }
}

SHIM_EXPORT CUresult cuGetErrorName(CUresult error, const char** text) {
  if (text == nullptr) return CUDA_ERROR_INVALID_VALUE;
  *text = shim_error_name(error);
  return *text == nullptr ? CUDA_ERROR_INVALID_VALUE : CUDA_SUCCESS;
}

SHIM_EXPORT CUresult cuGetErrorString(CUresult error, const char** text) { return cuGetErrorName(error, text); }
