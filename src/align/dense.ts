// Small dense helpers for the alignment methods, in float64 on d×d matrices (d = embedding width,
// at most a few thousand). Big products (n×d data) go through the backend gemm; only the small
// d×d solves happen here.
//
// src/linalg.ts (cholesky, solveSPD, symmetricEigen, inverseSqrtSPD) is the library's public home
// for dense solvers; it takes and returns float32 Tensors. The methods here chain several solves
// (CCA: two Cholesky factors, two triangular solves on each side), so they keep the intermediate
// d×d matrices in float64 with these few minimal routines instead of rounding to float32 between
// steps.

import { getBackend } from '../backend/registry.js';
import { ArgumentError, DataError, ShapeError, expected } from '../errors.js';
import { Tensor, shapeStr } from '../tensor.js';
import { cholesky64, solveLower64, solveLowerT64 } from '../dense64.js';
import { firstNonFinite } from '../finite.js';

/** Row-major float64 matrix. */
export interface Mat {
  data: Float64Array;
  rows: number;
  cols: number;
}

export function mat(rows: number, cols: number, data?: Float64Array): Mat {
  return { data: data ?? new Float64Array(rows * cols), rows, cols };
}

export function toTensor(m: Mat): Tensor {
  return new Tensor(Float32Array.from(m.data), [m.rows, m.cols]);
}

export function fromTensor(t: Tensor): Mat {
  return { data: Float64Array.from(t.data), rows: t.rows, cols: t.cols };
}

/** Checks a 2-D, non-empty, finite matrix argument and returns [rows, cols]. */
export function checkMatrix(t: unknown, name: string, opts: { allowEmpty?: boolean } = {}): [number, number] {
  if (!(t instanceof Tensor)) throw expected('a 2-D Tensor', name, t);
  if (t.rank !== 2) throw expected('a 2-D Tensor', name, `a tensor of shape ${shapeStr(t.shape)}`);
  const [m, n] = t.shape as [number, number];
  if (!opts.allowEmpty && (m === 0 || n === 0)) throw new DataError(`Expected a non-empty matrix for ${name} but received shape ${shapeStr(t.shape)} (is the fit range empty?)`);
  const i = firstNonFinite(t.data);
  if (i >= 0) {
    throw new DataError(`Expected finite numbers for ${name} but received ${Number.isNaN(t.data[i]!) ? 'NaN' : t.data[i]! > 0 ? 'Infinity' : '-Infinity'} at row ${Math.floor(i / n)}, column ${i % n}`);
  }
  return [m, n];
}

export function checkSameRows(a: Tensor, b: Tensor, na: string, nb: string): void {
  if (a.rows !== b.rows) {
    throw new ShapeError(`${na} and ${nb} must be paired row by row, but ${na} has ${a.rows} rows and ${nb} has ${b.rows} (shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)})`);
  }
}

/** X - mean (row vector), a copy. */
export function centerRows(x: Tensor, mean: Float32Array): Tensor {
  const n = x.cols;
  if (mean.length !== n) throw new ShapeError(`Cannot centre rows of ${n} columns with a mean of length ${mean.length}`);
  const out = new Float32Array(x.size);
  for (let i = 0; i < x.data.length; i++) out[i] = x.data[i]! - mean[i % n]!;
  return new Tensor(out, x.shape);
}

/** Each row scaled to unit L2 length (zero rows stay zero), a copy. */
export function unitRows(x: Tensor): Tensor {
  const n = x.cols;
  const out = new Float32Array(x.size);
  for (let i = 0; i < x.rows; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += x.data[i * n + j]! * x.data[i * n + j]!;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < n; j++) out[i * n + j] = x.data[i * n + j]! * inv;
  }
  return new Tensor(out, x.shape);
}

/** op(A)·op(B) through the backend gemm, returned as float64. */
export function gemm64(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Mat {
  const m = transA ? a.cols : a.rows;
  const k = transA ? a.rows : a.cols;
  const n = transB ? b.rows : b.cols;
  const c = new Float32Array(m * n);
  getBackend().gemm(m, n, k, a.data, b.data, c, { transA, transB });
  return mat(m, n, Float64Array.from(c));
}

/** X·W (+ b) for a float32 X [n×d] and float64 W [d×k] through the backend gemm. */
export function applyLinear(x: Tensor, w: Mat, bias?: Float64Array | Float32Array): Tensor {
  if (x.cols !== w.rows) throw new ShapeError(`Expected ${w.rows} columns for the input to this map but received shape ${shapeStr(x.shape)}`);
  const c = new Float32Array(x.rows * w.cols);
  getBackend().gemm(x.rows, w.cols, w.rows, x.data, Float32Array.from(w.data), c, bias ? { bias: Float32Array.from(bias) } : {});
  return new Tensor(c, [x.rows, w.cols]);
}

/** In-place lower Cholesky factor of an SPD matrix (upper triangle zeroed). Throws when not SPD. */
export function cholesky(a: Mat, what = 'matrix'): Mat {
  cholesky64(a.data, a.rows, (j, d) => new ArgumentError(`The ${what} is singular or not positive definite (pivot ${j} is ${d.toExponential(2)}); add a ridge > 0`));
  return a;
}

/** Solves L·X = B (L lower triangular n×n, B n×k) in place of B. */
export function solveLower(l: Mat, b: Mat): Mat {
  solveLower64(l.data, l.rows, b.data, b.cols);
  return b;
}

/** Solves Lᵀ·X = B (L lower triangular) in place of B. */
export function solveUpperT(l: Mat, b: Mat): Mat {
  solveLowerT64(l.data, l.rows, b.data, b.cols);
  return b;
}

/** Solves (A)·X = B for SPD A via Cholesky (A is overwritten by its factor). */
export function solveSPD(a: Mat, b: Mat, what = 'matrix'): Mat {
  const l = cholesky(a, what);
  return solveUpperT(l, solveLower(l, b));
}

export function transpose(m: Mat): Mat {
  const out = mat(m.cols, m.rows);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) out.data[j * m.rows + i] = m.data[i * m.cols + j]!;
  return out;
}

export function trace(m: Mat): number {
  let s = 0;
  for (let i = 0; i < Math.min(m.rows, m.cols); i++) s += m.data[i * m.cols + i]!;
  return s;
}
