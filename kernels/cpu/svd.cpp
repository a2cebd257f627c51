// CPU SVD: A[m×n] = U diag(S) Vᵀ for float32 row-major A (the Golub–Kahan–Reinsch method).
//
// Shapes: work with m >= n (a wide A is transposed: Aᵀ = V S Uᵀ, and U, V swap roles).
//
// 0. Tall inputs (m >= 1.6·n, n >= 8; wide ones after the transpose): QR first, as LAPACK sgesdd
//    does: A = Q R (blocked Householder QR, compact WY, GEMM-bound), steps 1–4 on the n×n R
//    (R = Ur S Vᵀ), then U = Q [Ur; 0] (thin) or Q [Ur 0; 0 I] (full) by blocked reflectors over
//    trimnet::gemm. Steps 1–3 then never touch the whole tall matrix. (See svd_qr below.)
//
// 1. Householder bidiagonalisation (float32, two fused passes per step; rows split across a
//    thread team for large matrices):
//      A = Q B Pᵀ,  B upper bidiagonal n×n with diagonal d[0..n-1], superdiagonal e[0..n-2],
//      Q = H_0 H_1 … H_{n-1},  H_k = I − τq_k v_k v_kᵀ  (v_k zero above row k, v_k[k] = 1),
//      P = G_0 G_1 … G_{n-2},  G_k = I − τp_k u_k u_kᵀ  (u_k zero above k+1,  u_k[k+1] = 1).
//    Step k: H_k from column k; w = v_kᵀ A (pass); A −= τq v wᵀ and, in the same pass over each
//    row i, y_i = A[i,:]·u_k once row k has given G_k; then A −= τp y u_kᵀ fused with the
//    next step's w = v_{k+1}ᵀ A. The v's are stored below the diagonal, the u's right of the
//    superdiagonal (LAPACK's sgebrd layout). Dot products accumulate in float (16 partial sums); the
//    norms that build each reflector are in double.
//    For n >= BRD_MIN_N the same factorisation is computed blocked, as LAPACK sgebrd does (section
//    1b): panels of 16 reflector pairs whose level-2 part only reads the trailing matrix, once
//    per step, and a trimnet::gemm for the trailing update (half of the flops); the code above
//    finishes the last BRD_NX columns, and is the plain version (TRIMNET_SVD_LEVEL2=1 forces it).
// 2. SVD of B in double: implicit-shift QR (Golub–Reinsch: Golub–Kahan steps with the shift
//    from the trailing 2×2 of BᵀB, splitting where a superdiagonal entry is negligible, and
//    the left rotations that chase away a negligible diagonal entry). B = Ub Σ Vbᵀ.
//    Only Vb is accumulated by rotations (splitting at double epsilon); then Ub = B Vb Σ⁻¹,
//    O(n) per column since B is bidiagonal. That is accurate because the iteration is backward
//    stable (B Vb = Ub Σ + E, ‖E‖ ~ eps_f64·‖B‖, so u_i is off by ‖E‖/σ_i): the columns with
//    σ_i < 1e-6·σmax are instead completed to an orthonormal basis (Gram–Schmidt, twice). When
//    more than max(8, n/16) columns are that small (rank-deficient input) the iteration is rerun
//    accumulating both Ub and Vb by rotations (splitting at 1e-10·‖B‖, far below float32
//    resolution); products of rotations are orthogonal whatever the singular values are.
//    The rotations are recorded and applied in batches (2¹⁵) to Vbᵀ (and Ubᵀ) (n×n, double,
//    slab-major copies: 32 columns of every row contiguous), one slab at a time with the row
//    shared by consecutive rotations kept in registers, in scaled ("fast Givens") form (two
//    FMAs per element instead of four) and in wavefront order (a batch's sweeps advance
//    together over an L1-sized band of rows). Worker threads apply batch b while the caller's thread
//    runs the (serial) iteration that produces batch b + 1 (RotationPipeline). ~4n³ flops (8n³
//    with Ub): the dominant cost for square inputs.
// 3. Back-transformation: U = Q [Ub; 0] (thin) or Q [Ub 0; 0 I] (full), V = P Vb. Each
//    reflector is applied as X −= τ v (vᵀ X), one fused pass per reflector (the update of
//    reflector k and the vᵀX of reflector k−1 share the pass); columns of X are split across
//    threads, which then need no synchronisation. Large X: blocks of 32 reflectors in compact WY
//    form, X −= V (T (Vᵀ X)) by trimnet::gemm (apply_reflectors_blocked).
// 4. S sorted descending (columns of U and V permuted with it); negative d's were made
//    positive by flipping the matching column of Vb.
//
// Large matrices get blocked (GEMM-rich) forms of steps 1 and 3; the fused level-2 passes stay
// for small ones and as the plain versions. Hot loops are plain C++ compiled for baseline x86-64,
// AVX2+FMA and AVX-512 and picked at run time (cpu_isa).
//
// Accuracy: backward stable; singular values to about eps_f32·σmax·small(n) absolutely; UᵀU, VᵀV
// orthogonal to about eps_f32·√n. The plain reference this is checked against is the one-sided
// Jacobi SVD in float64 of the `js` backend (src/backend/svd-js.ts).
//
// Cost: bidiagonalisation 4mn² − 4n³/3 flops (half GEMM when blocked), bidiagonal QR ≈ 6n³
// flops for the rotations (the dominant term for square inputs), back-transformation
// ≈ 4mn·p − 2n²p + 4n³/3 flops.
#include "svd.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <mutex>
#include <condition_variable>
#include <numeric>
#include <stdexcept>
#include <thread>
#include <vector>

#include "gemm.h"
#include "thread_pool.h"

// The hot loops are plain C++ that the compiler vectorises; they are compiled three times (x86-64
// baseline, AVX2+FMA, AVX-512) with the target attributes of isa.h and the best one the CPU
// supports is picked once at run time (cpu_isa). (ISA flags only: an arch= there changes the
// tuning and then nothing inlines. Generic tuning splits *unaligned* 256-bit loads/stores, so
// the rotation kernel works on aligned slabs.)
#include "isa.h"
#ifdef TRIMNET_X86_DISPATCH
#include <immintrin.h>
#endif

#ifdef TRIMNET_SVD_PROFILE
#include <ctime>
#include <cstdio>
inline double prof_now(clockid_t clock = CLOCK_PROCESS_CPUTIME_ID) {
  timespec t;
  clock_gettime(clock, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}
#define PROF_START double prof_t0 = prof_now(), prof_w0 = prof_now(CLOCK_MONOTONIC)
#define PROF(name)                                                                                      \
  do {                                                                                                  \
    double prof_t1 = prof_now(), prof_w1 = prof_now(CLOCK_MONOTONIC);                                   \
    std::fprintf(stderr, "  %-8s cpu %.4f s  wall %.4f s\n", name, prof_t1 - prof_t0, prof_w1 - prof_w0); \
    prof_t0 = prof_t1;                                                                                  \
    prof_w0 = prof_w1;                                                                                  \
  } while (0)
#else
#define PROF_START
#define PROF(name)
#endif

namespace trimnet {
namespace {

// TRIMNET_SVD_LEVEL2=1 keeps the fused level-2 bidiagonalisation and back-transformation (the
// plain versions, for comparisons).
const bool g_force_level2 = [] {
  const char* e = std::getenv("TRIMNET_SVD_LEVEL2");
  return e && e[0] == '1';
}();

template <typename F>
void parallel_for(int nthreads, F&& fn) {
  if (nthreads <= 1) {
    fn(0, 1);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(nthreads - 1);
  for (int t = 1; t < nthreads; t++) pool.emplace_back([&fn, t, nthreads] { fn(t, nthreads); });
  fn(0, nthreads);
  for (auto& th : pool) th.join();
}

// ---- small vector helpers (written so the compiler vectorises them) --------------------------

TRIMNET_INLINE float dot(const float* a, const float* b, int64_t n) {
  float acc[16] = {0};
  int64_t j = 0;
  for (; j + 16 <= n; j += 16)
    for (int t = 0; t < 16; t++) acc[t] += a[j + t] * b[j + t];
  float s = 0;
  for (; j < n; j++) s += a[j] * b[j];
  for (int t = 0; t < 16; t++) s += acc[t];
  return s;
}

TRIMNET_INLINE void axpy(float alpha, const float* x, float* y, int64_t n) {
  for (int64_t j = 0; j < n; j++) y[j] += alpha * x[j];
}

// y -= alpha * x, then returns y · u (same n)
TRIMNET_INLINE float axpy_dot(float alpha, const float* x, float* y, const float* u, int64_t n) {
  float acc[16] = {0};
  int64_t j = 0;
  for (; j + 16 <= n; j += 16)
    for (int t = 0; t < 16; t++) {
      float val = y[j + t] - alpha * x[j + t];
      y[j + t] = val;
      acc[t] += val * u[j + t];
    }
  float s = 0;
  for (; j < n; j++) {
    float val = y[j] - alpha * x[j];
    y[j] = val;
    s += val * u[j];
  }
  for (int t = 0; t < 16; t++) s += acc[t];
  return s;
}

// y -= alpha * x, then w += beta * y (same n)
TRIMNET_INLINE void axpy_axpy(float alpha, const float* x, float* y, float beta, float* w, int64_t n) {
  for (int64_t j = 0; j < n; j++) {
    float val = y[j] - alpha * x[j];
    y[j] = val;
    w[j] += beta * val;
  }
}

// Householder reflector (LAPACK slarfg): given alpha and x[0..len), finds beta, tau, v with
// (I − τ v vᵀ)(alpha; x) = (beta; 0), v = (1; x / (alpha − beta)). x is overwritten by v's
// tail; returns tau, *alpha becomes beta. Works with a strided x.
float householder(float* alpha, float* x, int64_t len, int64_t stride) {
  double xnorm2 = 0;
  for (int64_t i = 0; i < len; i++) xnorm2 += double(x[i * stride]) * x[i * stride];
  if (xnorm2 == 0) return 0.f;
  double a = *alpha;
  double beta = -std::copysign(std::sqrt(a * a + xnorm2), a);
  double tau = (beta - a) / beta;
  double scale = 1.0 / (a - beta);
  for (int64_t i = 0; i < len; i++) x[i * stride] = float(x[i * stride] * scale);
  *alpha = float(beta);
  return float(tau);
}

// ---- 1. bidiagonalisation --------------------------------------------------------------------

struct Bidiag {
  std::vector<double> d, e;
  std::vector<float> tauq, taup;
};

TRIMNET_INLINE void bidiagonalize_body(float* A, int64_t m, int64_t n, Bidiag& B) {
  const int64_t lda = n;
  B.d.assign(n, 0);
  B.e.assign(n > 1 ? n - 1 : 0, 0);
  B.tauq.assign(n, 0);
  B.taup.assign(n, 0);
  std::vector<float> w(n), wn(n), y(m), vcol(m);
  auto at = [&](int64_t i, int64_t j) -> float& { return A[i * lda + j]; };

  // H_0 from column 0, then w = v_0ᵀ A[:, 1:].
  auto make_left = [&](int64_t k) {
    B.tauq[k] = householder(&at(k, k), &at(std::min(k + 1, m - 1), k), m - k - 1, lda);
    B.d[k] = at(k, k);
    vcol[k] = 1.f;
    for (int64_t i = k + 1; i < m; i++) vcol[i] = at(i, k);
  };
  make_left(0);
  std::fill(w.begin(), w.end(), 0.f);
  for (int64_t i = 0; i < m; i++) axpy(vcol[i], &at(i, 1), &w[1], n - 1);

  for (int64_t k = 0; k + 1 < n; k++) {
    const float tq = B.tauq[k];
    const int64_t c0 = k + 1, nc = n - c0;  // trailing columns
    // Row k gets H_k, then gives G_k.
    axpy(-tq, &w[c0], &at(k, c0), nc);
    B.taup[k] = householder(&at(k, c0), &at(k, std::min(c0 + 1, n - 1)), nc - 1, 1);
    B.e[k] = at(k, c0);
    const float tp = B.taup[k];
    float* u = &at(k, c0);  // u[0] is implicitly 1: keep the stored beta aside
    const float beta_e = u[0];
    u[0] = 1.f;
    // Pass 1: rows i > k get H_k and y_i = A[i, c0:] · u.
    for (int64_t i = k + 1; i < m; i++) y[i] = axpy_dot(tq * vcol[i], &w[c0], &at(i, c0), u, nc);
    // Column c0 after G_k, then H_{k+1} from it.
    for (int64_t i = k + 1; i < m; i++) at(i, c0) -= tp * y[i];
    make_left(k + 1);
    // Pass 2: rows i > k get G_k on columns > c0 and accumulate w = v_{k+1}ᵀ A[:, c0+1:].
    const int64_t c1 = c0 + 1, nc1 = n - c1;
    std::fill(wn.begin(), wn.end(), 0.f);
    if (nc1 > 0)
      for (int64_t i = k + 1; i < m; i++) axpy_axpy(tp * y[i], u + 1, &at(i, c1), vcol[i], &wn[c1], nc1);
    u[0] = beta_e;
    std::swap(w, wn);
  }
}

// The same bidiagonalisation with the two passes of each step split by rows across a team of
// threads (the O(m + n) serial parts — reflector generation, the column update, the sum of the
// per-thread partial w's — run on thread 0 between barriers). Four barriers per step, so it is
// only used for large matrices.
struct SpinBarrier {
  explicit SpinBarrier(int n) : n_(n) {}
  void wait() {
    const int g = gen_.load(std::memory_order_acquire);
    if (count_.fetch_add(1, std::memory_order_acq_rel) == n_ - 1) {
      count_.store(0, std::memory_order_relaxed);
      gen_.fetch_add(1, std::memory_order_acq_rel);
      return;
    }
    // Spin briefly (the partner is usually microseconds away), then give the core away: on an
    // oversubscribed machine the partner may be waiting for this very core.
    for (int spins = 0; gen_.load(std::memory_order_acquire) == g; spins++)
      if (spins > 256) std::this_thread::yield();
  }

 private:
  const int n_;
  std::atomic<int> count_{0};
  std::atomic<int> gen_{0};
};

struct BidiagTeam {
  float* A;
  int64_t m, n;
  Bidiag* B;
  int T;
  std::vector<float> w, y, vcol;
  std::vector<std::vector<float>> wpart;
  float beta_e = 0;
  SpinBarrier barrier;
  BidiagTeam(float* a, int64_t m_, int64_t n_, Bidiag* b, int t)
      : A(a), m(m_), n(n_), B(b), T(t), w(n_), y(m_), vcol(m_), wpart(t, std::vector<float>(n_)), barrier(t) {}
};

TRIMNET_INLINE void bidiag_team_body(BidiagTeam& S, int t) {
  float* const A = S.A;
  const int64_t m = S.m, n = S.n, lda = n;
  Bidiag& B = *S.B;
  float* const w = S.w.data();
  float* const y = S.y.data();
  float* const vcol = S.vcol.data();
  float* const wp = S.wpart[t].data();
  auto at = [&](int64_t i, int64_t j) -> float& { return A[i * lda + j]; };
  for (int64_t k = 0; k + 1 < n; k++) {
    const int64_t c0 = k + 1, nc = n - c0, c1 = c0 + 1, nc1 = n - c1;
    if (t == 0) {
      axpy(-B.tauq[k], &w[c0], &at(k, c0), nc);
      B.taup[k] = householder(&at(k, c0), &at(k, std::min(c0 + 1, n - 1)), nc - 1, 1);
      B.e[k] = at(k, c0);
      S.beta_e = at(k, c0);
      at(k, c0) = 1.f;
    }
    S.barrier.wait();
    const float tq = B.tauq[k], tp = B.taup[k];
    const float* u = &at(k, c0);
    const int64_t lo = c0 + (m - c0) * t / S.T, hi = c0 + (m - c0) * (t + 1) / S.T;
    for (int64_t i = lo; i < hi; i++) y[i] = axpy_dot(tq * vcol[i], &w[c0], &at(i, c0), u, nc);
    S.barrier.wait();
    if (t == 0) {
      for (int64_t i = c0; i < m; i++) at(i, c0) -= tp * y[i];
      B.tauq[c0] = householder(&at(c0, c0), &at(std::min(c0 + 1, m - 1), c0), m - c0 - 1, lda);
      B.d[c0] = at(c0, c0);
      vcol[c0] = 1.f;
      for (int64_t i = c0 + 1; i < m; i++) vcol[i] = at(i, c0);
    }
    S.barrier.wait();
    if (nc1 > 0) {
      std::fill(wp + c1, wp + n, 0.f);
      for (int64_t i = lo; i < hi; i++) axpy_axpy(tp * y[i], u + 1, &at(i, c1), vcol[i], wp + c1, nc1);
    }
    S.barrier.wait();
    if (t == 0) {
      at(k, c0) = S.beta_e;
      for (int64_t j = c1; j < n; j++) {
        float sum = 0;
        for (int q = 0; q < S.T; q++) sum += S.wpart[q][j];
        w[j] = sum;
      }
    }
  }
}

#ifdef TRIMNET_X86_DISPATCH
TRIMNET_TARGET_AVX2 void bidiagonalize_avx2(float* A, int64_t m, int64_t n, Bidiag& B) { bidiagonalize_body(A, m, n, B); }
TRIMNET_TARGET_AVX512 void bidiagonalize_avx512(float* A, int64_t m, int64_t n, Bidiag& B) { bidiagonalize_body(A, m, n, B); }
TRIMNET_TARGET_AVX2 void bidiag_team_avx2(BidiagTeam& S, int t) { bidiag_team_body(S, t); }
TRIMNET_TARGET_AVX512 void bidiag_team_avx512(BidiagTeam& S, int t) { bidiag_team_body(S, t); }
#endif

void bidiag_team(BidiagTeam& S, int t) {
#ifdef TRIMNET_X86_DISPATCH
  switch (cpu_isa()) {
    case Isa::avx512: return bidiag_team_avx512(S, t);
    case Isa::avx2: return bidiag_team_avx2(S, t);
    default: break;
  }
#endif
  bidiag_team_body(S, t);
}

// Serial for small matrices; a thread team when each pass has enough rows per thread to pay
// for the barriers.
void bidiagonalize_level2(float* A, int64_t m, int64_t n, Bidiag& B, int nthreads) {
  const int T = int(std::min<int64_t>(nthreads, std::max<int64_t>(1, m / 128)));
  if (T <= 1 || m * n < (int64_t(1) << 18) || n < 2) {
#ifdef TRIMNET_X86_DISPATCH
    switch (cpu_isa()) {
      case Isa::avx512: return bidiagonalize_avx512(A, m, n, B);
      case Isa::avx2: return bidiagonalize_avx2(A, m, n, B);
      default: break;
    }
#endif
    return bidiagonalize_body(A, m, n, B);
  }
  B.d.assign(n, 0);
  B.e.assign(n - 1, 0);
  B.tauq.assign(n, 0);
  B.taup.assign(n, 0);
  BidiagTeam S(A, m, n, &B, T);
  // H_0 and w = v_0ᵀ A[:, 1:] on this thread, then the team.
  B.tauq[0] = householder(&A[0], &A[std::min<int64_t>(1, m - 1) * n], m - 1, n);
  B.d[0] = A[0];
  S.vcol[0] = 1.f;
  for (int64_t i = 1; i < m; i++) S.vcol[i] = A[i * n];
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 1; j < n; j++) S.w[j] += S.vcol[i] * A[i * n + j];
  parallel_for(T, [&](int t, int) { bidiag_team(S, t); });
}

// ---- 1b. blocked bidiagonalisation (LAPACK sgebrd + slabrd) ------------------------------------
//
// For large matrices the same A = Q B Pᵀ (same reflectors, same storage, same d, e, τ's) in
// panels of NB columns/rows. Panel k0 builds the reflector pairs of steps i = k0 … k0+NB−1 with
// the level-2 recurrences of slabrd, which leave the trailing matrix A22 = A[k0+NB:, k0+NB:]
// untouched and build instead
//   X (m × NB): column j = τp_i · Â u_i    (rows > i)
//   Y (n × NB): column j = τq_i · Âᵀ v_i   (cols > i)
// (Â: A with the panel's earlier reflectors applied); then one trimnet::gemm with k = 2·NB
//   A22 ← A22 − V Yᵀ − X Uᵀ      (V: the panel's v's, U: its u's)
// leaves what the unblocked steps would have left. Step j (i = k0 + j), with the pending updates
// applied on the fly (V, Y, X, U: the panel's first j vectors):
//   a. column i (rows >= i) holds A[:, i] − V Y[i, :]ᵀ − X U[:, i]  → H_i (τq_i, d_i)
//   b. y = A[i:, i+1:]ᵀ v_i (A as at the panel's start), [t1 | t2] = [V | X][i:, :]ᵀ v_i;
//      Y[:, j] = τq_i (y − Y t1 − Uᵀ t2)   (cols > i)
//   c. row i (cols > i) −= Y[:, :j+1] A[i, k0:i+1]ᵀ + Uᵀ X[i, :]ᵀ  → G_i (τp_i, e_i)
//   d. X[r, j] = τp_i (A[r, i+1:]·u_i − [V | X][r]·[s1 | s2]), s1 = Y[i+1:, :j+1]ᵀ u_i,
//      s2 = U[:, i+1:] u_i   (rows > i)
// Steps a and b of the next step share d's pass over the rows: once row r has X[r, j], column
// i+1 gets its pending update c_r (step a), its square goes to the norm for H_{i+1}, and, with
// the row still in L1, the sums of step b are accumulated with the unscaled c_r as weights
// (v_{i+1} = scale · c below the diagonal and 1 on it, so y = scale · Σ c_r A[r, i+2:] + A[i+1, i+2:]).
// So the trailing matrix is read once per step (the unblocked method reads and writes it twice)
// and half of the flops are in the GEMM. The first step of a panel has its own pass b (column
// k0 comes from the GEMM). While a panel is open A[i][i] and A[i][i+1] hold the unit entries of
// v_i and u_i; d and e are written back after the GEMM. The GEMM takes dense operands and A22
// is not dense, so it updates whole rows A[k0+NB:, 0:n] with Yᵀ and U zero left of column
// k0+NB (adding −0 leaves those entries exact; ~1.5x the flops of the trailing block alone).
//
// Threads: a team on the persistent pool (two spin barriers per step). The row passes and the
// GEMM are split into K row chunks (K = the planned team size), each with its own partial sums
// that thread 0 adds in chunk order, so the result does not depend on how many threads actually
// ran (the pool gives the caller alone when another call holds it). Each chunk's GEMM runs on one
// core. Thread 0 does step c (O(n·NB) per step); every thread forms H_{i+1} itself from the
// per-chunk partial norms (the same numbers summed in the same order, so all agree), which saves
// a barrier. As in LAPACK the last columns (BRD_NX) go to the unblocked code (the level-2
// bidiagonalisation above, on a dense copy of the trailing block).
//
// Cost: as the unblocked method, 4mn² − 4n³/3 flops.

constexpr int64_t BRD_NB = 16;  // a multiple of 16 (W's segments are rounded up to 16 entries)

// y += v0 a0 + v1 a1 + v2 a2 + v3 a3 (one read-modify-write of y for four rows).
TRIMNET_INLINE void axpy4(const float* v, const float* a0, const float* a1, const float* a2, const float* a3,
                          float* y, int64_t n) {
  const float v0 = v[0], v1 = v[1], v2 = v[2], v3 = v[3];
  for (int64_t j = 0; j < n; j++) y[j] += v0 * a0[j] + v1 * a1[j] + v2 * a2[j] + v3 * a3[j];
}

// out[q] = a_q · u (n entries) + b_q[0:n1] · w[0:n1] + b_q[o2:o2+n2] · w[o2:o2+n2] (n1, n2 multiples of 16)
// for four rows: u and w are loaded once for the four rows; four independent sums of 16 lanes.
TRIMNET_INLINE void dot4x3(const float* const* a, const float* u, int64_t n, const float* const* b, const float* w,
                           int64_t n1, int64_t o2, int64_t n2, float* out) {
  float s0[16] = {0}, s1[16] = {0}, s2[16] = {0}, s3[16] = {0};
  int64_t j = 0;
  for (; j + 16 <= n; j += 16)
    for (int t = 0; t < 16; t++) {
      const float x = u[j + t];
      s0[t] += a[0][j + t] * x;
      s1[t] += a[1][j + t] * x;
      s2[t] += a[2][j + t] * x;
      s3[t] += a[3][j + t] * x;
    }
  for (int seg = 0; seg < 2; seg++) {
    const int64_t k0 = seg ? o2 : 0, k1 = k0 + (seg ? n2 : n1);
    for (int64_t k = k0; k < k1; k += 16)
      for (int t = 0; t < 16; t++) {
        const float x = w[k + t];
        s0[t] += b[0][k + t] * x;
        s1[t] += b[1][k + t] * x;
        s2[t] += b[2][k + t] * x;
        s3[t] += b[3][k + t] * x;
      }
  }
  float r0 = 0, r1 = 0, r2 = 0, r3 = 0;
  for (; j < n; j++) {
    r0 += a[0][j] * u[j];
    r1 += a[1][j] * u[j];
    r2 += a[2][j] * u[j];
    r3 += a[3][j] * u[j];
  }
  for (int t = 0; t < 16; t++) {
    r0 += s0[t];
    r1 += s1[t];
    r2 += s2[t];
    r3 += s3[t];
  }
  out[0] = r0, out[1] = r1, out[2] = r2, out[3] = r3;
}

// Step c of the blocked bidiagonalisation, column by column c < len (all arrays start at column
// i+1; Zt row p = Y[:, p]ᵀ and Ut row p = u_p, both with row stride ld):
//   yj[c] = τq (y[c] − Σ_{p<j} Zt[p][c] t1[p] − Σ_{p<j} Ut[p][c] t2[p])        (Y's new column)
//   u[c] −= Σ_{p<j} Zt[p][c] ai[p] + yj[c] ai[j] + Σ_{p<j} Ut[p][c] xi[p]      (row i's pending update)
// (Zt and Ut are loaded once for both.)
// (GCC/Clang vector extension: 16 floats, lowered to zmm, 2 ymm or 4 xmm per ISA variant.)
typedef float vf16 __attribute__((vector_size(64), aligned(4), may_alias));

TRIMNET_INLINE void brd_row_step(const float* Zt, const float* Ut, int64_t ld, int64_t j, const float* y,
                                 const float* t1, const float* t2, float tauq, const float* ai, const float* xi,
                                 float* yj, float* u, int64_t len) {
  int64_t c = 0;
  for (; c + 16 <= len; c += 16) {
    vf16 ay = *reinterpret_cast<const vf16*>(y + c), au = *reinterpret_cast<const vf16*>(u + c);
    for (int64_t p = 0; p < j; p++) {
      const vf16 zp = *reinterpret_cast<const vf16*>(Zt + p * ld + c);
      const vf16 up = *reinterpret_cast<const vf16*>(Ut + p * ld + c);
      ay -= zp * t1[p] + up * t2[p];
      au -= zp * ai[p] + up * xi[p];
    }
    const vf16 yv = tauq * ay;
    *reinterpret_cast<vf16*>(yj + c) = yv;
    *reinterpret_cast<vf16*>(u + c) = au - yv * ai[j];
  }
  for (; c < len; c++) {
    float ay = y[c], au = u[c];
    for (int64_t p = 0; p < j; p++) {
      const float zp = Zt[p * ld + c], up = Ut[p * ld + c];
      ay -= zp * t1[p] + up * t2[p];
      au -= zp * ai[p] + up * xi[p];
    }
    const float yv = tauq * ay;
    yj[c] = yv;
    u[c] = au - yv * ai[j];
  }
}

// householder() for a contiguous x = u[1..len) with alpha = u[0], the norm² summed in 8 double
// lanes (vectorised; householder() sums in one).
TRIMNET_INLINE float householder_row(float* u, int64_t len) {
  double acc[8] = {0};
  int64_t k = 1;
  for (; k + 8 <= len; k += 8)
    for (int t = 0; t < 8; t++) acc[t] += double(u[k + t]) * u[k + t];
  double xnorm2 = 0;
  for (; k < len; k++) xnorm2 += double(u[k]) * u[k];
  for (int t = 0; t < 8; t++) xnorm2 += acc[t];
  if (xnorm2 == 0) return 0.f;
  const double a = u[0];
  const double beta = -std::copysign(std::sqrt(a * a + xnorm2), a);
  const double tau = (beta - a) / beta;
  const double scale = 1.0 / (a - beta);
  for (k = 1; k < len; k++) u[k] = float(u[k] * scale);
  u[0] = float(beta);
  return float(tau);
}

struct BlockedBidiag {
  float* A;
  int64_t m, n, kend;  // panels k0 = 0, NB, … < kend
  Bidiag* B;
  int T;  // threads in the team: K, or 1 when the pool was busy
  int K;  // row chunks, each with its own partial sums (summed in chunk order: the result does not
          // depend on which thread did which chunk, nor on T)
  std::vector<float> Z;       // 2NB × n: rows 0..NB−1 = Yᵀ (Y[c][j] = Z[j·n + c]); rows NB.. = U for the GEMM
  std::vector<float> W;       // m × 2NB: row r = [V[r, 0:NB] | X[r, 0:NB]] (the panel's v's and x's)
  std::vector<float> ypart;   // K × n partial y's
  std::vector<float> wpart;   // K × 2NB partial W[i:, :]ᵀ v_i
  std::vector<double> npart;  // K × 8 partial norms² (one cache line each)
  // Pass 2's vectors, 2NB each, zero past the entries that count (W's entries there are finite):
  alignas(64) float sx[2 * BRD_NB];  // [−s1 | −s2]: X[r, j] = τp (A[r, i+1:]·u + W[r]·sx)
  alignas(64) float sc[2 * BRD_NB];  // [Y[i+1, :] | U[:, i+1]]: column i+1 −= W[r]·sc
  float next_alpha = 0;  // the diagonal entry of the next column, from the chunk that updated it
  std::atomic<bool> failed{false};
  SpinBarrier team_barrier, solo_barrier{1};
  SpinBarrier* barrier = &team_barrier;  // solo_barrier when the pool was busy (T = 1)
  BlockedBidiag(float* a, int64_t m_, int64_t n_, int64_t kend_, Bidiag* b, int t)
      : A(a), m(m_), n(n_), kend(kend_), B(b), T(t), K(t), Z(2 * BRD_NB * n_), W(m_ * 2 * BRD_NB), ypart(t * n_),
        wpart(t * 2 * BRD_NB), npart(t * 8), team_barrier(t) {}
};

TRIMNET_INLINE void brd_team_body(BlockedBidiag& S, int t) {
  constexpr int64_t NB = BRD_NB, LW = 2 * BRD_NB;
  float* const A = S.A;
  const int64_t m = S.m, n = S.n, T = S.T, K = S.K;
  Bidiag& B = *S.B;
  float* const Z = S.Z.data();
  float* const W = S.W.data();
  // Rows [r0, r1) in K chunks: chunk ch is [part(r0, r1, ch), part(r0, r1, ch + 1)); this thread
  // takes chunks t, t+T, … (plain loops below, not lambdas: a lambda would not inherit this
  // function's ISA target).
  auto part = [K](int64_t r0, int64_t r1, int64_t ch) { return r0 + (r1 - r0) * ch / K; };
  // Each thread's GEMM workspace is allocated here, where a failure can still be reported (the
  // team must not throw: a thread that left would leave the others waiting at a barrier).
  try {
    float a1[16 * LW] = {}, b1[LW * 64] = {}, c1[16 * 64];
    GemmParams g;
    g.m = 16, g.n = 64, g.k = LW, g.a = a1, g.b = b1, g.c = c1, g.threads = 1;
    gemm(g);
  } catch (...) {
    S.failed.store(true);
  }
  // Column 0: partial norms² below the diagonal, and its diagonal entry.
  for (int64_t ch = t; ch < K; ch += T) {
    const int64_t lo = part(0, m, ch), hi = part(0, m, ch + 1);
    double nrm = 0;
    for (int64_t r = std::max<int64_t>(lo, 1); r < hi; r++) nrm += double(A[r * n]) * A[r * n];
    S.npart[ch * 8] = nrm;
    if (lo == 0 && hi > 0) S.next_alpha = A[0];
  }
  S.barrier->wait();
  if (S.failed.load()) return;
  for (int64_t k0 = 0; k0 < S.kend; k0 += NB) {
    // a. H_i from the per-chunk partial norms² of column i below the diagonal and its diagonal
    //    entry (every thread; thread 0 records it). v_i = scale · column i below the diagonal.
    double scale = 1;
    float tauq = 0;
    auto make_left = [&](int64_t i) {
      double xn2 = 0;
      for (int64_t q = 0; q < K; q++) xn2 += S.npart[q * 8];
      const double alpha = S.next_alpha;
      double tq = 0, beta = alpha;
      scale = 1;
      if (xn2 != 0) {
        beta = -std::copysign(std::sqrt(alpha * alpha + xn2), alpha);
        tq = (beta - alpha) / beta;
        scale = 1.0 / (alpha - beta);
      }
      tauq = float(tq);
      if (t == 0) {
        B.tauq[i] = tauq;
        B.d[i] = float(beta);
      }
    };
    make_left(k0);
    // b. The panel's first step on its own (column k0 comes from the GEMM): pass 1 over own rows
    //    >= k0: v scaled in place and into W[:, 0]; yp = Σ v_r A[r, k0+1:].
    for (int64_t ch = t; ch < K; ch += T) {
      const int64_t lo = part(k0, m, ch), hi = part(k0, m, ch + 1);
      float* const yp = S.ypart.data() + ch * n;
      std::fill(yp + k0 + 1, yp + n, 0.f);
      std::fill(S.wpart.data() + ch * LW, S.wpart.data() + (ch + 1) * LW, 0.f);
      for (int64_t g = lo; g < hi; g += 4) {
        float v[4] = {0, 0, 0, 0};
        const float* rows[4];
        for (int q = 0; q < 4; q++) {
          const int64_t r = std::min(g + q, hi - 1);  // past the end: a zero weight on the last row
          float* ar = A + r * n;
          rows[q] = ar + k0 + 1;
          if (g + q >= hi) continue;
          if (r == k0) v[q] = ar[k0] = 1.f;
          else v[q] = ar[k0] = float(ar[k0] * scale);
          W[r * LW] = v[q];
        }
        axpy4(v, rows[0], rows[1], rows[2], rows[3], yp + k0 + 1, n - k0 - 1);
      }
    }
    S.barrier->wait();
    for (int64_t j = 0; j < NB; j++) {
      const int64_t i = k0 + j, len = n - i - 1;
      float* const u = A + i * n + i + 1;
      // c. Y[:, j], then row i and G_i (thread 0).
      if (t == 0) {
        float* const y = S.ypart.data();  // chunk 0's partials become the sums
        float* const tw = S.wpart.data();
        for (int64_t q = 1; q < K; q++) {
          axpy(1.f, S.ypart.data() + q * n + i + 1, y + i + 1, len);
          axpy(1.f, S.wpart.data() + q * LW, tw, LW);
        }
        if (j > 0) {
          // The previous step's pass summed c_r A[r, i+1:] and c_r W[r] over rows r > i, c_r the
          // unscaled column i; v_i = scale · c_r there and v_i[i] = 1.
          A[i * n + i] = 1.f;
          W[i * LW + j] = 1.f;
          const float sc = float(scale), *ai = A + i * n, *wi = W + i * LW;
          for (int64_t c = i + 1; c < n; c++) y[c] = sc * y[c] + ai[c];
          for (int64_t p = 0; p < LW; p++) tw[p] = sc * tw[p] + wi[p];
        }
        const float* t1 = tw;       // V[i:, :j]ᵀ v_i
        const float* t2 = tw + NB;  // X[i:, :j]ᵀ v_i
        const float* ai = A + i * n + k0;  // v's entries in row i (ai[j] = 1)
        const float* xi = W + i * LW + NB;
        brd_row_step(Z + i + 1, A + k0 * n + i + 1, n, j, y + i + 1, t1, t2, tauq, ai, xi, Z + j * n + i + 1, u, len);
        B.taup[i] = householder_row(u, len);
        B.e[i] = u[0];
        u[0] = 1.f;
        // sx = −[Y[i+1:, :j+1]ᵀ u | U[:j, i+1:] u], sc = [Y[i+1, :j+1] | U[:j+1, i+1]], zero-padded.
        for (int64_t p = 0; p < NB; p += 4) {
          const float* zr[4] = {Z + p * n + i + 1, Z + (p + 1) * n + i + 1, Z + (p + 2) * n + i + 1,
                                Z + (p + 3) * n + i + 1};
          const float* ur[4] = {A + (k0 + p) * n + i + 1, A + (k0 + p + 1) * n + i + 1, A + (k0 + p + 2) * n + i + 1,
                                A + (k0 + p + 3) * n + i + 1};
          float dz[4] = {0, 0, 0, 0}, du[4] = {0, 0, 0, 0};
          if (p <= j) dot4x3(zr, u, len, zr, u, 0, 0, 0, dz);
          if (p < j) dot4x3(ur, u, len, ur, u, 0, 0, 0, du);
          for (int q = 0; q < 4; q++) {
            S.sx[p + q] = p + q <= j ? -dz[q] : 0.f;
            S.sx[NB + p + q] = p + q < j ? -du[q] : 0.f;
            S.sc[p + q] = p + q <= j ? zr[q][0] : 0.f;
            S.sc[NB + p + q] = p + q <= j ? ur[q][0] : 0.f;
          }
        }
      }
      S.barrier->wait();
      // d. One pass over own rows r > i: v_i[r] = scale · A[r, i] (stored); X[r, j]; then
      //    column i+1's pending update c_r, its partial norm², and (fused, while the row is in
      //    L1) the next step's pass-1 sums Σ c_r A[r, i+2:] and Σ c_r W[r] (rows r > i+1).
      {
        const float taup = B.taup[i];
        const bool next = j + 1 < NB;
        // W's entries that count: V[:, 0:j+1] and X[:, 0:j] (x_j is being made), rounded up to 16;
        // for the next step's sums V[:, 0:j+1] and X[:, 0:j+1].
        const int64_t jv = (j + 1 + 15) / 16 * 16, jx = (j + 15) / 16 * 16;
        for (int64_t ch = t; ch < K; ch += T) {
          const int64_t lo = part(i + 1, m, ch), hi = part(i + 1, m, ch + 1);
        float* const yp = S.ypart.data() + ch * n;
        float* const wp = S.wpart.data() + ch * LW;
        if (next) {
          std::fill(yp + i + 2, yp + n, 0.f);
          std::fill(wp, wp + LW, 0.f);
        }
        double nrm = 0;
        for (int64_t g = lo; g < hi; g += 4) {
          const int64_t cnt = std::min<int64_t>(4, hi - g);
          const float* rows[4];
          const float* wr[4];
          for (int64_t q = 0; q < 4; q++) {
            const int64_t r = g + std::min(q, cnt - 1);
            rows[q] = A + r * n + i + 1;
            wr[q] = W + r * LW;
            if (j > 0 && q < cnt) W[r * LW + j] = A[r * n + i] = float(A[r * n + i] * scale);
          }
          float x4[4], c4[4], wc[4] = {0, 0, 0, 0};
          dot4x3(rows, u, len, wr, S.sx, jv, NB, jx, x4);
          for (int64_t q = 0; q < cnt; q++) W[(g + q) * LW + NB + j] = taup * x4[q];
          if (!next) continue;
          dot4x3(rows, u, 0, wr, S.sc, jv, NB, jv, c4);
          for (int64_t q = 0; q < cnt; q++) {
            const int64_t r = g + q;
            const float c = A[r * n + i + 1] - c4[q];
            A[r * n + i + 1] = c;
            if (r == i + 1) {
              S.next_alpha = c;
            } else {
              nrm += double(c) * c;
              wc[q] = c;
            }
          }
          axpy4(wc, rows[0] + 1, rows[1] + 1, rows[2] + 1, rows[3] + 1, yp + i + 2, len - 1);
          axpy4(wc, wr[0], wr[1], wr[2], wr[3], wp, jv);
          axpy4(wc, wr[0] + NB, wr[1] + NB, wr[2] + NB, wr[3] + NB, wp + NB, jv);
        }
        S.npart[ch * 8] = nrm;
        }
      }
      if (j + 1 < NB) {
        S.barrier->wait();
        make_left(i + 1);
      }
    }
    // The trailing update A[r0:, :] −= [V X] [Yᵀ; U] (zero left of column r0).
    const int64_t r0 = k0 + NB;
    if (t == 0) {
      for (int64_t p = 0; p < NB; p++) {
        std::fill(Z + p * n, Z + p * n + r0, 0.f);
        float* zu = Z + (NB + p) * n;
        std::fill(zu, zu + r0, 0.f);
        std::copy(A + (k0 + p) * n + r0, A + (k0 + p) * n + n, zu + r0);  // u_{NB−1}[r0] = 1 (unit entry)
      }
    }
    S.barrier->wait();
    for (int64_t ch = t; ch < K; ch += T) {
      const int64_t lo = part(r0, m, ch), hi = part(r0, m, ch + 1);
      if (hi > lo) {
        GemmParams g;
        g.m = hi - lo, g.n = n, g.k = LW, g.a = W + lo * LW, g.b = Z, g.c = A + lo * n;
        g.alpha = -1.f, g.beta = 1.f, g.threads = 1;
        gemm(g);
      }
      double nrm = 0;
      for (int64_t r = std::max(lo, r0 + 1); r < hi; r++) nrm += double(A[r * n + r0]) * A[r * n + r0];
      S.npart[ch * 8] = nrm;
      if (lo == r0 && hi > lo) S.next_alpha = A[r0 * n + r0];
    }
    if (t == 0)
      for (int64_t i = k0; i < r0; i++) {
        A[i * n + i] = float(B.d[i]);
        A[i * n + i + 1] = float(B.e[i]);
      }
    S.barrier->wait();
  }
}

#ifdef TRIMNET_X86_DISPATCH
TRIMNET_TARGET_AVX2 void brd_team_avx2(BlockedBidiag& S, int t) { brd_team_body(S, t); }
TRIMNET_TARGET_AVX512 void brd_team_avx512(BlockedBidiag& S, int t) { brd_team_body(S, t); }
#endif

void brd_team(BlockedBidiag& S, int t) {
#ifdef TRIMNET_X86_DISPATCH
  switch (cpu_isa()) {
    case Isa::avx512: return brd_team_avx512(S, t);
    case Isa::avx2: return brd_team_avx2(S, t);
    default: break;
  }
#endif
  brd_team_body(S, t);
}

// Below BRD_MIN_N columns the level-2 code alone; above, panels until BRD_NX columns are left.
// (Measured on 2 threads, quiet machine, min of 15–21 runs, level-2 vs blocked: 192² 0.6 vs
// 0.5 ms, 224² 0.9 vs 0.6, 256² 1.4 vs 0.9, 768² 17.8 vs 11.2; NX 64, 96 and 128 equal. Panels of
// 16 beat 32, 48 and 64 up to 768² (768²: 10.8, 11.9, 13.2, 17.3 ms); at 1024² 16 and 32 are close.)
constexpr int64_t BRD_MIN_N = 192, BRD_NX = 96;

void bidiagonalize(float* A, int64_t m, int64_t n, Bidiag& B, int nthreads) {
  if (n < BRD_MIN_N || g_force_level2) return bidiagonalize_level2(A, m, n, B, nthreads);
  const int64_t kend = (n - BRD_NX) / BRD_NB * BRD_NB;
  B.d.assign(n, 0);
  B.e.assign(n - 1, 0);
  B.tauq.assign(n, 0);
  B.taup.assign(n, 0);
  // The blocked steps form products of two matrix entries (Y and the fused pass's sums), which
  // overflow or underflow in float for large or tiny inputs (|a| ~ 1e20 or 1e-20), where the
  // level-2 code only forms entry × reflector entry. So A is scaled by a power of two (exact) to
  // max |a| in [1, 2) first, as LAPACK's drivers do; the reflectors do not change with the scale,
  // d and e are scaled back at the end (exact).
  float amax = 0;
  for (int64_t k = 0; k < m * n; k++) amax = std::max(amax, std::fabs(A[k]));
  const int e2 = amax > 0 ? std::ilogb(amax) : 0;
  if (e2 != 0)
    for (int64_t k = 0; k < m * n; k++) A[k] = std::scalbn(A[k], -e2);
  const int T = int(std::min<int64_t>(std::max(1, nthreads), std::max<int64_t>(1, m / 96)));
  {
    BlockedBidiag S(A, m, n, kend, &B, T);
    // On the persistent pool (a fresh std::thread per call would also get a fresh GEMM workspace,
    // page faults included, every time). The pool runs the task on T threads, or on the caller
    // alone (nt = 1) when another call holds it; a worker that joins always joins before the
    // caller's task can return (the team meets at barriers), so the run is never cut short.
    pool_run(T, [](void* ctx, int t, int nt) {
      auto& st = *static_cast<BlockedBidiag*>(ctx);
      if (nt != st.T) {  // the pool was busy: the caller alone
        st.T = 1;
        st.barrier = &st.solo_barrier;
      }
      brd_team(st, t);
    }, &S);
    if (S.failed.load()) throw std::bad_alloc();
  }
  // The trailing (m − kend) × (n − kend) block by the level-2 code, on a dense copy.
  const int64_t mt = m - kend, nt = n - kend;
  std::vector<float> C(mt * nt);
  for (int64_t r = 0; r < mt; r++) std::copy(A + (kend + r) * n + kend, A + (kend + r) * n + n, &C[r * nt]);
  Bidiag Bt;
  bidiagonalize_level2(C.data(), mt, nt, Bt, nthreads);
  for (int64_t r = 0; r < mt; r++) std::copy(&C[r * nt], &C[r * nt] + nt, A + (kend + r) * n + kend);
  std::copy(Bt.d.begin(), Bt.d.end(), B.d.begin() + kend);
  std::copy(Bt.e.begin(), Bt.e.end(), B.e.begin() + kend);
  std::copy(Bt.tauq.begin(), Bt.tauq.end(), B.tauq.begin() + kend);
  std::copy(Bt.taup.begin(), Bt.taup.end(), B.taup.begin() + kend);
  if (e2 != 0) {
    for (double& x : B.d) x = std::scalbn(x, e2);
    for (double& x : B.e) x = std::scalbn(x, e2);
  }
}

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
constexpr int ROT_SLAB = 32;

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
struct AlignedDoubles {
  std::vector<double> store;
  double* p;
  explicit AlignedDoubles(int64_t count) : store(size_t(count) + 8, 0.0) {
    auto addr = reinterpret_cast<uintptr_t>(store.data());
    p = store.data() + ((64 - addr % 64) % 64) / sizeof(double);
  }
};

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
// time. submit() first finishes the previous batch, the caller taking slabs from it too (a
// shared counter), then hands the new one to the nthreads − 1 workers (started on the first
// submit, kept until the pipeline is destroyed) and returns. The slabs of both matrices form
// one list.
class RotationPipeline {
 public:
  RotationPipeline(SlabMatrix* U, SlabMatrix* V, int nthreads) : U_(U), V_(V), nthreads_(std::max(1, nthreads)) {}
  RotationPipeline(const RotationPipeline&) = delete;
  RotationPipeline& operator=(const RotationPipeline&) = delete;
  ~RotationPipeline() {
    finish();
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
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
    if (nthreads_ == 1 || work < (int64_t(1) << 20)) {
      finish();  // small: the caller alone
      return;
    }
    while (int(workers_.size()) < nthreads_ - 1) workers_.emplace_back([this] { work_loop(); });
    {
      std::lock_guard<std::mutex> lk(mu_);
      job_ = cur_.get();
      ++generation_;
      busy_ = int(workers_.size());
    }
    wake_.notify_all();
  }

  // Waits for the current batch, taking part in it.
  void finish() {
    if (!cur_) return;
    run(*cur_);
    {
      std::unique_lock<std::mutex> lk(mu_);
      if (job_ == cur_.get()) done_.wait(lk, [this] { return busy_ == 0; });
      job_ = nullptr;
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
  // A worker: each generation (batch) once, then report.
  void work_loop() {
    uint64_t seen = 0;
    for (;;) {
      Batch* b;
      {
        std::unique_lock<std::mutex> lk(mu_);
        wake_.wait(lk, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        b = job_;
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
  std::unique_ptr<Batch> cur_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  Batch* job_ = nullptr;  // the batch the workers are on (guarded by mu_)
  uint64_t generation_ = 0;
  int busy_ = 0;  // workers not yet done with job_
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
  int64_t nrot = 0;
  std::vector<Rot> ru, rvv;
  // Batches small enough that the workers start early (about 8 per SVD), at most 2^15.
  const size_t batch = size_t(std::clamp<int64_t>(n * n / 8, 4096, int64_t(1) << 15));
  // The rotations work on slab-major copies of Ut and Vt (copied back at the end).
  std::unique_ptr<SlabMatrix> U_slabs, V_slabs = std::make_unique<SlabMatrix>(Vt, n, ld);
  if (want_u) U_slabs = std::make_unique<SlabMatrix>(Ut, n, ld);
  RotationPipeline pipeline(U_slabs.get(), V_slabs.get(), nthreads);
  auto flush = [&] {
    pipeline.submit(ru, rvv);
    ru.reserve(want_u ? batch + 2 * size_t(n) : 0);
    rvv.reserve(batch + 2 * size_t(n));
  };
  flush();
  std::vector<char> flip(n, 0);
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
      if (ru.size() + rvv.size() >= batch) {
        nrot += ru.size() + rvv.size();
        flush();
      }
    }
  }
  nrot += ru.size() + rvv.size();
  flush();
  pipeline.finish();
  V_slabs->copy_to(Vt);
  if (want_u) U_slabs->copy_to(Ut);
#ifdef TRIMNET_SVD_PROFILE
  std::fprintf(stderr, "  rotations %lld = %.2f n^2\n", (long long)nrot, double(nrot) / (double(n) * n));
#endif
  for (int64_t k = 0; k < n; k++)
    if (flip[k])
      for (int64_t q = 0; q < n; q++) Vt[k * ld + q] = -Vt[k * ld + q];
}

// ---- 3. back-transformation ------------------------------------------------------------------

// Columns [j0, j1) of X (rows × ldx) ← R_0 R_1 … R_{count−1} X, reflector r acting on rows
// r + shift … rows−1 with I − τ_r v_r v_rᵀ (vs[r][0] = 1). From the last reflector to the first,
// one fused pass each: the update by R_r and w = v_{r−1}ᵀ X share the pass.
TRIMNET_INLINE void reflect_columns_body(float* X, int64_t rows, int64_t ldx, int64_t j0, int64_t j1, int64_t count, int64_t shift,
                     const float* tau, const std::vector<std::vector<float>>& vs) {
  const int64_t nc = j1 - j0;
  if (nc <= 0) return;
  std::vector<float> w(nc), wn(nc);
  auto row = [&](int64_t i) { return X + i * ldx + j0; };
  int64_t r = count - 1;
  while (r >= 0 && r + shift >= rows) r--;
  if (r < 0) return;
  for (int64_t i = r + shift; i < rows; i++) axpy(vs[r][i - r - shift], row(i), w.data(), nc);
  for (; r >= 0; r--) {
    const int64_t s = r + shift;
    const float t_r = tau[r];
    const float* v = vs[r].data();
    if (r > 0) {
      const float* vn = vs[r - 1].data();  // starts one row earlier
      std::fill(wn.begin(), wn.end(), 0.f);
      axpy(vn[0], row(s - 1), wn.data(), nc);
      for (int64_t i = s; i < rows; i++) axpy_axpy(t_r * v[i - s], w.data(), row(i), vn[i - s + 1], wn.data(), nc);
      std::swap(w, wn);
    } else {
      for (int64_t i = s; i < rows; i++) axpy(-t_r * v[i - s], w.data(), row(i), nc);
    }
  }
}

using RefArgs = const std::vector<std::vector<float>>;
#ifdef TRIMNET_X86_DISPATCH
TRIMNET_TARGET_AVX2 void reflect_columns_avx2(float* X, int64_t rows, int64_t ldx, int64_t j0, int64_t j1, int64_t count,
                                              int64_t shift, const float* tau, RefArgs& vs) {
  reflect_columns_body(X, rows, ldx, j0, j1, count, shift, tau, vs);
}
TRIMNET_TARGET_AVX512 void reflect_columns_avx512(float* X, int64_t rows, int64_t ldx, int64_t j0, int64_t j1,
                                                  int64_t count, int64_t shift, const float* tau, RefArgs& vs) {
  reflect_columns_body(X, rows, ldx, j0, j1, count, shift, tau, vs);
}
#endif

void reflect_columns(float* X, int64_t rows, int64_t ldx, int64_t j0, int64_t j1, int64_t count, int64_t shift,
                     const float* tau, RefArgs& vs) {
#ifdef TRIMNET_X86_DISPATCH
  switch (cpu_isa()) {
    case Isa::avx512: return reflect_columns_avx512(X, rows, ldx, j0, j1, count, shift, tau, vs);
    case Isa::avx2: return reflect_columns_avx2(X, rows, ldx, j0, j1, count, shift, tau, vs);
    default: break;
  }
#endif
  reflect_columns_body(X, rows, ldx, j0, j1, count, shift, tau, vs);
}

// Blocked (WY) form for large X (rows × cols, dense): reflectors in blocks of NB from the last
// block to the first; a block is R_{r0} … R_{r0+nb−1} = I − V T Vᵀ (LAPACK slarft, forward:
// T upper triangular, T[j][j] = τ_j, T[0:j, j] = −τ_j T[0:j, 0:j] V[:, 0:j]ᵀ v_j), applied as
// X −= V (T (Vᵀ X)) with three trimnet::gemm calls (threaded by the GEMM). V (R × nb, row q =
// entries of X row s0+q) is read straight from A's storage; VᵀV for T is a GEMM too (float, as in
// the QR path's block_reflector), then T's recurrence runs in double on the nb × nb matrix.
void apply_reflectors_blocked(float* X, int64_t rows, int64_t cols, int64_t count, int64_t shift, const float* tau,
                              const float* A, int64_t lda, bool left) {
  constexpr int64_t NB = 32;
  std::vector<float> Vm, W, W2, G(NB * NB), Tf(NB * NB);
  std::vector<double> T(NB * NB);
  for (int64_t r0 = (count - 1) / NB * NB; r0 >= 0; r0 -= NB) {
    const int64_t nb = std::min(NB, count - r0), s0 = r0 + shift;
    if (s0 >= rows) continue;
    const int64_t R = rows - s0;
    // Vm[q][j] = v_{r0+j}[q − j] (zero above the unit entry at q = j).
    Vm.assign(R * nb, 0.f);
    for (int64_t j = 0; j < nb && j < R; j++) Vm[j * nb + j] = 1.f;
    if (left) {  // v_r below the diagonal of column r: Vm row q = A row r0+q, columns r0 … r0+q−1
      for (int64_t q = 1; q < R; q++)
        std::copy(A + (r0 + q) * lda + r0, A + (r0 + q) * lda + r0 + std::min(q, nb), &Vm[q * nb]);
    } else {  // v_r right of the superdiagonal of row r: Vm[q][j] = A[r0+j][r0+1+q] for q > j
      for (int64_t j = 0; j < nb; j++) {
        const float* src = A + (r0 + j) * lda + r0 + 1;
        for (int64_t q = j + 1; q < R; q++) Vm[q * nb + j] = src[q];
      }
    }
    GemmParams gg;
    gg.m = nb, gg.n = nb, gg.k = R, gg.a = Vm.data(), gg.trans_a = true, gg.b = Vm.data(), gg.c = G.data();
    gemm(gg);  // G = Vᵀ V
    std::fill(T.begin(), T.end(), 0.0);
    for (int64_t j = 0; j < nb; j++) {
      const double tj = (s0 + j < rows) ? tau[r0 + j] : 0.0;
      T[j * nb + j] = tj;
      for (int64_t p = 0; p < j; p++) {
        double acc = 0;
        for (int64_t q = p; q < j; q++) acc += T[p * nb + q] * G[q * nb + j];
        T[p * nb + j] = -tj * acc;
      }
    }
    for (int64_t p = 0; p < nb * nb; p++) Tf[p] = float(T[p]);
    float* Xs = X + s0 * cols;
    W.resize(nb * cols);
    W2.resize(nb * cols);
    GemmParams g;
    g.m = nb, g.n = cols, g.k = R, g.a = Vm.data(), g.trans_a = true, g.b = Xs, g.c = W.data();
    gemm(g);  // W = Vᵀ X
    GemmParams g2;
    g2.m = nb, g2.n = cols, g2.k = nb, g2.a = Tf.data(), g2.b = W.data(), g2.c = W2.data();
    gemm(g2);  // W2 = T W
    GemmParams g3;
    g3.m = R, g3.n = cols, g3.k = nb, g3.a = Vm.data(), g3.b = W2.data(), g3.c = Xs, g3.alpha = -1.f, g3.beta = 1.f;
    gemm(g3);  // X −= V W2
  }
}

// X (rows × ldx, columns [0, cols)) ← R_0 … R_{count−1} X. Reflector r: v = (1; vec(r, 1..)),
// from A's storage (left: column r below the diagonal; right: row r right of the superdiagonal).
// Large dense X: the blocked WY form over the GEMM; otherwise fused level-2 passes.
void apply_reflectors(float* X, int64_t rows, int64_t ldx, int64_t cols, int64_t count, int64_t shift,
                      const float* tau, const float* A, int64_t lda, bool left, int nthreads) {
  if (count <= 0 || cols == 0) return;
  if (ldx == cols && rows >= 128 && cols >= 64 && count >= 64 && !g_force_level2) {
    apply_reflectors_blocked(X, rows, cols, count, shift, tau, A, lda, left);
    return;
  }
  std::vector<std::vector<float>> vs(count);
  for (int64_t r = 0; r < count; r++) {
    int64_t s = r + shift, len = rows - s;
    vs[r].resize(std::max<int64_t>(len, 0));
    if (len > 0) vs[r][0] = 1.f;
    for (int64_t i = 1; i < len; i++) vs[r][i] = left ? A[(r + i) * lda + r] : A[r * lda + r + 1 + i];
  }
  int nt = int(std::min<int64_t>(nthreads, std::max<int64_t>(1, cols / 16)));
  if (rows * cols * count < (int64_t(1) << 18)) nt = 1;
  parallel_for(nt, [&](int t, int T) {
    reflect_columns(X, rows, ldx, cols * t / T, cols * (t + 1) / T, count, shift, tau, vs);
  });
}

// A zeroed, 64-byte-aligned double buffer.

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

// m >= n. A (m×n) is overwritten. U: m×(full ? m : n), V: n×n.
void svd_tall(float* A, int64_t m, int64_t n, bool full, float* U, float* S, float* V) {
  const int64_t pu = full ? m : n;
  const int nthreads = std::max(1, num_threads());
  std::fill(U, U + m * pu, 0.f);
  if (n == 0) {
    for (int64_t i = 0; i < pu && i < m; i++) U[i * pu + i] = 1.f;
    return;
  }
  PROF_START;
  Bidiag B;
  bidiagonalize(A, m, n, B, nthreads);
  PROF("bidiag");
  // Leading dimension: a multiple of the slab width, but never of 64 doubles (a power-of-two row
  // stride maps every row of a slab to the same L1 sets: 10x slower at n = 1024).
  int64_t ld = (n + ROT_SLAB - 1) / ROT_SLAB * ROT_SLAB;
  if (ld % 64 == 0) ld += ROT_SLAB;
  AlignedDoubles ubuf(n * ld), vbuf(n * ld);
  double* Ut = ubuf.p;
  double* Vt = vbuf.p;
  // V by rotations (splitting at double epsilon), U from V — half the rotation work; if the
  // input is too rank-deficient for that, both by rotations (splitting at 1e-10·‖B‖, far below
  // float32 resolution).
  const std::vector<double> d0 = B.d;
  for (int64_t i = 0; i < n; i++) Vt[i * ld + i] = 1;
  bidiagonal_qr(B.d, B.e, nullptr, Vt, n, ld, nthreads, 4 * std::numeric_limits<double>::epsilon());
  PROF("qr(V)");
  if (!left_from_right(d0, B.e, B.d, Vt, Ut, n, ld)) {
    B.d = d0;
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = 0; j < ld; j++) Ut[i * ld + j] = Vt[i * ld + j] = (i == j ? 1.0 : 0.0);
    bidiagonal_qr(B.d, B.e, Ut, Vt, n, ld, nthreads, 1e-10);
  }
  PROF("bdsqr");
  std::vector<int64_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  std::stable_sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) { return B.d[a] > B.d[b]; });
  for (int64_t r = 0; r < n; r++) S[r] = float(B.d[perm[r]]);
  // U[:, r] = Ut[perm[r], :], V likewise: 8 columns at a time, so the stores are 32-byte runs.
  for (int64_t r0 = 0; r0 < n; r0 += 8) {
    const int64_t nr = std::min<int64_t>(8, n - r0);
    for (int64_t i = 0; i < n; i++)
      for (int64_t q = 0; q < nr; q++) {
        U[i * pu + r0 + q] = float(Ut[perm[r0 + q] * ld + i]);
        V[i * n + r0 + q] = float(Vt[perm[r0 + q] * ld + i]);
      }
  }
  for (int64_t i = n; i < pu; i++) U[i * pu + i] = 1.f;
  // U = H_0 … H_{n−1} U;  V = G_0 … G_{n−2} V.
  PROF("sort");
  apply_reflectors(U, m, pu, pu, n, 0, B.tauq.data(), A, n, true, nthreads);
  PROF("applyQ");
  apply_reflectors(V, n, n, n, n - 1, 1, B.taup.data(), A, n, false, nthreads);
  PROF("applyP");
}


// ---- 0. QR first for tall matrices (m >= 1.6·n) ----------------------------------------------
//
// Like LAPACK sgesdd's "m much larger than n" path: A = Q R (blocked Householder QR), R = Ur S Vᵀ
// (svd_tall on the n×n R), U = Q [Ur; 0] (thin) or Q [Ur 0; 0 I] (full). The bidiagonalisation
// (level 2, memory-bound over the whole m×n matrix) then only sees the n×n R; the QR and the
// formation of U are GEMM-bound.
//
// The QR works on Ac = Aᵀ (n×m row-major: row j is column j of A, so a column reflector acts on
// contiguous rows). Block k0 (NB columns): the panel is factored with level-2 passes
// (H_j = I − τ_j v_j v_jᵀ, v_j = (0…0, 1, Ac[j, j+1:]), reflector tail stored over Ac[j, j+1:],
// R[j][j] in Ac[j][j]); the block H_{k0} … H_{k0+nb−1} = I − V T Vᵀ (T upper triangular, LAPACK
// slarft forward); the trailing columns get Qᵀ: Acᵀ ← (I − V Tᵀ Vᵀ) Acᵀ, i.e.
//   Ac[j1:, :] −= ((Ac[j1:, :] V) T) Vᵀ
// with V as an nb×m zero-padded row block (three trimnet::gemm calls; the padding wastes
// k0/m of the flops but keeps every operand dense).

constexpr int64_t QR_NB = 64;

TRIMNET_INLINE void qr_panel_body(float* Ac, int64_t m, int64_t k0, int64_t nb, float* tau) {
  for (int64_t j = k0; j < k0 + nb; j++) {
    float* v = Ac + j * m + j;  // v[0] is the diagonal entry, v[1..] the column below it
    const int64_t len = m - j;
    tau[j] = len > 1 ? householder(&v[0], &v[1], len - 1, 1) : 0.f;
    if (tau[j] == 0) continue;
    const float beta = v[0];
    v[0] = 1.f;
    for (int64_t r = j + 1; r < k0 + nb; r++) {
      float* x = Ac + r * m + j;
      const float w = dot(v, x, len);
      axpy(-tau[j] * w, v, x, len);
    }
    v[0] = beta;
  }
}

#ifdef TRIMNET_X86_DISPATCH
TRIMNET_TARGET_AVX2 void qr_panel_avx2(float* Ac, int64_t m, int64_t k0, int64_t nb, float* tau) {
  qr_panel_body(Ac, m, k0, nb, tau);
}
TRIMNET_TARGET_AVX512 void qr_panel_avx512(float* Ac, int64_t m, int64_t k0, int64_t nb, float* tau) {
  qr_panel_body(Ac, m, k0, nb, tau);
}
#endif

void qr_panel(float* Ac, int64_t m, int64_t k0, int64_t nb, float* tau) {
#ifdef TRIMNET_X86_DISPATCH
  switch (cpu_isa()) {
    case Isa::avx512: return qr_panel_avx512(Ac, m, k0, nb, tau);
    case Isa::avx2: return qr_panel_avx2(Ac, m, k0, nb, tau);
    default: break;
  }
#endif
  qr_panel_body(Ac, m, k0, nb, tau);
}

// The block reflector of reflectors k0 … k0+nb−1 of Ac, as rows [c0, m) only: Vr (nb × (m−c0),
// row p = v_{k0+p}, zero left of its unit entry) and T (nb×nb, upper; slarft forward:
// T[j][j] = τ_j, T[0:j, j] = −τ_j T[0:j, 0:j] (V[:, 0:j]ᵀ v_j)), so that
// H_{k0} … H_{k0+nb−1} = I − V T Vᵀ.
void block_reflector(const float* Ac, int64_t m, int64_t k0, int64_t nb, int64_t c0, const float* tau,
                     std::vector<float>& Vr, std::vector<float>& T) {
  const int64_t R = m - c0;
  Vr.assign(nb * R, 0.f);
  for (int64_t p = 0; p < nb; p++) {
    const int64_t j = k0 + p;
    float* row = Vr.data() + p * R;
    row[j - c0] = 1.f;
    std::copy(Ac + j * m + j + 1, Ac + j * m + m, row + (j - c0) + 1);
  }
  std::vector<float> G(nb * nb);
  GemmParams g;
  g.m = nb, g.n = nb, g.k = R, g.a = Vr.data(), g.b = Vr.data(), g.trans_b = true, g.c = G.data();
  gemm(g);  // G = Vᵀ V
  std::vector<double> Td(nb * nb, 0.0);
  for (int64_t j = 0; j < nb; j++) {
    const double tj = tau[k0 + j];
    Td[j * nb + j] = tj;
    for (int64_t p = 0; p < j; p++) {
      double acc = 0;
      for (int64_t q = p; q < j; q++) acc += Td[p * nb + q] * G[q * nb + j];
      Td[p * nb + j] = -tj * acc;
    }
  }
  T.resize(nb * nb);
  for (int64_t i = 0; i < nb * nb; i++) T[i] = float(Td[i]);
}

// Ac (n×m, = Aᵀ) ← the Householder QR of A (m×n, m >= n) in place, tau[n].
void qr_factor(float* Ac, int64_t m, int64_t n, float* tau) {
  std::vector<float> Vr, T, W, W2;
  for (int64_t k0 = 0; k0 < n; k0 += QR_NB) {
    const int64_t nb = std::min(QR_NB, n - k0), j1 = k0 + nb, nc = n - j1;
    qr_panel(Ac, m, k0, nb, tau);
    if (nc == 0) break;
    block_reflector(Ac, m, k0, nb, 0, tau, Vr, T);
    W.resize(nc * nb);
    W2.resize(nc * nb);
    GemmParams g1;  // W = Ac[j1:, :] V
    g1.m = nc, g1.n = nb, g1.k = m, g1.a = Ac + j1 * m, g1.b = Vr.data(), g1.trans_b = true, g1.c = W.data();
    gemm(g1);
    GemmParams g2;  // W2 = W T
    g2.m = nc, g2.n = nb, g2.k = nb, g2.a = W.data(), g2.b = T.data(), g2.c = W2.data();
    gemm(g2);
    GemmParams g3;  // Ac[j1:, :] −= W2 Vᵀ
    g3.m = nc, g3.n = m, g3.k = nb, g3.a = W2.data(), g3.b = Vr.data(), g3.c = Ac + j1 * m, g3.alpha = -1.f,
    g3.beta = 1.f;
    gemm(g3);
  }
}

// X (m × cols, dense) ← Q X = H_0 … H_{n−1} X, the reflectors from qr_factor; blocks from the last
// to the first, each X[s0:, :] −= Vᵀ... i.e. X −= V (T (Vᵀ X)) on rows s0 … m−1.
void apply_q(const float* Ac, int64_t m, int64_t n, const float* tau, float* X, int64_t cols) {
  std::vector<float> Vr, T, W, W2;
  for (int64_t k0 = (n - 1) / QR_NB * QR_NB; k0 >= 0; k0 -= QR_NB) {
    const int64_t nb = std::min(QR_NB, n - k0), R = m - k0;
    block_reflector(Ac, m, k0, nb, k0, tau, Vr, T);
    float* Xs = X + k0 * cols;
    W.resize(nb * cols);
    W2.resize(nb * cols);
    GemmParams g1;  // W = Vᵀ X
    g1.m = nb, g1.n = cols, g1.k = R, g1.a = Vr.data(), g1.b = Xs, g1.c = W.data();
    gemm(g1);
    GemmParams g2;  // W2 = T W
    g2.m = nb, g2.n = cols, g2.k = nb, g2.a = T.data(), g2.b = W.data(), g2.c = W2.data();
    gemm(g2);
    GemmParams g3;  // X −= V W2
    g3.m = R, g3.n = cols, g3.k = nb, g3.a = Vr.data(), g3.trans_a = true, g3.b = W2.data(), g3.c = Xs,
    g3.alpha = -1.f, g3.beta = 1.f;
    gemm(g3);
  }
}

// The tall matrix A (m×n, m >= n) given as Ac = Aᵀ (n×m, overwritten). U: m×(full ? m : n), V: n×n.
void svd_qr(float* Ac, int64_t m, int64_t n, bool full, float* U, float* S, float* V) {
  const int64_t pu = full ? m : n;
  PROF_START;
  std::vector<float> tau(n);
  qr_factor(Ac, m, n, tau.data());
  PROF("qr");
  std::vector<float> R(n * n, 0.f), Ur(n * n);
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = i; j < n; j++) R[i * n + j] = Ac[j * m + i];
  svd_tall(R.data(), n, n, false, Ur.data(), S, V);
  PROF("svd(R)");
  std::fill(U, U + m * pu, 0.f);
  for (int64_t i = 0; i < n; i++) std::copy(&Ur[i * n], &Ur[i * n] + n, U + i * pu);
  for (int64_t i = n; i < pu; i++) U[i * pu + i] = 1.f;
  apply_q(Ac, m, n, tau.data(), U, pu);
  PROF("formU");
}

// Whether the QR-first path pays (LAPACK's crossover is m >= ~1.6 n).
bool use_qr_first(int64_t m, int64_t n) { return n >= 8 && m * 5 >= n * 8; }

}  // namespace

void svd(const float* a, int64_t m, int64_t n, bool full, float* u, float* s, float* v) {
  if (m < 0 || n < 0) throw std::invalid_argument("svd: negative size");
  for (int64_t i = 0; i < m * n; i++)
    if (!std::isfinite(a[i])) throw std::invalid_argument("svd: the matrix has a NaN or Infinity entry");
  if (use_qr_first(std::max(m, n), std::min(m, n))) {
    // The tall matrix as its transpose: for m >= n that is aᵀ; for a wide a (Aᵀ = V S Uᵀ,
    // roles swapped) the tall matrix is aᵀ and its transpose is a itself.
    std::vector<float> Ac(m * n);
    if (m >= n) {
      for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) Ac[j * m + i] = a[i * n + j];
      svd_qr(Ac.data(), m, n, full, u, s, v);
    } else {
      std::copy(a, a + m * n, Ac.data());
      svd_qr(Ac.data(), n, m, full, v, s, u);
    }
  } else if (m >= n) {
    std::vector<float> A(a, a + m * n);
    svd_tall(A.data(), m, n, full, u, s, v);
  } else {
    // Aᵀ (n×m) = V S Uᵀ: its "U" is our V (n×·) and its "V" our U (m×m).
    std::vector<float> At(n * m);
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) At[j * m + i] = a[i * n + j];
    svd_tall(At.data(), n, m, full, v, s, u);
  }
}

}  // namespace trimnet
