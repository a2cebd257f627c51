// Persistent thread pool. A run hands out n-1 tickets; a worker that wakes takes one and runs
// the task. Workers sleep on a condition variable; after a task they spin for a
// short while (~50 µs) before sleeping, so back-to-back calls (a forward pass, a benchmark
// loop) do not pay a wake-up each time.
#include "thread_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define TRIMNET_PAUSE() _mm_pause()
#else
#define TRIMNET_PAUSE() std::this_thread::yield()
#endif

namespace trimnet {
namespace {

class Pool {
 public:
  ~Pool() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
      gen_.fetch_add(1);
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }

  bool try_run(int n, PoolTask task, void* ctx) {
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock()) return false;
    grow(n - 1);
    task_ = task;
    ctx_ = ctx;
    active_ = n;
    done_.store(0);
    tickets_.store(n - 1, std::memory_order_release);
    {
      std::lock_guard<std::mutex> lk(mu_);
      gen_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    task(ctx, 0, n);
    // Close the run: tickets no worker has claimed yet are withdrawn (tasks take their work
    // from shared counters, so the caller has already done it). Only workers that joined are
    // waited for, so a worker still waiting for a core on a busy machine costs nothing.
    int joined = (n - 1) - tickets_.exchange(0, std::memory_order_acq_rel);
    for (int spins = 0; done_.load(std::memory_order_acquire) != joined; spins++) {
      if (spins < 2000) TRIMNET_PAUSE();
      else std::this_thread::yield();
    }
    return true;
  }

 private:
  void grow(int workers) {
    while (static_cast<int>(threads_.size()) < workers) {
      int id = static_cast<int>(threads_.size()) + 1;
      // The generation is read here, before try_run bumps it, so the new worker cannot miss
      // the run it was created for.
      unsigned seen = gen_.load();
      threads_.emplace_back([this, id, seen] { loop(id, seen); });
    }
  }

  void loop(int id, unsigned seen) {
    for (;;) {
      // Spin briefly for the next generation, then sleep.
      auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
      int spins = 0;
      while (gen_.load(std::memory_order_acquire) == seen) {
        TRIMNET_PAUSE();
        if (++spins % 64 == 0 && std::chrono::steady_clock::now() > until) {
          std::unique_lock<std::mutex> lk(mu_);
          cv_.wait(lk, [&] { return gen_.load() != seen; });
          break;
        }
      }
      seen = gen_.load(std::memory_order_acquire);
      if (stop_) return;
      int t = tickets_.load(std::memory_order_acquire);
      while (t > 0 && !tickets_.compare_exchange_weak(t, t - 1, std::memory_order_acq_rel)) {
      }
      if (t > 0) {
        task_(ctx_, t, active_.load(std::memory_order_relaxed));
        done_.fetch_add(1, std::memory_order_release);
      }
    }
  }

  std::mutex busy_;  // one run at a time
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<unsigned> gen_{0};
  std::atomic<int> tickets_{0};  // workers that may still join the current run
  std::atomic<int> done_{0};     // workers that joined and finished
  PoolTask task_ = nullptr;
  void* ctx_ = nullptr;
  std::atomic<int> active_{0};
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

Pool& pool() {
  static Pool p;  // destroyed at exit: workers are joined
  return p;
}

}  // namespace

void pool_run(int nthreads, PoolTask task, void* ctx) {
  if (nthreads <= 1 || !pool().try_run(nthreads, task, ctx)) task(ctx, 0, 1);
}

}  // namespace trimnet
