// Float64 dense kernels shared by the solvers (linalg.ts), the alignment methods (align/) and
// ridge reconstruction (prune/ridge.ts): in-place Cholesky and the two triangular solves, as
// backend ops (src/backend/types.ts): the cpu and cuda backends run kernels/cpu/dense64.cpp for
// large problems, the js backend its plain loops (src/backend/dense64-js.ts).
//
//   cholesky64(A, n)        A = L Lᵀ in place: lower triangle L, upper triangle zeroed
//   solveLower64(L, n, X, k)  X ← L⁻¹ X      (X n×k)
//   solveLowerT64(L, n, X, k) X ← L⁻ᵀ X

import { cholesky64Js as choleskyReference, maxDiagonal, solveLower64Js as solveReference } from './backend/dense64-js.js';
import { getBackend } from './backend/registry.js';

type Fail = (j: number, pivot: number, maxDiagonal: number) => Error;

/**
 * In-place Cholesky of the n×n SPD matrix a. `fail(j, pivot, maxDiagonal)` builds the error for
 * a pivot that is not clearly positive (pivot <= minPivot·maxDiagonal, default 0).
 */
export function cholesky64(a: Float64Array, n: number, fail: Fail, minPivot = 0): void {
  const dmax = maxDiagonal(a, n);
  const r = getBackend().cholesky64(a, n, minPivot);
  if (r.failedAt >= 0) throw fail(r.failedAt, r.pivot, dmax);
}

/** The plain column-by-column Cholesky (the reference for the native one). */
export function cholesky64Js(a: Float64Array, n: number, fail: Fail, minPivot = 0): void {
  const dmax = maxDiagonal(a, n);
  const r = choleskyReference(a, n, minPivot);
  if (r.failedAt >= 0) throw fail(r.failedAt, r.pivot, dmax);
}

const f64 = (l: Float64Array | Float32Array): Float64Array => (l instanceof Float64Array ? l : Float64Array.from(l));

/** x (n×k) ← L⁻¹ x for lower-triangular L (n×n). */
export function solveLower64(l: Float64Array | Float32Array, n: number, x: Float64Array, k: number): void {
  getBackend().solveLower64(f64(l), n, x, k, false);
}

/** x (n×k) ← L⁻ᵀ x for lower-triangular L (n×n). */
export function solveLowerT64(l: Float64Array | Float32Array, n: number, x: Float64Array, k: number): void {
  getBackend().solveLower64(f64(l), n, x, k, true);
}

/** The plain L⁻¹ x (the reference for the native one). */
export function solveLower64Js(l: Float64Array | Float32Array, n: number, x: Float64Array, k: number): void {
  solveReference(f64(l), n, x, k, false);
}

/** The plain L⁻ᵀ x (the reference for the native one). */
export function solveLowerT64Js(l: Float64Array | Float32Array, n: number, x: Float64Array, k: number): void {
  solveReference(f64(l), n, x, k, true);
}
