// Nearest neighbours between two sets of unit-length rows, in blocks over the backend GEMM, for
// CSLS retrieval and the refinement's dictionary induction at vocabulary scale:
//
//   cos(i, j) = Q_i · K_j                 (rows of Q and K are unit length: the caller's job)
//   meanTopK:  r(i) = mean of the k largest cos(i, j) over j          (CSLS's r_K / r_Q)
//   topK:      the k best j for each i by cos(i, j) − penalty[j]      (penalty = r_Q(K_j)/2 ranks
//                                                                      as 2·cos − r_Q(K_j) does)
//
// A block of b rows of Q against all of K is a b×n tile (memory O(b·n), b chosen so a tile is
// ≤ 16 Mi floats; the n×m score matrix never exists). Each row keeps a sorted top-k of length k
// (insertion: k ≤ ~100). Ties keep the lower index, like a stable argsort. The async forms run the
// GEMM off the event loop (backend.gemmAsync) and report progress per block.

import { getBackend } from '../backend/registry.js';
import { ShapeError, expected } from '../errors.js';
import type { Tensor } from '../tensor.js';

export interface NeighborOptions {
  /** Rows of Q per GEMM tile (default: tile ≤ 16 Mi floats, at most 4096 rows). */
  blockRows?: number;
  /** Called after each block with (rows of Q done, rows of Q). */
  onProgress?: (done: number, total: number) => void;
}

export interface TopK {
  k: number;
  /** Row i's neighbours at [i·k, i·k + k), best first. */
  indices: Int32Array;
  scores: Float32Array;
}

const TILE_FLOATS = 1 << 24;

function check(Q: Tensor, K: Tensor, k: number, what: string, opts: NeighborOptions): number {
  if (Q.rank !== 2 || K.rank !== 2) throw new ShapeError(`${what}: expected two matrices but received shapes [${Q.shape}] and [${K.shape}]`);
  if (Q.cols !== K.cols) throw new ShapeError(`${what}: Q has ${Q.cols} dimensions and K has ${K.cols}; map both into one space first`);
  if (!Number.isInteger(k) || k < 1 || k > K.rows) throw expected(`an integer in [1, ${K.rows}] (the rows of K)`, `${what} k`, k);
  const block = opts.blockRows ?? Math.max(1, Math.min(4096, Math.floor(TILE_FLOATS / Math.max(1, K.rows))));
  if (!Number.isInteger(block) || block < 1) throw expected('a positive integer', `${what} blockRows`, block);
  return block;
}

/** Keeps the k largest (value, index) of one tile row in best-first arrays at [off, off + k). */
function selectRow(tile: Float32Array, base: number, n: number, penalty: Float32Array | null, k: number, vals: Float32Array, idx: Int32Array, off: number): void {
  for (let t = 0; t < k; t++) ((vals[off + t] = -Infinity), (idx[off + t] = -1));
  let worst = -Infinity;
  const last = off + k - 1;
  for (let j = 0; j < n; j++) {
    const v = penalty ? tile[base + j]! - penalty[j]! : tile[base + j]!;
    if (v > worst) {
      let p = last;
      while (p > off && vals[p - 1]! < v) ((vals[p] = vals[p - 1]!), (idx[p] = idx[p - 1]!), p--);
      vals[p] = v;
      idx[p] = j;
      worst = vals[last]!;
    }
  }
}

interface Visit {
  /** Handles rows [s, s + rows) of Q whose scores against all of K are in tile[0, rows·n). */
  (s: number, rows: number, tile: Float32Array): void;
}

/** The row blocks of Q, each with the GEMM arguments that score it against all of K into one tile. */
function* blocks(Q: Tensor, K: Tensor, block: number): Generator<{ s: number; rows: number; q: Float32Array; tile: Float32Array; d: number; n: number }> {
  const [m, d] = Q.shape as [number, number];
  const n = K.rows;
  const tile = new Float32Array(Math.min(block, m) * n);
  for (let s = 0; s < m; s += block) {
    const rows = Math.min(block, m - s);
    yield { s, rows, q: Q.data.subarray(s * d, (s + rows) * d), tile, d, n };
  }
}

function scan(Q: Tensor, K: Tensor, block: number, visit: Visit, opts: NeighborOptions): void {
  const be = getBackend();
  for (const b of blocks(Q, K, block)) {
    be.gemm(b.rows, b.n, b.d, b.q, K.data, b.tile, { transB: true });
    visit(b.s, b.rows, b.tile);
    opts.onProgress?.(b.s + b.rows, Q.rows);
  }
}

async function scanAsync(Q: Tensor, K: Tensor, block: number, visit: Visit, opts: NeighborOptions): Promise<void> {
  const be = getBackend();
  for (const b of blocks(Q, K, block)) {
    await be.gemmAsync(b.rows, b.n, b.d, b.q, K.data, b.tile, { transB: true });
    visit(b.s, b.rows, b.tile);
    opts.onProgress?.(b.s + b.rows, Q.rows);
  }
}

function meanTopKVisitor(m: number, n: number, k: number): { visit: Visit; out: Float32Array } {
  const out = new Float32Array(m);
  const vals = new Float32Array(k);
  const idx = new Int32Array(k);
  const visit: Visit = (s, rows, tile) => {
    for (let i = 0; i < rows; i++) {
      selectRow(tile, i * n, n, null, k, vals, idx, 0);
      let sum = 0;
      for (let t = 0; t < k; t++) sum += vals[t]!;
      out[s + i] = sum / k;
    }
  };
  return { visit, out };
}

function topKVisitor(m: number, n: number, k: number, penalty: Float32Array | null): { visit: Visit; out: TopK } {
  const out: TopK = { k, indices: new Int32Array(m * k), scores: new Float32Array(m * k) };
  const visit: Visit = (s, rows, tile) => {
    for (let i = 0; i < rows; i++) selectRow(tile, i * n, n, penalty, k, out.scores, out.indices, (s + i) * k);
  };
  return { visit, out };
}

function checkPenalty(penalty: Float32Array | null | undefined, K: Tensor): Float32Array | null {
  if (penalty == null) return null;
  if (!(penalty instanceof Float32Array) || penalty.length !== K.rows) throw expected(`a Float32Array of length ${K.rows} (one per row of K)`, 'topK penalty', penalty);
  return penalty;
}

/** For each row of Q, the mean of its k largest cosines with the rows of K (CSLS's r). */
export function meanTopK(Q: Tensor, K: Tensor, k: number, opts: NeighborOptions = {}): Float32Array {
  const block = check(Q, K, k, 'meanTopK', opts);
  const { visit, out } = meanTopKVisitor(Q.rows, K.rows, k);
  scan(Q, K, block, visit, opts);
  return out;
}

export async function meanTopKAsync(Q: Tensor, K: Tensor, k: number, opts: NeighborOptions = {}): Promise<Float32Array> {
  const block = check(Q, K, k, 'meanTopK', opts);
  const { visit, out } = meanTopKVisitor(Q.rows, K.rows, k);
  await scanAsync(Q, K, block, visit, opts);
  return out;
}

/** For each row of Q, the k rows of K with the largest cos − penalty[j], best first. */
export function topK(Q: Tensor, K: Tensor, k: number, penalty?: Float32Array | null, opts: NeighborOptions = {}): TopK {
  const block = check(Q, K, k, 'topK', opts);
  const { visit, out } = topKVisitor(Q.rows, K.rows, k, checkPenalty(penalty, K));
  scan(Q, K, block, visit, opts);
  return out;
}

export async function topKAsync(Q: Tensor, K: Tensor, k: number, penalty?: Float32Array | null, opts: NeighborOptions = {}): Promise<TopK> {
  const block = check(Q, K, k, 'topK', opts);
  const { visit, out } = topKVisitor(Q.rows, K.rows, k, checkPenalty(penalty, K));
  await scanAsync(Q, K, block, visit, opts);
  return out;
}

/**
 * CSLS nearest neighbours of Q's rows among K's (Conneau et al. 2018):
 *   csls(i, j) = 2·cos(i, j) − r_K(Q_i) − r_Q(K_j),  r = mean of the k nearest cosines
 * r_K(Q_i) is the same for every j so it cannot change row i's ranking: ranks by cos − r_Q(K_j)/2.
 * Returns the `top` best per row and the penalty used.
 */
export function cslsTopK(Q: Tensor, K: Tensor, top: number, k = 10, opts: NeighborOptions = {}): TopK & { rQ: Float32Array } {
  const rQ = meanTopK(K, Q, k, opts);
  const half = rQ.map((v) => v / 2);
  return { ...topK(Q, K, top, half, opts), rQ };
}

export async function cslsTopKAsync(Q: Tensor, K: Tensor, top: number, k = 10, opts: NeighborOptions = {}): Promise<TopK & { rQ: Float32Array }> {
  const rQ = await meanTopKAsync(K, Q, k, opts);
  const half = rQ.map((v) => v / 2);
  return { ...(await topKAsync(Q, K, top, half, opts)), rQ };
}
