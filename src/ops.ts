// Tensor-level operations on top of the current backend.

import { getBackend } from './backend/registry.js';
import type { Activation } from './backend/types.js';
import { ShapeError, expected } from './errors.js';
import { Tensor, shapeStr } from './tensor.js';

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
}

function matmulDims(a: Tensor, b: Tensor, opts: MatmulOptions): [number, number, number] {
  a.assertRank(2, 'matmul');
  b.assertRank(2, 'matmul');
  const [ar, ac] = a.shape as [number, number];
  const [br, bc] = b.shape as [number, number];
  const m = opts.transA ? ac : ar;
  const k = opts.transA ? ar : ac;
  const kb = opts.transB ? bc : br;
  const n = opts.transB ? br : bc;
  if (k !== kb) {
    throw new ShapeError(
      `matmul: op(A) ${shapeStr([m, k])} and op(B) ${shapeStr([kb, n])} do not chain (A ${shapeStr(a.shape)}${opts.transA ? 'ᵀ' : ''}, B ${shapeStr(b.shape)}${opts.transB ? 'ᵀ' : ''})`,
    );
  }
  return [m, n, k];
}

/** op(A) · op(B) as a new tensor. */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const [m, n, k] = matmulDims(a, b, opts);
  const c = new Float32Array(m * n);
  getBackend().gemm(m, n, k, a.data, b.data, c, opts);
  return new Tensor(c, [m, n]);
}

/** matmul off the event loop (on the native backends). Do not modify a or b until it resolves. */
export async function matmulAsync(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Promise<Tensor> {
  const [m, n, k] = matmulDims(a, b, opts);
  const c = new Float32Array(m * n);
  await getBackend().gemmAsync(m, n, k, a.data, b.data, c, opts);
  return new Tensor(c, [m, n]);
}

/**
 * A PyTorch Linear layer plus activation: act(x · Wᵀ + bias), W is [out, in].
 * Writes into `out` when given (no allocation on hot paths).
 */
export function linear(x: Tensor, weight: Tensor, bias: Float32Array | null, activation: Activation = 'identity', out?: Float32Array, leakySlope?: number): Tensor {
  x.assertRank(2, 'linear');
  weight.assertRank(2, 'linear');
  const [m, k] = x.shape as [number, number];
  const [n, kw] = weight.shape as [number, number];
  if (k !== kw) throw new ShapeError(`linear: input ${shapeStr(x.shape)} does not fit weight ${shapeStr(weight.shape)} (expects ${kw} features)`);
  const c = out ?? new Float32Array(m * n);
  if (c.length < m * n) throw new ShapeError(`linear: output buffer has ${c.length} elements, needs ${m * n}`);
  getBackend().gemm(m, n, k, x.data, weight.data, c, {
    transB: true,
    ...(bias ? { bias } : {}),
    activation,
    ...(leakySlope !== undefined ? { leakySlope } : {}),
  });
  return new Tensor(c.length === m * n ? c : c.subarray(0, m * n), [m, n]);
}

export interface Svd {
  U: Tensor;
  S: Float32Array;
  V: Tensor;
}

function svdCheck(a: Tensor): [number, number] {
  a.assertRank(2, 'svd');
  if (a.hasNonFinite()) throw expected('a matrix of finite numbers', 'svd input', 'NaN or Infinity');
  return a.shape as [number, number];
}

function toSvd(r: { U: Float32Array; S: Float32Array; V: Float32Array }, m: number, n: number, full: boolean): Svd {
  const p = Math.min(m, n);
  return {
    U: new Tensor(r.U, [m, full ? m : p]),
    S: r.S,
    V: new Tensor(r.V, [n, full ? n : p]),
  };
}

/** SVD: a ≈ U diag(S) Vᵀ with S descending. Thin by default; `full` gives square U and V. */
export function svd(a: Tensor, opts: { full?: boolean } = {}): Svd {
  const [m, n] = svdCheck(a);
  const full = opts.full ?? false;
  const b = getBackend();
  return toSvd(b.svd(a.data, m, n, full), m, n, full);
}

/** svd off the event loop (on the native backends). */
export async function svdAsync(a: Tensor, opts: { full?: boolean } = {}): Promise<Svd> {
  const [m, n] = svdCheck(a);
  const full = opts.full ?? false;
  const b = getBackend();
  return toSvd(await b.svdAsync(a.data, m, n, full), m, n, full);
}
