// The fused single-sample forward (mlp_forward.h) over a vector-traits type T, included by each
// ISA file after gemm_impl.h: its dot products and epilogue are the m = 1 GEMM's (Small<T>), so
// a layer here gives exactly what gemm(1, out, in, h, W, transB) gives.
#pragma once
#include <atomic>
#include <chrono>
#include <thread>

#include "gemm_impl.h"
#include "mlp_forward.h"
#include "thread_pool.h"

namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// G: the ISA's Gemm (gemm_impl.h), whose gemv_packed runs layers with packed weights.
template <class T, class G>
struct ForwardOne {
  using S = Small<T>;
  static constexpr int MAX_CHUNKS = 64;

  struct LayerSync {
    int64_t chunk = 0, nchunks = 0;
    std::atomic<int> done{0};
    std::atomic<bool> claimed[MAX_CHUNKS];
  };

  struct Job {
    const trimnet::DenseLayer* layers;
    int nlayers;
    const float* const* in;  // in[l]: layer l's input
    float* const* out;       // out[l]: layer l's output
    LayerSync* sync;
  };

  // Rows [j0, j1) of layer l: raw dot products into the output, then bias and activation in place;
  // packed weights (a frozen model) stream through gemv_packed, which does both.
  static void rows(const trimnet::DenseLayer& L, const float* h, float* o, int64_t j0, int64_t j1) {
    Epi e{1.f, 0.f, L.slope, L.bias, L.act};
    if (L.packed) {
      G::gemv_packed(h, L.packed, L.out, L.in, j0, j1, o, e);
      return;
    }
    S::dots1(h, L.w, L.in, j0, j1, o);
    S::finish(o + j0, o + j0, j1 - j0, e, L.bias ? L.bias + j0 : nullptr);
  }

  static void worker(void* ctx, int tid, int nth) {
    Job& job = *static_cast<Job*>(ctx);
    for (int l = 0; l < job.nlayers; l++) {
      LayerSync& s = job.sync[l];
      if (l > 0) {  // wait for the previous layer: only chunks that running threads have claimed
        LayerSync& prev = job.sync[l - 1];
        for (int spins = 0; prev.done.load(std::memory_order_acquire) < prev.nchunks; spins++) {
          if (spins < 4096) cpu_relax();
          else std::this_thread::yield();
        }
      }
      const trimnet::DenseLayer& L = job.layers[l];
      int64_t home = s.nchunks * tid / nth;
      for (int64_t q = 0; q < s.nchunks; q++) {
        int64_t c = (home + q) % s.nchunks;
        if (s.claimed[c].load(std::memory_order_relaxed) || s.claimed[c].exchange(true)) continue;
        int64_t j0 = c * s.chunk;
        rows(L, job.in[l], job.out[l], j0, min_(L.out, j0 + s.chunk));
        s.done.fetch_add(1, std::memory_order_release);
      }
    }
  }

  // hidden: caller-owned room for every hidden layer's output, one after another, each rounded up
  // to whole 16-float lines (no two layers share a cache line).
  static constexpr int MAX_LAYERS = 32;
  static int64_t slot(int64_t width) { return (width + 15) / 16 * 16; }

  static void run(const trimnet::DenseLayer* layers, int nlayers, const float* x, float* out, float* hidden,
                  int nthreads) {
    int64_t weights = 0;
    for (int l = 0; l < nlayers; l++) weights += layers[l].out * layers[l].in;
    // One core streams weights that stay in its L2 faster than two cores share them (each
    // request would pay a hand-off and a wait per layer): threads only for nets that outgrow
    // three quarters of one core's L2, whose weights then come from L3 and a second core's L2.
    int nth = 4 * weights * int64_t(sizeof(float)) > 3 * trimnet::l2_cache_bytes() ? min_(nthreads, MAX_CHUNKS / 2) : 1;
    if (nth <= 1 || nlayers > MAX_LAYERS) {
      const float* h = x;
      float* next = hidden;
      for (int l = 0; l < nlayers; l++) {
        float* o = l == nlayers - 1 ? out : next;
        rows(layers[l], h, o, 0, layers[l].out);
        h = o;
        next += slot(layers[l].out);
      }
      return;
    }
    const float* in[MAX_LAYERS];
    float* outs[MAX_LAYERS];
    float* next = hidden;
    for (int l = 0; l < nlayers; l++) {
      in[l] = l == 0 ? x : outs[l - 1];
      outs[l] = l == nlayers - 1 ? out : next;
      next += slot(layers[l].out);
    }
    LayerSync sync[MAX_LAYERS];
    for (int l = 0; l < nlayers; l++) {
      // Two chunks per thread (balance when one is delayed), whole 16-float lines (whole slivers
      // of packed weights), and one chunk for a layer too small to be worth sharing.
      const int64_t unit = layers[l].packed ? max_<int64_t>(16, G::NR) : 16;
      int64_t n = layers[l].out, parts = n * layers[l].in >= (int64_t(1) << 14) ? 2 * nth : 1;
      sync[l].chunk = max_<int64_t>(unit, ((n + parts - 1) / parts + unit - 1) / unit * unit);
      sync[l].nchunks = (n + sync[l].chunk - 1) / sync[l].chunk;
      for (int c = 0; c < sync[l].nchunks; c++) sync[l].claimed[c].store(false, std::memory_order_relaxed);
    }
    Job job{layers, nlayers, in, outs, sync};
    // Only workers already spinning help (a request never waits for one to wake up); when none
    // was and requests come back to back, they are woken after this one, for the next.
    // A worker the OS takes off its core (other processes want both cores) holds up the chunks it
    // claimed, so SLOW_STREAK shared runs in a row slower than 5/4 of the fastest this net has run
    // alone send the next BACKOFF requests of the net to run alone before sharing is tried again.
    using clock = std::chrono::steady_clock;
    thread_local clock::time_point last{};
    History& hist = history(weights);
    const auto t0 = clock::now();
    const bool frequent = t0 - last < std::chrono::microseconds(200);
    last = t0;
    const bool shared = hist.alone_left == 0 && trimnet::pool_run_hot(nth, worker, &job);
    if (!shared && hist.alone_left > 0) {
      hist.alone_left--;
      worker(&job, 0, 1);
    }  // (not shared and no backoff: pool_run_hot ran it alone)
    const double ns = double(std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - t0).count());
    if (shared) {
      hist.slow_streak = hist.best_alone > 0 && ns > 1.25 * hist.best_alone ? hist.slow_streak + 1 : 0;
      if (hist.slow_streak >= SLOW_STREAK) hist.alone_left = BACKOFF, hist.slow_streak = 0;
    }
    if (!shared && (hist.best_alone == 0 || ns < hist.best_alone)) hist.best_alone = ns;
    if (!shared && hist.alone_left == 0 && frequent) trimnet::pool_wake(nth);
  }

  // Per net (told apart by its weight count), on each calling thread: the fastest request run
  // alone, and how many more run alone.
  static constexpr int BACKOFF = 256, SLOW_STREAK = 3;
  struct History {
    int64_t weights = -1;
    double best_alone = 0;  // ns
    int alone_left = 0;
    int slow_streak = 0;  // shared runs in a row slower than 5/4 of best_alone
  };
  static History& history(int64_t weights) {
    thread_local History slots[4];
    thread_local int next = 0;
    for (History& h : slots)
      if (h.weights == weights) return h;
    History& h = slots[next++ % 4];
    h = History{};
    h.weights = weights;
    return h;
  }
};

}  // namespace
