// The one set of tolerances every backend is held to against the js reference (conformance,
// svd, cuda and forced-kernel tests all use these; plain JS so the child-process checks can too).
//
// gemm: each output is a k-term float32 dot product; rounding errors of random sign grow like
//   √k·ε₃₂ (ε₃₂ ≈ 6e-8), and the reference sums in float64. 4e-5·√k relative to 1 + |ref|
//   leaves ~100× headroom over √k·ε₃₂ for the blocked and FMA summation orders.
// svd: a backward-stable float32 SVD has ‖A − U S Vᵀ‖_F ≲ c·√max(m,n)·ε₃₂·‖A‖_F, and
//   ‖XᵀX − I‖ ≲ c·ε₃₂ for X = U, V; singular values move by at most ‖δA‖₂ ≤ c·ε₃₂·σmax (Weyl).
//   1e-5 is ~100·ε₃₂.

/** gemm with inner dimension k: |c − ref| ≤ gemmTolerance(k)·(1 + |ref|). */
export function gemmTolerance(k) {
  return 4e-5 * Math.sqrt(Math.max(1, k));
}

/** The first element where |got − want| > tol·(1 + |want|), as a message; null when all agree. */
export function firstMismatch(got, want, tol, label) {
  if (got.length !== want.length) return `${label}: length ${got.length}, expected ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= tol * (1 + Math.abs(want[i])))) {
      return `${label}: element ${i}: got ${got[i]}, expected ${want[i]} (|diff| ${err.toExponential(2)} > ${tol.toExponential(2)}·(1 + |ref|))`;
    }
  }
  return null;
}

/** Frobenius norm. */
export function frobenius(a) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/** Singular values agree with a reference: |S − Sref| ≤ svdValueTolerance(Sref). */
export function svdValueTolerance(sRef) {
  return 1e-5 * (sRef[0] ?? 0) + 1e-30;
}

/** Allowed ‖A − U S Vᵀ‖_F for an m×n A. */
export function svdReconstructionTolerance(a, m, n) {
  return 1e-5 * frobenius(a) * Math.max(1, Math.sqrt(Math.max(m, n)) / 4) + 1e-30;
}

/** Allowed max |XᵀX − I| for the singular vectors. */
export const SVD_ORTHONORMAL_TOLERANCE = 1e-5;

/** ‖A − U diag(S) Vᵀ‖_F for U m×pu, V n×pv (the first min(m, n) columns used). */
export function svdReconstructionError(r, a, m, n, full) {
  const p = Math.min(m, n);
  const pu = full ? m : p;
  const pv = full ? n : p;
  let err2 = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < p; k++) s += r.U[i * pu + k] * r.S[k] * r.V[j * pv + k];
      err2 += (s - a[i * n + j]) ** 2;
    }
  }
  return Math.sqrt(err2);
}

/** max |XᵀX − I| for X rows×cols. */
export function orthError(x, rows, cols) {
  let worst = 0;
  for (let a = 0; a < cols; a++) {
    for (let b = a; b < cols; b++) {
      let s = 0;
      for (let i = 0; i < rows; i++) s += x[i * cols + a] * x[i * cols + b];
      worst = Math.max(worst, Math.abs(s - (a === b ? 1 : 0)));
    }
  }
  return worst;
}

/**
 * Everything wrong with an SVD result of the m×n matrix a (shapes, S descending and >= 0,
 * reconstruction, orthonormal U and V), as messages; empty when it is a valid SVD.
 */
export function svdProblems(r, a, m, n, full, label) {
  const p = Math.min(m, n);
  const pu = full ? m : p;
  const pv = full ? n : p;
  const out = [];
  if (r.U.length !== m * pu || r.S.length !== p || r.V.length !== n * pv) {
    return [`${label}: sizes U ${r.U.length}, S ${r.S.length}, V ${r.V.length}; expected ${m * pu}, ${p}, ${n * pv}`];
  }
  for (let i = 0; i < p; i++) {
    if (!(r.S[i] >= 0)) out.push(`${label}: S[${i}] = ${r.S[i]} is negative`);
    if (i > 0 && r.S[i] > r.S[i - 1]) out.push(`${label}: S not descending at ${i}`);
  }
  const rec = svdReconstructionError(r, a, m, n, full);
  const tol = svdReconstructionTolerance(a, m, n);
  if (!(rec <= tol)) out.push(`${label}: ‖A − U S Vᵀ‖_F = ${rec} > ${tol}`);
  for (const [x, rows, cols, name] of [[r.U, m, pu, 'U'], [r.V, n, pv, 'V']]) {
    const e = orthError(x, rows, cols);
    if (!(e <= SVD_ORTHONORMAL_TOLERANCE)) out.push(`${label}: max |${name}ᵀ${name} − I| = ${e}`);
  }
  return out;
}
