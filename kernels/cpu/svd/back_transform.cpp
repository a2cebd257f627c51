// Step 3 of the CPU SVD (driver.cpp): U = Q [Ub; 0], V = P Vb — the reflectors applied by fused
// level-2 passes (columns split across threads) or, for large X, in compact WY blocks over the GEMM.
#include <vector>

#include "gemm.h"
#include "svd/common.h"
#include "svd/parallel.h"

namespace trimnet {
namespace svd_detail {

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
  // nt column chunks (fixed boundaries), each on whichever pool thread takes it.
  for_chunks(nt, [&](int c) { reflect_columns(X, rows, ldx, cols * c / nt, cols * (c + 1) / nt, count, shift, tau, vs); });
}

}  // namespace svd_detail
}  // namespace trimnet
