// The SVD's threads, all on the persistent pool (kernels/cpu/thread_pool.h): the SVD starts no
// thread of its own. for_chunks runs independent chunks taken from a shared counter (the pool's
// rule: a worker that joins late may find nothing left, and the caller alone does all when the
// pool is busy). The teams that meet at barriers (the bidiagonalisations) and the rotation
// pipeline call pool_run themselves.
#pragma once
#include <atomic>
#include <exception>

#include "thread_pool.h"

namespace trimnet {
namespace svd_detail {

// fn(c) for c = 0 … nchunks−1, on up to nchunks threads. An exception (std::bad_alloc) stops
// the chunks not yet started and is rethrown here: nothing escapes a pool task.
template <typename F>
void for_chunks(int nchunks, F&& fn) {
  if (nchunks <= 1) {
    for (int c = 0; c < nchunks; c++) fn(c);
    return;
  }
  struct Ctx {
    F* fn;
    int n;
    std::atomic<int> next{0};
    std::atomic<bool> failed{false};
    std::exception_ptr error;  // written once, by the thread that set failed
  } ctx{&fn, nchunks, {0}, {false}, nullptr};
  pool_run(nchunks, [](void* p, int, int) {
    auto& c = *static_cast<Ctx*>(p);
    for (int i; !c.failed.load(std::memory_order_relaxed) && (i = c.next.fetch_add(1)) < c.n;) {
      try {
        (*c.fn)(i);
      } catch (...) {
        if (!c.failed.exchange(true)) c.error = std::current_exception();
      }
    }
  }, &ctx);
  if (ctx.error) std::rethrow_exception(ctx.error);
}

}  // namespace svd_detail
}  // namespace trimnet
