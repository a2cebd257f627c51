// GEMM for a small result over a long k: C[m×n] = act(alpha·AᵀB + beta·C + bias) with A stored k×m
// and B k×n (Gram and cross-covariance matrices: XᵀX for a ridge fit, AᵀB of paired embeddings for
// Procrustes and CCA, where k is the number of rows of data).
//
// The packed GEMM threads over C's rows or columns, so with C small and k long every chunk packs
// the whole of one operand again (measured: two threads ran 768×768×100,000 slower than one).
// Here k is cut into S slices instead:
//
//   C = act( alpha · Σ_s A_sᵀ B_s + beta·C + bias ),   A_s, B_s = rows [k_s, k_s+1) of A and B
//
// Each slice's product goes to its own partial (one single-thread packed GEMM: every element of A
// and B is packed once), threads take slices from a counter, and the partials are added in slice
// order. S depends only on k, so the order of every sum, and the result, is the same whatever the
// thread count. Rows of A and B are contiguous, so a slice is a plain pointer offset.
#include <algorithm>
#include <atomic>
#include <memory>
#include <new>

#include "gemm.h"
#include "gemm_internal.h"
#include "thread_pool.h"

namespace trimnet {

namespace {

constexpr int64_t SLICE_MIN = 8192;  // k per slice at least (packing and C passes amortised)
constexpr int64_t SLICES_MAX = 16;
constexpr int64_t RESULT_MAX = int64_t(1) << 20;  // m·n floats per partial (4 MiB)

struct SliceJob {
  const GemmParams* p;
  void (*kernel)(const GemmParams&, int);
  float* partials;  // S × m·n
  int64_t slices, slice_k, mn;
  std::atomic<int64_t> next{0};
  std::atomic<bool> done[SLICES_MAX] = {};
  // second phase: the sum, in row blocks
  int64_t block_rows, blocks;
  std::atomic<int64_t> next_block{0};
};

void run_slice(SliceJob& job, int64_t s) {
  const GemmParams& p = *job.p;
  int64_t k0 = s * job.slice_k, k1 = std::min(p.k, k0 + job.slice_k);
  GemmParams q;
  q.m = p.m, q.n = p.n, q.k = k1 - k0;
  q.a = p.a + k0 * p.m;
  q.b = p.b + k0 * p.n;
  q.c = job.partials + s * job.mn;
  q.trans_a = true;
  q.trans_b = false;
  job.kernel(q, 1);
}

void slice_worker(void* ctx, int tid, int) {
  SliceJob& job = *static_cast<SliceJob*>(ctx);
  for (;;) {
    int64_t s = job.next.fetch_add(1);
    if (s >= job.slices) break;
    if (tid == 0) {
      run_slice(job, s);  // the caller: a failure (bad_alloc) propagates from here
    } else {
      try {  // a pool worker must not throw: it leaves the slice for the caller
        run_slice(job, s);
      } catch (...) {
        continue;
      }
    }
    job.done[s].store(true, std::memory_order_release);
  }
}

// C rows [r0, r1) = act(alpha · Σ_s partial_s + beta·C + bias), slices added in order.
void finish_rows(const GemmParams& p, const SliceJob& job, int64_t r0, int64_t r1) {
  for (int64_t i = r0; i < r1; i++) {
    for (int64_t j = 0; j < p.n; j++) {
      const int64_t at = i * p.n + j;
      float sum = job.partials[at];
      for (int64_t s = 1; s < job.slices; s++) sum += job.partials[s * job.mn + at];
      float v = p.alpha * sum;
      if (p.beta != 0.f) v += p.beta * p.c[at];
      if (p.bias) v += p.bias[j];
      p.c[at] = activate(p.act, v, p.slope);
    }
  }
}

void finish_worker(void* ctx, int, int) {
  SliceJob& job = *static_cast<SliceJob*>(ctx);
  for (;;) {
    int64_t b = job.next_block.fetch_add(1);
    if (b >= job.blocks) break;
    finish_rows(*job.p, job, b * job.block_rows, std::min(job.p->m, (b + 1) * job.block_rows));
  }
}

}  // namespace

bool gemm_k_split(const GemmParams& p, int nthreads, void (*kernel)(const GemmParams&, int)) {
  const int64_t mn = p.m * p.n;
  if (!p.trans_a || p.trans_b || mn > RESULT_MAX || p.k < 2 * SLICE_MIN || p.k < 16 * std::max(p.m, p.n)) return false;
  SliceJob job;
  job.p = &p;
  job.kernel = kernel;
  job.mn = mn;
  job.slices = std::min(SLICES_MAX, p.k / SLICE_MIN);
  job.slice_k = (p.k + job.slices - 1) / job.slices;
  job.slices = (p.k + job.slice_k - 1) / job.slice_k;
  AlignedFloats partials = aligned_floats(static_cast<size_t>(job.slices * mn));
  if (!partials) throw std::bad_alloc();
  job.partials = partials.get();
  pool_run(std::max(1, std::min<int>(nthreads, static_cast<int>(job.slices))), slice_worker, &job);
  for (int64_t s = 0; s < job.slices; s++)  // slices a worker could not run (no memory): the caller's
    if (!job.done[s].load(std::memory_order_acquire)) run_slice(job, s);
  job.block_rows = std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(1, p.n));
  job.blocks = (p.m + job.block_rows - 1) / job.block_rows;
  pool_run(mn >= (int64_t(1) << 16) ? nthreads : 1, finish_worker, &job);
  return true;
}

}  // namespace trimnet
