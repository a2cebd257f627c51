// Float64 dense kernels shared by the solvers (linalg.ts), the alignment methods (align/) and
// ridge reconstruction (prune/ridge.ts): in-place Cholesky and the two triangular solves.
// Row-major, densely packed. Large problems run in the native addon (kernels/cpu/dense64.cpp:
// blocked, threaded); the loops here are the plain reference it is tested against and the
// path without the addon. The dot products run four partial sums so the adds don't form one
// long dependency chain.
//
//   cholesky64(A, n)        A = L Lᵀ in place: lower triangle L, upper triangle zeroed
//   solveLower64(L, n, X, k)  X ← L⁻¹ X      (X n×k)
//   solveLowerT64(L, n, X, k) X ← L⁻ᵀ X

import { loadAddon } from './backend/addon.js';

// Below these sizes the call into the addon costs more than it saves.
const NATIVE_MIN_N = 48;
const NATIVE_MIN_SOLVE = 1 << 15; // n·n·k

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

function maxDiagonal(a: Float64Array, n: number): number {
  let dmax = 0;
  for (let i = 0; i < n; i++) dmax = Math.max(dmax, Math.abs(a[i * n + i]!));
  return dmax;
}

/**
 * In-place Cholesky of the n×n SPD matrix a. `fail(j, pivot, maxDiagonal)` builds the error for
 * a pivot that is not clearly positive (pivot <= minPivot·maxDiagonal, default 0).
 */
export function cholesky64(
  a: Float64Array,
  n: number,
  fail: (j: number, pivot: number, maxDiagonal: number) => Error,
  minPivot = 0,
): void {
  const native = loadAddon().addon;
  if (n >= NATIVE_MIN_N && native?.cholesky64 && a.length >= n * n) {
    const dmax = maxDiagonal(a, n);
    const r = native.cholesky64(a, n, minPivot);
    if (r.failedAt >= 0) throw fail(r.failedAt, r.pivot, dmax);
    return;
  }
  cholesky64Js(a, n, fail, minPivot);
}

/** The plain column-by-column Cholesky (the reference for the native one). */
export function cholesky64Js(
  a: Float64Array,
  n: number,
  fail: (j: number, pivot: number, maxDiagonal: number) => Error,
  minPivot = 0,
): void {
  const dmax = maxDiagonal(a, n);
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    const s = a[rj + j]! - dot(a, rj, a, rj, j);
    if (!(s > minPivot * dmax) || !(s > 0)) throw fail(j, s, dmax);
    const ljj = Math.sqrt(s);
    a[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      a[ri + j] = (a[ri + j]! - dot(a, ri, a, rj, j)) / ljj;
    }
    for (let k = j + 1; k < n; k++) a[rj + k] = 0;
  }
}

/** x (n×k) ← L⁻¹ x for lower-triangular L (n×n). */
export function solveLower64(l: Float64Array | Float32Array, n: number, x: Float64Array, k: number): void {
  if (!solveNative(l, n, x, k, false)) solveLower64Js(l, n, x, k);
}

/** x (n×k) ← L⁻ᵀ x for lower-triangular L (n×n). */
export function solveLowerT64(l: Float64Array | Float32Array, n: number, x: Float64Array, k: number): void {
  if (!solveNative(l, n, x, k, true)) solveLowerT64Js(l, n, x, k);
}

function solveNative(l: Float64Array | Float32Array, n: number, x: Float64Array, k: number, transposed: boolean): boolean {
  const native = loadAddon().addon;
  if (!(l instanceof Float64Array) || n * n * k < NATIVE_MIN_SOLVE || !native?.solveLower64) return false;
  if (l.length < n * n || x.length < n * k || l.buffer === x.buffer) return false;
  native.solveLower64(l, n, x, k, transposed);
  return true;
}

/** The plain L⁻¹ x (the reference for the native one). */
export function solveLower64Js(l: Float64Array | Float32Array, n: number, x: Float64Array, k: number): void {
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

/** The plain L⁻ᵀ x (the reference for the native one). */
export function solveLowerT64Js(l: Float64Array | Float32Array, n: number, x: Float64Array, k: number): void {
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
}
