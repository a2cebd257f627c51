// The public dense solvers on float32 Tensors (row-major), on top of the backend SVD and the
// float64 Cholesky and solves of cholesky.ts; the O(n³) work that must be accurate (Cholesky,
// triangular solves, Householder QR, small Jacobi eigen) runs in float64.
//
//   cholesky(A)            A = L Lᵀ, L lower triangular (A symmetric positive definite)
//   solveSPD(A, B, {ridge}) X with (A + ridge·I) X = B   (B n×k; the ridge normal equations)
//   symmetricEigen(A)      A = Q diag(λ) Qᵀ, λ descending, Q orthogonal; any symmetric A
//   inverseSqrtSPD(A)      A^{-1/2} = Q diag(λ^{-1/2}) Qᵀ   (CCA whitening; A must be SPD)
//   solveTriangular(L, B)  X with L X = B (or Lᵀ X = B), L lower triangular (e.g. from cholesky)
//   qr(A)                  A = Q R, thin (m >= n): Q m×n with orthonormal columns, R n×n upper
//
// Symmetric input is checked (|a_ij − a_ji| <= 1e-4·max|a|, then the symmetric part is used),
// so a covariance from a float32 GEMM that is symmetric only to rounding is accepted.

import { getBackend } from '../backend/registry.js';
import { ArgumentError, ShapeError, expected } from '../errors.js';
import { Tensor, shapeStr } from '../tensor.js';
import { cholesky64 as cholesky64Core, solveLower64, solveLowerT64, solveSPD64 } from './cholesky.js';

/** Symmetric eigen: values descending, vectors in the columns of an n×n tensor. */
export interface SymmetricEigen {
  values: Float64Array;
  vectors: Tensor;
}

/**
 * Largest n for which symmetricEigen and inverseSqrtSPD use float64 Jacobi (~0.1 s at n = 128);
 * above it they use the native float32 SVD (fast, ~1e-6·‖A‖ absolute accuracy). For whitening a
 * badly conditioned large covariance, cholesky + solveTriangular stay in float64.
 */
export const JACOBI_MAX_N = 128;

function finite(a: Tensor, what: string): void {
  if (a.hasNonFinite()) throw expected('a matrix of finite numbers', what, 'NaN or Infinity');
}

function square(a: Tensor, what: string): number {
  a.assertRank(2, what);
  const [r, c] = a.shape as [number, number];
  if (r !== c) throw new ShapeError(`${what}: expected a square matrix but received ${shapeStr(a.shape)}`);
  finite(a, what);
  return r;
}

/** A right-hand side for an n×n system of `op`: a vector of n entries (as n×1) or an n×k matrix, finite. */
function rhs(b: Tensor, n: number, a: Tensor, op: string): Tensor {
  const bb = b.rank === 1 ? b.reshape([b.shape[0]!, 1]) : b;
  bb.assertRank(2, `${op} right-hand side`);
  finite(bb, `${op} right-hand side`);
  if (bb.shape[0] !== n) throw new ShapeError(`${op}: the matrix is ${shapeStr(a.shape)} but the right-hand side has ${bb.shape[0]} rows`);
  return bb;
}

/** The symmetric part of a (as float64), after checking a is symmetric to float32 rounding. */
function symmetric64(a: Tensor, what: string): Float64Array {
  const n = square(a, what);
  const d = a.data;
  let amax = 0;
  for (let i = 0; i < d.length; i++) amax = Math.max(amax, Math.abs(d[i]!));
  const tol = 1e-4 * amax;
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const x = d[i * n + j]!;
      const y = d[j * n + i]!;
      if (Math.abs(x - y) > tol) {
        throw expected('a symmetric matrix', what, `a matrix with A[${i}][${j}] = ${x} but A[${j}][${i}] = ${y}`);
      }
      s[i * n + j] = s[j * n + i] = 0.5 * (x + y);
    }
  }
  return s;
}

function toTensor(x: Float64Array, shape: [number, number]): Tensor {
  return new Tensor(Float32Array.from(x), shape);
}

// A pivot that is not clearly positive (<= 1e-12 · the largest diagonal) means A is not
// (numerically) positive definite.
const MIN_PIVOT = 1e-12;
const notSPD = (what: string) => (j: number, s: number, dmax: number) =>
  new ArgumentError(
    `Expected a symmetric positive definite matrix for ${what} but received one whose pivot ${j} is ${s.toPrecision(3)} ` +
      `(largest diagonal ${dmax.toPrecision(3)}); add a ridge`,
  );

/** In-place float64 Cholesky of the n×n SPD matrix a (lower triangle gets L, upper is zeroed). */
function cholesky64(a: Float64Array, n: number, what: string): void {
  cholesky64Core(a, n, notSPD(what), MIN_PIVOT);
}

/** A = L Lᵀ for a symmetric positive definite A (n×n). Returns L (lower triangular). */
export function cholesky(a: Tensor): Tensor {
  const s = symmetric64(a, 'cholesky input');
  const n = a.shape[0]!;
  cholesky64(s, n, 'cholesky input');
  return toTensor(s, [n, n]);
}

/**
 * X (n×k) with (A + ridge·I) X = B, A symmetric positive (semi)definite n×n, B n×k (or a vector
 * of n entries, as an n×1 tensor). The ridge normal equations: solveSPD(XᵀX, XᵀY, { ridge }).
 */
export function solveSPD(a: Tensor, b: Tensor, opts: { ridge?: number } = {}): Tensor {
  const ridge = opts.ridge ?? 0;
  if (!(Number.isFinite(ridge) && ridge >= 0)) throw expected('a finite number >= 0', 'ridge', ridge);
  const l = symmetric64(a, 'solveSPD matrix');
  const n = a.shape[0]!;
  const bb = rhs(b, n, a, 'solveSPD');
  const k = bb.shape[1]!;
  for (let i = 0; i < n; i++) l[i * n + i]! += ridge;
  const x = Float64Array.from(bb.data);
  solveSPD64(l, n, x, k, notSPD('solveSPD matrix (plus ridge)'), MIN_PIVOT);
  return toTensor(x, [n, k]);
}

/**
 * X (n×k) with L X = B, or Lᵀ X = B with { transpose: true }; L n×n lower triangular (its upper
 * part is ignored), B n×k or a vector of n entries. Float64 substitution. Whitening with a
 * Cholesky factor C = L Lᵀ: Xw = (L⁻¹ Xᵀ)ᵀ has covariance I.
 */
export function solveTriangular(l: Tensor, b: Tensor, opts: { transpose?: boolean } = {}): Tensor {
  const n = square(l, 'solveTriangular matrix');
  const bb = rhs(b, n, l, 'solveTriangular');
  const k = bb.shape[1]!;
  const L = l.data;
  for (let i = 0; i < n; i++) {
    if (L[i * n + i] === 0) throw expected('a triangular matrix with a non-zero diagonal', 'solveTriangular matrix', `a zero at [${i}][${i}]`);
  }
  const x = Float64Array.from(bb.data);
  if (opts.transpose) solveLowerT64(L, n, x, k);
  else solveLower64(L, n, x, k);
  return toTensor(x, [n, k]);
}

/** Cyclic Jacobi in float64 on the symmetric s (n×n, destroyed): eigenvalues and vectors (columns of v). */
function jacobiEigen64(s: Float64Array, n: number): { values: Float64Array; v: Float64Array } {
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const x = s[i * n + j]! * s[i * n + j]!;
        total += x;
        if (i !== j) off += x;
      }
    }
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = s[p * n + q]!;
        if (apq === 0) continue;
        const app = s[p * n + p]!;
        const aqq = s[q * n + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const sn = t * c;
        // S ← Jᵀ S J on rows/columns p, q.
        for (let k = 0; k < n; k++) {
          const skp = s[k * n + p]!;
          const skq = s[k * n + q]!;
          s[k * n + p] = c * skp - sn * skq;
          s[k * n + q] = sn * skp + c * skq;
        }
        for (let k = 0; k < n; k++) {
          const spk = s[p * n + k]!;
          const sqk = s[q * n + k]!;
          s[p * n + k] = c * spk - sn * sqk;
          s[q * n + k] = sn * spk + c * sqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - sn * vkq;
          v[k * n + q] = sn * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = s[i * n + i]!;
  return { values, v };
}

/**
 * Eigen-decomposition of a symmetric (not necessarily definite) matrix: A = Q diag(λ) Qᵀ with
 * λ descending. n <= JACOBI_MAX_N: float64 Jacobi (λ to ~1e-15·‖A‖). Larger n: the native
 * float32 SVD of the shifted PSD matrix A + c·I (c = max row sum of |A| >= ρ(A)), λ = σ − c;
 * λ is then accurate to about 1e-6·c absolutely and Q orthonormal to ~1e-6.
 */
export function symmetricEigen(a: Tensor): SymmetricEigen {
  const s = symmetric64(a, 'symmetricEigen input');
  const n = a.shape[0]!;
  if (n <= JACOBI_MAX_N) {
    const { values, v } = jacobiEigen64(s, n);
    const order = Array.from(values.keys()).sort((x, y) => values[y]! - values[x]!);
    const vals = Float64Array.from(order, (i) => values[i]!);
    const q = new Float32Array(n * n);
    for (let r = 0; r < n; r++) for (let i = 0; i < n; i++) q[i * n + r] = v[i * n + order[r]!]!;
    return { values: vals, vectors: new Tensor(q, [n, n]) };
  }
  let c = 0;
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let j = 0; j < n; j++) r += Math.abs(s[i * n + j]!);
    c = Math.max(c, r);
  }
  const shifted = new Float32Array(n * n);
  for (let i = 0; i < n * n; i++) shifted[i] = s[i]!;
  for (let i = 0; i < n; i++) shifted[i * n + i] = s[i * n + i]! + c;
  const r = getBackend().svd(shifted, n, n, false);
  const values = Float64Array.from(r.S, (x) => x - c);
  return { values, vectors: new Tensor(r.U, [n, n]) };
}

/**
 * A^{-1/2} for a symmetric positive definite A (whitening: W A Wᵀ = I with W = A^{-1/2}).
 * Definiteness is checked by a float64 Cholesky first (add a ridge when it fails); the spectrum
 * then comes from the native SVD of A (for SPD A, U = V holds the eigenvectors).
 */
export function inverseSqrtSPD(a: Tensor): Tensor {
  const s = symmetric64(a, 'inverseSqrtSPD input');
  const n = a.shape[0]!;
  cholesky64(Float64Array.from(s), n, 'inverseSqrtSPD input');
  let q: Float32Array | Float64Array;
  let lam: Float64Array;
  if (n <= JACOBI_MAX_N) {
    const e = jacobiEigen64(s, n);
    q = e.v;
    lam = e.values;
  } else {
    const r = getBackend().svd(Float32Array.from(s), n, n, false);
    q = r.U;
    lam = Float64Array.from(r.S);
  }
  const out = new Float64Array(n * n);
  const col = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    if (!(lam[r]! > 0)) {
      throw new ArgumentError(`Expected a symmetric positive definite matrix for inverseSqrtSPD input but eigenvalue ${r} is ${lam[r]}; add a ridge`);
    }
    const w = 1 / Math.sqrt(lam[r]!);
    for (let i = 0; i < n; i++) col[i] = q[i * n + r]!;
    for (let i = 0; i < n; i++) {
      const ci = col[i]! * w;
      if (ci === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j]! += ci * col[j]!;
    }
  }
  return toTensor(out, [n, n]);
}

/** Thin Householder QR (float64) of A (m×n, m >= n): Q m×n with QᵀQ = I, R n×n upper triangular. */
export function qr(a: Tensor): { Q: Tensor; R: Tensor } {
  a.assertRank(2, 'qr');
  finite(a, 'qr input');
  const [m, n] = a.shape as [number, number];
  if (m < n) throw new ShapeError(`qr: expected a matrix with at least as many rows as columns but received ${shapeStr(a.shape)}`);
  const r = Float64Array.from(a.data);
  const vs: Float64Array[] = [];
  const taus: number[] = [];
  for (let k = 0; k < n; k++) {
    let norm2 = 0;
    for (let i = k; i < m; i++) norm2 += r[i * n + k]! * r[i * n + k]!;
    const alpha = r[k * n + k]!;
    const v = new Float64Array(m - k);
    let tau = 0;
    if (norm2 > alpha * alpha) {
      const beta = -Math.sign(alpha || 1) * Math.sqrt(norm2);
      tau = (beta - alpha) / beta;
      const scale = 1 / (alpha - beta);
      v[0] = 1;
      for (let i = k + 1; i < m; i++) v[i - k] = r[i * n + k]! * scale;
      // Apply H = I − τ v vᵀ to columns k.. of r.
      for (let j = k; j < n; j++) {
        let d = 0;
        for (let i = k; i < m; i++) d += v[i - k]! * r[i * n + j]!;
        d *= tau;
        for (let i = k; i < m; i++) r[i * n + j]! -= d * v[i - k]!;
      }
    } else {
      v[0] = 1;
    }
    vs.push(v);
    taus.push(tau);
  }
  // Q = H_0 … H_{n−1} [I; 0]
  const q = new Float64Array(m * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k]!;
    const tau = taus[k]!;
    if (tau === 0) continue;
    for (let j = 0; j < n; j++) {
      let d = 0;
      for (let i = k; i < m; i++) d += v[i - k]! * q[i * n + j]!;
      d *= tau;
      for (let i = k; i < m; i++) q[i * n + j]! -= d * v[i - k]!;
    }
  }
  const rr = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) rr[i * n + j] = r[i * n + j]!;
  return { Q: toTensor(q, [m, n]), R: toTensor(rr, [n, n]) };
}
