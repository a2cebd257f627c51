// Float64 Cholesky (LAPACK dpotrf's blocked right-looking algorithm) and triangular solves.
//
// Cholesky, A (n×n, symmetric positive definite, row-major; only the lower triangle is read):
//   for each block column [k0, k1) of NB columns:
//     1. A11 = L11 L11ᵀ               unblocked, on the NB×NB diagonal block
//     2. L21 = A21 L11⁻ᵀ              row by row, l_ij = (a_ij − Σ_{k0≤p<j} l_ip l_jp) / l_jj
//     3. A22 −= L21 L21ᵀ              lower triangle only: the n³/3 flops, in a register-blocked
//                                     kernel (4 rows × 16 columns of accumulators) over a
//                                     transposed copy of L21; rows split across threads.
// The plain version is the column-by-column loop of src/dense64.ts (the reference the tests
// compare against); the pivot test is the same: s = a_jj − Σ_p l_jp² must be > min_pivot·max|a_ii|.
//
// Solves, X (n×k): L⁻¹X runs x_i = (x_i − Σ_{p<i} l_ip x_p) / l_ii top down, L⁻ᵀX runs
// x_i = (x_i − Σ_{p>i} l_pi x_p) / l_ii bottom up; each term is an axpy over X's row, and the
// columns of X are independent, so they are split across threads.
#include "dense64.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <utility>
#include <vector>

#include "gemm.h"
#include "isa.h"
#ifdef TRIMNET_X86_DISPATCH
#include <immintrin.h>
#endif
#include "thread_pool.h"

namespace trimnet {
namespace {

constexpr int64_t NB = 96;    // block columns
constexpr int ROWS = 4;       // rows per register block of the trailing update
constexpr int COLS = 16;      // columns per register block (2 AVX-512 vectors)

// Rows [i0, i0 + R) of the trailing update: a[i][j] −= Σ_p a[i][k0 + p] · L21[j][p] for
// j ∈ [j0, j1). P is L21 packed in chunks of COLS rows, each chunk transposed (nb × COLS,
// zero-padded), so a chunk is read contiguously; j0 is a chunk boundary, relative to P's first row pj0.
template <int R>
TRIMNET_INLINE void update_rows(double* a, int64_t n, int64_t i0, int64_t j0, int64_t j1, int64_t k0, int64_t nb,
                                const double* P, int64_t pj0) {
  const double* li[R];
  for (int r = 0; r < R; r++) li[r] = a + (i0 + r) * n + k0;
  for (int64_t j = j0; j < j1; j += COLS) {
    double acc[R][COLS] = {};
    const double* pp = P + ((j - pj0) / COLS) * nb * COLS;
    for (int64_t p = 0; p < nb; p++, pp += COLS)
      for (int r = 0; r < R; r++) {
        const double l = li[r][p];
        for (int q = 0; q < COLS; q++) acc[r][q] += l * pp[q];
      }
    const int w = int(std::min<int64_t>(COLS, j1 - j));
    for (int r = 0; r < R; r++) {
      double* out = a + (i0 + r) * n + j;
      if (w == COLS)
        for (int q = 0; q < COLS; q++) out[q] -= acc[r][q];
      else
        for (int q = 0; q < w; q++) out[q] -= acc[r][q];
    }
  }
}

// Rows [i0, i1) × columns [j0, j1) of step 3, 4 rows at a time; a row i stops at column i (the
// few entries above the diagonal a row block also touches belong to the upper triangle, which
// is zeroed at the end). P holds the columns from pj0 on.
TRIMNET_INLINE void update_block_body(double* a, int64_t n, int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t k0,
                                      int64_t nb, const double* P, int64_t pj0) {
  for (int64_t i = i0; i < i1; i += ROWS) {
    const int rows = int(std::min<int64_t>(ROWS, i1 - i));
    const int64_t je = std::min(j1, i + rows);
    if (je <= j0) continue;
    switch (rows) {
      case 4: update_rows<4>(a, n, i, j0, je, k0, nb, P, pj0); break;
      case 3: update_rows<3>(a, n, i, j0, je, k0, nb, P, pj0); break;
      case 2: update_rows<2>(a, n, i, j0, je, k0, nb, P, pj0); break;
      default: update_rows<1>(a, n, i, j0, je, k0, nb, P, pj0); break;
    }
  }
}

#ifdef TRIMNET_X86_DISPATCH
TRIMNET_TARGET_AVX2 void update_block_avx2(double* a, int64_t n, int64_t i0, int64_t i1, int64_t j0, int64_t j1,
                                           int64_t k0, int64_t nb, const double* P, int64_t pj0) {
  update_block_body(a, n, i0, i1, j0, j1, k0, nb, P, pj0);
}
// update_rows with AVX-512 intrinsics (the compiler keeps the generic version's acc arrays on the
// stack): R rows × two 8-double vectors of accumulators.
template <int R>
TRIMNET_TARGET_AVX512 void update_rows_avx512(double* a, int64_t n, int64_t i0, int64_t j0, int64_t j1, int64_t k0,
                                              int64_t nb, const double* P, int64_t pj0) {
  static_assert(COLS == 16, "two 8-double vectors per row");
  const double* li[R];
  for (int r = 0; r < R; r++) li[r] = a + (i0 + r) * n + k0;
  for (int64_t j = j0; j < j1; j += COLS) {
    __m512d acc[R][2];
    for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = _mm512_setzero_pd();
    const double* pp = P + ((j - pj0) / COLS) * nb * COLS;
    for (int64_t p = 0; p < nb; p++, pp += COLS) {
      const __m512d p0 = _mm512_loadu_pd(pp), p1 = _mm512_loadu_pd(pp + 8);
      for (int r = 0; r < R; r++) {
        const __m512d l = _mm512_set1_pd(li[r][p]);
        acc[r][0] = _mm512_fmadd_pd(l, p0, acc[r][0]);
        acc[r][1] = _mm512_fmadd_pd(l, p1, acc[r][1]);
      }
    }
    const int w = int(std::min<int64_t>(COLS, j1 - j));
    const __mmask8 m0 = __mmask8(w >= 8 ? 0xff : (1u << w) - 1), m1 = __mmask8(w >= 16 ? 0xff : w <= 8 ? 0 : (1u << (w - 8)) - 1);
    for (int r = 0; r < R; r++) {
      double* out = a + (i0 + r) * n + j;
      _mm512_mask_storeu_pd(out, m0, _mm512_sub_pd(_mm512_maskz_loadu_pd(m0, out), acc[r][0]));
      _mm512_mask_storeu_pd(out + 8, m1, _mm512_sub_pd(_mm512_maskz_loadu_pd(m1, out + 8), acc[r][1]));
    }
  }
}

TRIMNET_TARGET_AVX512 void update_block_avx512(double* a, int64_t n, int64_t i0, int64_t i1, int64_t j0, int64_t j1,
                                               int64_t k0, int64_t nb, const double* P, int64_t pj0) {
  for (int64_t i = i0; i < i1; i += ROWS) {
    const int rows = int(std::min<int64_t>(ROWS, i1 - i));
    const int64_t je = std::min(j1, i + rows);
    if (je <= j0) continue;
    switch (rows) {
      case 4: update_rows_avx512<4>(a, n, i, j0, je, k0, nb, P, pj0); break;
      case 3: update_rows_avx512<3>(a, n, i, j0, je, k0, nb, P, pj0); break;
      case 2: update_rows_avx512<2>(a, n, i, j0, je, k0, nb, P, pj0); break;
      default: update_rows_avx512<1>(a, n, i, j0, je, k0, nb, P, pj0); break;
    }
  }
}
#endif

void update_block(double* a, int64_t n, int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t k0, int64_t nb,
                  const double* P, int64_t pj0) {
#ifdef TRIMNET_X86_DISPATCH
  switch (cpu_isa()) {
    case Isa::avx512: return update_block_avx512(a, n, i0, i1, j0, j1, k0, nb, P, pj0);
    case Isa::avx2: return update_block_avx2(a, n, i0, i1, j0, j1, k0, nb, P, pj0);
    default: break;
  }
#endif
  update_block_body(a, n, i0, i1, j0, j1, k0, nb, P, pj0);
}

double dot(const double* x, const double* y, int64_t len) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t p = 0;
  for (; p + 4 <= len; p += 4) {
    s0 += x[p] * y[p];
    s1 += x[p + 1] * y[p + 1];
    s2 += x[p + 2] * y[p + 2];
    s3 += x[p + 3] * y[p + 3];
  }
  for (; p < len; p++) s0 += x[p] * y[p];
  return (s0 + s1) + (s2 + s3);
}

// Step 3 for one block column as tiles of COL_TILE columns × ROW_TILE rows (the lower triangle's
// tiles, column-tile major so the threads share the COL_TILE columns' chunks of P — 96 × 256
// doubles, 192 KB — in L2), handed out by a counter (pool_run's contract: work comes from a shared
// counter, never a fixed share per thread).
constexpr int64_t COL_TILE = 256, ROW_TILE = 64;

struct TrailingTask {
  double* a;
  int64_t n, k0, k1;
  const double* P;
  std::vector<std::pair<int64_t, int64_t>> tiles;  // (first column, first row)
  std::atomic<size_t> next{0};

  void plan() {
    for (int64_t j0 = k1; j0 < n; j0 += COL_TILE)
      for (int64_t i0 = j0; i0 < n; i0 += ROW_TILE) tiles.push_back({j0, i0});
  }
  static void run(void* ctx, int, int) {
    auto& t = *static_cast<TrailingTask*>(ctx);
    for (;;) {
      const size_t w = t.next.fetch_add(1);
      if (w >= t.tiles.size()) return;
      const auto [j0, i0] = t.tiles[w];
      update_block(t.a, t.n, i0, std::min(t.n, i0 + ROW_TILE), j0, std::min(t.n, j0 + COL_TILE), t.k0, t.k1 - t.k0,
                   t.P, t.k1);
    }
  }
};

struct SolveTask {
  const double* l;
  int64_t n;
  double* x;
  int64_t k;
  bool transposed;
  int64_t chunk;
  std::atomic<int64_t> next{0};

  // Columns [c0, c1) of X.
  void solve_columns(int64_t c0, int64_t c1) const {
    const int64_t w = c1 - c0;
    auto row = [&](int64_t i) { return x + i * k + c0; };
    if (!transposed) {
      for (int64_t i = 0; i < n; i++) {
        double* xi = row(i);
        for (int64_t p = 0; p < i; p++) {
          const double f = l[i * n + p];
          if (f == 0) continue;
          const double* xp = row(p);
          for (int64_t c = 0; c < w; c++) xi[c] -= f * xp[c];
        }
        const double inv = 1 / l[i * n + i];
        for (int64_t c = 0; c < w; c++) xi[c] *= inv;
      }
    } else {
      for (int64_t i = n - 1; i >= 0; i--) {
        double* xi = row(i);
        for (int64_t p = i + 1; p < n; p++) {
          const double f = l[p * n + i];
          if (f == 0) continue;
          const double* xp = row(p);
          for (int64_t c = 0; c < w; c++) xi[c] -= f * xp[c];
        }
        const double inv = 1 / l[i * n + i];
        for (int64_t c = 0; c < w; c++) xi[c] *= inv;
      }
    }
  }

  static void run(void* ctx, int, int) {
    auto& t = *static_cast<SolveTask*>(ctx);
    for (;;) {
      const int64_t c0 = t.chunk * t.next.fetch_add(1);
      if (c0 >= t.k) return;
      t.solve_columns(c0, std::min(t.k, c0 + t.chunk));
    }
  }
};

}  // namespace

int64_t cholesky64(double* a, int64_t n, double min_pivot, double* pivot) {
  double dmax = 0;
  for (int64_t i = 0; i < n; i++) dmax = std::max(dmax, std::fabs(a[i * n + i]));
  std::vector<double> P;
  for (int64_t k0 = 0; k0 < n; k0 += NB) {
    const int64_t k1 = std::min(n, k0 + NB), nb = k1 - k0;
    // 1. the diagonal block (earlier blocks' updates are already in it)
    for (int64_t j = k0; j < k1; j++) {
      double* rj = a + j * n;
      const double s = rj[j] - dot(rj + k0, rj + k0, j - k0);
      if (!(s > min_pivot * dmax) || !(s > 0)) {
        *pivot = s;
        return j;
      }
      rj[j] = std::sqrt(s);
      for (int64_t i = j + 1; i < k1; i++) {
        double* ri = a + i * n;
        ri[j] = (ri[j] - dot(ri + k0, rj + k0, j - k0)) / rj[j];
      }
    }
    if (k1 == n) break;
    // 2. the panel below it
    for (int64_t i = k1; i < n; i++) {
      double* ri = a + i * n;
      for (int64_t j = k0; j < k1; j++) {
        const double* rj = a + j * n;
        ri[j] = (ri[j] - dot(ri + k0, rj + k0, j - k0)) / rj[j];
      }
    }
    // 3. the trailing update, over L21 packed in transposed chunks of COLS rows
    const int64_t rows = n - k1, chunks = (rows + COLS - 1) / COLS;
    P.assign(size_t(chunks * nb * COLS), 0.0);
    for (int64_t i = k1; i < n; i++) {
      double* chunk = P.data() + ((i - k1) / COLS) * nb * COLS + (i - k1) % COLS;
      for (int64_t p = 0; p < nb; p++) chunk[p * COLS] = a[i * n + k0 + p];
    }
    TrailingTask task;
    task.a = a, task.n = n, task.k0 = k0, task.k1 = k1, task.P = P.data();
    task.plan();
    const int64_t work = rows * rows * nb;
    pool_run(work < (int64_t(1) << 20) ? 1 : num_threads(), TrailingTask::run, &task);
  }
  for (int64_t i = 0; i < n; i++) std::fill(a + i * n + i + 1, a + (i + 1) * n, 0.0);
  return -1;
}

void solve_lower64(const double* l, int64_t n, double* x, int64_t k, bool transposed) {
  if (n == 0 || k == 0) return;
  SolveTask task;
  task.l = l, task.n = n, task.x = x, task.k = k, task.transposed = transposed;
  const int nt = (n * n * k < (int64_t(1) << 20) || k < 16) ? 1 : num_threads();
  task.chunk = nt == 1 ? k : std::max<int64_t>(8, (k + 4 * nt - 1) / (4 * nt));
  pool_run(nt, SolveTask::run, &task);
}

}  // namespace trimnet
