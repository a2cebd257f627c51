// Tensor: a row-major Float32Array plus a shape. Deliberately small: views where the layout
// allows (reshape, row slices), copies where it does not (transpose).

import { ShapeError, expected } from './errors.js';
import { Rng } from './rng.js';
import { firstNonFinite } from './finite.js';

export type Shape = readonly number[];

function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`Invalid shape [${shape.join(', ')}]: dimensions must be non-negative integers`);
    n *= d;
  }
  return n;
}

export function shapeStr(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export class Tensor {
  readonly data: Float32Array;
  readonly shape: number[];

  constructor(data: Float32Array, shape: Shape) {
    const n = sizeOf(shape);
    if (data.length !== n) {
      throw new ShapeError(`Data of length ${data.length} does not fit shape ${shapeStr(shape)} (${n} elements)`);
    }
    this.data = data;
    this.shape = [...shape];
  }

  /** Wrap (no copy) a Float32Array, or copy any array-like of numbers, into a tensor of `shape`. */
  static from(data: Float32Array | ArrayLike<number>, shape?: Shape): Tensor {
    const arr = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
    return new Tensor(arr, shape ?? [arr.length]);
  }

  /** Rows of equal-length number arrays -> a 2-D tensor. */
  static fromRows(rows: ArrayLike<number>[]): Tensor {
    const m = rows.length;
    const n = m === 0 ? 0 : rows[0]!.length;
    const out = new Float32Array(m * n);
    rows.forEach((r, i) => {
      if (r.length !== n) throw new ShapeError(`Row ${i} has length ${r.length}, expected ${n}`);
      out.set(r, i * n);
    });
    return new Tensor(out, [m, n]);
  }

  static zeros(shape: Shape): Tensor {
    return new Tensor(new Float32Array(sizeOf(shape)), shape);
  }

  static full(shape: Shape, value: number): Tensor {
    return new Tensor(new Float32Array(sizeOf(shape)).fill(value), shape);
  }

  static eye(n: number): Tensor {
    const t = Tensor.zeros([n, n]);
    for (let i = 0; i < n; i++) t.data[i * n + i] = 1;
    return t;
  }

  /** Uniform in [lo, hi), seeded. */
  static rand(shape: Shape, seed = 0, lo = 0, hi = 1): Tensor {
    const rng = new Rng(seed);
    const t = Tensor.zeros(shape);
    for (let i = 0; i < t.data.length; i++) t.data[i] = rng.uniform(lo, hi);
    return t;
  }

  /** Standard normal, seeded. */
  static randn(shape: Shape, seed = 0): Tensor {
    const rng = new Rng(seed);
    const t = Tensor.zeros(shape);
    for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal();
    return t;
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Rows of a 2-D tensor (a 1-D tensor counts as one row). */
  get rows(): number {
    return this.shape.length === 1 ? 1 : this.shape[0]!;
  }

  /** Columns of a 2-D tensor (a 1-D tensor is one row of `length` columns). */
  get cols(): number {
    return this.shape[this.shape.length - 1] ?? 1;
  }

  /** Same data, new shape (no copy). One dimension may be -1. */
  reshape(shape: Shape): Tensor {
    const neg = shape.filter((d) => d === -1).length;
    if (neg > 1) throw new ShapeError(`Cannot reshape ${shapeStr(this.shape)} to ${shapeStr(shape)}: more than one -1`);
    let resolved = [...shape];
    if (neg === 1) {
      const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      if (known === 0 || this.size % known !== 0) {
        throw new ShapeError(`Cannot reshape ${shapeStr(this.shape)} to ${shapeStr(shape)}`);
      }
      resolved = shape.map((d) => (d === -1 ? this.size / known : d));
    }
    if (sizeOf(resolved) !== this.size) {
      throw new ShapeError(`Cannot reshape ${shapeStr(this.shape)} (${this.size} elements) to ${shapeStr(resolved)}`);
    }
    return new Tensor(this.data, resolved);
  }

  /** Rows [start, end) of a 2-D tensor as a view (no copy). */
  sliceRows(start: number, end = this.rows): Tensor {
    this.assertRank(2, 'sliceRows');
    const m = this.shape[0]!;
    const n = this.shape[1]!;
    const s = Math.max(0, Math.min(m, start < 0 ? m + start : start));
    const e = Math.max(s, Math.min(m, end < 0 ? m + end : end));
    return new Tensor(this.data.subarray(s * n, e * n), [e - s, n]);
  }

  /** Selected rows of a 2-D tensor, copied, in the given order. */
  gatherRows(indices: ArrayLike<number>): Tensor {
    this.assertRank(2, 'gatherRows');
    const [m, n] = this.shape as [number, number];
    const out = new Float32Array(indices.length * n);
    for (let i = 0; i < indices.length; i++) {
      const r = indices[i]!;
      if (!Number.isInteger(r) || r < 0 || r >= m) throw expected(`a row index in [0, ${m})`, `indices[${i}]`, r);
      out.set(this.data.subarray(r * n, r * n + n), i * n);
    }
    return new Tensor(out, [indices.length, n]);
  }

  /** Selected columns of a 2-D tensor, copied. */
  gatherCols(indices: ArrayLike<number>): Tensor {
    this.assertRank(2, 'gatherCols');
    const [m, n] = this.shape as [number, number];
    const k = indices.length;
    for (let j = 0; j < k; j++) {
      const c = indices[j]!;
      if (!Number.isInteger(c) || c < 0 || c >= n) throw expected(`a column index in [0, ${n})`, `indices[${j}]`, c);
    }
    const out = new Float32Array(m * k);
    for (let i = 0; i < m; i++) {
      const row = i * n;
      for (let j = 0; j < k; j++) out[i * k + j] = this.data[row + indices[j]!]!;
    }
    return new Tensor(out, [m, k]);
  }

  /** Transpose of a 2-D tensor (a copy). */
  transpose(): Tensor {
    this.assertRank(2, 'transpose');
    const [m, n] = this.shape as [number, number];
    const out = new Float32Array(m * n);
    const B = 32; // blocked so both sides stay in cache
    for (let i0 = 0; i0 < m; i0 += B) {
      for (let j0 = 0; j0 < n; j0 += B) {
        const iEnd = Math.min(m, i0 + B);
        const jEnd = Math.min(n, j0 + B);
        for (let i = i0; i < iEnd; i++) {
          for (let j = j0; j < jEnd; j++) out[j * m + i] = this.data[i * n + j]!;
        }
      }
    }
    return new Tensor(out, [n, m]);
  }

  get T(): Tensor {
    return this.transpose();
  }

  get(i: number, j?: number): number {
    if (j === undefined) return this.data[i]!;
    return this.data[i * this.cols + j]!;
  }

  set(i: number, j: number, v: number): void {
    this.data[i * this.cols + j] = v;
  }

  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** Element-wise f(x) into a new tensor. */
  map(f: (x: number, i: number) => number): Tensor {
    const out = new Float32Array(this.size);
    for (let i = 0; i < out.length; i++) out[i] = f(this.data[i]!, i);
    return new Tensor(out, this.shape);
  }

  /** Element-wise f(a, b) of two tensors of the same shape. */
  zip(other: Tensor, f: (a: number, b: number) => number): Tensor {
    assertSameShape(this, other, 'zip');
    const out = new Float32Array(this.size);
    for (let i = 0; i < out.length; i++) out[i] = f(this.data[i]!, other.data[i]!);
    return new Tensor(out, this.shape);
  }

  add(other: Tensor): Tensor {
    return this.zip(other, (a, b) => a + b);
  }

  sub(other: Tensor): Tensor {
    return this.zip(other, (a, b) => a - b);
  }

  mul(other: Tensor): Tensor {
    return this.zip(other, (a, b) => a * b);
  }

  scale(s: number): Tensor {
    return this.map((x) => x * s);
  }

  /** Adds a row vector to every row of a 2-D tensor (a copy). */
  addRow(row: Float32Array): Tensor {
    const n = this.cols;
    if (row.length !== n) throw new ShapeError(`Cannot add a row of length ${row.length} to rows of ${shapeStr(this.shape)}`);
    return this.map((x, i) => x + row[i % n]!);
  }

  sum(): number {
    let s = 0;
    for (let i = 0; i < this.data.length; i++) s += this.data[i]!;
    return s;
  }

  /** Per-column mean of a 2-D tensor, accumulated in float64. */
  colMeans(): Float32Array {
    this.assertRank(2, 'colMeans');
    const [m, n] = this.shape as [number, number];
    const acc = new Float64Array(n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) acc[j]! += this.data[i * n + j]!;
    return Float32Array.from(acc, (s) => (m === 0 ? 0 : s / m));
  }

  /** Frobenius norm, accumulated in float64. */
  norm(): number {
    let s = 0;
    for (let i = 0; i < this.data.length; i++) s += this.data[i]! * this.data[i]!;
    return Math.sqrt(s);
  }

  /** Row-major nested arrays (for printing and tests). */
  toArray(): number[][] {
    const m = this.rows;
    const n = this.cols;
    const out: number[][] = [];
    for (let i = 0; i < m; i++) out.push(Array.from(this.data.subarray(i * n, i * n + n)));
    return out;
  }

  /** True when any element is NaN or ±Infinity. */
  hasNonFinite(): boolean {
    return firstNonFinite(this.data) >= 0;
  }

  assertRank(rank: number, op: string): void {
    if (this.shape.length !== rank) {
      throw new ShapeError(`${op} needs a ${rank}-D tensor but received shape ${shapeStr(this.shape)}`);
    }
  }

  toString(): string {
    return `Tensor${shapeStr(this.shape)}`;
  }
}

export function assertSameShape(a: Tensor, b: Tensor, op: string): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(`${op}: shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)} differ`);
  }
}
