// Physical removal of hidden neurons from an MLP, shared by activation pruning and structured L2,
// and the report of a pruning, both read from a NeuronSelection (selection.ts).
//
// Removing neuron j of hidden layer i deletes row j of W_i and entry j of b_i, and column j of
// W_{i+1}. If the neuron emitted a constant c_j (or we want to keep its mean contribution),
// `fold[i][j] = c_j` adds c_j · W_{i+1}[:, j] to b_{i+1}, accumulated in float64.

import { ArgumentError, ShapeError } from '../errors.js';
import type { MLP } from '../nn/mlp.js';
import { MLP as MLPClass } from '../nn/mlp.js';
import type { NeuronSelection } from './selection.js';

/** What a pruning call did, derived from its NeuronSelection. Hidden layers only: index i is the output of layers[i]. */
export interface PruneReport {
  layerSizesBefore: number[];
  layerSizesAfter: number[];
  /** Neurons the selection keeps per hidden layer (counts; with shrink: false the others are zeroed, not removed: see layerSizesAfter). */
  keptCount: number[];
  /** Removed neuron indices (in the original numbering) per hidden layer, ascending. */
  removedIndices: number[][];
  /** @deprecated the same as keptCount (counts), kept for existing readers. */
  kept: number[];
  /** @deprecated the same as removedIndices, kept for existing readers. */
  removed: number[][];
  paramsBefore: number;
  paramsAfter: number;
  /** 100 · (before − after) / before. */
  paramsRemovedPct: number;
}

/** Number of hidden layers (every layer but the last feeds an activation). */
export function hiddenCount(mlp: MLP): number {
  return mlp.layers.length - 1;
}

/** Checks that `selection` has one mask per hidden layer of `mlp`, of the layer's size. */
export function checkSelectionFits(mlp: MLP, selection: NeuronSelection): void {
  const hidden = hiddenCount(mlp);
  if (selection.layers !== hidden) throw new ShapeError(`Expected a selection for ${hidden} hidden layers but received ${selection.layers}`);
  for (let i = 0; i < hidden; i++) {
    const size = mlp.layers[i]!.weight.shape[0]!;
    if (selection.keep[i]!.length !== size) throw new ShapeError(`Expected a selection of ${size} neurons for hidden layer ${i} but received ${selection.keep[i]!.length}`);
  }
}

/**
 * A new MLP with only the neurons `selection` keeps. `fold[i]`, when given, holds a per-neuron
 * constant whose contribution (times the next layer's column) is added to the next bias for each
 * removed neuron. The input model is not modified.
 */
export function removeNeurons(mlp: MLP, selection: NeuronSelection, fold?: readonly (ArrayLike<number> | null)[]): MLP {
  const hidden = hiddenCount(mlp);
  checkSelectionFits(mlp, selection);
  const keepIdx: number[][] = [];
  const removed: number[][] = [];
  for (let i = 0; i < hidden; i++) {
    const keep = selection.keptIndices(i);
    if (keep.length === 0) throw new ArgumentError(`Pruning would remove every neuron of hidden layer ${i} (size ${selection.keep[i]!.length}); keep at least one`);
    keepIdx.push(keep);
    removed.push(selection.removedIndices(i));
  }
  const layers = mlp.layers.map((l, i) => {
    // Fold first, on the full-size bias (the next layer's rows are gathered after).
    let bias = l.bias;
    if (i > 0) {
      const prevRemoved = removed[i - 1]!;
      const f = fold?.[i - 1];
      if (f && prevRemoved.length > 0) {
        const [out, inp] = l.weight.shape as [number, number];
        const acc = Float64Array.from(bias);
        for (const j of prevRemoved) {
          const c = f[j]!;
          if (c === 0) continue;
          for (let r = 0; r < out; r++) acc[r]! += c * l.weight.data[r * inp + j]!;
        }
        bias = Float32Array.from(acc);
      }
    }
    let w = l.weight;
    let b = bias === l.bias ? bias.slice() : bias;
    if (i < hidden) {
      w = w.gatherRows(keepIdx[i]!);
      b = Float32Array.from(keepIdx[i]!, (j) => bias[j]!);
    }
    if (i > 0 && removed[i - 1]!.length > 0) w = w.gatherCols(keepIdx[i - 1]!);
    if (w === l.weight) w = w.clone();
    return { weight: w, bias: b };
  });
  return new MLPClass(layers, mlp.activations);
}

/**
 * A copy of `mlp` with the rows of the neurons `selection` removes zeroed (W · mask, so a
 * negative entry becomes -0 as in PyTorch's prune.remove), sizes and biases unchanged, plus
 * `outputRows` of the output layer. (ln_structured with shrink: false.)
 */
export function zeroNeurons(mlp: MLP, selection: NeuronSelection, outputRows: readonly number[] = []): MLP {
  checkSelectionFits(mlp, selection);
  const hidden = hiddenCount(mlp);
  const layers = mlp.layers.map((l, i) => {
    const w = l.weight.clone();
    const inp = w.shape[1]!;
    for (const r of i < hidden ? selection.removedIndices(i) : outputRows) for (let c = 0; c < inp; c++) w.data[r * inp + c]! *= 0;
    return { weight: w, bias: l.bias.slice() };
  });
  return new MLPClass(layers, mlp.activations);
}

export function makeReport(before: MLP, after: MLP, selection: NeuronSelection): PruneReport {
  const paramsBefore = before.paramCount();
  const paramsAfter = after.paramCount();
  const keptCount = Array.from({ length: selection.layers }, (_, i) => selection.keptCount(i));
  const removedIndices = Array.from({ length: selection.layers }, (_, i) => selection.removedIndices(i));
  return {
    layerSizesBefore: before.layerSizes(),
    layerSizesAfter: after.layerSizes(),
    keptCount,
    removedIndices,
    kept: keptCount,
    removed: removedIndices,
    paramsBefore,
    paramsAfter,
    paramsRemovedPct: paramsBefore ? (100 * (paramsBefore - paramsAfter)) / paramsBefore : 0,
  };
}
