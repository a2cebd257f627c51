// Cross-model retrieval: row i of Q is the query whose partner is row i of K. Each query ranks all
// of K; P@k is the fraction of queries whose partner is among the k best.
//
//   cosine:  s(i, j) = cos(Q_i, K_j)
//   csls:    s(i, j) = 2·cos(Q_i, K_j) − r_K(Q_i) − r_Q(K_j)            (MUSE, Conneau et al. 2018)
//            r_K(q) = mean of the k largest cos(q, K_j) over j          (k = 10 by default)
//            r_Q(κ) = mean of the k largest cos(Q_i, κ) over i
//
// Computed in row blocks over GEMM: a block of b queries against all of K is a b×n tile, so the
// n×n similarity matrix never exists (memory O(b·n), b chosen so a tile is ≤ 16 Mi floats).
// CSLS takes two passes: the first keeps a running top-k per column for r_Q (r_K(Q_i) is the
// same for every key of query i, so it cannot change a rank); the second ranks. A partner's rank is the number of keys that score strictly higher.

import { getBackend } from '../backend/registry.js';
import { ShapeError, expected } from '../errors.js';
import { Tensor, shapeStr } from '../tensor.js';
import { checkMatrix, unitRows } from './input.js';
import { assertSameSpace, type SpaceCheckOptions } from './space.js';

export type RetrievalMetric = 'cosine' | 'csls';

export interface RetrievalOptions extends SpaceCheckOptions {
  metric?: RetrievalMetric; // default 'cosine'
  k?: number; // CSLS neighbourhood size, default 10
  blockRows?: number; // rows of Q per GEMM tile (default: tile ≤ 16 Mi floats)
}

export interface RetrievalResult {
  p1: number;
  p5: number;
  p10: number;
  n: number;
  metric: RetrievalMetric;
}

const TILE_FLOATS = 1 << 24;

export function retrieval(Q: Tensor, K: Tensor, opts: RetrievalOptions = {}): RetrievalResult {
  if (opts === null || typeof opts !== 'object') throw expected('an options object', 'retrieval options', opts);
  assertSameSpace(Q, K, 'retrieval', opts);
  const [n, d] = checkMatrix(Q, 'retrieval Q');
  checkMatrix(K, 'retrieval K');
  if (K.rows !== n) throw new ShapeError(`retrieval pairs row i of Q with row i of K, but Q has ${n} rows and K has ${K.rows} (shapes ${shapeStr(Q.shape)} and ${shapeStr(K.shape)})`);
  if (K.cols !== d) {
    throw new ShapeError(`retrieval: Q has ${d} dimensions and K has ${K.cols} (shapes ${shapeStr(Q.shape)} and ${shapeStr(K.shape)}); map both into one space first (procrustes, cca, linearMap)`);
  }
  const metric = opts.metric ?? 'cosine';
  if (metric !== 'cosine' && metric !== 'csls') throw expected("'cosine' or 'csls'", 'retrieval metric', metric);
  const k = opts.k ?? 10;
  if (metric === 'csls' && (!Number.isInteger(k) || k < 1 || k > n)) throw expected(`an integer in [1, ${n}] (the number of keys)`, 'retrieval k', k);
  const block = opts.blockRows ?? Math.max(1, Math.min(1024, Math.floor(TILE_FLOATS / n)));
  if (!Number.isInteger(block) || block < 1) throw expected('a positive integer', 'retrieval blockRows', block);

  const q = unitRows(Q);
  const kk = unitRows(K);
  const tile = new Float32Array(Math.min(block, n) * n);
  const gemm = getBackend();
  const scores = (s: number, rows: number): void => {
    gemm.gemm(rows, n, d, q.data.subarray(s * d, (s + rows) * d), kk.data, tile, { transB: true });
  };

  // Only r_Q(K_j) matters for ranking: a query's own penalty r_K(Q_i) is the same for all keys.
  let rK: Float32Array | null = null;
  if (metric === 'csls') {
    rK = new Float32Array(n);
    // Per-column running top-k, ascending, column j at [j*k, j*k+k).
    const colTop = new Float32Array(n * k).fill(-Infinity);
    for (let s = 0; s < n; s += block) {
      const rows = Math.min(block, n - s);
      scores(s, rows);
      for (let i = 0; i < rows; i++) {
        const off = i * n;
        for (let j = 0; j < n; j++) {
          const v = tile[off + j]!;
          const base = j * k;
          if (v > colTop[base]!) {
            let p = 0;
            while (p + 1 < k && colTop[base + p + 1]! < v) ((colTop[base + p] = colTop[base + p + 1]!), p++);
            colTop[base + p] = v;
          }
        }
      }
    }
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let t = 0; t < k; t++) sum += colTop[j * k + t]!;
      rK[j] = sum / k;
    }
  }

  let h1 = 0;
  let h5 = 0;
  let h10 = 0;
  for (let s = 0; s < n; s += block) {
    const rows = Math.min(block, n - s);
    scores(s, rows);
    for (let i = 0; i < rows; i++) {
      const off = i * n;
      const gi = s + i;
      let rank = 0;
      if (rK) {
        // The query's own penalty r_K(Q_i) is the same for every key: rank by 2·cos − r_Q(K_j).
        const t = 2 * tile[off + gi]! - rK[gi]!;
        for (let j = 0; j < n && rank < 10; j++) if (2 * tile[off + j]! - rK[j]! > t) rank++;
      } else {
        const t = tile[off + gi]!;
        for (let j = 0; j < n && rank < 10; j++) if (tile[off + j]! > t) rank++;
      }
      if (rank < 1) h1++;
      if (rank < 5) h5++;
      if (rank < 10) h10++;
    }
  }
  return { p1: h1 / n, p5: h5 / n, p10: h10 / n, n, metric };
}
