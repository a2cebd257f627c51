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
