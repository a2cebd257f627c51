// Ridge least squares with an unpenalised intercept, accumulated over batches (GEMM on the
// backend, float64 accumulators), solved by Cholesky in float64.
//
//   min over W [out×d], b [out]:  Σ_rows ‖ W h + b − z ‖² + λ ‖W‖²_F
//
// With μ = mean(h), ν = mean(z), centred Gram G = Σ (h−μ)(h−μ)ᵀ and cross C = Σ (h−μ)(z−ν)ᵀ:
//   (G + λ I) Wᵀ = C,   b = ν − W μ.
// λ = ridge · trace(G) / d (relative, as in cca), so one ridge fits data of any scale.
//
// Precision: the products run in float32 (the backend GEMM). Forming the uncentred Σ h hᵀ and
// subtracting n μ μᵀ afterwards cancels catastrophically when |μ| ≫ spread (a neuron with a large
// bias: Σ h² ≈ 4500 against a centred value of ≈ 50 loses two digits), so each batch is shifted
// by s = the first batch's column means before the GEMM, and the float64 correction
//   G = Σ (h−s)(h−s)ᵀ − n (μ−s)(μ−s)ᵀ
// only removes the small remainder μ − s (the shifted-data algorithm for variances).

import { getBackend } from '../backend/registry.js';
import { ArgumentError, DataError } from '../errors.js';
import { cholesky64, solveLower64, solveLowerT64 } from '../dense64.js';

export class RidgeAccumulator {
  readonly d: number;
  readonly out: number;
  count = 0;
  private readonly gram: Float64Array; // d×d, Σ h hᵀ
  private readonly cross: Float64Array; // d×out, Σ h zᵀ
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

  /** Solves for W [out×d] (row-major, as a Linear weight) and b [out]. */
  solve(ridge: number): { weight: Float32Array; bias: Float32Array } {
    if (!(ridge >= 0) || !Number.isFinite(ridge)) throw new ArgumentError(`Expected a non-negative finite number for ridge but received ${ridge}`);
    const { d, out, count: n } = this;
    if (n === 0) throw new DataError('Reconstruction needs calibration data (received 0 rows)');
    // Means of the shifted data; the shifts come back in the intercept below.
    const mu = Float64Array.from(this.sumH, (s) => s / n);
    const nu = Float64Array.from(this.sumZ, (s) => s / n);
    const g = new Float64Array(d * d);
    let trace = 0;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) g[i * d + j] = this.gram[i * d + j]! - n * mu[i]! * mu[j]!;
      trace += g[i * d + i]!;
    }
    const rhs = new Float64Array(d * out);
    for (let i = 0; i < d; i++) for (let j = 0; j < out; j++) rhs[i * out + j] = this.cross[i * out + j]! - n * mu[i]! * nu[j]!;
    // Relative ridge, plus a tiny floor so constant (dead) inputs never make G singular.
    const lambda = Math.max(ridge * (trace / d), 1e-10 * (trace / d) + 1e-12);
    for (let i = 0; i < d; i++) g[i * d + i]! += lambda;
    const wt = choleskySolve(g, rhs, d, out); // d×out = Wᵀ
    const weight = new Float32Array(out * d);
    const bias = new Float32Array(out);
    const sh = this.shiftH!;
    const sz = this.shiftZ!;
    for (let o = 0; o < out; o++) {
      // b = mean(z) − W mean(h), with mean(h) = s + μ and mean(z) = s' + ν.
      let b = sz[o]! + nu[o]!;
      for (let i = 0; i < d; i++) {
        const w = wt[i * out + o]!;
        weight[o * d + i] = w;
        b -= w * (sh[i]! + mu[i]!);
      }
      bias[o] = b;
    }
    return { weight, bias };
  }
}

function columnMeans(x: Float32Array, m: number, cols: number): Float32Array {
  const sum = new Float64Array(cols);
  for (let r = 0; r < m; r++) for (let j = 0; j < cols; j++) sum[j]! += x[r * cols + j]!;
  return Float32Array.from(sum, (s) => s / m);
}

/** Solves A X = B for symmetric positive definite A [d×d] and B [d×k], float64, on copies. */
export function choleskySolve(a: Float64Array, b: Float64Array, d: number, k: number): Float64Array {
  const l = Float64Array.from(a);
  cholesky64(l, d, () => new DataError('Reconstruction system is not positive definite (increase ridge)'));
  const x = Float64Array.from(b);
  solveLower64(l, d, x, k);
  solveLowerT64(l, d, x, k);
  return x;
}
