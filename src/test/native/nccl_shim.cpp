// nccl_shim.cpp — a test-only stand-in for NCCL, built as libnccl.so.2 beside the CUDA driver shim, so
// that the real JavaCPP binding (libjninccl.so) and flowrt's NcclCommunicator run in CI without a GPU.
//
// It implements the calls flowrt makes, with NCCL's checks:
//   - ncclGetUniqueId makes a fresh 128-byte id; ncclCommInitRank(comm, nranks, id, rank) joins the
//     clique of that id and returns once all nranks ranks have joined (as NCCL blocks), refusing a
//     rank out of range, a rank taken twice, or a size that differs from the clique's;
//   - ncclAllReduce(float32 or float64, ncclSum) on device memory (the driver shim's allocations only,
//     checked through flowrt_shim_device_range): every rank of the clique waits for the others, then
//     all get the sum, added in rank order; in place or not;
//   - ncclCommDestroy of a live communicator only; ncclGetErrorString, ncclGetVersion.
// Ranks are threads of one process (a test runs one CudaBackend per thread); the shim's streams do
// their work when it is enqueued, so the all-reduce is complete when it returns.
// Checked by CudaBackendTest (NcclSuite) over the shim.
#include <stdint.h>
#include <string.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#define SHIM_EXPORT extern "C" __attribute__((visibility("default")))

extern "C" bool flowrt_shim_device_range(const void* p, size_t bytes);  // from the driver shim

typedef int ncclResult_t;
enum : ncclResult_t { ncclSuccess = 0, ncclUnhandledCudaError = 1, ncclSystemError = 2, ncclInternalError = 3,
  ncclInvalidArgument = 4, ncclInvalidUsage = 5 };
enum { ncclFloat32 = 7, ncclFloat64 = 8 };  // nccl.h's ncclDataType_t
enum { ncclSum = 0 };

struct ncclUniqueId {
  char internal[128];
};

namespace {

struct Clique {
  int size = 0;
  int joined = 0;
  std::vector<bool> taken;
  // One all-reduce at a time: the ranks post their buffers, the last one to arrive sums them.
  std::vector<const void*> sources;
  std::vector<void*> targets;
  int arrived = 0;
  int left = 0;
  long long generation = 0;
  size_t count = 0;
  int type = 0;
  bool failed = false;
};

struct Comm {
  std::shared_ptr<Clique> clique;
  int rank;
  bool live = true;
};

std::mutex lock;
std::condition_variable changed;
std::map<std::string, std::shared_ptr<Clique>> cliques;
long long nextId = 1;

template <typename T>
void sumInto(Clique& c) {
  std::vector<T> total(c.count, T(0));
  for (int r = 0; r < c.size; r++) {
    const T* s = static_cast<const T*>(c.sources[r]);
    for (size_t i = 0; i < c.count; i++) total[i] += s[i];
  }
  for (int r = 0; r < c.size; r++) memcpy(c.targets[r], total.data(), c.count * sizeof(T));
}

}  // namespace

SHIM_EXPORT const char* ncclGetErrorString(ncclResult_t result) {
  switch (result) {
    case ncclSuccess: return "no error";
    case ncclInvalidArgument: return "invalid argument (run with NCCL_DEBUG=WARN for details)";
    case ncclInvalidUsage: return "invalid usage (run with NCCL_DEBUG=WARN for details)";
    default: return "unhandled error (flowrt NCCL shim)";
  }
}

SHIM_EXPORT ncclResult_t ncclGetVersion(int* version) {
  if (version == nullptr) return ncclInvalidArgument;
  *version = 22800;
  return ncclSuccess;
}

SHIM_EXPORT ncclResult_t ncclGetUniqueId(ncclUniqueId* id) {
  if (id == nullptr) return ncclInvalidArgument;
  std::lock_guard<std::mutex> guard(lock);
  memset(id->internal, 0, sizeof id->internal);
  snprintf(id->internal, sizeof id->internal, "flowrt-nccl-shim-%lld", nextId++);
  return ncclSuccess;
}

SHIM_EXPORT ncclResult_t ncclCommInitRank(Comm** comm, int nranks, ncclUniqueId id, int rank) {
  if (comm == nullptr || nranks < 1 || rank < 0 || rank >= nranks) return ncclInvalidArgument;
  std::string key(id.internal, strnlen(id.internal, sizeof id.internal));
  if (key.rfind("flowrt-nccl-shim-", 0) != 0) return ncclInvalidUsage;  // not an id from ncclGetUniqueId
  std::unique_lock<std::mutex> guard(lock);
  std::shared_ptr<Clique>& c = cliques[key];
  if (!c) {
    c = std::make_shared<Clique>();
    c->size = nranks;
    c->taken.assign(nranks, false);
    c->sources.assign(nranks, nullptr);
    c->targets.assign(nranks, nullptr);
  }
  if (c->size != nranks || c->taken[rank]) return ncclInvalidUsage;
  c->taken[rank] = true;
  c->joined++;
  std::shared_ptr<Clique> mine = c;
  changed.notify_all();
  changed.wait(guard, [&] { return mine->joined == mine->size; });
  *comm = new Comm{mine, rank};
  return ncclSuccess;
}

SHIM_EXPORT ncclResult_t ncclAllReduce(const void* send, void* recv, size_t count, int type, int op, Comm* comm, void* stream) {
  (void)stream;
  if (comm == nullptr || !comm->live) return ncclInvalidArgument;
  if ((type != ncclFloat32 && type != ncclFloat64) || op != ncclSum) return ncclInvalidArgument;
  size_t bytes = count * (type == ncclFloat32 ? 4 : 8);
  if (count > 0 && (!flowrt_shim_device_range(send, bytes) || !flowrt_shim_device_range(recv, bytes))) {
    fprintf(stderr, "flowrt NCCL shim: ncclAllReduce of %zu bytes outside device memory\n", bytes);
    return ncclInvalidArgument;
  }
  Clique& c = *comm->clique;
  std::unique_lock<std::mutex> guard(lock);
  changed.wait(guard, [&] { return c.left == 0; });  // the previous all-reduce has been collected
  if (c.arrived == 0) {
    c.count = count;
    c.type = type;
    c.failed = false;
  } else if (c.count != count || c.type != type) {
    c.failed = true;  // NCCL would hang or corrupt; the shim says so
  }
  c.sources[comm->rank] = send;
  c.targets[comm->rank] = recv;
  long long generation = c.generation;
  if (++c.arrived == c.size) {
    if (!c.failed) {
      if (type == ncclFloat32) sumInto<float>(c);
      else sumInto<double>(c);
    }
    c.arrived = 0;
    c.left = c.size;
    c.generation++;
    changed.notify_all();
  } else {
    changed.wait(guard, [&] { return c.generation != generation; });
  }
  bool failed = c.failed;
  if (--c.left == 0) changed.notify_all();
  return failed ? ncclInvalidUsage : ncclSuccess;
}

SHIM_EXPORT ncclResult_t ncclCommDestroy(Comm* comm) {
  if (comm == nullptr || !comm->live) return ncclInvalidArgument;
  comm->live = false;  // kept, not freed: a second destroy is refused rather than a use after free
  return ncclSuccess;
}
