// The `js` backend: plain, obviously-correct TypeScript loops. It is the oracle every other
// backend is checked against, so it favours clarity over speed (i-k-j loop order is the only
// concession: it keeps the inner loop contiguous). Accumulates in float64.

import { activate } from './activation.js';
import { checkCholesky, checkColStats, checkGemm, checkSolveLower, checkSvd } from './check.js';
import { cholesky64Js, firstNonFiniteJs, solveLower64Js } from './dense64-js.js';
import { svdJs } from './svd-js.js';
import { type Activation, type Backend, type ColStats, DEFAULT_LEAKY_SLOPE, type GemmOptions, type SvdResult } from './types.js';

export function gemmJs(m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array, opts: GemmOptions = {}): void {
  checkGemm(m, n, k, a, b, c, opts);
  const { transA = false, transB = false, alpha = 1, beta = 0, bias, activation = 'identity', leakySlope = DEFAULT_LEAKY_SLOPE } = opts;
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const aip = transA ? a[p * m + i]! : a[i * k + p]!;
      if (aip === 0) continue;
      if (transB) {
        for (let j = 0; j < n; j++) row[j]! += aip * b[j * k + p]!;
      } else {
        const off = p * n;
        for (let j = 0; j < n; j++) row[j]! += aip * b[off + j]!;
      }
    }
    for (let j = 0; j < n; j++) {
      let v = alpha * row[j]!;
      if (beta !== 0) v += beta * c[i * n + j]!;
      if (bias) v += bias[j]!;
      c[i * n + j] = activate(activation, v, leakySlope);
    }
  }
}

export function colStatsJs(
  x: Float32Array,
  rows: number,
  cols: number,
  act: Activation,
  acc: ColStats,
  opts: { writeBack?: boolean; leakySlope?: number } = {},
): void {
  checkColStats(x, rows, cols, act, acc);
  const slope = opts.leakySlope ?? DEFAULT_LEAKY_SLOPE;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = Math.fround(activate(act, x[i * cols + j]!, slope));
      if (opts.writeBack) x[i * cols + j] = v;
      acc.sum[j]! += v;
      acc.sumAbs[j]! += Math.abs(v);
      if (v === 0) acc.zeros[j]! += 1;
      if (v > acc.max[j]!) acc.max[j] = v;
    }
  }
  acc.count += rows;
}

export const jsBackend: Backend = {
  name: 'js',
  gemm: gemmJs,
  async gemmAsync(m, n, k, a, b, c, opts) {
    gemmJs(m, n, k, a, b, c, opts);
  },
  colStats: colStatsJs,
  svd(a: Float32Array, m: number, n: number, full: boolean): SvdResult {
    checkSvd(a, m, n, full);
    return svdJs(a, m, n, full);
  },
  async svdAsync(a: Float32Array, m: number, n: number, full: boolean): Promise<SvdResult> {
    checkSvd(a, m, n, full);
    return svdJs(a, m, n, full);
  },
  cholesky64(a, n, minPivot) {
    checkCholesky(a, n, minPivot);
    return cholesky64Js(a, n, minPivot);
  },
  solveLower64(l, n, x, k, transposed) {
    checkSolveLower(l, n, x, k);
    solveLower64Js(l, n, x, k, transposed);
  },
  firstNonFinite: firstNonFiniteJs,
};

/** The ops a backend without kernels of its own for them takes from the reference (never from another backend's native code). */
export const jsReferenceOps = {
  svd: jsBackend.svd,
  svdAsync: jsBackend.svdAsync,
  cholesky64: jsBackend.cholesky64,
  solveLower64: jsBackend.solveLower64,
  firstNonFinite: jsBackend.firstNonFinite,
} satisfies Partial<Backend>;
