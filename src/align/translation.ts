// Word translation accuracy as MUSE reports it (Conneau et al. 2018, evaluation/word_translation.py):
// each distinct source word of a held-out dictionary is a query; it ranks every row of B (the
// whole target vocabulary, not only the dictionary's targets) by cosine or by CSLS; P@k is the
// share of queries with any of their correct targets among the k best.
//
//   csls(x, y) = 2·cos(Wx, y) − r_T(Wx) − r_S(y),  r_S(y) over all mapped source rows, k = 10
//
// Mapped A and B must live in one space (the SpaceError guard); pass ignoreSpaces for the
// unaligned baseline.

import { ShapeError, expected } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkMatrix, unitRows } from './input.js';
import { groupBySource, type RowPairs } from './dictionary.js';
import { meanTopK, topK, type NeighborOptions } from './neighbors.js';
import { assertSameSpace, type SpaceCheckOptions } from './space.js';
import type { RetrievalMetric } from './metrics.js';

export interface TranslationOptions extends SpaceCheckOptions, NeighborOptions {
  metric?: RetrievalMetric; // default 'cosine'
  k?: number; // CSLS neighbourhood, default 10
}

export interface TranslationResult {
  p1: number;
  p5: number;
  p10: number;
  /** Distinct source words evaluated. */
  queries: number;
  metric: RetrievalMetric;
}

export function translationAccuracy(mappedA: Tensor, B: Tensor, pairs: RowPairs, opts: TranslationOptions = {}): TranslationResult {
  if (opts === null || typeof opts !== 'object') throw expected('an options object', 'translationAccuracy options', opts);
  assertSameSpace(mappedA, B, 'translationAccuracy', opts);
  checkMatrix(mappedA, 'translationAccuracy A');
  checkMatrix(B, 'translationAccuracy B');
  if (mappedA.cols !== B.cols) throw new ShapeError(`translationAccuracy: A has ${mappedA.cols} dimensions and B has ${B.cols}; map A into B's space first`);
  const metric = opts.metric ?? 'cosine';
  if (metric !== 'cosine' && metric !== 'csls') throw expected("'cosine' or 'csls'", 'translationAccuracy metric', metric);
  const k = opts.k ?? 10;
  for (let i = 0; i < pairs.src.length; i++) {
    if (!(pairs.src[i]! >= 0 && pairs.src[i]! < mappedA.rows && pairs.tgt[i]! >= 0 && pairs.tgt[i]! < B.rows)) throw expected(`row pairs within [0, ${mappedA.rows}) × [0, ${B.rows})`, 'translationAccuracy pairs', `(${pairs.src[i]}, ${pairs.tgt[i]})`);
  }
  const { queries, targets } = groupBySource(pairs);
  const nq = queries.length;
  if (nq === 0) return { p1: 0, p5: 0, p10: 0, queries: 0, metric };
  const a = unitRows(mappedA);
  const b = unitRows(B);
  const nopts = { blockRows: opts.blockRows, onProgress: opts.onProgress };
  const penalty = metric === 'csls' ? meanTopK(b, a, Math.min(k, a.rows), nopts).map((r) => r / 2) : null;
  const top = Math.min(10, b.rows);
  const best = topK(a.gatherRows(queries), b, top, penalty, nopts);
  let h1 = 0;
  let h5 = 0;
  let h10 = 0;
  for (let q = 0; q < nq; q++) {
    const want = targets[q]!;
    let rank = top;
    for (let r = 0; r < top && rank === top; r++) if (want.includes(best.indices[q * top + r]!)) rank = r;
    if (rank < 1) h1++;
    if (rank < 5) h5++;
    if (rank < 10) h10++;
  }
  return { p1: h1 / nq, p5: h5 / nq, p10: h10 / nq, queries: nq, metric };
}
