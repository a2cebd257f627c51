// Step 2 of the CPU SVD (driver.cpp): the SVD of the bidiagonal B by implicit-shift QR in double,
// its rotations recorded and applied in batches (fast Givens, slab-major, wavefront order) by
// worker threads while the iteration produces the next batch; U derived from V.
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "svd/common.h"
#include "thread_pool.h"
#ifdef TRIMNET_X86_DISPATCH
#include <immintrin.h>
#endif

namespace trimnet {
namespace svd_detail {

// ---- 2. bidiagonal QR ------------------------------------------------------------------------

struct Rot {
  int32_t i, j;  // x_i' = c x_i + s x_j,  x_j' = c x_j − s x_i  (rows of Ubᵀ / Vbᵀ)
  double c, s;
};

// The recorded rotations are applied in scaled ("fast Givens") form: each row r of X is held as
// y_r with x_r = δ_r y_r, and a rotation (i, j, c, s),
//   x_i' = c x_i + s x_j,   x_j' = c x_j − s x_i,
// becomes two FMAs per element instead of two multiplies and two FMAs:
//   |c| >= |s|:  y_i' = y_i + α y_j,  y_j' = y_j + β y_i,   α = s δ_j / (c δ_i),  β = −s δ_i / (c δ_j),
//                δ_i' = c δ_i,  δ_j' = c δ_j;
//   |s| >  |c|:  the same after swapping y_i and y_j, with α = c δ_i / (s δ_j), β = −c δ_j / (s δ_i),
//                δ_i' = s δ_j,  δ_j' = −s δ_i.
// (d_i' y_i' = c x_i + s x_j exactly as written; the rounding error of y_i + α y_j, scaled back, is
// that of the plain rotation.) |δ| shrinks by at most 1/√2 per rotation, so a row whose δ falls
// below 1e-16 gets a "scale" entry (y_r *= δ_r, δ_r = 1; far from overflow, and low enough to be
// rare: a few dozen in a 512² SVD, which the tests run) and every batch ends with one for each
// row with δ ≠ 1: X holds the true values between batches. The δ's depend only on the rotation
// list, so they are computed once per batch (to_fast_rotations) and not once per slab.
struct FastRot {
  int32_t i;  // row i; FAST_SWAP set: swap y_i and y_j first
  int32_t j;  // row j; j < 0: a scale entry, y_i *= a
  double a, b;
};
constexpr int32_t FAST_SWAP = int32_t(1) << 30;

void to_fast_rotations(const std::vector<Rot>& rots, int64_t rows, std::vector<FastRot>& out) {
  // (Written through an index: push_back was not inlined and showed in profiles.)
  out.resize(rots.size() + size_t(rows) + 64);
  size_t w = 0;
  auto emit = [&](const FastRot& f) {
    if (w == out.size()) out.resize(2 * w);
    out[w++] = f;
  };
  std::vector<double> delta(size_t(rows), 1.0);
  auto rescale_if_small = [&](int32_t r) {
    if (std::fabs(delta[r]) < 1e-16) {
      emit({r, -1, delta[r], 0.0});
      delta[r] = 1.0;
    }
  };
  for (const Rot& r : rots) {
    const double di = delta[r.i], dj = delta[r.j], q = dj / di;
    if (std::fabs(r.c) >= std::fabs(r.s)) {
      const double t = r.s / r.c;
      emit({r.i, r.j, t * q, -t / q});
      delta[r.i] = r.c * di;
      delta[r.j] = r.c * dj;
    } else {
      const double t = r.c / r.s;
      emit({r.i | FAST_SWAP, r.j, t / q, -t * q});
      delta[r.i] = r.s * dj;
      delta[r.j] = -r.s * di;
    }
    rescale_if_small(r.i);
    rescale_if_small(r.j);
  }
  for (int64_t r = 0; r < rows; r++)
    if (delta[r] != 1.0) emit({int32_t(r), -1, delta[r], 0.0});
  out.resize(w);
}

// Reorders a rotation list for cache locality without changing its result. Rotations that share
// no row commute, so any order that keeps each row's rotations in their order is equivalent.
// level(x) = 1 + the largest level among the earlier rotations that touch x's rows (ASAP
// layers; a sweep's rotation at row j of its s-th sweep has level ≈ j + 2s). Sorting stably by
// ⌊level / LEVEL_BLOCK⌋ is such an order (x before y on a shared row means level(x) < level(y)),
// and it turns a batch of sweeps over the whole matrix into a wavefront: block b holds, of every
// sweep, the LEVEL_BLOCK consecutive rotations near row b·LEVEL_BLOCK − 2s, so a block's rows
// (LEVEL_BLOCK + 2·sweeps) stay in L1 while all its sweeps pass, and consecutive rotations of a
// sweep still share the carried row. Without it each rotation streams its row from L2.
constexpr int32_t LEVEL_BLOCK = 64;

void wavefront_order(std::vector<FastRot>& rots, int64_t rows, std::vector<FastRot>& tmp) {
  std::vector<int32_t> last(size_t(rows), -1), block(rots.size());
  int32_t nblock = 0;
  for (size_t x = 0; x < rots.size(); x++) {
    const int32_t i = rots[x].i & ~FAST_SWAP, j = rots[x].j;
    const int32_t lv = 1 + std::max(last[i], j >= 0 ? last[j] : -1);
    last[i] = lv;
    if (j >= 0) last[j] = lv;
    block[x] = lv / LEVEL_BLOCK;
    nblock = std::max(nblock, block[x] + 1);
  }
  std::vector<size_t> start(size_t(nblock) + 1, 0);
  for (int32_t b : block) start[size_t(b) + 1]++;
  for (int32_t b = 0; b < nblock; b++) start[b + 1] += start[b];
  tmp.resize(rots.size());
  for (size_t x = 0; x < rots.size(); x++) tmp[start[block[x]]++] = rots[x];
  rots.swap(tmp);
}

// One slab of W columns of X: the rotations in order. Consecutive rotations of a sweep share a
// row (i of one is j of the previous), so that row is carried in registers instead of being
// stored and loaded again: one load and one store per rotation and column instead of two.
// W columns of a slab whose rows are STRIDE doubles apart (W <= STRIDE: part of a wider slab).
template <int W, int STRIDE>
TRIMNET_INLINE void rotate_slab(const std::vector<FastRot>& rots, double* P) {
  auto row = [&](int64_t r) { return static_cast<double*>(__builtin_assume_aligned(P + r * STRIDE, 64)); };
  double carry[W] = {};
  int64_t ci = -1;  // the row held in carry
  for (const FastRot& r : rots) {
    const int64_t i = r.i & ~FAST_SWAP;
    if (r.j < 0) {  // scale entry
      if (i == ci) {
        for (int q = 0; q < W; q++) carry[q] *= r.a;
      } else {
        double* x = row(i);
        for (int q = 0; q < W; q++) x[q] *= r.a;
      }
      continue;
    }
    double* xi = row(i);
    double* xj = row(r.j);
    double y[W], z[W];
    if (i == ci) {
      for (int q = 0; q < W; q++) y[q] = carry[q];
    } else {
      if (ci >= 0) {
        double* xc = row(ci);
        for (int q = 0; q < W; q++) xc[q] = carry[q];
      }
      for (int q = 0; q < W; q++) y[q] = xi[q];
    }
    for (int q = 0; q < W; q++) z[q] = xj[q];
    if (r.i & FAST_SWAP)
      for (int q = 0; q < W; q++) std::swap(y[q], z[q]);
    const double a = r.a, b = r.b;
    for (int q = 0; q < W; q++) {
      xi[q] = y[q] + a * z[q];
      carry[q] = z[q] + b * y[q];
    }
    ci = r.j;
  }
  if (ci >= 0) {
    double* xc = row(ci);
    for (int q = 0; q < W; q++) xc[q] = carry[q];
  }
}

// 32 columns: one latency-bound chain (the carried row) per column, four 512-bit vectors of them
// per rotation, so AVX-512 does twice the work of 16 columns in the same ~4 cycles.

// Slabs [s0, s1) of a slab-major matrix P (see SlabMatrix). The plain version: 16 columns at a
// time, small enough for the compiler to keep in registers.
TRIMNET_INLINE void rotate_slabs_body(const std::vector<FastRot>& rots, double* P, int64_t rows, int64_t s0, int64_t s1) {
  P = static_cast<double*>(__builtin_assume_aligned(P, 64));
  for (int64_t sl = s0; sl < s1; sl++)
    for (int h = 0; h < ROT_SLAB; h += 16) rotate_slab<16, ROT_SLAB>(rots, P + sl * rows * ROT_SLAB + h);
}

#ifdef TRIMNET_X86_DISPATCH
TRIMNET_TARGET_AVX2 void rotate_slabs_avx2(const std::vector<FastRot>& rots, double* P, int64_t rows, int64_t s0, int64_t s1) {
  rotate_slabs_body(rots, P, rows, s0, s1);
}

// rotate_slab for a whole 32-column slab with AVX-512 intrinsics (the compiler spills 32-wide
// arrays): the same steps, the carried row in c[0..3].
TRIMNET_TARGET_AVX512 void rotate_slab32_avx512(const std::vector<FastRot>& rots, double* P) {
  static_assert(ROT_SLAB == 32, "four 8-double vectors per row");
  __m512d c[4] = {_mm512_setzero_pd(), _mm512_setzero_pd(), _mm512_setzero_pd(), _mm512_setzero_pd()};
  int64_t ci = -1;
  for (const FastRot& r : rots) {
    const int64_t i = r.i & ~FAST_SWAP;
    double* xi = P + i * 32;
    if (r.j < 0) {  // scale entry
      const __m512d f = _mm512_set1_pd(r.a);
      if (i == ci) {
        for (int q = 0; q < 4; q++) c[q] = _mm512_mul_pd(c[q], f);
      } else {
        for (int q = 0; q < 4; q++) _mm512_store_pd(xi + 8 * q, _mm512_mul_pd(_mm512_load_pd(xi + 8 * q), f));
      }
      continue;
    }
    const double* xj = P + int64_t(r.j) * 32;
    __m512d y[4], z[4];
    if (i == ci) {
      for (int q = 0; q < 4; q++) y[q] = c[q];
    } else {
      if (ci >= 0)
        for (int q = 0; q < 4; q++) _mm512_store_pd(P + ci * 32 + 8 * q, c[q]);
      for (int q = 0; q < 4; q++) y[q] = _mm512_load_pd(xi + 8 * q);
    }
    for (int q = 0; q < 4; q++) z[q] = _mm512_load_pd(xj + 8 * q);
    if (r.i & FAST_SWAP)
      for (int q = 0; q < 4; q++) std::swap(y[q], z[q]);
    const __m512d a = _mm512_set1_pd(r.a), b = _mm512_set1_pd(r.b);
    for (int q = 0; q < 4; q++) {
      _mm512_store_pd(xi + 8 * q, _mm512_fmadd_pd(a, z[q], y[q]));
      c[q] = _mm512_fmadd_pd(b, y[q], z[q]);
    }
    ci = r.j;
  }
  if (ci >= 0)
    for (int q = 0; q < 4; q++) _mm512_store_pd(P + ci * 32 + 8 * q, c[q]);
}

TRIMNET_TARGET_AVX512 void rotate_slabs_avx512(const std::vector<FastRot>& rots, double* P, int64_t rows, int64_t s0,
                                               int64_t s1) {
  for (int64_t sl = s0; sl < s1; sl++) rotate_slab32_avx512(rots, P + sl * rows * ROT_SLAB);
}
#endif

void rotate_slabs(const std::vector<FastRot>& rots, double* P, int64_t rows, int64_t s0, int64_t s1) {
#ifdef TRIMNET_X86_DISPATCH
  switch (cpu_isa()) {
    case Isa::avx512: return rotate_slabs_avx512(rots, P, rows, s0, s1);
    case Isa::avx2: return rotate_slabs_avx2(rots, P, rows, s0, s1);
    default: break;
  }
#endif
  rotate_slabs_body(rots, P, rows, s0, s1);
}

// A rows × ld matrix (ld a multiple of ROT_SLAB) in slab-major order: slab s holds columns
// [s·ROT_SLAB, (s+1)·ROT_SLAB) of every row, rows one after another (ROT_SLAB doubles = 128 bytes
// each). A sweep of rotations then walks a slab's rows in memory order, which the hardware
// prefetchers follow (with row-major storage the same walk strides by the whole row).
struct SlabMatrix {
  AlignedDoubles buf;
  int64_t rows, ld;
  SlabMatrix(const double* X, int64_t rows_, int64_t ld_) : buf(rows_ * ld_), rows(rows_), ld(ld_) {
    for (int64_t s = 0; s < ld / ROT_SLAB; s++)
      for (int64_t r = 0; r < rows; r++) std::copy_n(X + r * ld + s * ROT_SLAB, ROT_SLAB, chunk(s, r));
  }
  // Row r's columns [s·ROT_SLAB, (s+1)·ROT_SLAB).
  double* chunk(int64_t s, int64_t r) { return buf.p + (s * rows + r) * ROT_SLAB; }
  void copy_to(double* X) {
    for (int64_t s = 0; s < ld / ROT_SLAB; s++)
      for (int64_t r = 0; r < rows; r++) std::copy_n(chunk(s, r), ROT_SLAB, X + r * ld + s * ROT_SLAB);
  }
};

// Applies batches of recorded rotations, in order, to the rows of U and V (slab-major, the same
// shape; U may be null) on worker threads while the caller computes the next batch: the QR
// iteration itself is serial, so on two cores it would otherwise leave one idle for half the
// time. with_workers(serial) runs the iteration on the calling thread and, for its duration, the
// workers on the persistent pool (kernels/cpu/thread_pool.h; the caller alone when another call
// holds it). submit() first finishes the previous batch, the caller taking slabs from it too (a
// shared counter), then hands the new one to the workers and returns. The slabs of both matrices
// form one list; a slab's rotations do not depend on which thread applies them.
class RotationPipeline {
 public:
  RotationPipeline(SlabMatrix* U, SlabMatrix* V, int nthreads) : U_(U), V_(V), nthreads_(std::max(1, nthreads)) {}
  RotationPipeline(const RotationPipeline&) = delete;
  RotationPipeline& operator=(const RotationPipeline&) = delete;

  // Calls serial() (which submits batches) with the workers running; then finishes the last batch.
  template <typename F>
  void with_workers(F&& serial) {
    if (nthreads_ == 1) {
      serial();
      finish();
      return;
    }
    struct Ctx {
      RotationPipeline* self;
      F* serial;
      std::exception_ptr error;
    } ctx{this, &serial, nullptr};
    pool_run(nthreads_, [](void* p, int t, int nt) {
      auto& c = *static_cast<Ctx*>(p);
      if (t > 0) return c.self->work_loop();
      // The caller: the iteration, then the workers are released. Nothing may escape the task
      // (the workers would wait for a batch forever): an exception is kept and rethrown below.
      c.self->workers_ = nt > 1;
      try {
        (*c.serial)();
        c.self->finish();
      } catch (...) {
        c.error = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lk(c.self->mu_);
        c.self->job_ = nullptr;
        c.self->stop_ = true;
      }
      c.self->wake_.notify_all();
    }, &ctx);
    if (ctx.error) std::rethrow_exception(ctx.error);
  }

  // Takes the contents of ru and rv (they are left empty).
  void submit(std::vector<Rot>& ru, std::vector<Rot>& rv) {
    const int64_t work = int64_t(ru.size() + rv.size()) * V_->ld;
    auto next = std::make_unique<Batch>();
    if (!ru.empty() && U_) add(*next, ru, U_);
    if (!rv.empty()) add(*next, rv, V_);
    ru.clear();
    rv.clear();
    finish();
    if (next->total == 0) return;
    cur_ = std::move(next);
    if (!workers_ || work < (int64_t(1) << 20)) {
      finish();  // small, or no workers: the caller alone
      return;
    }
    {
      std::lock_guard<std::mutex> lk(mu_);
      job_ = cur_.get();
      ++generation_;
    }
    wake_.notify_all();
  }

  // Waits for the current batch, taking part in it.
  void finish() {
    if (!cur_) return;
    run(*cur_);
    {
      // No worker joins the batch after this; wait for those that did.
      std::unique_lock<std::mutex> lk(mu_);
      job_ = nullptr;
      done_.wait(lk, [this] { return busy_ == 0; });
    }
    cur_.reset();
  }

 private:
  struct Batch {
    std::vector<Rot> plain[2];
    std::once_flag converted;  // the first runner converts plain to rots; the others wait for it
    std::vector<FastRot> rots[2];
    SlabMatrix* X[2] = {nullptr, nullptr};
    int64_t nslab[2] = {0, 0};
    int64_t total = 0;
    std::atomic<int64_t> next{0};
  };
  static void add(Batch& b, std::vector<Rot>& rots, SlabMatrix* X) {
    const int sd = b.X[0] ? 1 : 0;
    b.plain[sd].swap(rots);
    b.X[sd] = X;
    b.nslab[sd] = X->ld / ROT_SLAB;
    b.total += b.nslab[sd];
  }
  static void run(Batch& b) {
    std::call_once(b.converted, [&b] {
      std::vector<FastRot> tmp;
      for (int sd = 0; sd < 2; sd++)
        if (b.X[sd]) {
          to_fast_rotations(b.plain[sd], b.X[sd]->rows, b.rots[sd]);
          wavefront_order(b.rots[sd], b.X[sd]->rows, tmp);
        }
    });
    for (;;) {
      int64_t g = b.next.fetch_add(1);
      if (g >= b.total) return;
      const int sd = g < b.nslab[0] ? 0 : 1;
      if (sd == 1) g -= b.nslab[0];
      rotate_slabs(b.rots[sd], b.X[sd]->buf.p, b.X[sd]->rows, g, g + 1);
    }
  }
  // A worker (a pool thread): every batch it finds, until the iteration is over.
  void work_loop() {
    uint64_t seen = 0;
    for (;;) {
      Batch* b;
      {
        std::unique_lock<std::mutex> lk(mu_);
        wake_.wait(lk, [&] { return stop_ || (job_ != nullptr && generation_ != seen); });
        if (stop_) return;
        seen = generation_;
        b = job_;
        ++busy_;
      }
      run(*b);
      {
        std::lock_guard<std::mutex> lk(mu_);
        if (--busy_ == 0) done_.notify_all();
      }
    }
  }

  SlabMatrix* U_;
  SlabMatrix* V_;
  int nthreads_;
  bool workers_ = false;  // whether pool workers run (set by the caller's task)
  std::unique_ptr<Batch> cur_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  Batch* job_ = nullptr;  // the batch workers may join (guarded by mu_)
  uint64_t generation_ = 0;
  int busy_ = 0;  // workers on a batch
  bool stop_ = false;
};

// sqrt(a² + b²) without std::hypot's overflow guards (several times faster): B's entries come
// from float32 data, so their squares stay far inside double's range.
inline double hyp(double a, double b) { return std::sqrt(a * a + b * b); }

// B (d, e: B[k][k] = d[k], B[k][k+1] = e[k]) = Ub diag(σ) Vbᵀ. Ut and Vt (n×n in n×ld storage,
// identity on entry; see RotationPipeline) become Ubᵀ and Vbᵀ (Ut may be null: V only). The
// iteration splits where |e| <= tol_rel·‖B‖; d becomes σ (>= 0, unsorted).
void bidiagonal_qr(std::vector<double>& d, const std::vector<double>& e_in, double* Ut, double* Vt, int64_t n,
                   int64_t ld, int nthreads, double tol_rel) {
  const bool want_u = Ut != nullptr;
  if (n == 0) return;
  // rv[i] couples columns i−1 and i (rv[0] = 0), as in Golub–Reinsch.
  std::vector<double> rv(n, 0.0);
  for (int64_t i = 1; i < n; i++) rv[i] = e_in[i - 1];
  double anorm = 0;
  for (int64_t i = 0; i < n; i++) anorm = std::max(anorm, std::fabs(d[i]) + std::fabs(rv[i]));
  const double tol = tol_rel * anorm;
  std::vector<Rot> ru, rvv;
  // Batches small enough that the workers start early (about 8 per SVD), at most 2^15.
  const size_t batch = size_t(std::clamp<int64_t>(n * n / 8, 4096, int64_t(1) << 15));
  // The rotations work on slab-major copies of Ut and Vt (copied back at the end).
  std::unique_ptr<SlabMatrix> U_slabs, V_slabs = std::make_unique<SlabMatrix>(Vt, n, ld);
  if (want_u) U_slabs = std::make_unique<SlabMatrix>(Ut, n, ld);
  RotationPipeline pipeline(U_slabs.get(), V_slabs.get(), nthreads);
  std::vector<char> flip(n, 0);
  pipeline.with_workers([&] {
    auto flush = [&] {
      pipeline.submit(ru, rvv);
      ru.reserve(want_u ? batch + 2 * size_t(n) : 0);
      rvv.reserve(batch + 2 * size_t(n));
    };
    flush();
    for (int64_t k = n - 1; k >= 0; k--) {
      for (int its = 0;; its++) {
        if (its > 75 * 4) throw std::runtime_error("svd: the bidiagonal QR iteration did not converge");
        // Find l: rv[l] negligible (split) or d[l−1] negligible (cancel rv[l]).
        bool cancel = true;
        int64_t l = k;
        for (; l >= 0; l--) {
          if (l == 0 || std::fabs(rv[l]) <= tol) {
            cancel = false;
            break;
          }
          if (std::fabs(d[l - 1]) <= tol) break;
        }
        if (cancel) {
          // d[l−1] ≈ 0: rotate rv[l..k] into zero from the left (rows l−1 and i of Ub).
          const int64_t nm = l - 1;
          double c = 0, s = 1;
          for (int64_t i = l; i <= k; i++) {
            double f = s * rv[i];
            rv[i] = c * rv[i];
            if (std::fabs(f) <= tol) break;
            double g = d[i];
            double h = hyp(f, g);
            d[i] = h;
            c = g / h;
            s = -f / h;
            if (want_u) ru.push_back({int32_t(nm), int32_t(i), c, s});
          }
        }
        double z = d[k];
        if (l == k) {  // converged
          if (z < 0) {
            d[k] = -z;
            flip[k] = 1;  // no later rotation touches index k
          }
          break;
        }
        // Shift from the trailing 2×2 of BᵀB, then one implicit QR sweep over l..k.
        double x = d[l];
        int64_t nm = k - 1;
        double y = d[nm], g = rv[nm], h = rv[k];
        double f = ((y - z) * (y + z) + (g - h) * (g + h)) / (2.0 * h * y);
        g = hyp(f, 1.0);
        f = ((x - z) * (x + z) + h * ((y / (f + std::copysign(g, f))) - h)) / x;
        double c = 1, s = 1;
        for (int64_t j = l; j <= nm; j++) {
          int64_t i = j + 1;
          g = rv[i];
          y = d[i];
          h = s * g;
          g = c * g;
          z = hyp(f, h);
          rv[j] = z;
          double rz = 1.0 / z;  // one division instead of two on the serial chain
          c = f * rz;
          s = h * rz;
          f = x * c + g * s;
          g = g * c - x * s;
          h = y * s;
          y *= c;
          rvv.push_back({int32_t(j), int32_t(i), c, s});
          z = hyp(f, h);
          d[j] = z;
          if (z != 0) {
            rz = 1.0 / z;
            c = f * rz;
            s = h * rz;
          }
          f = c * g + s * y;
          x = c * y - s * g;
          if (want_u) ru.push_back({int32_t(j), int32_t(i), c, s});
        }
        rv[l] = 0;
        rv[k] = f;
        d[k] = x;
        if (ru.size() + rvv.size() >= batch) flush();
      }
    }
    flush();
  });
  V_slabs->copy_to(Vt);
  if (want_u) U_slabs->copy_to(Ut);
  for (int64_t k = 0; k < n; k++)
    if (flip[k])
      for (int64_t q = 0; q < n; q++) Vt[k * ld + q] = -Vt[k * ld + q];
}

// Ubᵀ from Vbᵀ: u_i = B v_i / ‖B v_i‖ (B bidiagonal, so O(n) per vector). The QR iteration is
// backward stable — B Vb = Ub Σ + E with ‖E‖ ~ eps·‖B‖ when it splits at eps level — so
// u_i = B v_i / σ_i is off by ‖E‖/σ_i: accurate for σ_i >= 1e-6·σmax. The few columns below that
// are completed to an orthonormal basis (Gram–Schmidt, twice, against the others); their
// σ_i·u_i v_iᵀ terms are below 1e-6·σmax anyway. Returns false when more than max(8, n/16)
// columns are small (rank-deficient input): the caller then accumulates Ub by rotations.
bool left_from_right(const std::vector<double>& d0, const std::vector<double>& e0, const std::vector<double>& sigma,
                     const double* Vt, double* Ut, int64_t n, int64_t ld) {
  double smax = 0;
  for (int64_t i = 0; i < n; i++) smax = std::max(smax, sigma[i]);
  const double thr = 1e-6 * smax;
  std::vector<int64_t> good, small;
  for (int64_t i = 0; i < n; i++) (smax > 0 && sigma[i] > thr ? good : small).push_back(i);
  if (int64_t(small.size()) > std::max<int64_t>(8, n / 16)) return false;
  auto bv = [&](int64_t i, double* out) {
    const double* v = Vt + i * ld;
    for (int64_t r = 0; r < n; r++) out[r] = d0[r] * v[r] + (r + 1 < n ? e0[r] * v[r + 1] : 0.0);
  };
  for (int64_t i : good) {
    double* u = Ut + i * ld;
    bv(i, u);
    double nrm = 0;
    for (int64_t r = 0; r < n; r++) nrm += u[r] * u[r];
    nrm = std::sqrt(nrm);
    for (int64_t r = 0; r < n; r++) u[r] /= nrm;
  }
  int64_t next_unit = 0;
  std::vector<double> c(n);
  for (int64_t i : small) {
    bool from_bv = smax > 0;
    for (;;) {
      if (from_bv) {
        bv(i, c.data());
      } else {
        if (next_unit >= n) return false;  // cannot happen: the good set has fewer than n vectors
        std::fill(c.begin(), c.end(), 0.0);
        c[next_unit++] = 1.0;
      }
      double n0 = 0;
      for (int64_t r = 0; r < n; r++) n0 += c[r] * c[r];
      n0 = std::sqrt(n0);
      if (n0 > 0) {
        for (int pass = 0; pass < 2; pass++)
          for (int64_t g : good) {
            const double* q = Ut + g * ld;
            double dd = 0;
            for (int64_t r = 0; r < n; r++) dd += q[r] * c[r];
            for (int64_t r = 0; r < n; r++) c[r] -= dd * q[r];
          }
        double n1 = 0;
        for (int64_t r = 0; r < n; r++) n1 += c[r] * c[r];
        n1 = std::sqrt(n1);
        if (n1 > 0.1 * n0 && n1 > 0) {
          double* u = Ut + i * ld;
          for (int64_t r = 0; r < n; r++) u[r] = c[r] / n1;
          good.push_back(i);
          break;
        }
      }
      from_bv = false;
    }
  }
  return true;
}

}  // namespace svd_detail
}  // namespace trimnet
