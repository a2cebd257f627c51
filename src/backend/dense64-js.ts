// The js reference of the float64 dense ops and the finite check (the Backend ops cholesky64,
// solveLower64, firstNonFinite): plain loops, the oracle for kernels/cpu/dense64.cpp and
// kernels/cpu/finite.h. The dot products run four partial sums so the adds don't form one long
// dependency chain. Row-major, densely packed.

import type { CholeskyResult } from './types.js';

/** Σ_{p<len} a[ai+p]·b[bi+p] */
function dot(a: Float64Array, ai: number, b: Float64Array, bi: number, len: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let p = 0;
  for (; p + 4 <= len; p += 4) {
    s0 += a[ai + p]! * b[bi + p]!;
    s1 += a[ai + p + 1]! * b[bi + p + 1]!;
    s2 += a[ai + p + 2]! * b[bi + p + 2]!;
    s3 += a[ai + p + 3]! * b[bi + p + 3]!;
  }
  for (; p < len; p++) s0 += a[ai + p]! * b[bi + p]!;
  return s0 + s1 + s2 + s3;
}

export function maxDiagonal(a: Float64Array, n: number): number {
  let dmax = 0;
  for (let i = 0; i < n; i++) dmax = Math.max(dmax, Math.abs(a[i * n + i]!));
  return dmax;
}

/** The plain column-by-column Cholesky: A = L Lᵀ in place, upper triangle zeroed. */
export function cholesky64Js(a: Float64Array, n: number, minPivot: number): CholeskyResult {
  const dmax = maxDiagonal(a, n);
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    const s = a[rj + j]! - dot(a, rj, a, rj, j);
    if (!(s > minPivot * dmax) || !(s > 0)) return { failedAt: j, pivot: s };
    const ljj = Math.sqrt(s);
    a[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      a[ri + j] = (a[ri + j]! - dot(a, ri, a, rj, j)) / ljj;
    }
    for (let k = j + 1; k < n; k++) a[rj + k] = 0;
  }
  return { failedAt: -1, pivot: 0 };
}

/** x (n×k) ← L⁻¹ x, or L⁻ᵀ x when transposed, by substitution row by row. */
export function solveLower64Js(l: Float64Array, n: number, x: Float64Array, k: number, transposed: boolean): void {
  if (transposed) {
    for (let i = n - 1; i >= 0; i--) {
      const xi = i * k;
      for (let p = i + 1; p < n; p++) {
        const f = l[p * n + i]!;
        if (f === 0) continue;
        const xp = p * k;
        for (let c = 0; c < k; c++) x[xi + c]! -= f * x[xp + c]!;
      }
      const inv = 1 / l[i * n + i]!;
      for (let c = 0; c < k; c++) x[xi + c]! *= inv;
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const xi = i * k;
    for (let p = 0; p < i; p++) {
      const f = l[i * n + p]!;
      if (f === 0) continue;
      const xp = p * k;
      for (let c = 0; c < k; c++) x[xi + c]! -= f * x[xp + c]!;
    }
    const inv = 1 / l[i * n + i]!;
    for (let c = 0; c < k; c++) x[xi + c]! *= inv;
  }
}

/** Index of the first NaN/±Infinity, or −1. */
export function firstNonFiniteJs(x: Float32Array): number {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i]!)) return i;
  return -1;
}
