// Concatenation: [A, B, …] side by side, each block normalised first so no model dominates by
// scale, then optionally weighted:
//   'l2'     each block's rows scaled to unit length (default)
//   'zscore' each block's columns standardised with the fit set's mean and standard deviation
//            (constant columns, e.g. dead ReLU units, get σ = 1), then the block scaled by 1/√d so
//            its mean squared row norm is 1, like an l2 block
//   'none'   as is
// concatFit() keeps the fit-set statistics so held-out rows get the same treatment;
// concatEmbeddings() fits and applies in one call.

import { ShapeError, expected } from '../errors.js';
import { Tensor } from '../tensor.js';
import { checkMatrix } from './input.js';
import { newSpace, tagSpace } from './space.js';

export type ConcatNormalize = 'l2' | 'zscore' | 'none';

export interface ConcatOptions {
  normalize?: ConcatNormalize;
  weights?: number[];
}

export interface ConcatResult {
  widths: number[];
  space: string;
  apply(blocks: Tensor[]): Tensor;
}

function checkBlocks(blocks: unknown, what: string): Tensor[] {
  if (!Array.isArray(blocks) || blocks.length === 0) throw expected('a non-empty array of 2-D tensors', what, blocks);
  blocks.forEach((b, i) => checkMatrix(b, `${what}[${i}]`, { allowEmpty: true }));
  const ts = blocks as Tensor[];
  const rows = ts[0]!.rows;
  ts.forEach((b, i) => {
    if (b.rows !== rows) throw new ShapeError(`${what}: every block must have one row per item, but block 0 has ${rows} rows and block ${i} has ${b.rows}`);
  });
  return ts;
}

export function concatFit(blocks: Tensor[], opts: ConcatOptions = {}): ConcatResult {
  const bs = checkBlocks(blocks, 'concatEmbeddings blocks');
  const normalize = opts.normalize ?? 'l2';
  if (!['l2', 'zscore', 'none'].includes(normalize)) throw expected("'l2', 'zscore' or 'none'", 'concatEmbeddings normalize', normalize);
  const weights = opts.weights ?? bs.map(() => 1);
  if (!Array.isArray(weights) || weights.length !== bs.length || weights.some((w) => !Number.isFinite(w) || w < 0)) {
    throw expected(`${bs.length} finite weights ≥ 0`, 'concatEmbeddings weights', weights);
  }
  const widths = bs.map((b) => b.cols);
  let stats: { mean: Float32Array; inv: Float32Array }[] = [];
  if (normalize === 'zscore') {
    stats = bs.map((b, bi) => {
      if (b.rows === 0) throw expected('at least one row to fit z-score statistics', `concatEmbeddings blocks[${bi}]`, 'an empty block');
      const mean = b.colMeans();
      const d = b.cols;
      const v = new Float64Array(d);
      for (let i = 0; i < b.rows; i++) for (let j = 0; j < d; j++) v[j]! += (b.data[i * d + j]! - mean[j]!) ** 2;
      const inv = Float32Array.from(v, (s) => {
        const sd = Math.sqrt(s / b.rows);
        return (sd > 1e-12 ? 1 / sd : 1) / Math.sqrt(d);
      });
      return { mean, inv };
    });
  }
  const space = newSpace('concat');
  const total = widths.reduce((a, b) => a + b, 0);
  const apply = (input: Tensor[]): Tensor => {
    const xs = checkBlocks(input, 'concat apply() blocks');
    if (xs.length !== widths.length || xs.some((x, i) => x.cols !== widths[i])) {
      throw new ShapeError(`concat apply(): expected blocks of widths [${widths.join(', ')}] but received [${xs.map((x) => x.cols).join(', ')}]`);
    }
    const n = xs[0]!.rows;
    const out = new Float32Array(n * total);
    let off = 0;
    xs.forEach((x, bi) => {
      const d = x.cols;
      const w = weights[bi]!;
      for (let i = 0; i < n; i++) {
        const src = i * d;
        const dst = i * total + off;
        if (normalize === 'l2') {
          let s = 0;
          for (let j = 0; j < d; j++) s += x.data[src + j]! ** 2;
          const f = s > 0 ? w / Math.sqrt(s) : 0;
          for (let j = 0; j < d; j++) out[dst + j] = x.data[src + j]! * f;
        } else if (normalize === 'zscore') {
          const { mean, inv } = stats[bi]!;
          for (let j = 0; j < d; j++) out[dst + j] = (x.data[src + j]! - mean[j]!) * inv[j]! * w;
        } else {
          for (let j = 0; j < d; j++) out[dst + j] = x.data[src + j]! * w;
        }
      }
      off += d;
    });
    return tagSpace(new Tensor(out, [n, total]), space);
  };
  return { widths, space, apply };
}

/** [A, B, …] normalised per block (statistics from these rows) and concatenated. */
export function concatEmbeddings(blocks: Tensor[], opts: ConcatOptions = {}): Tensor {
  return concatFit(blocks, opts).apply(blocks);
}
