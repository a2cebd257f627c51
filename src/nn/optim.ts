// Optimisers, exactly as PyTorch's torch.optim defines them (single-tensor, non-foreach path):
//
// Adam (weight decay as L2: g ← g + wd·p):
//   m ← β1·m + (1−β1)·g          v ← β2·v + (1−β2)·g²
//   p ← p − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + eps)
// SGD with momentum (dampening 0, not Nesterov):
//   g ← g + wd·p;   buf ← g (first step) or momentum·buf + g;   p ← p − lr·buf
//
// One optimiser owns the state of every parameter array it was made for, updated in place.

import { expected } from '../errors.js';
import { adamWasm } from './wasm-bytes.js';

export interface AdamOptions {
  lr?: number; // default 1e-3
  betas?: [number, number]; // default [0.9, 0.999]
  eps?: number; // default 1e-8
  weightDecay?: number; // default 0
  /** Use the plain loop even where the WebAssembly SIMD kernel is available (for tests). */
  plain?: boolean;
}

export interface SgdOptions {
  lr?: number; // default 1e-2
  momentum?: number; // default 0
  weightDecay?: number; // default 0
}

export interface Optimizer {
  /** Applies one update to params[i] from grads[i] (same lengths as at construction). */
  step(params: Float32Array[], grads: Float32Array[]): void;
}

function checkNum(v: number, name: string, lo: number, hi = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) throw expected(`a number in [${lo}, ${hi}]`, name, v);
  return v;
}

// The little of the WebAssembly API used here (tsconfig's lib has no DOM types).
interface Wasm {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (d: { initial: number }) => { buffer: ArrayBuffer };
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { WebAssembly?: Wasm }).WebAssembly;

/** The SIMD Adam kernel (kernels/wasm/adam.wat), compiled once; null where WebAssembly SIMD is missing. */
let adamModule: object | null | undefined;
function adamWasmModule(): object | null {
  if (adamModule === undefined) {
    try {
      adamModule = WA ? new WA.Module(Buffer.from(adamWasm, 'base64')) : null;
    } catch {
      adamModule = null;
    }
  }
  return adamModule;
}

type AdamFn = (p: number, g: number, m: number, v: number, n: number, b1: number, b2: number, c1: number, c2: number, ss: number, e: number, wd: number) => void;

/**
 * Adam. Its state (m, v) and a working copy of the parameters and gradients live in one
 * WebAssembly memory, so the update runs as one SIMD pass: train() computes gradients straight
 * into `gradViews` and the forward pass reads `paramViews`. step() with other arrays still works
 * (plain loop), so the optimiser can be used on its own.
 */
export class Adam implements Optimizer {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** Parameter and gradient arrays inside the optimiser's memory, one per size given. */
  readonly paramViews: Float32Array[];
  readonly gradViews: Float32Array[];
  private t = 0;
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private readonly total: number;
  private readonly wasm: AdamFn | null;

  constructor(sizes: number[], opts: AdamOptions = {}) {
    this.lr = checkNum(opts.lr ?? 1e-3, 'lr', 0);
    this.beta1 = checkNum(opts.betas?.[0] ?? 0.9, 'betas[0]', 0, 0.999999);
    this.beta2 = checkNum(opts.betas?.[1] ?? 0.999, 'betas[1]', 0, 0.999999);
    this.eps = checkNum(opts.eps ?? 1e-8, 'eps', 0);
    this.weightDecay = checkNum(opts.weightDecay ?? 0, 'weightDecay', 0);
    this.total = sizes.reduce((a, b) => a + b, 0);
    const bytes = 16 * this.total; // p, g, m, v regions of total floats each
    const mod = opts.plain || bytes > 2 ** 31 ? null : adamWasmModule();
    let buffer: ArrayBuffer;
    if (mod) {
      const memory = new WA!.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
      this.wasm = new WA!.Instance(mod, { env: { memory } }).exports.adam as AdamFn;
      buffer = memory.buffer;
    } else {
      this.wasm = null;
      buffer = new ArrayBuffer(bytes);
    }
    const region = (r: number) => {
      let off = r * 4 * this.total;
      return sizes.map((n) => {
        const view = new Float32Array(buffer, off, n);
        off += 4 * n;
        return view;
      });
    };
    this.paramViews = region(0);
    this.gradViews = region(1);
    this.m = region(2);
    this.v = region(3);
  }

  /** True when updates run in the WebAssembly SIMD kernel. */
  get simd(): boolean {
    return this.wasm !== null;
  }

  step(params: Float32Array[], grads: Float32Array[]): void {
    this.t++;
    const { beta1: b1, beta2: b2, eps, weightDecay: wd } = this;
    const stepSize = this.lr / (1 - b1 ** this.t);
    const bc2Sqrt = Math.sqrt(1 - b2 ** this.t);
    const own = params.length === this.paramViews.length && params.every((p, k) => p === this.paramViews[k] && grads[k] === this.gradViews[k]);
    if (own && this.wasm) {
      const T = 4 * this.total;
      this.wasm(0, T, 2 * T, 3 * T, this.total, b1, b2, 1 - b1, 1 - b2, stepSize * bc2Sqrt, eps * bc2Sqrt, wd);
      return;
    }
    for (let k = 0; k < params.length; k++) {
      adamKernel(params[k]!, grads[k]!, this.m[k]!, this.v[k]!, b1, b2, 1 - b1, 1 - b2, stepSize, bc2Sqrt, eps, wd);
    }
  }
}

/** One fused pass per parameter array (kept monomorphic and top-level so V8 compiles it tightly). */
function adamKernel(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, b1: number, b2: number, c1: number, c2: number, stepSize: number, bc2Sqrt: number, eps: number, wd: number): void {
  const n = p.length;
  // stepSize·m / (√v/√bc2 + eps) = (stepSize·√bc2)·m / (√v + eps·√bc2): one division fewer.
  const ss = stepSize * bc2Sqrt;
  const e = eps * bc2Sqrt;
  if (wd !== 0) for (let i = 0; i < n; i++) g[i] = g[i]! + wd * p[i]!;
  for (let i = 0; i < n; i++) {
    const gi = g[i]!;
    const mi = b1 * m[i]! + c1 * gi;
    const vi = b2 * v[i]! + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i]! - (ss * mi) / (Math.sqrt(vi) + e);
  }
}

export class Sgd implements Optimizer {
  readonly lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  private started = false;
  private readonly buf: Float32Array[];

  constructor(sizes: number[], opts: SgdOptions = {}) {
    this.lr = checkNum(opts.lr ?? 1e-2, 'lr', 0);
    this.momentum = checkNum(opts.momentum ?? 0, 'momentum', 0, 1);
    this.weightDecay = checkNum(opts.weightDecay ?? 0, 'weightDecay', 0);
    this.buf = this.momentum ? sizes.map((n) => new Float32Array(n)) : [];
  }

  step(params: Float32Array[], grads: Float32Array[]): void {
    const { lr, momentum: mu, weightDecay: wd } = this;
    for (let k = 0; k < params.length; k++) {
      const p = params[k]!;
      const g = grads[k]!;
      const n = p.length;
      if (!mu) {
        for (let i = 0; i < n; i++) p[i] = p[i]! - lr * (g[i]! + wd * p[i]!);
        continue;
      }
      const b = this.buf[k]!;
      for (let i = 0; i < n; i++) {
        const gi = g[i]! + wd * p[i]!;
        const bi = this.started ? mu * b[i]! + gi : gi;
        b[i] = bi;
        p[i] = p[i]! - lr * bi;
      }
    }
    this.started = true;
  }
}
