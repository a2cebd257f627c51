// Classical CCA. X [n×dx] and Y [n×dy] are paired row by row.
//
//   Xc, Yc = X, Y minus their column means
//   Cxx = XcᵀXc/n + r·tr(XcᵀXc/n)/dx·I     Cyy likewise     Cxy = XcᵀYc/n     (r = ridge, relative)
//   Cxx = Lx·Lxᵀ, Cyy = Ly·Lyᵀ  (Cholesky: Lx⁻¹ whitens X)
//   M = Lx⁻¹·Cxy·Ly⁻ᵀ = U·diag(S)·Vᵀ  (thin SVD)
//   Wx = Lx⁻ᵀ·U[:, :k]   Wy = Ly⁻ᵀ·V[:, :k]   correlations = S[:k] (descending)
//
// Any whitening gives the same canonical correlations and directions; Cholesky is the cheapest.
// Signs are deterministic: each pair of columns (Wx[:, j], Wy[:, j]) is flipped together so that
// the entry of Wx[:, j] with the largest magnitude is positive. transform() maps both views into
// the shared k-dim space: (X − μx)·Wx and (Y − μy)·Wy, each column j scaled by correlations[j]
// when `weighted`.

import { ArgumentError, expected } from '../errors.js';
import { svd } from '../ops.js';
import { Tensor } from '../tensor.js';
import { cholesky64, solveLower64, solveLowerT64 } from '../linalg/cholesky.js';
import { applyLinear, gemm64, mat, matToTensor, trace, transpose, type Mat } from '../linalg/mat.js';
import { ridgeLambda } from '../linalg/ridge.js';
import { centerRows, checkMatrix, checkSameRows } from './input.js';
import { assertInputSpace, newSpace, spaceOf, tagSpace } from './space.js';

export interface CcaOptions {
  k: number;
  /** Relative ridge: ridge·trace(C)/d is added to each auto-covariance's diagonal. Default 1e-6. */
  ridge?: number;
  /**
   * When k is more than the data allow (the widths, rows − 1 or the rank of the whitened
   * cross-covariance), use that many instead of throwing; `correlations.length` says how many.
   */
  capK?: boolean;
  /** Scale shared dimension j by correlations[j] in transform(). */
  weighted?: boolean;
}

export interface CcaResult {
  Wx: Tensor; // dx×k
  Wy: Tensor; // dy×k
  correlations: Float32Array; // k, descending
  meanX: Float32Array;
  meanY: Float32Array;
  space: string;
  transform(X: Tensor, Y: Tensor): [Tensor, Tensor];
  applyX(X: Tensor): Tensor;
  applyY(Y: Tensor): Tensor;
  tensors(): Record<string, Tensor>;
}

function covariance(a: Tensor, b: Tensor, n: number): Mat {
  const c = gemm64(a, b, true, false);
  for (let i = 0; i < c.data.length; i++) c.data[i]! /= n;
  return c;
}

function addRidge(c: Mat, ridge: number): void {
  const d = c.rows;
  const lambda = ridgeLambda(ridge, 'relative', trace(c), d);
  for (let i = 0; i < d; i++) c.data[i * d + i]! += lambda;
}

/** The lower Cholesky factor of a covariance, in place. */
function choleskyOf(c: Mat, what: string): Mat {
  cholesky64(c.data, c.rows, (j, d) => new ArgumentError(`The ${what} is singular or not positive definite (pivot ${j} is ${d.toExponential(2)}); add a ridge > 0`));
  return c;
}

/** L⁻¹·B (or L⁻ᵀ·B), in place of B. */
function solveWith(l: Mat, b: Mat, transposed: boolean): Mat {
  (transposed ? solveLowerT64 : solveLower64)(l.data, l.rows, b.data, b.cols);
  return b;
}

export function cca(X: Tensor, Y: Tensor, opts: CcaOptions): CcaResult {
  if (opts === null || typeof opts !== 'object') throw expected('an options object with k', 'cca options', opts);
  const [n, dx] = checkMatrix(X, 'cca X');
  const [, dy] = checkMatrix(Y, 'cca Y');
  checkSameRows(X, Y, 'cca X', 'cca Y');
  let { k } = opts;
  const ridge = opts.ridge ?? 1e-6;
  const weighted = opts.weighted ?? false;
  const maxK = Math.min(dx, dy, n - 1);
  if (!Number.isInteger(k) || k < 1) throw expected('a positive integer', 'cca k', k);
  if (opts.capK && k > maxK) k = maxK;
  if (k > maxK) throw expected(`k ≤ ${maxK} (min of the widths ${dx}, ${dy} and rows − 1 = ${n - 1})`, 'cca k', k);
  if (!(Number.isFinite(ridge) && ridge >= 0)) throw expected('a finite ridge ≥ 0', 'cca ridge', ridge);

  const meanX = X.colMeans();
  const meanY = Y.colMeans();
  const xc = centerRows(X, meanX);
  const yc = centerRows(Y, meanY);
  const cxx = covariance(xc, xc, n);
  const cyy = covariance(yc, yc, n);
  const cxy = covariance(xc, yc, n);
  addRidge(cxx, ridge);
  addRidge(cyy, ridge);
  const lx = choleskyOf(cxx, 'covariance of X (with ridge)');
  const ly = choleskyOf(cyy, 'covariance of Y (with ridge)');

  // M = Lx⁻¹ · Cxy · Ly⁻ᵀ:  T = Lx⁻¹·Cxy, then M = (Ly⁻¹·Tᵀ)ᵀ.
  const t = solveWith(lx, cxy, false);
  const m = transpose(solveWith(ly, transpose(t), false));
  const { U, S, V } = svd(matToTensor(m));
  const p = S.length;
  const tol = 1e-5 * (S[0] ?? 0);
  let rank = 0;
  while (rank < p && S[rank]! > tol) rank++;
  if (opts.capK && k > rank) k = Math.max(1, rank);
  if (k > rank) {
    throw new ArgumentError(`Expected k ≤ ${rank} (the rank of the whitened cross-covariance of X and Y) for cca k but received ${k}`);
  }

  const uk = mat(dx, k);
  const vk = mat(dy, k);
  for (let i = 0; i < dx; i++) for (let j = 0; j < k; j++) uk.data[i * k + j] = U.data[i * p + j]!;
  for (let i = 0; i < dy; i++) for (let j = 0; j < k; j++) vk.data[i * k + j] = V.data[i * p + j]!;
  const wx = solveWith(lx, uk, true);
  const wy = solveWith(ly, vk, true);
  for (let j = 0; j < k; j++) {
    let best = 0;
    for (let i = 0; i < dx; i++) if (Math.abs(wx.data[i * k + j]!) > Math.abs(best)) best = wx.data[i * k + j]!;
    if (best < 0) {
      for (let i = 0; i < dx; i++) wx.data[i * k + j] = -wx.data[i * k + j]!;
      for (let i = 0; i < dy; i++) wy.data[i * k + j] = -wy.data[i * k + j]!;
    }
  }
  const correlations = S.slice(0, k);
  const wScaled = (w: Mat): Mat => {
    if (!weighted) return w;
    const out = mat(w.rows, w.cols, w.data.slice());
    for (let i = 0; i < w.rows; i++) for (let j = 0; j < k; j++) out.data[i * k + j]! *= correlations[j]!;
    return out;
  };
  const wxT = wScaled(wx);
  const wyT = wScaled(wy);
  const spaceX = spaceOf(X);
  const spaceY = spaceOf(Y);
  const space = newSpace('cca');
  const applyX = (x: Tensor): Tensor => {
    checkMatrix(x, 'cca transform X', { allowEmpty: true });
    if (x.cols !== dx) throw expected(`a matrix with ${dx} columns`, 'cca transform X', `shape [${x.shape.join(', ')}]`);
    assertInputSpace(x, spaceX, 'The X side of this CCA');
    return tagSpace(applyLinear(centerRows(x, meanX), wxT), space);
  };
  const applyY = (y: Tensor): Tensor => {
    checkMatrix(y, 'cca transform Y', { allowEmpty: true });
    if (y.cols !== dy) throw expected(`a matrix with ${dy} columns`, 'cca transform Y', `shape [${y.shape.join(', ')}]`);
    assertInputSpace(y, spaceY, 'The Y side of this CCA');
    return tagSpace(applyLinear(centerRows(y, meanY), wyT), space);
  };
  return {
    Wx: matToTensor(wx),
    Wy: matToTensor(wy),
    correlations,
    meanX,
    meanY,
    space,
    transform: (x, y) => [applyX(x), applyY(y)],
    applyX,
    applyY,
    tensors: () => ({ Wx: matToTensor(wx), Wy: matToTensor(wy), correlations: new Tensor(correlations, [k]), meanX: new Tensor(meanX, [dx]), meanY: new Tensor(meanY, [dy]) }),
  };
}
