// A nonlinear map: kernel ridge regression with an RBF kernel, approximated by random Fourier
// features (Rahimi & Recht), fitted in closed form. X [n×dx] → Y [n×dy], paired by row:
//
//   Xs = (X − μx) / σx                         (σx: one global standard deviation of X − μx)
//   Z(X) = √(2/D) · cos(Xs·Ω + β)              Ω ~ N(0, 2γ/dx)^{dx×D}, β ~ U[0, 2π)^D  (seeded)
//   Z(x)·Z(x') ≈ exp(−γ·||xs − xs'||² / dx)    (an RBF kernel on the standardised inputs)
//   W, b = ridge least squares of Y on Z(X)    (linalg/ridge.ts: (ZcᵀZc + λ·I)⁻¹ ZcᵀYc)
//   apply(X) = Z(X)·W + b − μy                 target(Y) = Y − μy      (Y's centred space)
//
// The two GEMMs (Xs·Ω and ZᵀZ) run on the backend; the D×D solve is a float64 Cholesky.
// Defaults (D = 2000, γ = 2, ridge = 0.1) come from the Fashion-MNIST benchmark in
// bench/align.bench.mjs (fit on 5,000 pairs); they are a starting point, not universal.

import { expected } from '../errors.js';
import { getBackend } from '../backend/registry.js';
import { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import { applyLinear } from '../linalg/mat.js';
import { checkRidge, ridgeFit, type RidgeScale } from '../linalg/ridge.js';
import { centerRows, checkMatrix, checkSameRows } from './input.js';
import { assertInputSpace, newSpace, spaceOf, tagSpace } from './space.js';

export interface KernelMapOptions {
  features?: number; // D, default 2000
  gamma?: number; // relative RBF width γ (kernel exp(−γ·||Δ||²/dx) on standardised inputs), default 2
  ridge?: number; // ridge on the features, default 0.1
  ridgeScale?: RidgeScale; // how ridge is read (linalg/ridge.ts): 'absolute' (default) or 'relative'
  seed?: number; // default 0
}

export interface KernelMapResult {
  features: number;
  space: string;
  /** Random features of X (n×D). */
  featurize(X: Tensor): Tensor;
  apply(X: Tensor): Tensor;
  target(Y: Tensor): Tensor;
  /** omega (dx×D, standardisation folded in), beta (D), meanX, W (D×dy), bias (dy), meanY. */
  tensors(): Record<string, Tensor>;
}

export function kernelMap(X: Tensor, Y: Tensor, opts: KernelMapOptions = {}): KernelMapResult {
  if (opts === null || typeof opts !== 'object') throw expected('an options object', 'kernelMap options', opts);
  const [n, dx] = checkMatrix(X, 'kernelMap X');
  checkMatrix(Y, 'kernelMap Y');
  checkSameRows(X, Y, 'kernelMap X', 'kernelMap Y');
  const D = opts.features ?? 2000;
  const gamma = opts.gamma ?? 2;
  const ridge = opts.ridge ?? 0.1;
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(D) || D < 1) throw expected('a positive integer', 'kernelMap features', D);
  if (!(Number.isFinite(gamma) && gamma > 0)) throw expected('a finite gamma > 0', 'kernelMap gamma', gamma);
  const ridgeScale = opts.ridgeScale ?? 'absolute';
  checkRidge(ridge, ridgeScale, 'kernelMap ridge');

  const meanX = X.colMeans();
  const xc = centerRows(X, meanX);
  let ss = 0;
  for (let i = 0; i < xc.data.length; i++) ss += xc.data[i]! * xc.data[i]!;
  const sigma = Math.sqrt(ss / Math.max(1, n * dx)) || 1;
  const rng = new Rng(seed);
  const omega = new Float32Array(dx * D);
  const w = Math.sqrt((2 * gamma) / dx) / sigma; // folds the 1/σx standardisation into Ω
  for (let i = 0; i < omega.length; i++) omega[i] = rng.normal() * w;
  const beta = new Float32Array(D);
  for (let j = 0; j < D; j++) beta[j] = rng.uniform(0, 2 * Math.PI);
  const amp = Math.sqrt(2 / D);

  const featurize = (x: Tensor): Tensor => {
    if (x.cols !== dx) throw expected(`a matrix with ${dx} columns`, 'kernelMap input', `shape [${x.shape.join(', ')}]`);
    const c = centerRows(x, meanX);
    const z = new Float32Array(x.rows * D);
    getBackend().gemm(x.rows, D, dx, c.data, omega, z, { bias: beta });
    for (let i = 0; i < z.length; i++) z[i] = amp * Math.cos(z[i]!);
    return new Tensor(z, [x.rows, D]);
  };
  const { W, b } = ridgeFit(featurize(X), Y, { ridge, scale: ridgeScale, what: 'kernelMap' });
  const meanY = Y.colMeans();
  const dy = Y.cols;
  // apply(X) = Z(X)·W + b − μy  (Y's centred space)
  const bias = b.map((v, j) => v - meanY[j]!);
  const spaceX = spaceOf(X);
  const spaceY = spaceOf(Y);
  const space = newSpace(`kernel(${spaceY ?? 'Y'})`);
  return {
    features: D,
    space,
    featurize,
    tensors: () => ({
      omega: new Tensor(omega, [dx, D]),
      beta: new Tensor(beta, [D]),
      meanX: new Tensor(meanX, [dx]),
      W: new Tensor(Float32Array.from(W.data), [D, dy]),
      bias: new Tensor(Float32Array.from(bias), [dy]),
      meanY: new Tensor(meanY, [dy]),
    }),
    apply(x: Tensor): Tensor {
      checkMatrix(x, 'kernelMap apply() input', { allowEmpty: true });
      assertInputSpace(x, spaceX, 'This kernel map');
      return tagSpace(applyLinear(featurize(x), W, bias), space);
    },
    target(y: Tensor): Tensor {
      checkMatrix(y, 'kernelMap target() input', { allowEmpty: true });
      if (y.cols !== dy) throw expected(`a matrix with ${dy} columns`, 'kernelMap target() input', `shape [${y.shape.join(', ')}]`);
      assertInputSpace(y, spaceY, 'The target side of this kernel map');
      return tagSpace(centerRows(y, meanY), space);
    },
  };
}
