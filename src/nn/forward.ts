// The forward pass of an MLP, written once. For rows x = h_0 [rows, in]:
//
//   h_{i+1} = act_i(h_i · W_iᵀ + b_i)     one GEMM per layer, bias and activation fused in its
//                                         epilogue; act_i is hidden layer i's activation and the
//                                         last layer (the logits) is linear.
//
// Every caller (MLP.forward/forwardOne/forwardAsync, training, activation statistics, embeddings,
// reconstruction) runs this loop and differs only in the options: which layers (`from`, `upTo`),
// where the outputs go (`out`, for callers that allocate nothing per call), whether a layer's
// pre-activation is kept (`pre`, for GELU's derivative and ridge targets), and a hook that sees
// each layer's output. The async form runs the same steps with each GEMM on the libuv pool.

import { activate } from '../backend/activation.js';
import { getBackend } from '../backend/registry.js';
import type { GemmOptions } from '../backend/types.js';
import { IDENTITY, type LayerActivation } from './activation.js';

export interface Linear {
  weight: { data: Float32Array; shape: readonly number[] }; // [out, in]
  bias: Float32Array; // [out]
}

/** What the loop needs of a model: its layers and the activation after each hidden one. */
export interface ForwardNet {
  readonly layers: readonly Linear[];
  readonly activations: readonly LayerActivation[];
}

export interface ForwardOptions {
  /** First layer to run; `x` is its input (default 0). */
  from?: number;
  /** Runs layers [from, upTo) (default: all); the result is layer upTo−1's output. */
  upTo?: number;
  /** Per-layer output buffers of at least rows·width entries (else each layer allocates). */
  out?: readonly (Float32Array | undefined)[];
  /** Per-layer GEMM options made once by `gemmOptions` (callers that allocate nothing per call). */
  gemm?: readonly GemmOptions[];
  /** Per layer, a buffer that receives the pre-activation z; the activation is then applied in TS. */
  pre?: readonly (Float32Array | null | undefined)[];
  /** Sees each layer's output a [rows, width] as it is made (a may be longer than rows·width). */
  onLayer?: (layer: number, a: Float32Array, rows: number, width: number) => void;
}

/** The activation after layers[i]: its hidden activation, identity for the last (logits) layer. */
export function layerActivation(net: ForwardNet, i: number): LayerActivation {
  return i < net.layers.length - 1 ? net.activations[i]! : IDENTITY;
}

/** GEMM options of layer i: transposed weight, bias and activation in the epilogue. */
export function gemmOptions(net: ForwardNet, i: number): GemmOptions {
  const a = layerActivation(net, i);
  return { transB: true, bias: net.layers[i]!.bias, activation: a.name, leakySlope: a.slope };
}

/** a[0..n) = act(z[0..n)), the js reference formulas (for layers whose pre-activation is kept). */
export function applyActivation(act: LayerActivation, z: Float32Array, a: Float32Array, n: number): void {
  const { name, slope } = act;
  if (name === 'relu') for (let i = 0; i < n; i++) a[i] = z[i]! > 0 ? z[i]! : 0;
  else for (let i = 0; i < n; i++) a[i] = activate(name, z[i]!, slope);
}

const NO_OPTIONS: ForwardOptions = {};

/**
 * Runs `net` on `rows` rows of `x` ([rows, in of layer `from`]) and returns the last output.
 * Allocates nothing itself when `out` and `gemm` are given (the single-sample path).
 */
export function forwardRows(net: ForwardNet, x: Float32Array, rows: number, opts: ForwardOptions = NO_OPTIONS): Float32Array {
  const be = getBackend();
  const upTo = opts.upTo ?? net.layers.length;
  let h = x;
  for (let i = opts.from ?? 0; i < upTo; i++) {
    const l = net.layers[i]!;
    const n = l.weight.shape[0]!;
    const k = l.weight.shape[1]!;
    const out = opts.out?.[i] ?? new Float32Array(rows * n);
    const pre = opts.pre?.[i];
    if (pre) {
      be.gemm(rows, n, k, h, l.weight.data, pre, { transB: true, bias: l.bias });
      applyActivation(layerActivation(net, i), pre, out, rows * n);
    } else {
      be.gemm(rows, n, k, h, l.weight.data, out, opts.gemm?.[i] ?? gemmOptions(net, i));
    }
    opts.onLayer?.(i, out, rows, n);
    h = out;
  }
  return h;
}

/**
 * forwardRows with each GEMM on the libuv pool (native backends). The layers are read once at
 * the start, so a model changed while this is in flight still runs as it was.
 */
export async function forwardRowsAsync(net: ForwardNet, x: Float32Array, rows: number, opts: Omit<ForwardOptions, 'pre' | 'gemm'> = {}): Promise<Float32Array> {
  const be = getBackend();
  const upTo = opts.upTo ?? net.layers.length;
  const snapshot: ForwardNet = { layers: net.layers.slice(), activations: net.activations.slice() };
  let h = x;
  for (let i = opts.from ?? 0; i < upTo; i++) {
    const l = snapshot.layers[i]!;
    const n = l.weight.shape[0]!;
    const out = opts.out?.[i] ?? new Float32Array(rows * n);
    await be.gemmAsync(rows, n, l.weight.shape[1]!, h, l.weight.data, out, gemmOptions(snapshot, i));
    opts.onLayer?.(i, out, rows, n);
    h = out;
  }
  return h;
}
