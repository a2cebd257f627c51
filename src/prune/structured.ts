// Structured Ln pruning, PyTorch-identical:
//   torch.nn.utils.prune.ln_structured(module, 'weight', amount, n, dim); prune.remove(module, 'weight')
//
// For a weight W and a dimension `dim` with C channels (rows for dim 0, columns for dim 1):
//   norm[c]  = ‖ W restricted to channel c ‖_n over all other dims, n ∈ {1, 2, ∞}, in float32
//   count    = amount given as a fraction: round-half-to-even(amount · C) (Python's round(), as
//              PyTorch's _compute_nparams_toprune does: 0.05·10 → 0, 0.25·10 → 2, and
//              0.35·10 = 3.4999999999999996 → 3); given as `count`: that integer
//   kept     = topk(norm, k = C − count, largest) — the pruned channels are the others
//   result   = W · mask (mask 1 on kept channels, 0 on pruned), so a pruned negative entry becomes
//              -0 exactly as PyTorch's multiplication gives.
//
// Ties: PyTorch's topk order among exactly equal norms is implementation-defined (torch 1.13 CPU
// selects with std::nth_element/partial_sort, so which of several tied channels it keeps depends
// on their positions). trimnet's deterministic rule: among channels with equal norms, the LOWEST
// indices are pruned first (rank by norm ascending, then index ascending; prune the first
// `count`). On the 277 fixture cases with a tie at the cut this reproduces PyTorch's exact channel
// set in 76 (the opposite rule: 16); the count and the multiset of pruned norms always match, and
// the channel set matches bit for bit whenever no tie straddles the cut.
//
// pruneStructured applies this to an MLP: `shrink: false` is PyTorch (rows zeroed in place,
// sizes unchanged, bias untouched); `shrink: true` removes the selected hidden neurons.

import { activate } from '../backend/activation.js';
import { ArgumentError, DataError, expected } from '../errors.js';
import type { MLP } from '../nn/mlp.js';
import { Tensor, shapeStr } from '../tensor.js';
import { NeuronSelection } from './selection.js';
import { type PruneReport, hiddenCount, makeReport, removeNeurons, zeroNeurons } from './shrink.js';

export type LnNorm = 1 | 2 | number; // 1, 2 or Infinity

export interface LnStructuredOptions {
  /** PyTorch's float amount: the fraction of channels to prune, in [0, 1]. */
  amount?: number;
  /** PyTorch's int amount: the number of channels to prune, 0 ≤ count ≤ channels. */
  count?: number;
  /** The norm: 1, 2 or Infinity (default 2, the L2 norm PyTorch users reach for). */
  n?: LnNorm;
  /**
   * The dimension whose channels are pruned (default 0 = rows / output neurons of a [out, in]
   * weight; 1 = columns / inputs). PyTorch's ln_structured has no default for dim.
   */
  dim?: number;
}

export interface LnStructuredMask {
  /** Channels zeroed, ascending. */
  pruned: number[];
  /** Channels kept, ascending. */
  kept: number[];
  /** Per-channel norms as PyTorch computes them (float32). */
  norms: Float32Array;
}

/** Python's round(): to the nearest integer, ties to even. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f; // exact for doubles
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** How many of `channels` to prune; PyTorch's validation and _compute_nparams_toprune. */
export function pruneCount(channels: number, opts: { amount?: number; count?: number }): number {
  const { amount, count } = opts;
  if ((amount === undefined) === (count === undefined)) {
    throw new ArgumentError('Expected exactly one of amount (a fraction in [0, 1]) or count (a number of channels) for ln pruning');
  }
  if (count !== undefined) {
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) throw expected('a non-negative integer', 'count', count);
    if (count > channels) throw expected(`a count of at most the ${channels} channels to prune`, 'count', count);
    return count;
  }
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0 || amount > 1) {
    throw expected('a fraction in the range [0, 1]', 'amount', amount);
  }
  return roundHalfEven(amount * channels);
}

function checkNorm(n: unknown): asserts n is LnNorm {
  if (n !== 1 && n !== 2 && n !== Infinity) throw expected('1, 2 or Infinity', 'n (the norm)', n);
}

/** Per-channel Ln norms along `dim` of a row-major tensor, rounded to float32. */
export function channelNorms(w: Tensor, n: LnNorm, dim: number): Float32Array {
  const shape = w.shape;
  const c = shape[dim]!;
  const outer = shape.slice(0, dim).reduce((a, b) => a * b, 1);
  const inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const acc = new Float64Array(c);
  const d = w.data;
  for (let o = 0; o < outer; o++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (o * c + ch) * inner;
      let s = acc[ch]!;
      for (let i = 0; i < inner; i++) {
        const v = Math.abs(d[base + i]!);
        if (n === Infinity) s = v > s ? v : s;
        else if (n === 1) s += v;
        else s += v * v;
      }
      acc[ch] = s;
    }
  }
  return Float32Array.from(acc, (s) => (n === 2 ? Math.sqrt(s) : s));
}

function checkWeight(weight: Tensor, dim: number): void {
  if (!(weight instanceof Tensor)) throw expected('a Tensor', 'weight', weight);
  if (weight.rank < 1) throw expected('a tensor of rank ≥ 1', 'weight', shapeStr(weight.shape));
  if (!Number.isInteger(dim) || dim < 0 || dim >= weight.rank) {
    throw expected(`a dimension in [0, ${weight.rank - 1}] of a weight of shape ${shapeStr(weight.shape)}`, 'dim', dim);
  }
  if (weight.hasNonFinite()) throw new DataError(`Cannot rank channels of a weight of shape ${shapeStr(weight.shape)}: it holds NaN or Infinity`);
}

/** Which channels ln_structured prunes (see the rule for ties at the top of this file). */
export function lnStructuredMask(weight: Tensor, opts: LnStructuredOptions): LnStructuredMask {
  const { n = 2, dim = 0 } = opts;
  checkNorm(n);
  checkWeight(weight, dim);
  const channels = weight.shape[dim]!;
  const count = pruneCount(channels, opts);
  const norms = channelNorms(weight, n, dim);
  const order = Array.from({ length: channels }, (_, i) => i);
  order.sort((a, b) => norms[a]! - norms[b]! || a - b); // smallest first, lower index first among ties
  const isPruned = new Uint8Array(channels);
  for (let r = 0; r < count; r++) isPruned[order[r]!] = 1;
  const pruned: number[] = [];
  const kept: number[] = [];
  for (let c = 0; c < channels; c++) (isPruned[c] ? pruned : kept).push(c);
  return { pruned, kept, norms };
}

/** torch.nn.utils.prune.ln_structured + prune.remove: a copy of `weight` with the pruned channels zeroed. */
export function lnStructured(weight: Tensor, opts: LnStructuredOptions): Tensor {
  const { pruned } = lnStructuredMask(weight, opts);
  const dim = opts.dim ?? 0;
  const out = weight.clone();
  const shape = weight.shape;
  const c = shape[dim]!;
  const outer = shape.slice(0, dim).reduce((a, b) => a * b, 1);
  const inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  for (let o = 0; o < outer; o++) {
    for (const ch of pruned) {
      const base = (o * c + ch) * inner;
      for (let i = 0; i < inner; i++) out.data[base + i]! *= 0; // W · mask, so -w gives -0 like PyTorch
    }
  }
  return out;
}

export interface PruneStructuredOptions {
  /** Fraction of each layer's neurons (rows) to prune, PyTorch's float amount. */
  amount?: number;
  /** Number of neurons per layer to prune, PyTorch's int amount. */
  count?: number;
  /** The norm, default 2. */
  n?: LnNorm;
  /** Also prune the output layer's rows (only with shrink: false, as PyTorch's loop over every Linear). */
  includeOutput?: boolean;
  /** true (default): remove the neurons physically; false: PyTorch's zeroing, sizes unchanged. */
  shrink?: boolean;
}

/**
 * Structured Ln pruning of every hidden Linear layer's rows (dim 0).
 *
 * shrink: false reproduces PyTorch's loop `for m in linears: ln_structured(m, 'weight', amount, n, dim=0); remove`.
 * The bias is untouched, so a zeroed neuron still emits act(b_j).
 * shrink: true removes those neurons and folds act(b_j) · W_next[:, j] into the next bias, so the
 * smaller model's outputs equal the masked model's.
 */
export interface StructuredPruneReport extends PruneReport {
  /** With shrink: false, the rows zeroed in every layer (including the output with includeOutput). */
  zeroed?: number[][];
}

export function pruneStructured(mlp: MLP, opts: PruneStructuredOptions): { model: MLP; report: StructuredPruneReport; selection: NeuronSelection } {
  const { amount, count, n = 2, includeOutput = false, shrink = true } = opts;
  if (shrink && includeOutput) {
    throw new ArgumentError('includeOutput needs shrink: false: the output layer is never removed physically (its rows are the classes)');
  }
  const hidden = hiddenCount(mlp);
  const masks = mlp.layers.map((l, i) =>
    i < hidden || includeOutput ? lnStructuredMask(l.weight, { ...(amount !== undefined ? { amount } : {}), ...(count !== undefined ? { count } : {}), n, dim: 0 }) : null,
  );
  const sizes = mlp.layers.slice(0, hidden).map((l) => l.weight.shape[0]!);
  const selection = NeuronSelection.removing(sizes, masks.slice(0, hidden).map((m) => m!.pruned));
  if (!shrink) {
    // PyTorch's W · mask on every hidden layer (and the output layer with includeOutput).
    const out = masks[hidden];
    const model = zeroNeurons(mlp, selection, out ? out.pruned : []);
    const report: StructuredPruneReport = { ...makeReport(mlp, model, selection), zeroed: masks.map((m) => (m ? m.pruned : [])) };
    return { model, report, selection };
  }
  // A removed neuron's output is act(0 · x + b_j) = act(b_j) for every input: fold it forward.
  const fold = sizes.map((size, i) => {
    const c = new Float64Array(size);
    for (const j of selection.removedIndices(i)) c[j] = Math.fround(activate(mlp.activations[i]!.name, mlp.layers[i]!.bias[j]!, mlp.activations[i]!.slope));
    return c;
  });
  const model = removeNeurons(mlp, selection, fold);
  return { model, report: makeReport(mlp, model, selection), selection };
}
