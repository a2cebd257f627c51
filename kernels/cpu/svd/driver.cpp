// CPU SVD: A[m×n] = U diag(S) Vᵀ for float32 row-major A (the Golub–Kahan–Reinsch method).
//
// Shapes: work with m >= n (a wide A is transposed: Aᵀ = V S Uᵀ, and U, V swap roles).
//
// 0. Tall inputs (m >= 1.6·n, n >= 8; wide ones after the transpose): QR first, as LAPACK sgesdd
//    does: A = Q R (blocked Householder QR, compact WY, GEMM-bound), steps 1–4 on the n×n R
//    (R = Ur S Vᵀ), then U = Q [Ur; 0] (thin) or Q [Ur 0; 0 I] (full) by blocked reflectors over
//    trimnet::gemm. Steps 1–3 then never touch the whole tall matrix. (qr_first.cpp)
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
// 2. SVD of B. For n >= DC_MIN_N (64), divide and conquer (bidiag_dc.cpp, whose header has the
//    math; LAPACK's sbdsdc): B split in halves at a row down to leaves of 24 rows solved by the
//    QR below, each merge an arrowhead matrix whose singular values are the roots of the secular
//    equation (after deflation of tiny z and equal d), its vectors from the Gu–Eisenstat ẑ
//    (orthogonal to working precision), and the merged Ub, Vb as trimnet::gemm products with the
//    children's — most of the ~(8/3)n³ flops are GEMM. Ub and Vb are float and made in U's first
//    n rows and in V; σ, d, e and the secular equation are double. TRIMNET_SVD_BDQR=1 takes the
//    QR at every size, TRIMNET_SVD_DC=1 divide and conquer at every size.
//    Below DC_MIN_N: implicit-shift QR in double (the leaves use it too, accumulating both Ub and
//    Vb by rotations) (Golub–Reinsch: Golub–Kahan steps with the shift from the trailing 2×2 of BᵀB, splitting where a superdiagonal entry is negligible, and
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
//    with Ub), serial iteration and rotations: why divide and conquer takes over from n = 64.
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
// Cost: bidiagonalisation 4mn² − 4n³/3 flops (half GEMM when blocked), divide and conquer about
// (8/3)n³ GEMM flops when little deflates (bidiagonal QR ≈ 6n³ rotation flops), back-transformation
// ≈ 4mn·p − 2n²p + 4n³/3 flops.
//
// Files (kernels/cpu/svd/): driver.cpp (this: steps 4 and the order of the others), qr_first.cpp
// (0), bidiag.cpp and bidiag_blocked.cpp (1), bidiag_dc.cpp and bidiag_qr.cpp (2), back_transform.cpp (3),
// common.h (what they share), parallel.h (their threads, on the persistent pool).
#include <limits>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "gemm.h"
#include "svd.h"
#include "svd/common.h"

namespace trimnet {
namespace svd_detail {

// Step 2 by QR (and step 4): B = Ub Σ Vbᵀ into U (n rows of m×pu) and V (n×n), S sorted.
void bidiagonal_svd_qr(Bidiag& B, int64_t n, int64_t pu, int nthreads, float* U, float* S, float* V) {
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
  if (!left_from_right(d0, B.e, B.d, Vt, Ut, n, ld)) {
    B.d = d0;
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = 0; j < ld; j++) Ut[i * ld + j] = Vt[i * ld + j] = (i == j ? 1.0 : 0.0);
    bidiagonal_qr(B.d, B.e, Ut, Vt, n, ld, nthreads, 1e-10);
  }
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
  Bidiag B;
  bidiagonalize(A, m, n, B, nthreads);
  const bool dc = env_flag("TRIMNET_SVD_DC") || (n >= DC_MIN_N && !env_flag("TRIMNET_SVD_BDQR"));
  if (dc) {
    // Divide and conquer (bidiag_dc.cpp), in the first n rows of U and in V; then the columns
    // sorted by σ, one row at a time.
    std::vector<double> sigma;
    bidiagonal_dc(B.d, B.e, n, U, pu, V, n, sigma);
    std::vector<int64_t> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    std::stable_sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) { return sigma[a] > sigma[b]; });
    for (int64_t r = 0; r < n; r++) S[r] = float(sigma[perm[r]]);
    std::vector<float> row(n);
    for (float* X : {U, V})
      for (int64_t i = 0; i < n; i++) {
        float* x = X + i * (X == U ? pu : n);
        for (int64_t r = 0; r < n; r++) row[r] = x[perm[r]];
        std::copy(row.begin(), row.end(), x);
      }
  } else {
    bidiagonal_svd_qr(B, n, pu, nthreads, U, S, V);
  }
  for (int64_t i = n; i < pu; i++) U[i * pu + i] = 1.f;
  // U = H_0 … H_{n−1} U;  V = G_0 … G_{n−2} V.
  apply_reflectors(U, m, pu, pu, n, 0, B.tauq.data(), A, n, true, nthreads);
  apply_reflectors(V, n, n, n, n - 1, 1, B.taup.data(), A, n, false, nthreads);
}

}  // namespace svd_detail


using namespace svd_detail;

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
