// The one ridge least-squares solver: an unpenalised intercept, rows accumulated in batches
// (GEMM on the backend, float64 accumulators), solved by Cholesky in float64. Used by
// `linearMap` and `kernelMap` (align/) and by reconstruction after pruning (prune/activation.ts).
//
//   min over W [out×d], b [out]:  Σ_rows ‖ W h + b − z ‖² + λ ‖W‖²_F
//
// With μ = mean(h), ν = mean(z), centred Gram G = Σ (h−μ)(h−μ)ᵀ and cross C = Σ (h−μ)(z−ν)ᵀ:
//   (G + λ I) Wᵀ = C,   b = ν − W μ.
//
// How the ridge value becomes λ is always stated by the caller (RidgeScale):
//   absolute   λ = ridge                      (sklearn's Ridge(alpha=ridge))
//   relative   λ = ridge · trace(G) / d       (a fraction of the mean diagonal, so one value fits
//                                             data of any scale; cca applies it to covariances)
//
// Precision: the products run in float32 (the backend GEMM). Forming the uncentred Σ h hᵀ and
// subtracting n μ μᵀ afterwards cancels catastrophically when |μ| ≫ spread (a neuron with a large
// bias: Σ h² ≈ 4500 against a centred value of ≈ 50 loses two digits), so each batch is shifted
// by s = the first batch's column means before the GEMM, and the float64 correction
//   G = Σ (h−s)(h−s)ᵀ − n (μ−s)(μ−s)ᵀ
// only removes the small remainder μ − s (the shifted-data algorithm for variances).

import { getBackend } from '../backend/registry.js';
import { ArgumentError, DataError, expected } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { solveSPD64, type CholeskyFailure } from './cholesky.js';
import { mat, type Mat } from './mat.js';

export type RidgeScale = 'absolute' | 'relative';

/** λ for a ridge value read on `scale`, for a d×d Gram matrix with the given trace. */
export function ridgeLambda(ridge: number, scale: RidgeScale, trace: number, d: number): number {
  return scale === 'relative' ? (ridge * trace) / Math.max(1, d) : ridge;
}

/** Checks a ridge option: finite and >= 0; the scale one of absolute, relative. */
export function checkRidge(ridge: unknown, scale: unknown, name: string): void {
  if (typeof ridge !== 'number' || !(Number.isFinite(ridge) && ridge >= 0)) throw expected('a finite ridge ≥ 0', name, ridge);
  if (scale !== 'absolute' && scale !== 'relative') throw expected("'absolute' or 'relative'", `${name}Scale`, scale);
}

export interface RidgeSolveOptions {
  ridge: number;
  scale: RidgeScale;
  /** Smallest λ used, as (relative, absolute) parts: max(λ, relative·trace/d + absolute). Default none. */
  floor?: { relative: number; absolute: number };
  /** The error for a Gram matrix (plus λ) that is not positive definite. */
  fail: CholeskyFailure;
}

export class RidgeAccumulator {
  readonly d: number;
  readonly out: number;
  count = 0;
  private readonly gram: Float64Array; // d×d, Σ (h−s)(h−s)ᵀ
  private readonly cross: Float64Array; // d×out, Σ (h−s)(z−s')ᵀ
  private readonly sumH: Float64Array;
  private readonly sumZ: Float64Array;
  private tmpG: Float32Array = new Float32Array(0);
  private tmpC: Float32Array = new Float32Array(0);
  // Shifts (the first batch's column means, float32 so h − s is one rounding) and shifted copies.
  private shiftH: Float32Array | null = null;
  private shiftZ: Float32Array | null = null;
  private hs: Float32Array = new Float32Array(0);
  private zs: Float32Array = new Float32Array(0);

  constructor(d: number, out: number) {
    this.d = d;
    this.out = out;
    this.gram = new Float64Array(d * d);
    this.cross = new Float64Array(d * out);
    this.sumH = new Float64Array(d);
    this.sumZ = new Float64Array(out);
  }

  /** Adds rows: H [m×d] and Z [m×out], row-major. */
  add(h: Float32Array, z: Float32Array, m: number): void {
    const { d, out } = this;
    if (m === 0) return;
    if (this.tmpG.length !== d * d) this.tmpG = new Float32Array(d * d);
    if (this.tmpC.length !== d * out) this.tmpC = new Float32Array(d * out);
    this.shiftH ??= columnMeans(h, m, d);
    this.shiftZ ??= columnMeans(z, m, out);
    const hs = this.shifted(h, m, d, this.shiftH, 'hs');
    const zs = this.shifted(z, m, out, this.shiftZ, 'zs');
    const be = getBackend();
    be.gemm(d, d, m, hs, hs, this.tmpG, { transA: true }); // (H−s)ᵀ (H−s)
    be.gemm(d, out, m, hs, zs, this.tmpC, { transA: true }); // (H−s)ᵀ (Z−s')
    for (let i = 0; i < d * d; i++) this.gram[i]! += this.tmpG[i]!;
    for (let i = 0; i < d * out; i++) this.cross[i]! += this.tmpC[i]!;
    for (let r = 0; r < m; r++) {
      for (let j = 0; j < d; j++) this.sumH[j]! += hs[r * d + j]!;
      for (let j = 0; j < out; j++) this.sumZ[j]! += zs[r * out + j]!;
    }
    this.count += m;
  }

  /** x − shift per column, into a reused scratch buffer. */
  private shifted(x: Float32Array, m: number, cols: number, shift: Float32Array, buf: 'hs' | 'zs'): Float32Array {
    if (this[buf].length < m * cols) this[buf] = new Float32Array(m * cols);
    const y = this[buf].subarray(0, m * cols);
    for (let r = 0; r < m; r++) for (let j = 0; j < cols; j++) y[r * cols + j] = x[r * cols + j]! - shift[j]!;
    return y;
  }

  /**
   * Fits Wᵀ [d×out] (float64, row-major: the map applied as H·Wᵀ) and b [out], with λ
   * from opts.ridge read on opts.scale. Also returns λ.
   */
  fit(opts: RidgeSolveOptions): { wt: Float64Array; bias: Float64Array; lambda: number } {
    checkRidge(opts.ridge, opts.scale, 'ridge');
    const { d, out, count: n } = this;
    if (n === 0) throw new DataError('A ridge fit needs data (received 0 rows)');
    // Means of the shifted data; the shifts come back in the intercept below.
    const mu = Float64Array.from(this.sumH, (s) => s / n);
    const nu = Float64Array.from(this.sumZ, (s) => s / n);
    const g = new Float64Array(d * d);
    let trace = 0;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) g[i * d + j] = this.gram[i * d + j]! - n * mu[i]! * mu[j]!;
      trace += g[i * d + i]!;
    }
    const wt = new Float64Array(d * out);
    for (let i = 0; i < d; i++) for (let j = 0; j < out; j++) wt[i * out + j] = this.cross[i * out + j]! - n * mu[i]! * nu[j]!;
    let lambda = ridgeLambda(opts.ridge, opts.scale, trace, d);
    if (opts.floor) lambda = Math.max(lambda, opts.floor.relative * (trace / d) + opts.floor.absolute);
    for (let i = 0; i < d; i++) g[i * d + i]! += lambda;
    solveSPD64(g, d, wt, out, opts.fail); // wt ← (G + λI)⁻¹ C
    const bias = new Float64Array(out);
    const sh = this.shiftH!;
    const sz = this.shiftZ!;
    for (let o = 0; o < out; o++) {
      // b = mean(z) − W mean(h), with mean(h) = s + μ and mean(z) = s' + ν.
      let b = sz[o]! + nu[o]!;
      for (let i = 0; i < d; i++) b -= wt[i * out + o]! * (sh[i]! + mu[i]!);
      bias[o] = b;
    }
    return { wt, bias, lambda };
  }

  /**
   * The fit as a Linear layer (weight [out×d], PyTorch layout, and bias; float32) with a relative
   * ridge, as reconstruction after pruning uses it: plus a tiny floor (1e-10 relative + 1e-12)
   * so constant (dead) inputs never make G singular.
   */
  solve(ridge: number): { weight: Float32Array; bias: Float32Array } {
    const { wt, bias } = this.fit({
      ridge,
      scale: 'relative',
      floor: { relative: 1e-10, absolute: 1e-12 },
      fail: () => new DataError('Reconstruction system is not positive definite (increase ridge)'),
    });
    const { d, out } = this;
    const weight = new Float32Array(out * d);
    for (let o = 0; o < out; o++) for (let i = 0; i < d; i++) weight[o * d + i] = wt[i * out + o]!;
    return { weight, bias: Float32Array.from(bias) };
  }
}

function columnMeans(x: Float32Array, m: number, cols: number): Float32Array {
  const sum = new Float64Array(cols);
  for (let r = 0; r < m; r++) for (let j = 0; j < cols; j++) sum[j]! += x[r * cols + j]!;
  return Float32Array.from(sum, (s) => s / m);
}

/**
 * Ridge least squares of Y [n×dy] on X [n×dx] with an intercept, in one batch: W (dx×dy,
 * float64; apply as X·W + b) and b (dy). `what` names the problem in the error for a singular
 * Gram matrix (which asks for a ridge).
 */
export function ridgeFit(X: Tensor, Y: Tensor, opts: { ridge: number; scale: RidgeScale; what: string }): { W: Mat; b: Float64Array; lambda: number } {
  const acc = new RidgeAccumulator(X.cols, Y.cols);
  acc.add(X.data, Y.data, X.rows);
  const { ridge, scale, what } = opts;
  const fail: CholeskyFailure = (j, pivot) =>
    new ArgumentError(
      `The ${what} Gram matrix XᵀX${ridge > 0 ? ` + ${scale === 'relative' ? `${ridge}·trace/d` : ridge}·I` : ''} is singular or not positive definite (pivot ${j} is ${pivot.toExponential(2)}); add a ridge > 0`,
    );
  const { wt, bias, lambda } = acc.fit({ ridge, scale, fail });
  return { W: mat(X.cols, Y.cols, wt), b: bias, lambda };
}
