// Ridge least squares with an intercept, in closed form. X [n×dx] and Y [n×dy] paired by row:
//
//   μx, μy = column means;  Xc = X − μx;  Yc = Y − μy
//   W = (XcᵀXc + ridge·I)⁻¹ · XcᵀYc      (dx×dy, Cholesky in float64)
//   b = μy − μx·W                        apply(X) = X·W + b
//
// `ridge` is absolute, like sklearn.linear_model.Ridge(alpha=ridge, fit_intercept=True); with
// ridge = 0 (the default, plain least squares) a singular XcᵀXc (dead ReLU units, more widths
// than rows) is reported with a hint to add a ridge.
// `center`: compare in Y's centred space: apply(X) = X·W + b − μy and target(Y) = Y − μy
// (cosine retrieval depends on the origin; centring both sides is what the benchmarks use).

import { expected } from '../errors.js';
import { Tensor } from '../tensor.js';
import { applyLinear, centerRows, checkMatrix, checkSameRows, gemm64, solveSPD, type Mat } from './dense.js';
import { assertInputSpace, newSpace, spaceOf, tagSpace } from './space.js';

export interface LinearMapOptions {
  ridge?: number;
  center?: boolean;
}

export interface LinearMapResult {
  W: Tensor; // dx×dy
  b: Float32Array; // dy
  meanY: Float32Array;
  space: string;
  apply(X: Tensor): Tensor;
  target(Y: Tensor): Tensor;
  tensors(): Record<string, Tensor>;
}

/** Solves the centred ridge problem; returns W (float64) and the means. */
export function ridgeSolve(X: Tensor, Y: Tensor, ridge: number, what: string): { W: Mat; meanX: Float32Array; meanY: Float32Array } {
  const meanX = X.colMeans();
  const meanY = Y.colMeans();
  const xc = centerRows(X, meanX);
  const yc = centerRows(Y, meanY);
  const g = gemm64(xc, xc, true, false);
  const d = g.rows;
  for (let i = 0; i < d; i++) g.data[i * d + i]! += ridge;
  const c = gemm64(xc, yc, true, false);
  const W = solveSPD(g, c, `${what} Gram matrix XᵀX${ridge > 0 ? ` + ${ridge}·I` : ''}`);
  return { W, meanX, meanY };
}

export function linearMap(X: Tensor, Y: Tensor, opts: LinearMapOptions = {}): LinearMapResult {
  if (opts === null || typeof opts !== 'object') throw expected('an options object', 'linearMap options', opts);
  checkMatrix(X, 'linearMap X');
  checkMatrix(Y, 'linearMap Y');
  checkSameRows(X, Y, 'linearMap X', 'linearMap Y');
  const ridge = opts.ridge ?? 0;
  if (!(Number.isFinite(ridge) && ridge >= 0)) throw expected('a finite ridge ≥ 0', 'linearMap ridge', ridge);
  const center = opts.center ?? false;
  const { W, meanX, meanY } = ridgeSolve(X, Y, ridge, 'linearMap');
  const dy = Y.cols;
  const b = new Float64Array(dy);
  for (let j = 0; j < dy; j++) {
    let s = meanY[j]!;
    for (let i = 0; i < W.rows; i++) s -= meanX[i]! * W.data[i * dy + j]!;
    b[j] = s;
  }
  const bApply = center ? b.map((v, j) => v - meanY[j]!) : b;
  const spaceX = spaceOf(X);
  const spaceY = spaceOf(Y);
  const space = center ? newSpace(`linear(${spaceY ?? 'Y'})`) : (spaceY ?? newSpace('linear'));
  const Wt = new Tensor(Float32Array.from(W.data), [W.rows, W.cols]);
  return {
    W: Wt,
    b: Float32Array.from(b),
    meanY,
    space,
    apply(x: Tensor): Tensor {
      checkMatrix(x, 'linearMap apply() input', { allowEmpty: true });
      assertInputSpace(x, spaceX, 'This linear map');
      return tagSpace(applyLinear(x, W, bApply), space);
    },
    tensors: () => ({ W: Wt, b: new Tensor(Float32Array.from(b), [dy]), meanY: new Tensor(meanY, [dy]) }),
    target(y: Tensor): Tensor {
      checkMatrix(y, 'linearMap target() input', { allowEmpty: true });
      if (y.cols !== dy) throw expected(`a matrix with ${dy} columns`, 'linearMap target() input', `shape [${y.shape.join(', ')}]`);
      assertInputSpace(y, spaceY, 'The target side of this linear map');
      return tagSpace(center ? centerRows(y, meanY) : y.clone(), space);
    },
  };
}
