// Pairs of rows to fit a map on and to evaluate it with, from keyed vectors:
//   by key        rows of A and B with the same key (identical words: a natural seed dictionary)
//   by dictionary a file of "src tgt" lines (whitespace between; many-to-many: a source may have
//                 several targets and a target several sources), like MUSE's and vecmap's
// `lowercase` folds case on both sides (the first, most frequent, row of a folded key wins).
// Coverage says how many pairs found both rows, so a dictionary that misses the vocabulary shows.

import { FormatError } from '../errors.js';
import { ByteSource } from '../io/vectors/source.js';
import { tokens } from '../io/vectors/rows.js';
import type { Tensor } from '../tensor.js';
import { spaceOf, tagSpace } from './space.js';

export interface KeyPair {
  src: string;
  tgt: string;
}

/** Row pairs: A's row src[i] goes with B's row tgt[i]. */
export interface RowPairs {
  src: Int32Array;
  tgt: Int32Array;
}

export interface Coverage {
  /** Distinct pairs in the dictionary (or shared keys). */
  pairs: number;
  /** Pairs with both rows present. */
  found: number;
  /** Distinct source words, and those with at least one pair found. */
  sources: number;
  sourcesFound: number;
  missingSrc: number;
  missingTgt: number;
}

export interface PairOptions {
  lowercase?: boolean;
}

/** Reads "src tgt" lines; a line without exactly two words is a FormatError naming it. Duplicates are dropped. */
export function readDictionary(path: string): KeyPair[] {
  const src = new ByteSource(path);
  try {
    const out: KeyPair[] = [];
    const seen = new Set<string>();
    let n = 0;
    for (let line = src.line(); line !== null; line = src.line()) {
      n++;
      const t = tokens(line);
      if (t.length === 0) continue;
      if (t.length !== 2) throw new FormatError(`${path} line ${n}: expected a dictionary pair "source target" but found ${t.length} words: ${JSON.stringify(line.slice(0, 80))}`);
      const id = `${t[0]}\u0000${t[1]}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({ src: t[0]!, tgt: t[1]! });
    }
    return out;
  } finally {
    src.close();
  }
}

/** key -> row, first row wins (vector files list frequent words first). */
export function keyIndex(keys: readonly string[], lowercase = false): Map<string, number> {
  const m = new Map<string, number>();
  keys.forEach((k, i) => {
    const f = lowercase ? k.toLowerCase() : k;
    if (!m.has(f)) m.set(f, i);
  });
  return m;
}

/** Rows of the dictionary's pairs found in both key lists (order of the dictionary), and coverage. */
export function pairByDictionary(keysA: readonly string[], keysB: readonly string[], dict: readonly KeyPair[], opts: PairOptions = {}): RowPairs & { coverage: Coverage } {
  const fold = (s: string) => (opts.lowercase ? s.toLowerCase() : s);
  const ia = keyIndex(keysA, opts.lowercase);
  const ib = keyIndex(keysB, opts.lowercase);
  const src: number[] = [];
  const tgt: number[] = [];
  const seen = new Set<string>();
  const sources = new Set<string>();
  const sourcesFound = new Set<string>();
  let missingSrc = 0;
  let missingTgt = 0;
  for (const p of dict) {
    const s = fold(p.src);
    const t = fold(p.tgt);
    const id = `${s}\u0000${t}`;
    if (seen.has(id)) continue;
    seen.add(id);
    sources.add(s);
    const a = ia.get(s);
    const b = ib.get(t);
    if (a === undefined) missingSrc++;
    if (b === undefined) missingTgt++;
    if (a === undefined || b === undefined) continue;
    src.push(a);
    tgt.push(b);
    sourcesFound.add(s);
  }
  return {
    src: Int32Array.from(src),
    tgt: Int32Array.from(tgt),
    coverage: { pairs: seen.size, found: src.length, sources: sources.size, sourcesFound: sourcesFound.size, missingSrc, missingTgt },
  };
}

/** Rows of A and B that share a key (in A's order), leaving out source keys in `exclude` (a held-out test set). */
export function pairByKeys(keysA: readonly string[], keysB: readonly string[], opts: PairOptions & { exclude?: ReadonlySet<string> } = {}): RowPairs & { coverage: Coverage } {
  const ib = keyIndex(keysB, opts.lowercase);
  const ia = keyIndex(keysA, opts.lowercase);
  const src: number[] = [];
  const tgt: number[] = [];
  for (const [k, a] of ia) {
    if (opts.exclude?.has(k)) continue;
    const b = ib.get(k);
    if (b === undefined) continue;
    src.push(a);
    tgt.push(b);
  }
  const n = src.length;
  return {
    src: Int32Array.from(src),
    tgt: Int32Array.from(tgt),
    coverage: { pairs: n, found: n, sources: ia.size, sourcesFound: n, missingSrc: 0, missingTgt: ia.size - n },
  };
}

/** Eval queries: each distinct source row with every target row the pairs give it. */
export function groupBySource(pairs: RowPairs): { queries: Int32Array; targets: Int32Array[] } {
  const m = new Map<number, number[]>();
  for (let i = 0; i < pairs.src.length; i++) {
    const s = pairs.src[i]!;
    const list = m.get(s);
    if (list) list.push(pairs.tgt[i]!);
    else m.set(s, [pairs.tgt[i]!]);
  }
  return { queries: Int32Array.from(m.keys()), targets: Array.from(m.values(), (v) => Int32Array.from(v)) };
}

/** A's rows src[i] and B's rows tgt[i] as two paired matrices, keeping each side's space tag. */
export function gatherPairs(A: Tensor, B: Tensor, pairs: RowPairs): [Tensor, Tensor] {
  const a = A.gatherRows(pairs.src);
  const b = B.gatherRows(pairs.tgt);
  const sa = spaceOf(A);
  const sb = spaceOf(B);
  return [sa === undefined ? a : tagSpace(a, sa), sb === undefined ? b : tagSpace(b, sb)];
}
