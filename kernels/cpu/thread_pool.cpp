// Persistent thread pool. Workers sleep on a condition variable; after a task they spin for a
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
    pending_.store(n - 1);
    {
      std::lock_guard<std::mutex> lk(mu_);
      gen_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    task(ctx, 0, n);
    while (pending_.load(std::memory_order_acquire) != 0) TRIMNET_PAUSE();
    return true;
  }

 private:
  void grow(int workers) {
    while (static_cast<int>(threads_.size()) < workers) {
      int id = static_cast<int>(threads_.size()) + 1;
      // The generation before this run's increment: a worker that starts late must still see
      // this run as new (reading gen_ in the thread could miss it, and try_run would wait forever).
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
      if (id < active_) {
        task_(ctx_, id, active_);
        pending_.fetch_sub(1, std::memory_order_release);
      }
    }
  }

  std::mutex busy_;  // one run at a time
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<unsigned> gen_{0};
  std::atomic<int> pending_{0};
  PoolTask task_ = nullptr;
  void* ctx_ = nullptr;
  int active_ = 0;
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
