// Step 2 of the CPU SVD for large n (driver.cpp): the SVD of the upper bidiagonal B by divide and
// conquer (Gu & Eisenstat 1995; the method of LAPACK's sbdsdc, slasd0 … slasd8), written anew.
//
// A subproblem ("node") is rows [r0, r0+N) and columns [r0, r0+N+sqre) of B: N×N (sqre = 0) or
// N×(N+1) (sqre = 1, upper bidiagonal with one more column). Its result is
//   B_node = U diag(σ) [I 0] Vᵀ,   U N×N, V (N+sqre)×(N+sqre), the last column of V (sqre = 1)
// spanning B_node's null space. Nodes of up to DC_LEAF rows are solved by the implicit-shift QR of
// bidiag_qr.cpp. A bigger node is split at row nl = N/2: the rows above form the left child
// (nl×(nl+1), sqre = 1), the rows below the right child (nr×(nr+sqre), nr = N−nl−1), and row nl
// (α = d[nl] on the diagonal, β = e[nl] right of it) couples them. With the children's SVDs,
//   diag(U1, 1, U2)ᵀ · B · diag(V1, V2) = M, zero except: the children's σ on a diagonal, and
//   row nl = z = α·(last row of V1) ⊕ β·(first row of V2).
// Reordered (row nl first, the left null column first), M is an "arrowhead": row 0 is z, row
// i ≥ 1 holds d_i on the diagonal, d_0 = 0. (With sqre = 1 the right child's null column also
// has d = 0; a rotation of the two null columns puts all of their z into column 0, the other
// becomes the parent's null vector.) Its singular values are the roots of the secular equation
//   f(σ) = 1 + Σ_i z_i² / (d_i² − σ²) = 0,   0 = d_0 < σ_0 < d_1 < σ_1 < … < d_{K−1} < σ_{K−1},
// one per interval, and its singular vectors
//   v_j ∝ ( z_i / (d_i² − σ_j²) )_i,   u_j ∝ ( −1, d_i z_i / (d_i² − σ_j²) )_{i ≥ 1}.
// Steps of a merge:
//  1. Deflation (slasd2): z_i ≈ 0 (|z_i| <= tol) gives σ = d_i with the child's vectors as they
//     are; two d's within tol are made into one by a rotation that zeroes one z (applied to the
//     U and V columns alike; it perturbs M by at most tol). tol = 64·eps·max(|α|, |β|, max d)
//     (the backward error). What is left has distinct d's and nonzero z's: K roots.
//  2. Each root by a safeguarded rational iteration (slasd4's "middle way"): σ = d_o + μ with
//     origin d_o the nearer pole, so d_i² − σ² = ((d_i − d_o) − μ)(d_i + d_o + μ) is computed with
//     small relative error even when σ is within rounding of d_o; f is modelled with two poles
//     and a constant, matched at the current point, and the model's root taken inside a bracket
//     that bisection keeps.
//  3. ẑ from the computed roots (Gu–Eisenstat, slasd3): the σ_j are the exact singular values of
//     the arrowhead with ẑ_i² = (σ_{K−1}² − d_i²) Π_{k<i} (σ_k² − d_i²)/(d_k² − d_i²)
//     Π_{i<=k<K−1} (σ_k² − d_i²)/(d_{k+1}² − d_i²), sign(ẑ_i) = sign(z_i), which is z to working
//     accuracy; the vectors from ẑ are then orthogonal to working precision whatever the
//     clustering (from z they would not be).
//  4. The parent's vectors: U = Uc Û, V = Vc V̂ (Uc, Vc: the children's columns, as rotated by
//     deflation) — trimnet::gemm, separately over the rows above and below row nl so the zero
//     blocks are not multiplied; the deflated columns are copied.
// Vectors are kept in float32 (the SVD's output type; the GEMMs are float); d, e, σ, z, ẑ and
// each root's vectors are computed in double and rounded into the GEMM operands. B is scaled to
// max entry 1 first (bidiagonal_dc).
//
// Cost: the GEMMs, about (8/3)·n³ flops in all for U and V if nothing deflates (less when much
// does), against ~6n³ rotation flops for QR; the secular equations are O(K²) per merge.
#include <atomic>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "gemm.h"
#include "svd/common.h"
#include "svd/parallel.h"

namespace trimnet {
namespace svd_detail {

// Subproblems of at most this many rows are solved by QR.
constexpr int64_t DC_LEAF = 24;

namespace {

struct DcState {
  std::vector<double> d, e;  // B (scaled)
  std::vector<double> sigma;  // σ per node position (a node's σ in [r0, r0+N))
  // n×n, row-major with leading dimensions ldu, ldv; a node's U is the block [r0, r0+N)², its
  // V the block [r0, r0+N+sqre)².
  float* U;
  float* V;
  int64_t n, ldu, ldv;
  // The merges' float work arrays, grown as needed and kept for the whole call (fresh pages for
  // every merge cost more than the merges' loops: page faults were a quarter of the time).
  std::vector<float> a, bt, c, defl;
};

// v.data() with at least count elements (grown, never shrunk).
inline float* room(std::vector<float>& v, int64_t count) {
  if (int64_t(v.size()) < count) v.resize(size_t(count));
  return v.data();
}

// A leaf: QR on the node (made square first when sqre = 1).
void solve_leaf(DcState& st, int64_t r0, int64_t N, int sqre) {
  const int64_t M = N + sqre;
  std::vector<double> d(st.d.begin() + r0, st.d.begin() + r0 + N);
  std::vector<double> e(size_t(std::max<int64_t>(N - 1, 1)), 0.0);
  for (int64_t k = 0; k + 1 < N; k++) e[k] = st.e[r0 + k];
  // G (M×M): column rotations with B_node G = [B_square 0]. With sqre = 1 the extra entry
  // f = B[N−1][N] is chased up column N: rotating columns k and N zeroes B[k][N] against d_k and
  // moves −s·e_{k−1} into B[k−1][N].
  std::vector<double> G(size_t(M * M), 0.0);
  for (int64_t i = 0; i < M; i++) G[i * M + i] = 1;
  if (sqre) {
    double f = st.e[r0 + N - 1];
    for (int64_t k = N - 1; k >= 0 && f != 0; k--) {
      const double r = std::hypot(d[k], f), c = d[k] / r, s = f / r;
      d[k] = r;
      for (int64_t i = 0; i < M; i++) {
        const double gk = G[i * M + k], gN = G[i * M + N];
        G[i * M + k] = c * gk + s * gN;
        G[i * M + N] = -s * gk + c * gN;
      }
      if (k > 0) {
        f = -s * e[k - 1];
        e[k - 1] *= c;
      }
    }
  }
  const int64_t ld = (N + ROT_SLAB - 1) / ROT_SLAB * ROT_SLAB;
  AlignedDoubles ub(N * ld), vb(N * ld);
  for (int64_t i = 0; i < N; i++) ub.p[i * ld + i] = vb.p[i * ld + i] = 1;
  bidiagonal_qr(d, e, ub.p, vb.p, N, ld, 1, 4 * std::numeric_limits<double>::epsilon());
  for (int64_t j = 0; j < N; j++) {
    st.sigma[r0 + j] = d[j];
    for (int64_t i = 0; i < N; i++) st.U[(r0 + i) * st.ldu + r0 + j] = float(ub.p[j * ld + i]);
  }
  // V = G diag(Vb, 1).
  for (int64_t i = 0; i < M; i++) {
    for (int64_t j = 0; j < N; j++) {
      double acc = 0;
      for (int64_t k = 0; k < N; k++) acc += G[i * M + k] * vb.p[j * ld + k];
      st.V[(r0 + i) * st.ldv + r0 + j] = float(acc);
    }
    if (sqre) st.V[(r0 + i) * st.ldv + r0 + N] = float(G[i * M + N]);
  }
}

// A root of the secular equation as σ = d[origin] + mu.
struct Root {
  int64_t origin;
  double mu;
};

// d_i² − σ² for σ = d[r.origin] + r.mu, accurate when σ is near d_i.
inline double delta_sq(const double* d, int64_t i, const Root& r) {
  const double dor = d[r.origin];
  return ((d[i] - dor) - r.mu) * (d[i] + dor + r.mu);
}

// ---- the O(K) loops of the secular equation, compiled per ISA (8 lanes of partial sums) -------

// Σ_{i in [i0, i1)} z_i²/Δ_i and Σ (z_i/Δ_i)², Δ_i = ((d_i − dor) − mu)(d_i + dor + mu).
TRIMNET_INLINE void secular_sums_body(const double* d, const double* z, int64_t i0, int64_t i1, double dor, double mu,
                                      double* sum, double* dsum) {
  double s[8] = {0}, ds[8] = {0};
  int64_t i = i0;
  for (; i + 8 <= i1; i += 8)
    for (int q = 0; q < 8; q++) {
      const double t = z[i + q] / (((d[i + q] - dor) - mu) * (d[i + q] + dor + mu));
      s[q] += z[i + q] * t;
      ds[q] += t * t;
    }
  double a = 0, b = 0;
  for (; i < i1; i++) {
    const double t = z[i] / (((d[i] - dor) - mu) * (d[i] + dor + mu));
    a += z[i] * t;
    b += t * t;
  }
  for (int q = 0; q < 8; q++) a += s[q], b += ds[q];
  *sum = a;
  *dsum = b;
}

// prod[i] *= |Δ_i(σ) / (d_i² − dk²)| for i in [i0, i1) (one factor of ẑ_i², see solve_secular).
TRIMNET_INLINE void zhat_factor_body(const double* d, double* prod, int64_t i0, int64_t i1, double dor, double mu,
                                     double dk) {
  for (int64_t i = i0; i < i1; i++)
    prod[i] *= std::fabs((((d[i] - dor) - mu) * (d[i] + dor + mu)) / ((d[i] - dk) * (d[i] + dk)));
}

// One vector of a root, normalised, into x (K entries): v_i = ẑ_i/Δ_i (right) or u_0 = −1,
// u_i = d_i ẑ_i/Δ_i (left; d_0 = 0).
TRIMNET_INLINE void root_vector_body(const double* d, const double* zh, int64_t K, double dor, double mu, bool left,
                                     double* x) {
  double nrm[8] = {0};
  int64_t i = 0;
  for (; i + 8 <= K; i += 8)
    for (int q = 0; q < 8; q++) {
      const double t = zh[i + q] / (((d[i + q] - dor) - mu) * (d[i + q] + dor + mu));
      x[i + q] = left ? d[i + q] * t : t;
      nrm[q] += x[i + q] * x[i + q];
    }
  double s = 0;
  for (; i < K; i++) {
    const double t = zh[i] / (((d[i] - dor) - mu) * (d[i] + dor + mu));
    x[i] = left ? d[i] * t : t;
    s += x[i] * x[i];
  }
  for (int q = 0; q < 8; q++) s += nrm[q];
  if (left) {
    s += 1 - x[0] * x[0];
    x[0] = -1;
  }
  const double f = 1 / std::sqrt(s);
  for (int64_t k = 0; k < K; k++) x[k] *= f;
}

#ifdef TRIMNET_X86_DISPATCH
TRIMNET_TARGET_AVX2 void secular_sums_avx2(const double* d, const double* z, int64_t i0, int64_t i1, double dor, double mu,
                                           double* sum, double* dsum) {
  secular_sums_body(d, z, i0, i1, dor, mu, sum, dsum);
}
TRIMNET_TARGET_AVX512 void secular_sums_avx512(const double* d, const double* z, int64_t i0, int64_t i1, double dor,
                                               double mu, double* sum, double* dsum) {
  secular_sums_body(d, z, i0, i1, dor, mu, sum, dsum);
}
TRIMNET_TARGET_AVX2 void zhat_factor_avx2(const double* d, double* prod, int64_t i0, int64_t i1, double dor, double mu,
                                          double dk) {
  zhat_factor_body(d, prod, i0, i1, dor, mu, dk);
}
TRIMNET_TARGET_AVX512 void zhat_factor_avx512(const double* d, double* prod, int64_t i0, int64_t i1, double dor, double mu,
                                              double dk) {
  zhat_factor_body(d, prod, i0, i1, dor, mu, dk);
}
TRIMNET_TARGET_AVX2 void root_vector_avx2(const double* d, const double* zh, int64_t K, double dor, double mu, bool left,
                                          double* x) {
  root_vector_body(d, zh, K, dor, mu, left, x);
}
TRIMNET_TARGET_AVX512 void root_vector_avx512(const double* d, const double* zh, int64_t K, double dor, double mu, bool left,
                                              double* x) {
  root_vector_body(d, zh, K, dor, mu, left, x);
}
#endif

void secular_sums(const double* d, const double* z, int64_t i0, int64_t i1, double dor, double mu, double* sum,
                  double* dsum) {
#ifdef TRIMNET_X86_DISPATCH
  switch (cpu_isa()) {
    case Isa::avx512: return secular_sums_avx512(d, z, i0, i1, dor, mu, sum, dsum);
    case Isa::avx2: return secular_sums_avx2(d, z, i0, i1, dor, mu, sum, dsum);
    default: break;
  }
#endif
  secular_sums_body(d, z, i0, i1, dor, mu, sum, dsum);
}

void zhat_factor(const double* d, double* prod, int64_t i0, int64_t i1, double dor, double mu, double dk) {
#ifdef TRIMNET_X86_DISPATCH
  switch (cpu_isa()) {
    case Isa::avx512: return zhat_factor_avx512(d, prod, i0, i1, dor, mu, dk);
    case Isa::avx2: return zhat_factor_avx2(d, prod, i0, i1, dor, mu, dk);
    default: break;
  }
#endif
  zhat_factor_body(d, prod, i0, i1, dor, mu, dk);
}

void root_vector(const double* d, const double* zh, int64_t K, double dor, double mu, bool left, double* x) {
#ifdef TRIMNET_X86_DISPATCH
  switch (cpu_isa()) {
    case Isa::avx512: return root_vector_avx512(d, zh, K, dor, mu, left, x);
    case Isa::avx2: return root_vector_avx2(d, zh, K, dor, mu, left, x);
    default: break;
  }
#endif
  root_vector_body(d, zh, K, dor, mu, left, x);
}

// Root j of 1 + Σ z_i²/(d_i² − σ²) = 0 (d ascending, d[0] = 0, K >= 2, z_i ≠ 0): the one in
// (d_j, d_{j+1}), or above d_{K−1} for j = K−1 (below sqrt(d_{K−1}² + ‖z‖²)).
Root secular_root(const double* d, const double* z, int64_t K, int64_t j, double znorm2) {
  constexpr double eps = std::numeric_limits<double>::epsilon();
  // The model's two poles p < q: the interval's ends, or the top two for the last root.
  const int64_t p = j < K - 1 ? j : K - 2, q = p + 1;
  // Start at the interval's midpoint in σ² (origin d_j), or halfway to the bound for the last
  // root. The first evaluation also picks the origin: f increases in σ² on the interval, so
  // f(midpoint) > 0 means the root lies in the lower half (origin d_j), else the upper (d_{j+1}).
  Root r{j, 0.0};
  double lo = 0, hi;  // bracket for mu
  if (j < K - 1) {
    const double mid2 = 0.5 * (d[j + 1] - d[j]) * (d[j + 1] + d[j]);  // σ_mid² − d_j²
    hi = std::sqrt(d[j] * d[j] + mid2) - d[j];
  } else {
    hi = std::sqrt(d[K - 1] * d[K - 1] + znorm2) - d[K - 1];
  }
  r.mu = j < K - 1 ? hi : 0.5 * hi;
  for (int it = 0; it < 400; it++) {
    const double sigma = d[r.origin] + r.mu;
    double psi, dpsi, phi, dphi;
    secular_sums(d, z, 0, p + 1, d[r.origin], r.mu, &psi, &dpsi);
    secular_sums(d, z, q, K, d[r.origin], r.mu, &phi, &dphi);
    const double w = 1 + psi + phi;
    if (it == 0 && j < K - 1 && w <= 0) {  // root in the upper half: origin d_{j+1}, same point
      r.origin = j + 1;
      r.mu = sigma - d[j + 1];
      lo = r.mu;
      hi = 0;
    }
    if (std::fabs(w) <= 8 * eps * (1 + std::fabs(psi) + std::fabs(phi))) break;
    // f is increasing in σ: w < 0 means the root is above.
    if (w < 0)
      lo = r.mu;
    else
      hi = r.mu;
    // The model C + s_p/(Δp − η) + s_q/(Δq − η) in λ = σ² (Δ = d² − λ), matched in value and
    // slope (s_p = Δp²ψ', s_q = Δq²φ'): its zero solves C η² − a η + b = 0.
    const double dp = delta_sq(d, p, r), dq = delta_sq(d, q, r);
    const double C = w - dp * dpsi - dq * dphi;
    const double a = (dp + dq) * w - dp * dq * (dpsi + dphi);
    const double b = dp * dq * w;
    // Candidates in order of preference: the model's zeros (the nearer one if both fit), then
    // a Newton step; the first inside the bracket is taken, else bisection.
    double cand[2];
    int nc = 0;
    if (C == 0) {
      if (a != 0) cand[nc++] = b / a;
    } else {
      const double sq = std::sqrt(std::max(0.0, a * a - 4 * b * C));
      const double qq = 0.5 * (a + std::copysign(sq, a));
      if (qq != 0) {
        cand[nc++] = qq / C;
        cand[nc++] = b / qq;
      }
    }
    auto to_mu = [&](double eta) {  // σ² + η as σ = d_o + mu (NaN when not a valid step)
      const double s2 = sigma * sigma + eta;
      if (!(s2 >= 0) || !std::isfinite(eta)) return std::numeric_limits<double>::quiet_NaN();
      return r.mu + eta / (sigma + std::sqrt(s2));
    };
    auto inside = [&](double m) { return m > lo && m < hi; };
    double next = std::numeric_limits<double>::quiet_NaN();
    for (int c = 0; c < nc; c++) {
      const double m = to_mu(cand[c]);
      if (inside(m) && !(std::fabs(m - r.mu) >= std::fabs(next - r.mu))) next = m;
    }
    // A model step converges quadratically near the root: one of relative size <= 1e-9 leaves
    // an error of order 1e-18, so it is taken without another evaluation.
    const bool model_step = inside(next);
    if (!inside(next)) next = to_mu(-w / (dpsi + dphi));
    if (!inside(next)) next = 0.5 * (lo + hi);
    const double step = std::fabs(next - r.mu);
    const bool done = step <= 2 * eps * std::fabs(next) || hi - lo <= 2 * eps * std::fabs(next) ||
                      (model_step && step <= 1e-9 * std::fabs(next));
    r.mu = next;
    if (done) break;
  }
  return r;
}

// The O(K²) loops of a merge: fn(c) for chunks c = 0 … nchunks−1 of 32 roots (or entries),
// taken by the threads from a shared counter; small merges run on the caller alone (waking the
// pool costs more than they do).
constexpr int64_t ROOT_CHUNK = 32;
template <typename F>
void root_chunks(int64_t K, F&& fn) {
  const int nchunks = int((K + ROOT_CHUNK - 1) / ROOT_CHUNK);
  const int team = K >= 192 ? std::max(1, num_threads()) : 1;
  std::atomic<int> next{0};
  for_chunks(std::min(team, nchunks), [&](int) {
    for (int c; (c = next.fetch_add(1)) < nchunks;) fn(int64_t(c) * ROOT_CHUNK, std::min(K, int64_t(c + 1) * ROOT_CHUNK));
  });
}

// Steps 2–3 of a merge for the K undeflated columns (d ascending, d[0] = 0, K >= 2): the roots
// (σ_j = d[origin_j] + mu_j) and ẑ.
void solve_secular(const std::vector<double>& d, const std::vector<double>& z, std::vector<Root>& roots,
                   std::vector<double>& zh) {
  const int64_t K = int64_t(d.size());
  double znorm2 = 0;
  for (double v : z) znorm2 += v * v;
  roots.resize(K);
  root_chunks(K, [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; j++) roots[j] = secular_root(d.data(), z.data(), K, j, znorm2);
  });
  // ẑ_i² = |Δ_i(σ_{K−1})| Π_{k<i} |Δ_i(σ_k)/(d_i² − d_k²)| Π_{i<=k<K−1} |Δ_i(σ_k)/(d_i² − d_{k+1}²)|;
  // every factor after the first is below 1 (interlacing), so the products cannot overflow.
  // Computed a chunk of i at a time, over k (the inner loop over i vectorises).
  zh.resize(K);
  root_chunks(K, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) zh[i] = std::fabs(delta_sq(d.data(), i, roots[K - 1]));
    for (int64_t k = 0; k < K - 1; k++) {
      const double dor = d[roots[k].origin], mu = roots[k].mu;
      // i > k: the factor with d_k; i <= k: with d_{k+1}.
      const int64_t split = std::clamp(k + 1, i0, i1);
      zhat_factor(d.data(), zh.data(), split, i1, dor, mu, d[k]);
      zhat_factor(d.data(), zh.data(), i0, split, dor, mu, d[k + 1]);
    }
    for (int64_t i = i0; i < i1; i++) zh[i] = std::copysign(std::sqrt(zh[i]), z[i]);
  });
}

// Merges the children of node (r0, N, sqre) split at row nl (their results in st) into its result.
// The node's blocks of st.U and st.V hold the children's blocks on their diagonals (zeros
// elsewhere), so the merge's columns are those blocks' columns: arrowhead column c is block
// column lc(c) = nl for c = 0 (U: e_nl, set here; V: the left null vector), c − 1 for the left
// child's (1 … nl), c for the right child's (nl+1 … N−1) and, with sqre, V's column N (the right
// child's null vector).
void merge(DcState& st, int64_t r0, int64_t N, int64_t nl, int sqre) {
  const int64_t M = N + sqre, o = nl + 1, ldu = st.ldu, ldv = st.ldv;
  const double alpha = st.d[r0 + nl], beta = st.e[r0 + nl];
  float* const Ublk = st.U + r0 * ldu + r0;  // U[r][c] = Ublk[r * ldu + c]
  float* const Vblk = st.V + r0 * ldv + r0;
  auto lc = [&](int64_t c) { return c == 0 ? nl : c <= nl ? c - 1 : c; };
  // sup: which row ranges a column touches (1: above row nl (V: to row nl), 2: below, 4: row nl of U).
  std::vector<int> su(M, 0), sv(M, 0);
  std::vector<double> dv(N, 0.0), z(M, 0.0);
  Ublk[nl * ldu + nl] = 1;
  su[0] = 4;
  sv[0] = 1;
  for (int64_t c = 1; c < N; c++) {
    su[c] = sv[c] = c <= nl ? 1 : 2;
    dv[c] = st.sigma[r0 + lc(c)];
  }
  if (sqre) sv[N] = 2;
  // z_c = (row nl of B) · v_c = α V[nl][lc(c)] + β V[nl+1][lc(c)].
  for (int64_t c = 0; c < M; c++) z[c] = alpha * Vblk[nl * ldv + lc(c)] + beta * Vblk[o * ldv + lc(c)];
  // Columns x, y of a block: x' = c x + s y, y' = c y − s x.
  auto rotate = [](float* blk, int64_t n, int64_t rows, int64_t x, int64_t y, double c, double s) {
    for (int64_t r = 0; r < rows; r++) {
      const double a = blk[r * n + x], b = blk[r * n + y];
      blk[r * n + x] = float(c * a + s * b);
      blk[r * n + y] = float(c * b - s * a);
    }
  };
  if (sqre) {  // all of the two null columns' z into column 0; column N is then the null vector
    const double h = std::hypot(z[0], z[N]);
    if (h > 0) {
      rotate(Vblk, ldv, M, lc(0), lc(N), z[0] / h, z[N] / h);
      z[0] = h;
      z[N] = 0;
    }
    sv[0] = sv[N] = 3;
  }

  // 1. Deflation.
  double dmax = 0;
  for (int64_t c = 1; c < N; c++) dmax = std::max(dmax, dv[c]);
  const double tol =
      std::max(64 * std::numeric_limits<double>::epsilon() * std::max({std::fabs(alpha), std::fabs(beta), dmax}), 1e-150);
  std::vector<int64_t> order(N - 1);
  std::iota(order.begin(), order.end(), 1);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return dv[a] < dv[b]; });
  if (std::fabs(z[0]) <= tol) z[0] = tol;
  std::vector<int64_t> kept{0}, deflated;
  for (int64_t c : order) {
    if (std::fabs(z[c]) <= tol) {
      deflated.push_back(c);
      continue;
    }
    const int64_t prev = kept.back();
    if (prev != 0 && dv[c] - dv[prev] <= tol) {
      // Rotate columns prev and c so that z[prev] = 0: c' = (z_c c + z_prev prev)/h.
      const double h = std::hypot(z[c], z[prev]), cs = z[c] / h, sn = -z[prev] / h;
      rotate(Ublk, ldu, N, lc(prev), lc(c), cs, sn);
      rotate(Vblk, ldv, M, lc(prev), lc(c), cs, sn);
      z[c] = h;
      z[prev] = 0;
      su[c] = su[prev] = su[c] | su[prev];
      sv[c] = sv[prev] = sv[c] | sv[prev];
      kept.pop_back();
      deflated.push_back(prev);
    }
    kept.push_back(c);
  }
  const int64_t K = int64_t(kept.size());
  std::vector<double> dk(K), zk(K);
  for (int64_t i = 0; i < K; i++) {
    dk[i] = dv[kept[i]];
    zk[i] = z[kept[i]];
  }
  if (K > 1 && dk[1] <= 0.5 * tol) dk[1] = 0.5 * tol;  // keep the first pole apart from d_0 = 0

  // 2–3. The secular equation: σ_j and ẑ.
  std::vector<Root> roots;
  std::vector<double> zh, sig(K);
  if (K == 1) {  // M = [z0]: σ = |z0|, u = 1, v = sign(z0)
    sig[0] = std::fabs(zk[0]);
  } else {
    solve_secular(dk, zk, roots, zh);
    for (int64_t j = 0; j < K; j++) sig[j] = dk[roots[j].origin] + roots[j].mu;
  }

  // 4. The new block: K columns Uc Û (Vc V̂), then the deflated columns as they are and (V,
  // sqre) the null vector. One GEMM over the rows above row nl and one over those below, each
  // with only the columns that touch them and the matching entries of the root vectors (made
  // straight into the GEMMs' operands, one side at a time); each writes back only its own rows,
  // which the other does not read, so the block is updated in place (the deflated columns saved
  // first).
  const int64_t nd = int64_t(deflated.size());
  for (int side = 0; side < 2; side++) {
    const bool isU = side == 0;
    float* const blk = isU ? Ublk : Vblk;
    const std::vector<int>& sup = isU ? su : sv;
    const int64_t len = isU ? N : M, top = isU ? nl : nl + 1, n = isU ? ldu : ldv;
    const int64_t nkeep = nd + (!isU && sqre ? 1 : 0);  // the columns kept as they are
    float* const D = room(st.defl, len * nkeep);
    for (int64_t r = 0; r < len; r++) {
      const float* brow = blk + r * n;
      for (int64_t t = 0; t < nd; t++) D[r * nkeep + t] = brow[lc(deflated[t])];
      if (nkeep > nd) D[r * nkeep + nd] = brow[lc(N)];
    }
    // Per part (0: above row nl, 1: below): the block columns that touch it and their entries.
    std::vector<int64_t> cols[2], hrow[2];
    for (int64_t i = 0; i < K; i++)
      for (int part = 0; part < 2; part++)
        if (sup[kept[i]] & (part == 0 ? 1 : 2)) cols[part].push_back(lc(kept[i])), hrow[part].push_back(i);
    const int64_t kk0 = int64_t(cols[0].size()), kk1 = int64_t(cols[1].size());
    // bt[part]: K × kk, row j = the root's vector at the part's entries (GEMM with trans_b).
    float* const bt0 = room(st.bt, K * (kk0 + kk1) + K);
    float* const bt1 = bt0 + K * kk0;
    float* const unl = bt1 + K * kk1;  // U: entry 0 (row nl) of every root's vector
    root_chunks(K, [&](int64_t j0, int64_t j1) {
      std::vector<double> x(K);
      for (int64_t j = j0; j < j1; j++) {
        if (K == 1)
          x[0] = isU || zk[0] >= 0 ? 1.0 : -1.0;
        else
          root_vector(dk.data(), zh.data(), K, dk[roots[j].origin], roots[j].mu, isU, x.data());
        for (int64_t t = 0; t < kk0; t++) bt0[j * kk0 + t] = float(x[hrow[0][t]]);
        for (int64_t t = 0; t < kk1; t++) bt1[j * kk1 + t] = float(x[hrow[1][t]]);
        unl[j] = float(x[0]);
      }
    });
    for (int part = 0; part < 2; part++) {
      const int64_t row0 = part == 0 ? 0 : o, rows = part == 0 ? top : len - o;
      const int64_t kk = part == 0 ? kk0 : kk1;
      float* const c = room(st.c, rows * K);
      if (kk == 0) {
        std::fill(c, c + rows * K, 0.f);
      } else {
        float* const a = room(st.a, rows * kk);
        for (int64_t r = 0; r < rows; r++)
          for (int64_t t = 0; t < kk; t++) a[r * kk + t] = blk[(row0 + r) * n + cols[part][t]];
        GemmParams g;
        g.m = rows;
        g.n = K;
        g.k = kk;
        g.a = a;
        g.b = part == 0 ? bt0 : bt1;
        g.trans_b = true;
        g.c = c;
        gemm(g);
      }
      for (int64_t r = 0; r < rows; r++) {
        float* brow = blk + (row0 + r) * n;
        std::copy_n(c + r * K, K, brow);
        std::copy_n(D + (row0 + r) * nkeep, nkeep, brow + K);
      }
    }
    if (isU) {  // row nl: only column 0 (e_nl, never rotated) touches it
      float* brow = blk + nl * n;
      std::copy_n(unl, K, brow);
      std::copy_n(D + nl * nkeep, nkeep, brow + K);
    }
  }
  for (int64_t j = 0; j < K; j++) st.sigma[r0 + j] = sig[j];
  for (int64_t t = 0; t < nd; t++) st.sigma[r0 + K + t] = dv[deflated[t]];
}

void solve_node(DcState& st, int64_t r0, int64_t N, int sqre) {
  if (N <= DC_LEAF) return solve_leaf(st, r0, N, sqre);
  const int64_t nl = N / 2;
  solve_node(st, r0, nl, 1);
  solve_node(st, r0 + nl + 1, N - nl - 1, sqre);
  merge(st, r0, N, nl, sqre);
}

}  // namespace

// B (d, e) = Ub diag(σ) Vbᵀ by divide and conquer. Ub, Vb: n×n row-major float with leading
// dimensions ldu, ldv, columns the vectors, in the order of sigma (>= 0, unsorted).
void bidiagonal_dc(const std::vector<double>& d, const std::vector<double>& e, int64_t n, float* Ub, int64_t ldu,
                   float* Vb, int64_t ldv, std::vector<double>& sigma) {
  DcState st;
  st.n = n;
  st.U = Ub;
  st.V = Vb;
  st.ldu = ldu;
  st.ldv = ldv;
  st.sigma.assign(n, 0.0);
  double scale = 0;
  for (int64_t i = 0; i < n; i++) scale = std::max(scale, std::fabs(d[i]));
  for (int64_t i = 0; i + 1 < n; i++) scale = std::max(scale, std::fabs(e[i]));
  for (int64_t i = 0; i < n; i++) {
    std::fill(Ub + i * ldu, Ub + i * ldu + n, 0.f);
    std::fill(Vb + i * ldv, Vb + i * ldv + n, 0.f);
  }
  if (scale == 0) {  // B = 0
    for (int64_t i = 0; i < n; i++) Ub[i * ldu + i] = Vb[i * ldv + i] = 1;
    sigma = st.sigma;
    return;
  }
  st.d.resize(n);
  st.e.assign(n, 0.0);
  for (int64_t i = 0; i < n; i++) st.d[i] = d[i] / scale;
  for (int64_t i = 0; i + 1 < n; i++) st.e[i] = e[i] / scale;
  solve_node(st, 0, n, 0);
  sigma = st.sigma;
  for (double& s : sigma) s *= scale;
}

}  // namespace svd_detail
}  // namespace trimnet
