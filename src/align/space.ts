// Which embedding space a tensor lives in. Vectors from two different models live in different
// spaces: a cosine between model A's vector and model B's means nothing, even when the widths
// match. Alignment results tag what they produce with the space they map into, and the
// library's similarity helpers (retrieval, cosineSimilarity) refuse to compare tensors tagged
// with different spaces. Plain tensors without a tag are allowed everywhere.
//
// Tags live in a WeakMap keyed by the Tensor object, so tagging never copies data and a tag goes
// away with its tensor. A view (sliceRows, reshape) is a new Tensor: use `sliceSpace` / tag again.

import { ShapeError, SpaceError, expected } from '../errors.js';
import { getBackend } from '../backend/registry.js';
import { Tensor, shapeStr } from '../tensor.js';
import { checkMatrix, unitRows } from './input.js';

const tags = new WeakMap<Tensor, string>();
let counter = 0;

/** Tags `t` as living in `space` (e.g. 'modelA'); returns t. */
export function tagSpace<T extends Tensor>(t: T, space: string): T {
  if (!(t instanceof Tensor)) throw expected('a Tensor', 'tagSpace tensor', t);
  if (typeof space !== 'string' || space.length === 0) throw expected('a non-empty space name', 'space', space);
  tags.set(t, space);
  return t;
}

/** The space `t` was tagged with, or undefined for a plain tensor. */
export function spaceOf(t: Tensor): string | undefined {
  return tags.get(t);
}

/** Rows [start, end) of `t` as a view carrying `t`'s space tag. */
export function sliceSpace(t: Tensor, start: number, end?: number): Tensor {
  const v = t.sliceRows(start, end);
  const s = tags.get(t);
  if (s !== undefined) tags.set(v, s);
  return v;
}

/** A fresh, unique space id such as 'procrustes#3'. */
export function newSpace(kind: string): string {
  counter += 1;
  return `${kind}#${counter}`;
}

export interface SpaceCheckOptions {
  /** Compare anyway (used to report the unaligned baseline on purpose). */
  ignoreSpaces?: boolean;
}

/** Throws a SpaceError when a and b carry different space tags. */
export function assertSameSpace(a: Tensor, b: Tensor, what: string, opts: SpaceCheckOptions = {}): void {
  if (opts.ignoreSpaces) return;
  const sa = tags.get(a);
  const sb = tags.get(b);
  if (sa !== undefined && sb !== undefined && sa !== sb) {
    throw new SpaceError(
      `${what}: the first input lives in embedding space '${sa}' and the second in '${sb}'. ` +
        'Vectors from different, unaligned spaces cannot be compared: align them first (procrustes, cca, linearMap, kernelMap) ' +
        'or concatenate them (concatEmbeddings), or pass { ignoreSpaces: true } to measure the unaligned baseline on purpose',
    );
  }
}

/** Throws a SpaceError when x is tagged with a space other than the one a map was fit on. */
export function assertInputSpace(x: Tensor, fitSpace: string | undefined, what: string): void {
  const s = tags.get(x);
  if (s !== undefined && fitSpace !== undefined && s !== fitSpace) {
    throw new SpaceError(`${what} was fit on embeddings from space '${fitSpace}' but received embeddings from space '${s}'`);
  }
}

/**
 * Cosine similarity of every row of A with every row of B: an [a.rows × b.rows] matrix (1-D inputs
 * count as one row). Refuses tensors tagged with different spaces.
 */
export function cosineSimilarity(a: Tensor, b: Tensor, opts: SpaceCheckOptions = {}): Tensor {
  assertSameSpace(a, b, 'cosineSimilarity', opts);
  const a2 = a.rank === 1 ? a.reshape([1, a.size]) : a;
  const b2 = b.rank === 1 ? b.reshape([1, b.size]) : b;
  checkMatrix(a2, 'cosineSimilarity A');
  checkMatrix(b2, 'cosineSimilarity B');
  if (a2.cols !== b2.cols) {
    throw new ShapeError(`cosineSimilarity: A has ${a2.cols} dimensions (shape ${shapeStr(a.shape)}) and B has ${b2.cols} (shape ${shapeStr(b.shape)}); align the two spaces first`);
  }
  const ua = unitRows(a2);
  const ub = unitRows(b2);
  const c = new Float32Array(a2.rows * b2.rows);
  getBackend().gemm(a2.rows, b2.rows, a2.cols, ua.data, ub.data, c, { transB: true });
  return new Tensor(c, [a2.rows, b2.rows]);
}
