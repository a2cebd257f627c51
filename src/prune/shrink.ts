// Physical removal of hidden neurons from an MLP, shared by activation pruning and structured L2.
//
// Removing neuron j of hidden layer i deletes row j of W_i and entry j of b_i, and column j of
// W_{i+1}. If the neuron emitted a constant c_j (or we want to keep its mean contribution),
// `fold[i][j] = c_j` adds c_j · W_{i+1}[:, j] to b_{i+1}, accumulated in float64.

import { ArgumentError, ShapeError } from '../errors.js';
import type { MLP } from '../nn/mlp.js';
import { MLP as MLPClass } from '../nn/mlp.js';

/** What a pruning call did. Hidden layers only: index i is the output of layers[i]. */
export interface PruneReport {
  layerSizesBefore: number[];
  layerSizesAfter: number[];
  /** Neurons kept per hidden layer. */
  kept: number[];
  /** Removed neuron indices (in the original numbering) per hidden layer, ascending. */
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

/**
 * A new MLP without the neurons in `removed[i]` (per hidden layer i). `fold[i]`, when given,
 * holds a per-neuron constant whose contribution (times the next layer's column) is added to the
 * next bias. The input model is not modified.
 */
export function removeNeurons(mlp: MLP, removed: readonly (readonly number[])[], fold?: readonly (ArrayLike<number> | null)[]): MLP {
  const hidden = hiddenCount(mlp);
  if (removed.length !== hidden) throw new ShapeError(`Expected removals for ${hidden} hidden layers but received ${removed.length}`);
  const keepIdx: number[][] = [];
  for (let i = 0; i < hidden; i++) {
    const size = mlp.layers[i]!.weight.shape[0]!;
    const gone = new Uint8Array(size);
    for (const j of removed[i]!) {
      if (!Number.isInteger(j) || j < 0 || j >= size) throw new ArgumentError(`Neuron index ${j} is outside hidden layer ${i} (size ${size})`);
      gone[j] = 1;
    }
    const keep: number[] = [];
    for (let j = 0; j < size; j++) if (!gone[j]) keep.push(j);
    if (keep.length === 0) throw new ArgumentError(`Pruning would remove every neuron of hidden layer ${i} (size ${size}); keep at least one`);
    keepIdx.push(keep);
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

export function makeReport(before: MLP, after: MLP, removed: number[][]): PruneReport {
  const hidden = hiddenCount(before);
  const paramsBefore = before.paramCount();
  const paramsAfter = after.paramCount();
  return {
    layerSizesBefore: before.layerSizes(),
    layerSizesAfter: after.layerSizes(),
    kept: after.layerSizes().slice(1, 1 + hidden),
    removed: removed.map((r) => [...r].sort((a, b) => a - b)),
    paramsBefore,
    paramsAfter,
    paramsRemovedPct: paramsBefore ? (100 * (paramsBefore - paramsAfter)) / paramsBefore : 0,
  };
}
