// host_pool_selftest.cpp — stress test of the CPU backend's launcher pool (src/main/native/host_pool.h):
// many launches of 0–9 blocks on 2–3 threads, and two callers launching at once, each launch checked
// to have run every block exactly once and no block outside its grid. A lost block would hang or fail
// the count; a block claimed by a late helper against the next launch's total (the pool's first
// version had that race) shows as an extra block. Run by HostPoolTest; prints "N launches, 0 errors".
#include <atomic>
#include <cstdio>
#include <thread>

struct dim3 {
  unsigned int x, y, z;
};
#include "host_pool.h"

namespace {
struct Tally {
  std::atomic<unsigned long long> mask{0};
  std::atomic<long long> runs{0};
  long long spin = 0;  // busy work per block, to vary where the threads meet
};

void run_block(const HostJob* job, long long b) {
  Tally* t = (Tally*)job->args;
  volatile long long sink = 0;
  for (long long i = 0; i < t->spin; i++) sink = sink + i;
  t->mask.fetch_or(1ull << (b < 63 ? b : 63));
  t->runs.fetch_add(1);
}

long long launches(HostPool& pool, long long count, long long seed) {
  long long errors = 0;
  for (long long i = 0; i < count; i++) {
    Tally t;
    long long total = (i * 7 + seed) % 10;
    t.spin = (i % 97 == 0) ? 20000 : (i % 5) * 300;
    HostJob job{&run_block, nullptr, (void**)&t, dim3{(unsigned)(total > 0 ? total : 1), 1, 1}};
    pool.run(job, total, 2 + (int)((i / 1000) % 2));
    unsigned long long want = total == 0 ? 0 : ((1ull << total) - 1);
    if (t.runs.load() != total || t.mask.load() != want) {
      if (errors < 5) fprintf(stderr, "launch %lld: %lld blocks ran, mask %llx, expected %lld blocks\n", i, t.runs.load(), t.mask.load(), total);
      errors++;
    }
  }
  return errors;
}
}  // namespace

int main() {
  HostPool& pool = *new HostPool();  // as in host_runtime.h: never destroyed, its helpers sleep until exit
  const long long n = 400000;
  long long errors = launches(pool, n, 0);
  // Two callers at once: one holds the helpers, the other runs its launches on its own thread.
  std::atomic<long long> other_errors{0};
  std::thread other([&] { other_errors = launches(pool, n / 4, 3); });
  errors += launches(pool, n / 4, 5);
  other.join();
  errors += other_errors.load();
  printf("host pool: %lld launches, %lld errors\n", n + n / 2, errors);
  fflush(stdout);
  return errors == 0 ? 0 : 1;
}
