// Input checks and row-wise preparation shared by the alignment methods: a 2-D finite matrix
// argument, two sides paired row by row, centring and unit-length rows. (The float64 dense
// algebra they build on is src/linalg/.)

import { DataError, ShapeError, expected } from '../errors.js';
import { firstNonFinite } from '../finite.js';
import { Tensor, shapeStr } from '../tensor.js';

/**
 * Checks a 2-D, non-empty, finite matrix argument and returns [rows, cols]. `finite: false` skips
 * the scan, for callers that check a product of the matrix instead (NaN and ±Infinity always reach
 * it) and come back here only to say where the bad value is.
 */
export function checkMatrix(t: unknown, name: string, opts: { allowEmpty?: boolean; finite?: boolean } = {}): [number, number] {
  if (!(t instanceof Tensor)) throw expected('a 2-D Tensor', name, t);
  if (t.rank !== 2) throw expected('a 2-D Tensor', name, `a tensor of shape ${shapeStr(t.shape)}`);
  const [m, n] = t.shape as [number, number];
  if (!opts.allowEmpty && (m === 0 || n === 0)) throw new DataError(`Expected a non-empty matrix for ${name} but received shape ${shapeStr(t.shape)} (is the fit range empty?)`);
  if (opts.finite === false) return [m, n];
  const i = firstNonFinite(t.data);
  if (i >= 0) {
    throw new DataError(`Expected finite numbers for ${name} but received ${Number.isNaN(t.data[i]!) ? 'NaN' : t.data[i]! > 0 ? 'Infinity' : '-Infinity'} at row ${Math.floor(i / n)}, column ${i % n}`);
  }
  return [m, n];
}

export function checkSameRows(a: Tensor, b: Tensor, na: string, nb: string): void {
  if (a.rows !== b.rows) {
    throw new ShapeError(`${na} and ${nb} must be paired row by row, but ${na} has ${a.rows} rows and ${nb} has ${b.rows} (shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)})`);
  }
}

/** X - mean (row vector), a copy. */
export function centerRows(x: Tensor, mean: Float32Array): Tensor {
  const n = x.cols;
  if (mean.length !== n) throw new ShapeError(`Cannot centre rows of ${n} columns with a mean of length ${mean.length}`);
  const out = new Float32Array(x.size);
  for (let i = 0; i < x.data.length; i++) out[i] = x.data[i]! - mean[i % n]!;
  return new Tensor(out, x.shape);
}

/** Each row scaled to unit L2 length (zero rows stay zero), a copy. */
export function unitRows(x: Tensor): Tensor {
  const n = x.cols;
  const out = new Float32Array(x.size);
  for (let i = 0; i < x.rows; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += x.data[i * n + j]! * x.data[i * n + j]!;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < n; j++) out[i * n + j] = x.data[i * n + j]! * inv;
  }
  return new Tensor(out, x.shape);
}
