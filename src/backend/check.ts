// Argument checks shared by every backend's entry points, so a bad call gets the same clear
// error whichever backend runs it.

import { ArgumentError, ShapeError, expected } from '../errors.js';
import { ACTIVATIONS, type Activation, type ColStats, type GemmOptions } from './types.js';

export function checkDim(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
    throw expected('a non-negative 32-bit integer', name, v);
  }
  return v;
}

export function checkF32(v: unknown, name: string, minLength: number): Float32Array {
  if (!(v instanceof Float32Array)) throw expected('a Float32Array', name, v);
  if (v.length < minLength) throw new ShapeError(`${name} has ${v.length} elements but the call needs ${minLength}`);
  return v;
}

export function checkActivation(v: unknown, name = 'activation'): Activation {
  if (typeof v !== 'string' || !(ACTIVATIONS as readonly string[]).includes(v)) {
    throw expected(`one of ${ACTIVATIONS.join(', ')}`, name, v);
  }
  return v as Activation;
}

export function checkGemm(m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array, opts: GemmOptions): void {
  checkDim(m, 'm');
  checkDim(n, 'n');
  checkDim(k, 'k');
  if (m * k > Number.MAX_SAFE_INTEGER || k * n > Number.MAX_SAFE_INTEGER || m * n > 2 ** 31 * 16) {
    throw new ArgumentError(`gemm sizes m=${m}, n=${n}, k=${k} are too large`);
  }
  checkF32(a, 'A', m * k);
  checkF32(b, 'B', k * n);
  checkF32(c, 'C', m * n);
  if (opts.bias !== undefined) checkF32(opts.bias, 'bias', n);
  if (opts.activation !== undefined) checkActivation(opts.activation);
  for (const key of ['alpha', 'beta', 'leakySlope'] as const) {
    const v = opts[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) throw expected('a finite number', key, v);
  }
}

/** colStats(x, rows, cols, act, acc): x holds rows×cols values and acc has `cols` columns. */
export function checkColStats(x: Float32Array, rows: number, cols: number, act: Activation, acc: ColStats): void {
  checkDim(rows, 'rows');
  checkDim(cols, 'cols');
  checkF32(x, 'x', rows * cols);
  checkActivation(act);
  if (acc.cols !== cols) throw new ShapeError(`ColStats has ${acc.cols} columns but x has ${cols}`);
}

/** svd(a, m, n, full): a holds m×n values. */
export function checkSvd(a: Float32Array, m: number, n: number, full: boolean): void {
  checkDim(m, 'm');
  checkDim(n, 'n');
  checkF32(a, 'A', m * n);
  if (typeof full !== 'boolean') throw expected('a boolean', 'full', full);
}

function checkF64(v: unknown, name: string, minLength: number): Float64Array {
  if (!(v instanceof Float64Array)) throw expected('a Float64Array', name, v);
  if (v.length < minLength) throw new ShapeError(`${name} has ${v.length} elements but the call needs ${minLength}`);
  return v;
}

/** cholesky64(a, n, minPivot): a holds n×n values; minPivot finite and >= 0. */
export function checkCholesky(a: Float64Array, n: number, minPivot: number): void {
  checkDim(n, 'n');
  checkF64(a, 'A', n * n);
  if (typeof minPivot !== 'number' || !(minPivot >= 0) || !Number.isFinite(minPivot)) throw expected('a finite number >= 0', 'minPivot', minPivot);
}

/** solveLower64(l, n, x, k): l n×n, x n×k, not sharing memory (x is written while l is read). */
export function checkSolveLower(l: Float64Array, n: number, x: Float64Array, k: number): void {
  checkDim(n, 'n');
  checkDim(k, 'k');
  checkF64(l, 'L', n * n);
  checkF64(x, 'X', n * k);
  const l0 = l.byteOffset;
  const x0 = x.byteOffset;
  if (l.buffer === x.buffer && n * n > 0 && n * k > 0 && l0 < x0 + 8 * n * k && x0 < l0 + 8 * n * n) {
    throw new ArgumentError('X must not share memory with L');
  }
}
