// Step 1b of the CPU SVD (driver.cpp): the blocked bidiagonalisation (LAPACK sgebrd + slabrd)
// for n >= BRD_MIN_N, on a thread team on the persistent pool.
#include <new>
#include <vector>

#include "gemm.h"
#include "svd/common.h"
#include "thread_pool.h"

namespace trimnet {
namespace svd_detail {

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
  if (e2 != 0) {
    // a·2^−e2 rounded once to float, as scalbn gives it (the product is exact in double, whose
    // range holds 2^−e2 for any float), but a multiply the compiler vectorises, not a libm call
    // per entry (5 % of a 256² SVD).
    const double f = std::ldexp(1.0, -e2);
    for (int64_t k = 0; k < m * n; k++) A[k] = static_cast<float>(static_cast<double>(A[k]) * f);
  }
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

}  // namespace svd_detail
}  // namespace trimnet
