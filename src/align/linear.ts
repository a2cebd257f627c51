// Ridge least squares with an intercept, in closed form. X [n×dx] and Y [n×dy] paired by row:
//
//   μx, μy = column means;  Xc = X − μx;  Yc = Y − μy
//   W = (XcᵀXc + ridge·I)⁻¹ · XcᵀYc      (dx×dy, Cholesky in float64)
//   b = μy − μx·W                        apply(X) = X·W + b
//
// The fit is linalg/ridge.ts's ridgeFit. `ridgeScale` says how `ridge` is read: 'absolute'
// (the default: λ = ridge, like sklearn.linear_model.Ridge(alpha=ridge, fit_intercept=True)) or
// 'relative' (λ = ridge·trace(XcᵀXc)/dx, as cca and the CLI's --ridge read it). With ridge = 0
// (the default, plain least squares) a singular XcᵀXc (dead ReLU units, more widths than rows)
// is reported with a hint to add a ridge.
// `center`: compare in Y's centred space: apply(X) = X·W + b − μy and target(Y) = Y − μy
// (cosine retrieval depends on the origin; centring both sides is what the benchmarks use).

import { expected } from '../errors.js';
import { applyLinear } from '../linalg/mat.js';
import { checkRidge, ridgeFit, type RidgeScale } from '../linalg/ridge.js';
import { Tensor } from '../tensor.js';
import { centerRows, checkMatrix, checkSameRows } from './input.js';
import { assertInputSpace, newSpace, spaceOf, tagSpace } from './space.js';

export interface LinearMapOptions {
  ridge?: number;
  /** How ridge is read: 'absolute' (default, sklearn's alpha) or 'relative' (× mean diagonal of XcᵀXc). */
  ridgeScale?: RidgeScale;
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

export function linearMap(X: Tensor, Y: Tensor, opts: LinearMapOptions = {}): LinearMapResult {
  if (opts === null || typeof opts !== 'object') throw expected('an options object', 'linearMap options', opts);
  checkMatrix(X, 'linearMap X');
  checkMatrix(Y, 'linearMap Y');
  checkSameRows(X, Y, 'linearMap X', 'linearMap Y');
  const ridge = opts.ridge ?? 0;
  const ridgeScale = opts.ridgeScale ?? 'absolute';
  checkRidge(ridge, ridgeScale, 'linearMap ridge');
  const center = opts.center ?? false;
  const { W, b } = ridgeFit(X, Y, { ridge, scale: ridgeScale, what: 'linearMap' });
  const meanY = Y.colMeans();
  const dy = Y.cols;
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
