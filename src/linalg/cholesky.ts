// Float64 Cholesky, triangular and SPD solves: the one implementation behind the Tensor solvers
// (solvers.ts), CCA's whitening (align/cca.ts) and every ridge fit (ridge.ts). Backend ops
// (src/backend/types.ts): the cpu and cuda backends run kernels/cpu/dense64.cpp for large
// problems, the js backend its plain loops (src/backend/dense64-js.ts). Row-major, dense.
//
//   cholesky64(A, n, fail)      A = L Lᵀ in place: lower triangle L, upper triangle zeroed
//   solveLower64(L, n, X, k)    X ← L⁻¹ X      (X n×k)
//   solveLowerT64(L, n, X, k)   X ← L⁻ᵀ X
//   solveSPD64(A, n, B, k, fail)  B ← A⁻¹ B by Cholesky (A is overwritten by L)

import { maxDiagonal } from '../backend/dense64-js.js';
import { getBackend } from '../backend/registry.js';

/** Builds the error for pivot j that is not clearly positive (given the largest diagonal entry). */
export type CholeskyFailure = (j: number, pivot: number, maxDiagonal: number) => Error;

/**
 * In-place Cholesky of the n×n SPD matrix a. `fail(j, pivot, maxDiagonal)` builds the error for
 * a pivot that is not clearly positive (pivot <= minPivot·maxDiagonal, default 0).
 */
export function cholesky64(a: Float64Array, n: number, fail: CholeskyFailure, minPivot = 0): void {
  const dmax = maxDiagonal(a, n);
  const r = getBackend().cholesky64(a, n, minPivot);
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

/** b (n×k) ← A⁻¹ b for symmetric positive definite A (n×n), which is overwritten by its Cholesky factor. */
export function solveSPD64(a: Float64Array, n: number, b: Float64Array, k: number, fail: CholeskyFailure, minPivot = 0): void {
  cholesky64(a, n, fail, minPivot);
  solveLower64(a, n, b, k);
  solveLowerT64(a, n, b, k);
}
