// Exact kernel ridge regression (dual form) with the RBF kernel kernelMap approximates:
//
//   Xs = (X − μx) / σx                          k(x, x') = exp(−γ·||xs − xs'||² / dx)
//   α = (K + ridge·I)⁻¹ · (Y − μy)              K = k(X, X), n×n, float64 Cholesky
//
// k(x, x) = 1, so trace(K)/n = 1: the ridge is absolute and relative at once (the CLI's --ridge
// is relative everywhere and needs no conversion here).
//   apply(Z) = k(Z, X) · α                      target(Y) = Y − μy   (Y's centred space)
//
// Cost: an n×n kernel (n = fit rows; 8·n² bytes) and an n³/6 Cholesky in TypeScript, so it is for
// fit sets up to several thousand rows; above that use kernelMap's random features.

import { getBackend } from '../backend/registry.js';
import { ArgumentError, expected } from '../errors.js';
import { Tensor } from '../tensor.js';
import { solveSPD64 } from '../linalg/cholesky.js';
import { centerRows, checkMatrix, checkSameRows } from './input.js';
import { assertInputSpace, newSpace, spaceOf, tagSpace } from './space.js';

export interface KernelRidgeOptions {
  gamma?: number; // relative RBF width, default 2
  ridge?: number; // default 0.1
  maxRows?: number; // refuse bigger fit sets (memory 8·n² bytes), default 20,000
}

export interface KernelRidgeResult {
  space: string;
  apply(X: Tensor): Tensor;
  target(Y: Tensor): Tensor;
  /** X (the centred fit rows), alpha, meanX, meanY, g (k = exp(−g·||Δ||²)). */
  tensors(): Record<string, Tensor>;
}

export function kernelRidge(X: Tensor, Y: Tensor, opts: KernelRidgeOptions = {}): KernelRidgeResult {
  if (opts === null || typeof opts !== 'object') throw expected('an options object', 'kernelRidge options', opts);
  const [n, dx] = checkMatrix(X, 'kernelRidge X');
  const [, dy] = checkMatrix(Y, 'kernelRidge Y');
  checkSameRows(X, Y, 'kernelRidge X', 'kernelRidge Y');
  const gamma = opts.gamma ?? 2;
  const ridge = opts.ridge ?? 0.1;
  const maxRows = opts.maxRows ?? 20000;
  if (!(Number.isFinite(gamma) && gamma > 0)) throw expected('a finite gamma > 0', 'kernelRidge gamma', gamma);
  if (!(Number.isFinite(ridge) && ridge > 0)) throw expected('a finite ridge > 0', 'kernelRidge ridge', ridge);
  if (n > maxRows) throw new ArgumentError(`kernelRidge builds an n×n kernel; ${n} fit rows exceed maxRows = ${maxRows} (use kernelMap's random features instead)`);

  const meanX = X.colMeans();
  const xc = centerRows(X, meanX);
  let ss = 0;
  for (let i = 0; i < xc.data.length; i++) ss += xc.data[i]! * xc.data[i]!;
  const sigma = Math.sqrt(ss / Math.max(1, n * dx)) || 1;
  const g = gamma / (dx * sigma * sigma); // k = exp(−g·||xc − xc'||²)
  const sq = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < dx; j++) s += xc.data[i * dx + j]! ** 2;
    sq[i] = s;
  }
  const be = getBackend();
  /** k(Z, X) for centred rows Z (m×dx) as float32 m×n. */
  const kernelRows = (zc: Tensor): Float32Array => {
    const m = zc.rows;
    const out = new Float32Array(m * n);
    be.gemm(m, n, dx, zc.data, xc.data, out, { transB: true });
    for (let i = 0; i < m; i++) {
      let zi = 0;
      for (let j = 0; j < dx; j++) zi += zc.data[i * dx + j]! ** 2;
      const row = i * n;
      for (let j = 0; j < n; j++) out[row + j] = Math.exp(-g * Math.max(0, zi + sq[j]! - 2 * out[row + j]!));
    }
    return out;
  };
  const k32 = kernelRows(xc);
  const K = Float64Array.from(k32);
  for (let i = 0; i < n; i++) K[i * n + i]! += ridge;
  const meanY = Y.colMeans();
  const yc = centerRows(Y, meanY);
  const alpha = Float64Array.from(yc.data);
  solveSPD64(K, n, alpha, dy, (j, d) => new ArgumentError(`The kernel matrix (with ridge) is singular or not positive definite (pivot ${j} is ${d.toExponential(2)}); add a ridge > 0`));
  const alpha32 = Float32Array.from(alpha);

  const spaceX = spaceOf(X);
  const spaceY = spaceOf(Y);
  const space = newSpace(`kernelRidge(${spaceY ?? 'Y'})`);
  return {
    space,
    tensors: () => ({ X: xc, alpha: new Tensor(alpha32, [n, dy]), meanX: new Tensor(meanX, [dx]), meanY: new Tensor(meanY, [dy]), g: new Tensor(Float32Array.of(g), [1]) }),
    apply(x: Tensor): Tensor {
      checkMatrix(x, 'kernelRidge apply() input', { allowEmpty: true });
      if (x.cols !== dx) throw expected(`a matrix with ${dx} columns`, 'kernelRidge apply() input', `shape [${x.shape.join(', ')}]`);
      assertInputSpace(x, spaceX, 'This kernel ridge map');
      const out = new Float32Array(x.rows * dy);
      const block = Math.max(1, Math.floor((1 << 24) / n));
      for (let s = 0; s < x.rows; s += block) {
        const part = x.sliceRows(s, s + block);
        const kz = kernelRows(centerRows(part, meanX));
        be.gemm(part.rows, dy, n, kz, alpha32, out.subarray(s * dy, (s + part.rows) * dy));
      }
      return tagSpace(new Tensor(out, [x.rows, dy]), space);
    },
    target(y: Tensor): Tensor {
      checkMatrix(y, 'kernelRidge target() input', { allowEmpty: true });
      if (y.cols !== dy) throw expected(`a matrix with ${dy} columns`, 'kernelRidge target() input', `shape [${y.shape.join(', ')}]`);
      assertInputSpace(y, spaceY, 'The target side of this kernel ridge map');
      return tagSpace(centerRows(y, meanY), space);
    },
  };
}
