// host_pool.h — the threads that run a host launch's blocks (host_runtime.h), built so that a thread
// the OS has not scheduled does not hold the launch up.
//
// Why not `omp parallel for`: an OpenMP region ends at a barrier that every thread of the team must
// reach, even one with no block left to run. On a shared machine the helper thread is often waiting
// for a core when a launch starts, so the caller waits a scheduler time slice for it, launch after
// launch: config A's custom kernels took 5.4× as long beside 3 busy processes, against 2.5× for a
// fair share of the cores (`bench-one --op-times`, docs/benchmarks.md).
//
// Here blocks are claimed one at a time from a shared cursor by whichever thread comes: the caller
// starts on them at once, and a helper that wakes after the last block was claimed finds nothing and
// sleeps again. The caller waits only for blocks a helper has claimed and not finished. A tiny launch
// is thus run by the caller alone before any helper has woken.
//
// The cursor packs (generation, next block) in one 64-bit word. A claim is a compare-and-swap on it,
// so it succeeds only while its generation is the current one and that block is unclaimed (below that
// launch's own total); the caller publishes the next launch only after every claimed block has
// finished, so a helper that holds a claim reads the job of that claim's launch.
//
// Checked by HostPoolTest (src/test/native/host_pool_selftest.cpp: 600,000 launches, every block of
// each run exactly once; this pool's first version, which read one shared total, let a late helper
// claim a block past a finished launch and failed it), by every host-kernel test (all launches go
// through here), and by the data-parallel suites, whose thread ranks launch at the same time.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <system_error>
#include <thread>

// One launch: run(job, b) runs block b of the grid (x fastest, then y, then z).
struct HostJob {
  void (*run)(const HostJob*, long long);
  const void* kernel;
  void** args;
  dim3 grid;
};

// Never destroyed (its helpers wait on its condition variables until the process ends).
class HostPool {
 public:
  // Runs blocks [0, total) of job on the caller and up to threads − 1 helpers. A launch from another
  // thread while one is running (thread ranks) runs on its own caller alone.
  void run(const HostJob& job, long long total, int threads) {
    std::unique_lock<std::mutex> launching(launch_mutex_, std::try_to_lock);
    int helpers = launching.owns_lock() && threads > 1 && total > 1 ? ensure_helpers(threads - 1) : 0;
    if (helpers == 0) {
      for (long long b = 0; b < total; b++) job.run(&job, b);
      return;
    }
    job_ = job;
    finished_.store(0, std::memory_order_relaxed);
    uint32_t gen;
    {
      std::lock_guard<std::mutex> l(mutex_);
      gen = ++generation_;
      totals_[gen & 1].store(total, std::memory_order_relaxed);
      active_helpers_ = helpers;
      cursor_.store((uint64_t)gen << 32, std::memory_order_release);
    }
    wake_.notify_all();
    long long mine = drain(gen);
    if (finished_.fetch_add(mine, std::memory_order_acq_rel) + mine == total) return;
    // A helper still runs a block it claimed: spin a little (4096 pauses, ~0.1 ms; it is usually
    // nearly done), then sleep.
    for (int i = 0; i < 4096; i++) {
      if (finished_.load(std::memory_order_acquire) == total) return;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    std::unique_lock<std::mutex> l(mutex_);
    done_.wait(l, [&] { return finished_.load(std::memory_order_acquire) == total; });
  }

 private:
  // Claims and runs blocks of launch `gen` until none is left; returns how many it ran.
  long long drain(uint32_t gen) {
    long long ran = 0;
    uint64_t s = cursor_.load(std::memory_order_acquire);
    for (;;) {
      long long next = (long long)(s & 0xffffffffu);
      // Each launch's total is read from its own slot: the caller writes the next launch's before it
      // publishes that launch, while this one's cursor may still read "all claimed" (next = total).
      // A launch's slot is rewritten two launches later, once no claim of it can succeed.
      if ((uint32_t)(s >> 32) != gen || next >= totals_[gen & 1].load(std::memory_order_relaxed)) return ran;
      if (cursor_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
        job_.run(&job_, next);
        ran++;
        s = s + 1;
      }
    }
  }

  void helper(int index) {
    uint32_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> l(mutex_);
        wake_.wait(l, [&] { return generation_ != seen; });
        seen = generation_;
        if (index >= active_helpers_) continue;  // this launch asked for fewer threads
      }
      long long ran = drain(seen);
      if (ran > 0 && finished_.fetch_add(ran, std::memory_order_acq_rel) + ran == totals_[seen & 1].load(std::memory_order_relaxed)) {
        std::lock_guard<std::mutex> l(mutex_);  // the caller may be between its check and its wait
        done_.notify_one();
      }
    }
  }

  // Helpers are only ever added; a launch that asks for fewer threads leaves the extra ones asleep.
  // Where the OS refuses a thread, launches run with the helpers there are (an exception must not
  // cross the JNI boundary).
  int ensure_helpers(int n) {
    while (helpers_ < n && !refused_) {
      try {
        std::thread(&HostPool::helper, this, helpers_).detach();  // sleeps between launches; ends with the process
        helpers_++;
      } catch (const std::system_error&) {
        refused_ = true;
      }
    }
    return helpers_ < n ? helpers_ : n;
  }

  std::mutex launch_mutex_;  // one launch at a time uses the helpers
  std::mutex mutex_;         // guards generation_ for the helpers' sleep, and the caller's
  std::condition_variable wake_, done_;
  uint32_t generation_ = 0;
  int helpers_ = 0;
  bool refused_ = false;  // the OS refused a helper thread: no more tries
  int active_helpers_ = 0;   // of the current launch; guarded by mutex_
  HostJob job_{};
  std::atomic<uint64_t> cursor_{0};  // (generation << 32) | next unclaimed block
  std::atomic<long long> totals_[2] = {0, 0};  // blocks of the launches of even and odd generation
  std::atomic<long long> finished_{0};
};
