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
// Vectors are kept in float32 (the SVD's output type; the GEMMs are float); d, e, σ, z and the
// small Û, V̂ are double. B is scaled to max entry 1 first (the caller).
//
// Cost: the GEMMs, about (8/3)·n³ flops in all for U and V if nothing deflates (less when much
// does), against ~6n³ rotation flops for QR; the secular equations are O(K²) per merge.
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
  float* U;  // n×n row-major; a node's U is the block [r0, r0+N)², its V the block [r0, r0+N+sqre)²
  float* V;
  int64_t n;
};

// A leaf: QR on the node (made square first when sqre = 1).
void solve_leaf(DcState& st, int64_t r0, int64_t N, int sqre) {
  const int64_t M = N + sqre, n = st.n;
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
    for (int64_t i = 0; i < N; i++) st.U[(r0 + i) * n + r0 + j] = float(ub.p[j * ld + i]);
  }
  // V = G diag(Vb, 1).
  for (int64_t i = 0; i < M; i++) {
    for (int64_t j = 0; j < N; j++) {
      double acc = 0;
      for (int64_t k = 0; k < N; k++) acc += G[i * M + k] * vb.p[j * ld + k];
      st.V[(r0 + i) * n + r0 + j] = float(acc);
    }
    if (sqre) st.V[(r0 + i) * n + r0 + N] = float(G[i * M + N]);
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

// Root j of 1 + Σ z_i²/(d_i² − σ²) = 0 (d ascending, d[0] = 0, K >= 2, z_i ≠ 0): the one in
// (d_j, d_{j+1}), or above d_{K−1} for j = K−1 (below sqrt(d_{K−1}² + ‖z‖²)).
Root secular_root(const double* d, const double* z, int64_t K, int64_t j, double znorm2) {
  constexpr double eps = std::numeric_limits<double>::epsilon();
  Root r;
  double lo, hi;  // bracket for mu
  // The model's two poles p < q: the interval's ends, or the top two for the last root.
  const int64_t p = j < K - 1 ? j : K - 2, q = p + 1;
  if (j < K - 1) {
    // Origin: the nearer end. f increases in σ² on the interval, so f(midpoint) > 0 means the
    // root lies in the lower half.
    const double mid2 = 0.5 * (d[j + 1] - d[j]) * (d[j + 1] + d[j]);  // σ_mid² − d_j²
    double f = 1;
    for (int64_t i = 0; i < K; i++) f += z[i] * z[i] / ((d[i] - d[j]) * (d[i] + d[j]) - mid2);
    const double smid = std::sqrt(d[j] * d[j] + mid2);
    if (f > 0) {
      r.origin = j;
      lo = 0;
      hi = smid - d[j];
    } else {
      r.origin = j + 1;
      lo = smid - d[j + 1];
      hi = 0;
    }
  } else {
    r.origin = K - 1;
    lo = 0;
    hi = std::sqrt(d[K - 1] * d[K - 1] + znorm2) - d[K - 1];
  }
  r.mu = 0.5 * (lo + hi);
  for (int it = 0; it < 400; it++) {
    const double sigma = d[r.origin] + r.mu;
    double psi = 0, dpsi = 0, phi = 0, dphi = 0;
    for (int64_t i = 0; i <= p; i++) {
      const double t = z[i] / delta_sq(d, i, r);
      psi += z[i] * t;
      dpsi += t * t;
    }
    for (int64_t i = q; i < K; i++) {
      const double t = z[i] / delta_sq(d, i, r);
      phi += z[i] * t;
      dphi += t * t;
    }
    const double w = 1 + psi + phi;
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
    if (!inside(next)) next = to_mu(-w / (dpsi + dphi));
    if (!inside(next)) next = 0.5 * (lo + hi);
    const bool done = std::fabs(next - r.mu) <= 2 * eps * std::fabs(next) || hi - lo <= 2 * eps * std::fabs(next);
    r.mu = next;
    if (done) break;
  }
  return r;
}

// Step 2–3 of a merge for the K undeflated columns (d ascending, d[0] = 0): σ, Û (K×K: row i
// ↔ d_i, column j ↔ σ_j) and V̂, as float for the GEMMs.
void solve_arrowhead(const std::vector<double>& d, const std::vector<double>& z, std::vector<double>& sigma,
                     std::vector<float>& Uh, std::vector<float>& Vh) {
  const int64_t K = int64_t(d.size());
  sigma.assign(K, 0.0);
  Uh.assign(size_t(K * K), 0.f);
  Vh.assign(size_t(K * K), 0.f);
  if (K == 1) {  // M = [z0]
    sigma[0] = std::fabs(z[0]);
    Uh[0] = 1;
    Vh[0] = z[0] < 0 ? -1.f : 1.f;
    return;
  }
  double znorm2 = 0;
  for (double v : z) znorm2 += v * v;
  std::vector<Root> roots(K);
  const int64_t chunk = 64;
  for_chunks(int((K + chunk - 1) / chunk), [&](int c) {
    for (int64_t j = c * chunk; j < std::min(K, (c + 1) * chunk); j++) roots[j] = secular_root(d.data(), z.data(), K, j, znorm2);
  });
  for (int64_t j = 0; j < K; j++) sigma[j] = d[roots[j].origin] + roots[j].mu;
  // ẑ (Gu–Eisenstat).
  std::vector<double> zh(K);
  for_chunks(int((K + chunk - 1) / chunk), [&](int c) {
    for (int64_t i = c * chunk; i < std::min(K, (c + 1) * chunk); i++) {
      double prod = std::fabs(delta_sq(d.data(), i, roots[K - 1]));
      for (int64_t k = 0; k < i; k++) prod *= std::fabs(delta_sq(d.data(), i, roots[k]) / ((d[i] - d[k]) * (d[i] + d[k])));
      for (int64_t k = i; k < K - 1; k++)
        prod *= std::fabs(delta_sq(d.data(), i, roots[k]) / ((d[k + 1] - d[i]) * (d[k + 1] + d[i])));
      zh[i] = std::copysign(std::sqrt(prod), z[i]);
    }
  });
  // Vectors, column j of Û and V̂ for root j.
  for_chunks(int((K + chunk - 1) / chunk), [&](int c) {
    std::vector<double> v(K), u(K);
    for (int64_t j = c * chunk; j < std::min(K, (c + 1) * chunk); j++) {
      double nv = 0, nu = 0;
      for (int64_t i = 0; i < K; i++) {
        v[i] = zh[i] / delta_sq(d.data(), i, roots[j]);
        u[i] = i == 0 ? -1.0 : d[i] * v[i];
        nv += v[i] * v[i];
        nu += u[i] * u[i];
      }
      nv = 1 / std::sqrt(nv);
      nu = 1 / std::sqrt(nu);
      for (int64_t i = 0; i < K; i++) {
        Vh[i * K + j] = float(v[i] * nv);
        Uh[i * K + j] = float(u[i] * nu);
      }
    }
  });
}

// out (rows × K, row-major) = Σ over the listed columns c of col[c][row0 .. row0+rows) ⊗ H[row of c, :].
void gemm_columns(const std::vector<float>& cols, int64_t len, int64_t row0, int64_t rows, const std::vector<int64_t>& which,
                  const std::vector<int64_t>& hrow, const std::vector<float>& H, int64_t K, std::vector<float>& out) {
  out.assign(size_t(rows * K), 0.f);
  const int64_t kk = int64_t(which.size());
  if (kk == 0 || rows == 0) return;
  std::vector<float> a(size_t(kk * rows)), b(size_t(kk * K));
  for (int64_t t = 0; t < kk; t++) {
    std::copy_n(cols.data() + which[t] * len + row0, rows, a.data() + t * rows);
    std::copy_n(H.data() + hrow[t] * K, K, b.data() + t * K);
  }
  GemmParams g;
  g.m = rows;
  g.n = K;
  g.k = kk;
  g.a = a.data();
  g.trans_a = true;
  g.b = b.data();
  g.c = out.data();
  gemm(g);
}

// Merges the children of node (r0, N, sqre) split at row nl (their results in st) into its result.
void merge(DcState& st, int64_t r0, int64_t N, int64_t nl, int sqre) {
  const int64_t M = N + sqre, n = st.n;
  const double alpha = st.d[r0 + nl], beta = st.e[r0 + nl];
  // Columns as the children left them, in the parent's rows (column-major work copies):
  //   U: 0 = e_nl, 1..nl = U1's, nl+1..N−1 = U2's;   V: 0 = V1's null column, then V1's, V2's,
  //   and (sqre) column N = V2's null column. sup*: which row ranges a column touches
  //   (1: above row nl (V: up to and with row nl), 2: below, 4 (U): row nl).
  std::vector<float> uc(size_t(N * N), 0.f), vc(size_t(M * M), 0.f);
  std::vector<int> su(N), sv(M);
  std::vector<double> dv(N, 0.0), z(M, 0.0);
  auto Ug = [&](int64_t i, int64_t j) { return st.U[(r0 + i) * n + r0 + j]; };
  auto Vg = [&](int64_t i, int64_t j) { return st.V[(r0 + i) * n + r0 + j]; };
  uc[0 * N + nl] = 1;
  su[0] = 4;
  for (int64_t r = 0; r <= nl; r++) vc[0 * M + r] = Vg(r, nl);
  sv[0] = 1;
  for (int64_t i = 0; i < nl; i++) {
    const int64_t c = 1 + i;
    for (int64_t r = 0; r < nl; r++) uc[c * N + r] = Ug(r, i);
    for (int64_t r = 0; r <= nl; r++) vc[c * M + r] = Vg(r, i);
    su[c] = sv[c] = 1;
    dv[c] = st.sigma[r0 + i];
  }
  const int64_t nr = N - nl - 1, o = nl + 1;
  for (int64_t i = 0; i < nr + sqre; i++) {
    const int64_t c = o + i;
    if (i < nr) {
      for (int64_t r = 0; r < nr; r++) uc[c * N + o + r] = Ug(o + r, o + i);
      su[c] = 2;
      dv[c] = st.sigma[r0 + o + i];
    }
    for (int64_t r = 0; r < nr + sqre; r++) vc[c * M + o + r] = Vg(o + r, o + i);
    sv[c] = 2;
  }
  // z_c = (row nl of B) · v_c.
  for (int64_t c = 0; c < M; c++) z[c] = alpha * vc[c * M + nl] + (o < M ? beta * vc[c * M + o] : 0.0);
  auto rotate = [](float* x, float* y, int64_t len, double c, double s) {  // x' = c x + s y, y' = c y − s x
    for (int64_t r = 0; r < len; r++) {
      const double a = x[r], b = y[r];
      x[r] = float(c * a + s * b);
      y[r] = float(c * b - s * a);
    }
  };
  if (sqre) {  // all of the two null columns' z into column 0; column N is then the null vector
    const double h = std::hypot(z[0], z[N]);
    if (h > 0) {
      rotate(vc.data(), vc.data() + N * M, M, z[0] / h, z[N] / h);
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
      rotate(uc.data() + prev * N, uc.data() + c * N, N, cs, sn);
      rotate(vc.data() + prev * M, vc.data() + c * M, M, cs, sn);
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
  dk[0] = 0;
  if (K > 1 && dk[1] <= 0.5 * tol) dk[1] = 0.5 * tol;  // keep the first pole apart from d_0 = 0

  // 2–3. The secular equation and Û, V̂.
  std::vector<double> sig;
  std::vector<float> Uh, Vh;
  solve_arrowhead(dk, zk, sig, Uh, Vh);

  // 4. The parent's columns: K from the merge, then the deflated ones (and V's null column).
  auto place = [&](float* G, int64_t row0, const std::vector<float>& part, int64_t rows) {
    for (int64_t r = 0; r < rows; r++) std::copy_n(part.data() + r * K, K, G + (r0 + row0 + r) * n + r0);
  };
  std::vector<float> part;
  for (int side = 0; side < 2; side++) {
    const bool isU = side == 0;
    const std::vector<float>& cols = isU ? uc : vc;
    const std::vector<int>& sup = isU ? su : sv;
    const std::vector<float>& H = isU ? Uh : Vh;
    const int64_t len = isU ? N : M;
    float* G = isU ? st.U : st.V;
    const int64_t top_rows = isU ? nl : nl + 1;
    std::vector<int64_t> wt, ht, wb, hb;
    for (int64_t i = 0; i < K; i++) {
      if (sup[kept[i]] & 1) wt.push_back(kept[i]), ht.push_back(i);
      if (sup[kept[i]] & 2) wb.push_back(kept[i]), hb.push_back(i);
    }
    gemm_columns(cols, len, 0, top_rows, wt, ht, H, K, part);
    place(G, 0, part, top_rows);
    gemm_columns(cols, len, o, len - o, wb, hb, H, K, part);
    place(G, o, part, len - o);
    if (isU) {  // row nl: only column 0 (never rotated) touches it
      float* row = G + (r0 + nl) * n + r0;
      for (int64_t j = 0; j < K; j++) row[j] = Uh[j];
    }
    for (int64_t t = 0; t < int64_t(deflated.size()); t++)
      for (int64_t r = 0; r < len; r++) G[(r0 + r) * n + r0 + K + t] = cols[deflated[t] * len + r];
    if (!isU && sqre)
      for (int64_t r = 0; r < M; r++) G[(r0 + r) * n + r0 + N] = vc[N * M + r];
  }
  for (int64_t j = 0; j < K; j++) st.sigma[r0 + j] = sig[j];
  for (int64_t t = 0; t < int64_t(deflated.size()); t++) st.sigma[r0 + K + t] = dv[deflated[t]];
}

void solve_node(DcState& st, int64_t r0, int64_t N, int sqre) {
  if (N <= DC_LEAF) return solve_leaf(st, r0, N, sqre);
  const int64_t nl = N / 2;
  solve_node(st, r0, nl, 1);
  solve_node(st, r0 + nl + 1, N - nl - 1, sqre);
  merge(st, r0, N, nl, sqre);
}

}  // namespace

// B (d, e) = Ub diag(σ) Vbᵀ by divide and conquer. Ub, Vb: n×n row-major float, columns the
// vectors, in the order of sigma (>= 0, unsorted).
void bidiagonal_dc(const std::vector<double>& d, const std::vector<double>& e, int64_t n, float* Ub, float* Vb,
                   std::vector<double>& sigma) {
  DcState st;
  st.n = n;
  st.U = Ub;
  st.V = Vb;
  st.sigma.assign(n, 0.0);
  double scale = 0;
  for (int64_t i = 0; i < n; i++) scale = std::max(scale, std::fabs(d[i]));
  for (int64_t i = 0; i + 1 < n; i++) scale = std::max(scale, std::fabs(e[i]));
  std::fill(Ub, Ub + n * n, 0.f);
  std::fill(Vb, Vb + n * n, 0.f);
  if (scale == 0) {  // B = 0
    for (int64_t i = 0; i < n; i++) Ub[i * n + i] = Vb[i * n + i] = 1;
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
