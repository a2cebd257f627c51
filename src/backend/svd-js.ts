// Reference SVD: one-sided (Hestenes) Jacobi in float64. Slow (O(n³) per sweep, ~10 sweeps)
// but simple and very accurate: the oracle for the native SVD kernels.
//
// For A (m×n, m >= n): rotate pairs of columns of W = A until all are mutually orthogonal,
// accumulating the rotations in V. Then σ_j = ||W[:, j]||, U[:, j] = W[:, j] / σ_j, and
// A = U diag(σ) Vᵀ. For m < n we factor Aᵀ = V S Uᵀ and swap.

import type { SvdResult } from './types.js';

export function svdJs(a: Float32Array, m: number, n: number, full: boolean): SvdResult {
  if (m < n) {
    const at = new Float32Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) at[j * m + i] = a[i * n + j]!;
    const r = svdJs(at, n, m, full);
    return { U: r.V, S: r.S, V: r.U, m, n, full };
  }
  // Column-major working copies: W[j] is column j of A (length m), Vc[j] column j of V.
  const W: Float64Array[] = [];
  const Vc: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const col = new Float64Array(m);
    for (let i = 0; i < m; i++) col[i] = a[i * n + j]!;
    W.push(col);
    const v = new Float64Array(n);
    v[j] = 1;
    Vc.push(v);
  }
  const eps = 1e-15;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const wp = W[p]!;
        const wq = W[q]!;
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          alpha += wp[i]! * wp[i]!;
          beta += wq[i]! * wq[i]!;
          gamma += wp[i]! * wq[i]!;
        }
        if (Math.abs(gamma) <= eps * Math.sqrt(alpha * beta) || gamma === 0) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const x = wp[i]!;
          const y = wq[i]!;
          wp[i] = c * x - s * y;
          wq[i] = s * x + c * y;
        }
        const vp = Vc[p]!;
        const vq = Vc[q]!;
        for (let i = 0; i < n; i++) {
          const x = vp[i]!;
          const y = vq[i]!;
          vp[i] = c * x - s * y;
          vq[i] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const sig = W.map((w) => Math.sqrt(w.reduce((s, x) => s + x * x, 0)));
  const order = sig.map((_, j) => j).sort((x, y) => sig[y]! - sig[x]!);
  const ucols = full ? m : n;
  const Ucols: Float64Array[] = [];
  const S = new Float32Array(n);
  const V = new Float32Array(n * n);
  order.forEach((j, r) => {
    S[r] = sig[j]!;
    for (let i = 0; i < n; i++) V[i * n + r] = Vc[j]![i]!;
    const u = new Float64Array(m);
    if (sig[j]! > 1e-300) for (let i = 0; i < m; i++) u[i] = W[j]![i]! / sig[j]!;
    Ucols.push(u);
  });
  // Columns for zero singular values (and, for full, the rest of Rⁿ): complete to an
  // orthonormal basis by Gram-Schmidt against the identity.
  completeBasis(Ucols, m, ucols, sig.map((s) => s).sort((x, y) => y - x));
  const U = new Float32Array(m * ucols);
  for (let r = 0; r < ucols; r++) for (let i = 0; i < m; i++) U[i * ucols + r] = Ucols[r]![i]!;
  return { U, S, V, m, n, full };
}

/** Replaces zero columns (σ ≈ 0) and appends columns up to `want`, keeping the set orthonormal. */
function completeBasis(cols: Float64Array[], m: number, want: number, sigmaSorted: number[]): void {
  const tol = (sigmaSorted[0] ?? 0) * 1e-12;
  const keep: Float64Array[] = [];
  const slots: number[] = [];
  cols.forEach((c, r) => ((sigmaSorted[r] ?? 0) > tol && (sigmaSorted[r] ?? 0) > 0 ? keep.push(c) : slots.push(r)));
  for (let r = cols.length; r < want; r++) slots.push(r);
  let e = 0;
  for (const r of slots) {
    for (; e < m; e++) {
      const v = new Float64Array(m);
      v[e] = 1;
      for (let pass = 0; pass < 2; pass++) {
        for (const q of keep) {
          let d = 0;
          for (let i = 0; i < m; i++) d += q[i]! * v[i]!;
          for (let i = 0; i < m; i++) v[i]! -= d * q[i]!;
        }
      }
      const nrm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      if (nrm > 1e-6) {
        for (let i = 0; i < m; i++) v[i]! /= nrm;
        keep.push(v);
        cols[r] = v;
        e++;
        break;
      }
    }
  }
}
