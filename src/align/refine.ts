// Procrustes refined by self-learning, as MUSE's refinement (Conneau et al. 2018) and vecmap's
// self-learning (Artetxe et al. 2017) do it:
//
//   fit R on the seed pairs (orthogonal Procrustes)
//   repeat: map A's most frequent `maxRank` rows, find each one's CSLS nearest neighbour among B's
//           most frequent `maxRank` rows and each of those rows' among A's; the mutual pairs
//           (s's best is t and t's best is s) are the new dictionary; refit R on them
//
// The induced dictionary replaces the seed (MUSE's choice); iteration stops early when fewer than
// 2 mutual pairs are found. A and B are best normalised first (normalize.ts: unit, center, unit).

import { expected } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { gatherPairs, type RowPairs } from './dictionary.js';
import { cslsTopK, type NeighborOptions } from './neighbors.js';
import { procrustes, type ProcrustesOptions, type ProcrustesResult } from './procrustes.js';
import { sliceSpace } from './space.js';
import { unitRows } from './input.js';

export interface RefineOptions extends ProcrustesOptions, NeighborOptions {
  /** Rounds of induce-and-refit (0: the one-shot fit). */
  iterations: number;
  /** CSLS neighbourhood size (default 10). */
  k?: number;
  /** Only the first maxRank rows of each side take part in induction (default 15000, MUSE's dico_max_rank). */
  maxRank?: number;
  /** Called after each round with its induced dictionary size and its map. */
  onIteration?: (round: number, pairs: RowPairs, map: ProcrustesResult) => void;
}

export interface RefineResult {
  map: ProcrustesResult;
  /** The pairs the final map was fit on. */
  pairs: RowPairs;
  /** Induced dictionary size per round. */
  sizes: number[];
}

/** Mutual CSLS nearest neighbours between mapped source rows X and target rows Y. */
export function mutualNeighbors(X: Tensor, Y: Tensor, k = 10, opts: NeighborOptions = {}): RowPairs {
  const x = unitRows(X);
  const y = unitRows(Y);
  const st = cslsTopK(x, y, 1, k, opts).indices; // best target of each source
  const ts = cslsTopK(y, x, 1, k, opts).indices; // best source of each target
  const src: number[] = [];
  const tgt: number[] = [];
  for (let s = 0; s < st.length; s++) if (ts[st[s]!] === s) (src.push(s), tgt.push(st[s]!));
  return { src: Int32Array.from(src), tgt: Int32Array.from(tgt) };
}

export function refineProcrustes(A: Tensor, B: Tensor, seed: RowPairs, opts: RefineOptions): RefineResult {
  if (opts === null || typeof opts !== 'object') throw expected('an options object with iterations', 'refineProcrustes options', opts);
  const { iterations } = opts;
  if (!Number.isInteger(iterations) || iterations < 0) throw expected('an integer ≥ 0', 'refineProcrustes iterations', iterations);
  const maxRank = opts.maxRank ?? 15000;
  if (!Number.isInteger(maxRank) || maxRank < 2) throw expected('an integer ≥ 2', 'refineProcrustes maxRank', maxRank);
  const k = opts.k ?? 10;
  const fit = (p: RowPairs) => {
    const [a, b] = gatherPairs(A, B, p);
    return procrustes(a, b, { center: opts.center, normalize: opts.normalize });
  };
  let pairs = seed;
  let map = fit(seed);
  const sizes: number[] = [];
  const topA = sliceSpace(A, 0, Math.min(maxRank, A.rows));
  const topB = sliceSpace(B, 0, Math.min(maxRank, B.rows));
  for (let round = 1; round <= iterations; round++) {
    const induced = mutualNeighbors(map.apply(topA), map.target(topB), Math.min(k, topA.rows, topB.rows), opts);
    sizes.push(induced.src.length);
    if (induced.src.length < 2) break;
    pairs = induced;
    map = fit(pairs);
    opts.onIteration?.(round, pairs, map);
  }
  return { map, pairs, sizes };
}
