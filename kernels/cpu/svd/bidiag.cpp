// Step 1 of the CPU SVD (driver.cpp): Householder bidiagonalisation A = Q B Pᵀ with fused
// level-2 passes — serial, or with the rows of each pass split across a thread team for large
// matrices. The plain version; bidiag_blocked.cpp is the blocked one for n >= BRD_MIN_N.
#include <vector>

#include "svd/common.h"
#include "thread_pool.h"

namespace trimnet {
namespace svd_detail {

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
// threads on the persistent pool (the O(m + n) serial parts — reflector generation, the column
// update, the sum of the partial w's — run on thread 0 between barriers). Four barriers per
// step, so it is only used for large matrices. The rows are split into K chunks, each with its
// own partial w (summed in chunk order), so the result does not depend on how many threads ran:
// K when the pool is free, the caller alone when another call holds it.
struct BidiagTeam {
  float* A;
  int64_t m, n;
  Bidiag* B;
  int T;  // threads in the team: K, or 1 when the pool was busy
  int K;  // row chunks
  std::vector<float> w, y, vcol;
  std::vector<std::vector<float>> wpart;  // per chunk
  float beta_e = 0;
  SpinBarrier team_barrier, solo_barrier{1};
  SpinBarrier* barrier = &team_barrier;
  BidiagTeam(float* a, int64_t m_, int64_t n_, Bidiag* b, int k)
      : A(a), m(m_), n(n_), B(b), T(k), K(k), w(n_), y(m_), vcol(m_), wpart(k, std::vector<float>(n_)), team_barrier(k) {}
};

TRIMNET_INLINE void bidiag_team_body(BidiagTeam& S, int t) {
  float* const A = S.A;
  const int64_t m = S.m, n = S.n, lda = n;
  Bidiag& B = *S.B;
  float* const w = S.w.data();
  float* const y = S.y.data();
  float* const vcol = S.vcol.data();
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
    S.barrier->wait();
    const float tq = B.tauq[k], tp = B.taup[k];
    const float* u = &at(k, c0);
    // Chunk ch: rows [lo(ch), lo(ch + 1)); this thread takes chunks t, t + T, …
    auto lo = [&](int64_t ch) { return c0 + (m - c0) * ch / S.K; };
    for (int ch = t; ch < S.K; ch += S.T)
      for (int64_t i = lo(ch); i < lo(ch + 1); i++) y[i] = axpy_dot(tq * vcol[i], &w[c0], &at(i, c0), u, nc);
    S.barrier->wait();
    if (t == 0) {
      for (int64_t i = c0; i < m; i++) at(i, c0) -= tp * y[i];
      B.tauq[c0] = householder(&at(c0, c0), &at(std::min(c0 + 1, m - 1), c0), m - c0 - 1, lda);
      B.d[c0] = at(c0, c0);
      vcol[c0] = 1.f;
      for (int64_t i = c0 + 1; i < m; i++) vcol[i] = at(i, c0);
    }
    S.barrier->wait();
    if (nc1 > 0)
      for (int ch = t; ch < S.K; ch += S.T) {
        float* const wp = S.wpart[ch].data();
        std::fill(wp + c1, wp + n, 0.f);
        for (int64_t i = lo(ch); i < lo(ch + 1); i++) axpy_axpy(tp * y[i], u + 1, &at(i, c1), vcol[i], wp + c1, nc1);
      }
    S.barrier->wait();
    if (t == 0) {
      at(k, c0) = S.beta_e;
      for (int64_t j = c1; j < n; j++) {
        float sum = 0;
        for (int q = 0; q < S.K; q++) sum += S.wpart[q][j];
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
  pool_run(T, [](void* ctx, int t, int nt) {
    auto& st = *static_cast<BidiagTeam*>(ctx);
    if (nt != st.T) {  // the pool was busy: the caller alone, all chunks
      st.T = 1;
      st.barrier = &st.solo_barrier;
    }
    bidiag_team(st, t);
  }, &S);
}

}  // namespace svd_detail
}  // namespace trimnet
