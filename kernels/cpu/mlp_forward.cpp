// The fused single-sample forward: input check, scratch, and the dispatch to the ISA's version
// (mlp_forward_impl.h, instantiated in gemm_avx512.cpp / gemm_avx2.cpp / gemm_scalar.cpp).
#include "mlp_forward.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <new>
#include <vector>

#include "finite.h"
#include "gemm.h"
#include "gemm_internal.h"
#include "thread_pool.h"

namespace trimnet {

void mlp_forward_one_plain(const DenseLayer* layers, int nlayers, const float* x, float* out) {
  std::vector<float> h(x, x + (nlayers > 0 ? layers[0].in : 0)), next;
  for (int l = 0; l < nlayers; l++) {
    const DenseLayer& L = layers[l];
    next.assign(L.out, 0.f);
    for (int64_t j = 0; j < L.out; j++) {
      double acc = 0;
      for (int64_t q = 0; q < L.in; q++) acc += double(L.w[j * L.in + q]) * h[q];
      next[j] = activate(L.act, float(acc) + (L.bias ? L.bias[j] : 0.f), L.slope);
    }
    h.swap(next);
  }
  for (size_t j = 0; j < h.size(); j++) out[j] = h[j];
}

int64_t mlp_forward_one(const DenseLayer* layers, int nlayers, const float* x, float* out) {
  if (nlayers <= 0) return -1;
  int64_t bad = first_non_finite(x, layers[0].in);
  if (bad >= 0) return bad;
  // The hidden outputs live in this thread's buffer, one 16-float-rounded slot per hidden layer
  // (mlp_forward_impl.h), reused across calls.
  int64_t room = 0;
  for (int l = 0; l + 1 < nlayers; l++) room += (layers[l].out + 15) / 16 * 16;
  thread_local std::vector<float> hidden;
  if (static_cast<int64_t>(hidden.size()) < room + 16) hidden.resize(room + 16);
  forward_one_kernel()(layers, nlayers, x, out, hidden.data(), num_threads());
  return -1;
}

// ---- many rows --------------------------------------------------------------------------
namespace {

constexpr int64_t NONE = INT64_MAX;
// The GEMM workspace each thread gets before the run: what a chunk's single-thread GEMMs ask for
// on this project's CPUs (packed blocks of about 0.7 Mi floats with a 1 MiB L2, a transposed B of
// up to 1 Mi floats on the narrow path). A CPU whose GEMM wants more grows it in the run, and a
// worker that cannot is reported as out of memory.
constexpr size_t GEMM_WORKSPACE_FLOATS = size_t(1) << 20;

struct RowsJob {
  const DenseLayer* layers;
  int nlayers;
  const float* x;
  float* out;
  int64_t rows, nchunks;  // chunk c: rows [c·rows/nchunks, (c+1)·rows/nchunks)
  int64_t scratch;        // floats of hidden room a chunk needs
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> bad{NONE};   // smallest non-finite index of x found
  std::atomic<bool> failed{false};  // a worker could not get its scratch
};

// This thread's room for a chunk's hidden outputs, reused across calls.
std::vector<float>& rows_scratch() {
  thread_local std::vector<float> v;
  return v;
}

// Rows [r0, r1) through every layer: hidden outputs alternate between the two halves of h.
// nonfinite: raised when layer 0's products show a NaN/±Infinity (see GemmParams::nonfinite).
void rows_chunk(const RowsJob& job, int64_t r0, int64_t r1, float* h, std::atomic<int>* nonfinite) {
  const float* in = job.x + r0 * job.layers[0].in;
  float* half[2] = {h, h + job.scratch / 2};
  for (int l = 0; l < job.nlayers; l++) {
    const DenseLayer& L = job.layers[l];
    GemmParams p;
    p.m = r1 - r0;
    p.n = L.out;
    p.k = L.in;
    p.a = in;
    p.b = L.w;
    p.b_packed = L.packed;
    p.trans_b = true;
    p.c = l == job.nlayers - 1 ? job.out + r0 * L.out : half[l % 2];
    p.bias = L.bias;
    p.act = L.act;
    p.slope = L.slope;
    p.threads = 1;
    p.nonfinite = l == 0 ? nonfinite : nullptr;
    gemm(p);
    in = p.c;
  }
}

void rows_worker(void* ctx, int tid, int) {
  RowsJob& job = *static_cast<RowsJob*>(ctx);
  std::vector<float>& hidden = rows_scratch();
  try {
    // The GEMM's own workspace too, before any chunk is claimed: a worker that cannot get memory
    // takes no work (the caller, who got both before the run started, does it).
    if (hidden.size() < static_cast<size_t>(job.scratch)) hidden.resize(job.scratch);
    if (tid != 0 && !thread_workspace(GEMM_WORKSPACE_FLOATS, true)) return;
  } catch (const std::bad_alloc&) {
    return;
  }
  const int64_t in = job.layers[0].in;
  for (;;) {
    const int64_t c = job.next.fetch_add(1);
    if (c >= job.nchunks) break;
    const int64_t r0 = c * job.rows / job.nchunks, r1 = (c + 1) * job.rows / job.nchunks;
    if (job.bad.load(std::memory_order_relaxed) != NONE) continue;  // the call fails anyway
    std::atomic<int> nonfinite{0};
    try {
      rows_chunk(job, r0, r1, hidden.data(), &nonfinite);
    } catch (...) {  // bad_alloc from a GEMM's workspace: reported by the caller
      job.failed.store(true);
      continue;
    }
    // The input is scanned only when layer 0 saw a NaN/±Infinity (which any in x makes), to
    // name it; a finite input that overflowed is no error.
    const int64_t bad = nonfinite.load() ? first_non_finite(job.x + r0 * in, (r1 - r0) * in) : -1;
    if (bad >= 0) {
      int64_t at = r0 * in + bad, cur = job.bad.load();
      while (at < cur && !job.bad.compare_exchange_weak(cur, at)) {
      }
    }
  }
}

}  // namespace

int64_t mlp_forward_rows(const DenseLayer* layers, int nlayers, const float* x, int64_t rows, float* out) {
  if (nlayers <= 0 || rows <= 0) return -1;
  // Chunks as even as possible: two per thread (balance when the OS delays one) of at least
  // MIN_ROWS rows (below that one thread does all: a hand-off costs more), and more when a chunk's
  // hidden outputs would pass MAX_HIDDEN floats (a 60,000-row pass must not allocate its hidden
  // layers whole), but never under SMALL_ROWS + 1 rows: the GEMM takes another path for m ≤ 4,
  // and every chunk must give the bits the whole-batch GEMM gives.
  constexpr int64_t MIN_ROWS = 64, MAX_HIDDEN = int64_t(1) << 20, SMALL_ROWS = 4;
  int64_t widest = 1;
  for (int l = 0; l + 1 < nlayers; l++) widest = std::max(widest, layers[l].out);
  const int nth = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(num_threads(), rows / MIN_ROWS)));
  int64_t nchunks = nth > 1 ? 2 * int64_t(nth) : 1;
  const int64_t most_rows = std::max<int64_t>(1, MAX_HIDDEN / (2 * widest));
  nchunks = std::max(nchunks, (rows + most_rows - 1) / most_rows);
  nchunks = std::max<int64_t>(1, std::min(nchunks, rows / (SMALL_ROWS + 1)));
  RowsJob job;
  job.layers = layers;
  job.nlayers = nlayers;
  job.x = x;
  job.out = out;
  job.rows = rows;
  job.nchunks = nchunks;
  job.scratch = 2 * ((rows + nchunks - 1) / nchunks) * widest;
  std::vector<float>& hidden = rows_scratch();  // the caller's: throws here, before any worker starts
  if (hidden.size() < static_cast<size_t>(job.scratch)) hidden.resize(job.scratch);
  thread_workspace(GEMM_WORKSPACE_FLOATS);
  pool_run(static_cast<int>(std::min<int64_t>(nth, job.nchunks)), rows_worker, &job);
  if (job.failed.load()) throw std::bad_alloc();
  return job.bad.load() == NONE ? -1 : job.bad.load();
}

}  // namespace trimnet
