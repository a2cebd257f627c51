// NeuronSelection (src/prune/selection.ts): the one answer to "which neurons stay" that every
// selector produces and every consumer reads, and the report derived from it.
import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError } from '../src/errors.js';
import { MLP } from '../src/nn/mlp.js';
import { findThreshold, neuronScores, pruneByActivation, selectNeurons } from '../src/prune/activation.js';
import { NeuronSelection } from '../src/prune/selection.js';
import { removeNeurons, zeroNeurons } from '../src/prune/shrink.js';
import { activationStats } from '../src/prune/stats.js';
import { pruneStructured } from '../src/prune/structured.js';
import { Tensor } from '../src/tensor.js';

const mlp = MLP.create({ sizes: [10, 8, 6, 3], seed: 5 });
const x = Tensor.randn([200, 10], 6);
const stats = activationStats(mlp, x);

describe('NeuronSelection', () => {
  it('one keep mask per hidden layer; indices and counts derived from it', () => {
    const s = NeuronSelection.removing([8, 6], [[6, 1], []]);
    expect(s.layers).toBe(2);
    expect(s.sizes()).toEqual([8, 6]);
    expect(Array.from(s.keep[0]!)).toEqual([1, 0, 1, 1, 1, 1, 0, 1]);
    expect(s.keptIndices(0)).toEqual([0, 2, 3, 4, 5, 7]);
    expect(s.removedIndices(0)).toEqual([1, 6]);
    expect(s.keptCount(0)).toBe(6);
    expect(s.prunes(0)).toBe(true);
    expect(s.prunes(1)).toBe(false);
    expect(NeuronSelection.fromMasks([[1, 0, 2]]).keptIndices(0)).toEqual([0, 2]);
    // 10·6 + 6 + 6·6 + 6 + 6·3 + 3
    expect(s.paramsAfter([10, 8, 6, 3])).toBe(60 + 6 + 36 + 6 + 18 + 3);
    expect(NeuronSelection.all([8, 6]).paramsAfter([10, 8, 6, 3])).toBe(mlp.paramCount());
  });

  it('refuses indices outside a layer and selections that do not fit the model', () => {
    expect(() => NeuronSelection.removing([8, 6], [[8], []])).toThrow(ArgumentError);
    expect(() => NeuronSelection.removing([8, 6], [[]])).toThrow(ShapeError);
    expect(() => removeNeurons(mlp, NeuronSelection.all([8]))).toThrow(ShapeError);
    expect(() => removeNeurons(mlp, NeuronSelection.all([8, 5]))).toThrow(/6 neurons for hidden layer 1/);
    expect(() => removeNeurons(mlp, NeuronSelection.removing([8, 6], [[0, 1, 2, 3, 4, 5, 6, 7], []]))).toThrow(/every neuron/);
  });

  it('shrink and mask read the same selection: the zeroed model and the shrunk one agree on every output', () => {
    const s = NeuronSelection.removing([8, 6], [[0, 3], [5]]);
    const shrunk = removeNeurons(mlp, s);
    expect(shrunk.layerSizes()).toEqual([10, 6, 5, 3]);
    // Zeroed rows still emit act(b_j): fold them, as shrink does for structured pruning.
    const fold = s.sizes().map((n, i) => Float64Array.from({ length: n }, (_, j) => (s.keep[i]![j] ? 0 : Math.max(0, mlp.layers[i]!.bias[j]!))));
    const zeroed = zeroNeurons(mlp, s);
    const folded = removeNeurons(mlp, s, fold);
    expect(zeroed.layerSizes()).toEqual(mlp.layerSizes());
    const a = zeroed.forward(x).data;
    const b = folded.forward(x).data;
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i]!, 5);
  });
});

describe('every selector produces a NeuronSelection the report is derived from', () => {
  it('activation threshold: selection = the rule; report.keptCount / removedIndices from it (old kept / removed kept equal)', () => {
    const { model, report, selection } = pruneByActivation(mlp, stats, { threshold: 0.1 });
    const want = selectNeurons(neuronScores(stats, 'mean', false), 'mean', [0.1, 0.1], 1);
    expect(selection.keep.map((m) => Array.from(m))).toEqual(want.keep.map((m) => Array.from(m)));
    for (let i = 0; i < 2; i++) {
      expect(report.removedIndices[i]).toEqual(selection.removedIndices(i));
      expect(report.keptCount[i]).toBe(selection.keptCount(i));
      expect(report.removedIndices[i]).toEqual(Array.from(stats[i]!.mean).flatMap((m, j) => (m < 0.1 ? [j] : [])));
    }
    expect(report.kept).toEqual(report.keptCount);
    expect(report.removed).toEqual(report.removedIndices);
    expect(model.layerSizes().slice(1, 3)).toEqual(report.keptCount);
  });

  it('size budget: the bisected λ selects what the plain threshold selects', () => {
    const { selection, report } = pruneByActivation(mlp, stats, { targetParams: 0.6 });
    const lam = findThreshold(mlp, neuronScores(stats, 'mean', false), 'mean', 0.6, 1);
    expect(report.thresholds).toEqual([lam, lam]);
    expect(selection.keep.map((m) => Array.from(m))).toEqual(pruneByActivation(mlp, stats, { threshold: lam }).selection.keep.map((m) => Array.from(m)));
    expect(selection.paramsAfter(mlp.layerSizes())).toBe(report.paramsAfter);
  });

  it('ln_structured, shrink and mask: one selection; the report reads it in both modes', () => {
    const shrink = pruneStructured(mlp, { count: 2 });
    const mask = pruneStructured(mlp, { count: 2, shrink: false });
    expect(shrink.selection.keep.map((m) => Array.from(m))).toEqual(mask.selection.keep.map((m) => Array.from(m)));
    expect(shrink.report.keptCount).toEqual([6, 4]);
    expect(mask.report.keptCount).toEqual([6, 4]);
    expect(mask.report.layerSizesAfter).toEqual(mlp.layerSizes()); // zeroed, not removed
    expect(mask.report.zeroed!.slice(0, 2)).toEqual([mask.selection.removedIndices(0), mask.selection.removedIndices(1)]);
    for (let i = 0; i < 2; i++) for (const j of mask.selection.removedIndices(i)) expect(Array.from(mask.model.layers[i]!.weight.gatherRows([j]).data).every((v) => v === 0)).toBe(true);
  });
});
