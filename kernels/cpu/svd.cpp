// CPU SVD: A[m×n] = U diag(S) Vᵀ for float32 row-major A (the Golub–Kahan–Reinsch method).
//
// Shapes: work with m >= n (a wide A is transposed: Aᵀ = V S Uᵀ, and U, V swap roles).
//
// 1. Householder bidiagonalisation (float32, one thread, two fused passes per step):
//      A = Q B Pᵀ,  B upper bidiagonal n×n with diagonal d[0..n-1], superdiagonal e[0..n-2],
//      Q = H_0 H_1 … H_{n-1},  H_k = I − τq_k v_k v_kᵀ  (v_k zero above row k, v_k[k] = 1),
//      P = G_0 G_1 … G_{n-2},  G_k = I − τp_k u_k u_kᵀ  (u_k zero above k+1,  u_k[k+1] = 1).
//    Step k: H_k from column k; w = v_kᵀ A (pass); A −= τq v wᵀ and, in the same pass over each
//    row i, y_i = A[i,:]·u_k once row k has given G_k; then A −= τp y u_kᵀ fused with the
//    next step's w = v_{k+1}ᵀ A. The v's are stored below the diagonal, the u's right of the
//    superdiagonal (LAPACK's sgebrd layout). Dot products of length <= 16 are in float; the
//    norms that build each reflector are in double.
// 2. SVD of B in double: implicit-shift QR (Golub–Kahan steps, Wilkinson shift from the
//    trailing 2×2, Demmel–Kahan-style splitting with an absolute threshold eps·‖B‖, and the
//    rotation that chases away a zero diagonal entry). B = Ub Σ Vbᵀ. The Givens rotations of
//    each sweep are recorded and applied in batches to Ubᵀ and Vbᵀ (n×n, double), column
//    slab by column slab (slabs stay in L1; slabs are split across threads).
//    Ub and Vb are products of rotations, so they are orthogonal to rounding whatever the
//    singular values are (zero ones included): no Gram–Schmidt completion is ever needed.
// 3. Back-transformation: U = Q [Ub; 0] (thin) or Q [Ub 0; 0 I] (full), V = P Vb. Each
//    reflector is applied as X −= τ v (vᵀ X), one fused pass per reflector (the update of
//    reflector k and the vᵀX of reflector k−1 share the pass); columns of X are split across
//    threads, which then need no synchronisation.
// 4. S sorted descending (columns of U and V permuted with it); negative d's were made
//    positive by flipping the matching column of Vb.
//
// Accuracy: backward stable; singular values to about eps_f32·σmax·small(n) absolutely; UᵀU, VᵀV
// orthogonal to about eps_f32·√n. The plain reference this is checked against is the one-sided
// Jacobi SVD in float64 of the `js` backend (src/backend/svd-js.ts).
//
// Cost: bidiagonalisation 4mn² − 4n³/3 flops (level 2, memory-bound), bidiagonal QR ≈ 12n³
// flops for the rotations (the dominant term for square inputs), back-transformation
// ≈ 4mn·p − 2n²p + 4n³/3 flops.
#include "svd.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <thread>
#include <vector>

#include "gemm.h"

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define TRIMNET_CLONES __attribute__((target_clones("arch=haswell", "default")))
#else
#define TRIMNET_CLONES
#endif

namespace trimnet {
namespace {

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

inline float dot(const float* a, const float* b, int64_t n) {
  float acc[16] = {0};
  int64_t j = 0;
  for (; j + 16 <= n; j += 16)
    for (int t = 0; t < 16; t++) acc[t] += a[j + t] * b[j + t];
  float s = 0;
  for (; j < n; j++) s += a[j] * b[j];
  for (int t = 0; t < 16; t++) s += acc[t];
  return s;
}

inline void axpy(float alpha, const float* x, float* y, int64_t n) {
  for (int64_t j = 0; j < n; j++) y[j] += alpha * x[j];
}

// y -= alpha * x, then returns y · u (same n)
inline float axpy_dot(float alpha, const float* x, float* y, const float* u, int64_t n) {
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
inline void axpy_axpy(float alpha, const float* x, float* y, float beta, float* w, int64_t n) {
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

TRIMNET_CLONES
void bidiagonalize(float* A, int64_t m, int64_t n, Bidiag& B) {
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

// ---- 2. bidiagonal QR ------------------------------------------------------------------------

struct Rot {
  int32_t i, j;  // x_i' = c x_i + s x_j,  x_j' = c x_j − s x_i  (rows of Ubᵀ / Vbᵀ)
  double c, s;
};

// Applies the recorded rotations, in order, to the rows of X (rows × cols, double), split into
// column slabs across threads.
TRIMNET_CLONES
void apply_rotations(const std::vector<Rot>& rots, double* X, int64_t cols, int nthreads) {
  if (rots.empty() || cols == 0) return;
  constexpr int64_t SLAB = 32;
  const int64_t nslab = (cols + SLAB - 1) / SLAB;
  int nt = int(std::min<int64_t>(nthreads, nslab));
  if (int64_t(rots.size()) * cols < (int64_t(1) << 16)) nt = 1;
  parallel_for(nt, [&](int t, int T) {
    int64_t s0 = nslab * t / T, s1 = nslab * (t + 1) / T;
    for (int64_t sl = s0; sl < s1; sl++) {
      const int64_t j0 = sl * SLAB, len = std::min(SLAB, cols - j0);
      for (const Rot& r : rots) {
        double* xi = X + int64_t(r.i) * cols + j0;
        double* xj = X + int64_t(r.j) * cols + j0;
        const double c = r.c, s = r.s;
        for (int64_t q = 0; q < len; q++) {
          double a = xi[q], b = xj[q];
          xi[q] = c * a + s * b;
          xj[q] = c * b - s * a;
        }
      }
    }
  });
}

// B (d, e: B[k][k] = d[k], B[k][k+1] = e[k]) = Ub diag(σ) Vbᵀ. Ut and Vt (n×n, identity on entry)
// become Ubᵀ and Vbᵀ; d becomes σ (>= 0, unsorted).
void bidiagonal_qr(std::vector<double>& d, const std::vector<double>& e_in, double* Ut, double* Vt, int64_t n,
                   int nthreads) {
  if (n == 0) return;
  // rv[i] couples columns i−1 and i (rv[0] = 0), as in Golub–Reinsch.
  std::vector<double> rv(n, 0.0);
  for (int64_t i = 1; i < n; i++) rv[i] = e_in[i - 1];
  double anorm = 0;
  for (int64_t i = 0; i < n; i++) anorm = std::max(anorm, std::fabs(d[i]) + std::fabs(rv[i]));
  const double tol = 4 * std::numeric_limits<double>::epsilon() * anorm;
  std::vector<Rot> ru, rvv;
  const size_t batch = size_t(1) << 15;
  auto flush = [&] {
    apply_rotations(ru, Ut, n, nthreads);
    apply_rotations(rvv, Vt, n, nthreads);
    ru.clear();
    rvv.clear();
  };
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
          double h = std::hypot(f, g);
          d[i] = h;
          c = g / h;
          s = -f / h;
          ru.push_back({int32_t(nm), int32_t(i), c, s});
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
      g = std::hypot(f, 1.0);
      f = ((x - z) * (x + z) + h * ((y / (f + std::copysign(g, f))) - h)) / x;
      double c = 1, s = 1;
      for (int64_t j = l; j <= nm; j++) {
        int64_t i = j + 1;
        g = rv[i];
        y = d[i];
        h = s * g;
        g = c * g;
        z = std::hypot(f, h);
        rv[j] = z;
        c = f / z;
        s = h / z;
        f = x * c + g * s;
        g = g * c - x * s;
        h = y * s;
        y *= c;
        rvv.push_back({int32_t(j), int32_t(i), c, s});
        z = std::hypot(f, h);
        d[j] = z;
        if (z != 0) {
          c = f / z;
          s = h / z;
        }
        f = c * g + s * y;
        x = c * y - s * g;
        ru.push_back({int32_t(j), int32_t(i), c, s});
      }
      rv[l] = 0;
      rv[k] = f;
      d[k] = x;
      if (ru.size() + rvv.size() >= batch) flush();
    }
  }
  flush();
  for (int64_t k = 0; k < n; k++)
    if (flip[k])
      for (int64_t q = 0; q < n; q++) Vt[k * n + q] = -Vt[k * n + q];
}

// ---- 3. back-transformation ------------------------------------------------------------------

// X (rows × ldx, columns [0, cols)) ← R_0 R_1 … R_{count−1} X, where reflector r acts on rows
// start(r) = r + shift … rows−1 with v = (1; vec(r)), I − τ_r v vᵀ. vec(r, i) gives v's entry for
// row start(r) + i (i >= 1). Applied from the last reflector to the first, one fused pass each.
template <typename VecFn>
void apply_reflectors(float* X, int64_t rows, int64_t ldx, int64_t cols, int64_t count, int64_t shift,
                      const float* tau, VecFn vec, int nthreads) {
  if (count <= 0 || cols == 0) return;
  // Each reflector's v as a contiguous vector, shared by the threads.
  std::vector<std::vector<float>> vs(count);
  for (int64_t r = 0; r < count; r++) {
    int64_t s = r + shift, len = rows - s;
    vs[r].resize(std::max<int64_t>(len, 0));
    if (len > 0) vs[r][0] = 1.f;
    for (int64_t i = 1; i < len; i++) vs[r][i] = vec(r, i);
  }
  int nt = int(std::min<int64_t>(nthreads, std::max<int64_t>(1, cols / 16)));
  if (rows * cols * count < (int64_t(1) << 18)) nt = 1;
  parallel_for(nt, [&](int t, int T) {
    int64_t j0 = cols * t / T, j1 = cols * (t + 1) / T, nc = j1 - j0;
    if (nc == 0) return;
    std::vector<float> w(nc), wn(nc);
    auto row = [&](int64_t i) { return X + i * ldx + j0; };
    // w = v_lastᵀ X
    int64_t r = count - 1;
    while (r >= 0 && r + shift >= rows) r--;
    if (r < 0) return;
    std::fill(w.begin(), w.end(), 0.f);
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
  });
}

TRIMNET_CLONES
void apply_reflectors_clone(float* X, int64_t rows, int64_t ldx, int64_t cols, int64_t count, int64_t shift,
                            const float* tau, const float* A, int64_t lda, bool left, int nthreads) {
  if (left)
    apply_reflectors(X, rows, ldx, cols, count, shift, tau,
                     [&](int64_t r, int64_t i) { return A[(r + i) * lda + r]; }, nthreads);
  else
    apply_reflectors(X, rows, ldx, cols, count, shift, tau,
                     [&](int64_t r, int64_t i) { return A[r * lda + r + 1 + i]; }, nthreads);
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
  bidiagonalize(A, m, n, B);
  std::vector<double> Ut(n * n, 0.0), Vt(n * n, 0.0);
  for (int64_t i = 0; i < n; i++) Ut[i * n + i] = Vt[i * n + i] = 1.0;
  bidiagonal_qr(B.d, B.e, Ut.data(), Vt.data(), n, nthreads);
  std::vector<int64_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  std::stable_sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) { return B.d[a] > B.d[b]; });
  for (int64_t r = 0; r < n; r++) {
    S[r] = float(B.d[perm[r]]);
    const double* ur = &Ut[perm[r] * n];
    const double* vr = &Vt[perm[r] * n];
    for (int64_t i = 0; i < n; i++) {
      U[i * pu + r] = float(ur[i]);
      V[i * n + r] = float(vr[i]);
    }
  }
  for (int64_t i = n; i < pu; i++) U[i * pu + i] = 1.f;
  // U = H_0 … H_{n−1} U;  V = G_0 … G_{n−2} V.
  apply_reflectors_clone(U, m, pu, pu, n, 0, B.tauq.data(), A, n, true, nthreads);
  apply_reflectors_clone(V, n, n, n, n - 1, 1, B.taup.data(), A, n, false, nthreads);
}

}  // namespace

void svd(const float* a, int64_t m, int64_t n, bool full, float* u, float* s, float* v) {
  if (m < 0 || n < 0) throw std::invalid_argument("svd: negative size");
  for (int64_t i = 0; i < m * n; i++)
    if (!std::isfinite(a[i])) throw std::invalid_argument("svd: the matrix has a NaN or Infinity entry");
  if (m >= n) {
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
