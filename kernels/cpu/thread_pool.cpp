// Persistent thread pool. A run hands out n-1 tickets; a worker that wakes takes one and runs
// the task. Workers sleep on a condition variable; after a task they spin for a
// short while (~50 µs) before sleeping, so back-to-back calls (a forward pass, a benchmark
// loop) do not pay a wake-up each time.
#include "thread_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <algorithm>
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

  // Makes up to n − 1 workers run their spin (no task: they find no ticket), so that a hot run
  // soon after finds them. Skipped while a run holds the pool (its workers are awake anyway).
  void wake(int n) {
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock() || n <= 1) return;
    start_generation(n - 1, 0, true);
  }

  // Workers whose spin loop ran in the last few µs: a sleeping worker would need a wake-up, and a
  // spinner that the OS has taken off its core (another process wants it) would join late and
  // hold up the chunks it claims.
  int live_spinners() const {
    const int64_t now = now_ns();
    int live = 0;
    for (size_t i = 0; i < threads_.size() && i < MAX_WORKERS; i++)
      if (now - heartbeat_[i].load(std::memory_order_relaxed) < LIVE_NS) live++;
    return live;
  }

  // hot_only: hand tickets only to workers spinning now (at most n − 1 of them), and wake none;
  // with none spinning the caller runs the task alone (returns false, nothing touched).
  bool try_run(int n, PoolTask task, void* ctx, bool hot_only = false) {
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock()) return false;
    if (hot_only) {
      n = std::min(n, 1 + live_spinners());
      if (n <= 1) return false;
    }
    task_ = task;
    ctx_ = ctx;
    active_ = n;
    done_.store(0);
    start_generation(n - 1, n - 1, !hot_only);  // notify: a syscall when a worker sleeps, hot runs skip it
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
  // A new generation for at least `workers` workers, `tickets` of which may join it (the task
  // set before); notify wakes the sleeping ones, else only spinning ones see it.
  void start_generation(int workers, int tickets, bool notify) {
    grow(workers);
    tickets_.store(tickets, std::memory_order_release);
    {
      std::lock_guard<std::mutex> lk(mu_);
      gen_.fetch_add(1, std::memory_order_release);
    }
    if (notify) cv_.notify_all();
  }

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
      beat(id, now_ns());
      while (gen_.load(std::memory_order_acquire) == seen) {
        TRIMNET_PAUSE();
        if (++spins % 8 == 0) beat(id, now_ns());
        if (spins % 64 == 0 && std::chrono::steady_clock::now() > until) {
          // Not live while asleep. A hot run that still counted this worker has bumped gen_ under
          // mu_, which the wait's predicate sees, so no run is lost (at worst it gets no help).
          beat(id, 0);
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
  static constexpr size_t MAX_WORKERS = 256;
  static constexpr int64_t LIVE_NS = 10'000;
  std::atomic<int64_t> heartbeat_[MAX_WORKERS] = {};  // worker id − 1: when its spin last ran (0: asleep)
  void beat(int id, int64_t t) {
    if (static_cast<size_t>(id) <= MAX_WORKERS) heartbeat_[id - 1].store(t, std::memory_order_relaxed);
  }
  static int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
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

bool pool_run_hot(int nthreads, PoolTask task, void* ctx) {
  if (nthreads > 1 && pool().try_run(nthreads, task, ctx, true)) return true;
  task(ctx, 0, 1);
  return false;
}

void pool_wake(int nthreads) { pool().wake(nthreads); }

}  // namespace trimnet
