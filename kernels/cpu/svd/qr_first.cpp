// Step 0 of the CPU SVD (driver.cpp): for tall inputs (m >= 1.6·n) a blocked Householder QR
// first, then the SVD of the n×n R, as LAPACK's sgesdd does.
#include <vector>

#include "gemm.h"
#include "svd/common.h"

namespace trimnet {
namespace svd_detail {

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
  std::vector<float> tau(n);
  qr_factor(Ac, m, n, tau.data());
  std::vector<float> R(n * n, 0.f), Ur(n * n);
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = i; j < n; j++) R[i * n + j] = Ac[j * m + i];
  svd_tall(R.data(), n, n, false, Ur.data(), S, V);
  std::fill(U, U + m * pu, 0.f);
  for (int64_t i = 0; i < n; i++) std::copy(&Ur[i * n], &Ur[i * n] + n, U + i * pu);
  for (int64_t i = n; i < pu; i++) U[i * pu + i] = 1.f;
  apply_q(Ac, m, n, tau.data(), U, pu);
}

// Whether the QR-first path pays (LAPACK's crossover is m >= ~1.6 n).
bool use_qr_first(int64_t m, int64_t n) { return n >= 8 && m * 5 >= n * 8; }

}  // namespace svd_detail
}  // namespace trimnet
