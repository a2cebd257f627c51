// Row-major float64 matrices for the small d×d steps of the alignment methods and ridge fits
// (d = a width, at most a few thousand), kept in float64 between steps instead of rounding to
// float32. Big products (n×d data) go through the backend gemm in float32.

import { getBackend } from '../backend/registry.js';
import { ShapeError } from '../errors.js';
import { Tensor, shapeStr } from '../tensor.js';

/** Row-major float64 matrix. */
export interface Mat {
  data: Float64Array;
  rows: number;
  cols: number;
}

export function mat(rows: number, cols: number, data?: Float64Array): Mat {
  return { data: data ?? new Float64Array(rows * cols), rows, cols };
}

/** The matrix as a float32 Tensor (a copy). */
export function matToTensor(m: Mat): Tensor {
  return new Tensor(Float32Array.from(m.data), [m.rows, m.cols]);
}

export function transpose(m: Mat): Mat {
  const out = mat(m.cols, m.rows);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) out.data[j * m.rows + i] = m.data[i * m.cols + j]!;
  return out;
}

export function trace(m: Mat): number {
  let s = 0;
  for (let i = 0; i < Math.min(m.rows, m.cols); i++) s += m.data[i * m.cols + i]!;
  return s;
}

/** op(A)·op(B) through the backend gemm, returned as float64. */
export function gemm64(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Mat {
  const m = transA ? a.cols : a.rows;
  const k = transA ? a.rows : a.cols;
  const n = transB ? b.rows : b.cols;
  const c = new Float32Array(m * n);
  getBackend().gemm(m, n, k, a.data, b.data, c, { transA, transB });
  return mat(m, n, Float64Array.from(c));
}

/** X·W (+ b) for a float32 X [n×d] and float64 W [d×k] through the backend gemm. */
export function applyLinear(x: Tensor, w: Mat, bias?: Float64Array | Float32Array): Tensor {
  if (x.cols !== w.rows) throw new ShapeError(`Expected ${w.rows} columns for the input to this map but received shape ${shapeStr(x.shape)}`);
  const c = new Float32Array(x.rows * w.cols);
  getBackend().gemm(x.rows, w.cols, w.rows, x.data, Float32Array.from(w.data), c, bias ? { bias: Float32Array.from(bias) } : {});
  return new Tensor(c, [x.rows, w.cols]);
}
