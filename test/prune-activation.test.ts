import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError } from '../src/errors.js';
import { MLP } from '../src/nn/mlp.js';
import { linear, svd } from '../src/ops.js';
import { findThreshold, neuronScores, paramsAfter, pruneByActivation } from '../src/prune/activation.js';
import { NeuronSelection } from '../src/prune/selection.js';
import { activationStats } from '../src/prune/stats.js';
import { Tensor } from '../src/tensor.js';

const mlp = MLP.create({ sizes: [16, 24, 12, 5], seed: 11 });
const x = Tensor.randn([300, 16], 12);
const stats = activationStats(mlp, x);

/**
 * The unpruned model's logits with the listed hidden neurons' activations replaced by a value
 * (0: plain removal; the neuron's mean: bias compensation).
 */
function forwardReplaced(model: MLP, input: Tensor, removed: number[][], value: (layer: number, j: number) => number): Float32Array {
  let h = input;
  model.layers.forEach((l, i) => {
    const last = i === model.layers.length - 1;
    h = linear(h, l.weight, l.bias, last ? 'identity' : model.activation);
    if (!last) for (const j of removed[i]!) for (let r = 0; r < h.rows; r++) h.set(r, j, value(i, j));
  });
  return h.data;
}

function expectClose(a: Float32Array, b: Float32Array, tol = 1e-4): void {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  expect(worst).toBeLessThan(tol);
}

describe('pruneByActivation', () => {
  it('removes exactly the neurons whose mean is below λ, physically', () => {
    const lam = 0.15;
    const { model, report } = pruneByActivation(mlp, stats, { threshold: lam });
    stats.forEach((s, i) => {
      const want = Array.from(s.mean).flatMap((m, j) => (m < lam ? [j] : []));
      expect(report.removed[i]).toEqual(want);
      expect(report.kept[i]).toBe(s.size - want.length);
    });
    expect(report.removed.flat().length).toBeGreaterThan(3);
    expect(model.layerSizes()).toEqual([16, report.kept[0], report.kept[1], 5]);
    expect(report.paramsBefore).toBe(mlp.paramCount());
    expect(report.paramsAfter).toBe(model.paramCount());
    expect(report.thresholds).toEqual([lam, lam]);
    // Same logits as the unpruned model with those activations set to 0.
    expectClose(model.forward(x).data, forwardReplaced(mlp, x, report.removed, () => 0));
    // The input model is untouched.
    expect(mlp.layerSizes()).toEqual([16, 24, 12, 5]);
  });

  it('compensateBias carries each removed neuron’s mean into the next bias', () => {
    const { model, report } = pruneByActivation(mlp, stats, { threshold: 0.2, compensateBias: true });
    expectClose(model.forward(x).data, forwardReplaced(mlp, x, report.removed, (i, j) => stats[i]!.mean[j]!));
    expect(report.compensateBias).toBe(true);
  });

  it('APoZ prunes where APoZ > λ; relative and per-layer thresholds; minNeurons', () => {
    const ap = pruneByActivation(mlp, stats, { threshold: 0.6, statistic: 'apoz' });
    stats.forEach((s, i) => expect(ap.report.removed[i]).toEqual(Array.from(s.apoz).flatMap((a, j) => (a > 0.6 ? [j] : []))));
    const rel = pruneByActivation(mlp, stats, { threshold: 0.3, relative: true, statistic: 'meanAbs' });
    stats.forEach((s, i) => {
      const max = Math.max(...s.meanAbs);
      expect(rel.report.removed[i]).toEqual(Array.from(s.meanAbs).flatMap((a, j) => (a / max < 0.3 ? [j] : [])));
    });
    const per = pruneByActivation(mlp, stats, { thresholds: [0, 0.3] });
    expect(per.report.removed[0]).toEqual([]);
    expect(per.report.removed[1]).toEqual(Array.from(stats[1]!.mean).flatMap((m, j) => (m < 0.3 ? [j] : [])));
    // A huge λ would empty both layers: minNeurons keeps the best ones.
    const min = pruneByActivation(mlp, stats, { threshold: 1e6, minNeurons: 3 });
    expect(min.report.kept).toEqual([3, 3]);
    const best = [...stats[0]!.mean].map((m, j) => [m, j] as const).sort((a, b) => b[0] - a[0]).slice(0, 3).map((p) => p[1]).sort((a, b) => a - b);
    const kept0 = Array.from({ length: 24 }, (_, j) => j).filter((j) => !min.report.removed[0]!.includes(j));
    expect(kept0).toEqual(best);
    expect(pruneByActivation(mlp, stats, { threshold: 1e6 }).report.kept).toEqual([1, 1]); // default minNeurons 1
  });

  it('rejects bad thresholds, foreign statistics and emptying a layer', () => {
    expect(() => pruneByActivation(mlp, stats, { threshold: NaN })).toThrow(/finite number ≥ 0 for threshold but received NaN/);
    expect(() => pruneByActivation(mlp, stats, { threshold: -0.1 })).toThrow(ArgumentError);
    expect(() => pruneByActivation(mlp, stats, {})).toThrow(/for threshold but received undefined/);
    expect(() => pruneByActivation(mlp, stats, { threshold: 1.5, statistic: 'apoz' })).toThrow(/APoZ/);
    expect(() => pruneByActivation(mlp, stats, { thresholds: [0.1] })).toThrow(ShapeError);
    expect(() => pruneByActivation(mlp, stats, { threshold: 0.1, statistic: 'median' as never })).toThrow(/statistic/);
    const other = activationStats(MLP.create({ sizes: [16, 20, 12, 5] }), x);
    expect(() => pruneByActivation(mlp, other, { threshold: 0.1 })).toThrow(/do not fit this model's hidden layers \[24, 12\]/);
    expect(() => pruneByActivation(mlp, stats, { threshold: 1e6, minNeurons: 0 })).toThrow(/every neuron of hidden layer 0/);
    expect(() => pruneByActivation(mlp, stats, { threshold: 0.1, targetParams: 0.5 })).toThrow(/not both/);
    expect(() => pruneByActivation(mlp, stats, { targetParams: 0 })).toThrow(/targetParams/);
    expect(() => pruneByActivation(mlp, stats, { targetParams: 10 })).toThrow(/Cannot reach 10 parameters/);
    expect(() => pruneByActivation(mlp, stats, { threshold: 0.1, reconstruct: { x, ridge: -1 } })).toThrow(/ridge/);
    expect(() => pruneByActivation(mlp, stats, { threshold: 0.1, reconstruct: { x, ridge: NaN } })).toThrow(/ridge/);
    expect(() => pruneByActivation(mlp, stats, { threshold: 0.1, finetune: { epochs: -1, x, labels: [] } })).toThrow(/finetune.epochs/);
  });

  it('targetParams finds the least pruning that meets the budget', () => {
    for (const statistic of ['mean', 'apoz'] as const) {
      for (const target of [0.7, 0.5, 0.3]) {
        const { report } = pruneByActivation(mlp, stats, { targetParams: target, statistic });
        const budget = target * mlp.paramCount();
        expect(report.paramsAfter).toBeLessThanOrEqual(budget);
        // One step less pruning (the next score value towards "keep") would break the budget.
        const scores = neuronScores(stats, statistic, false);
        const lam = report.thresholds[0]!;
        const all = [...new Set(scores.flatMap((v) => Array.from(v)))].sort((a, b) => a - b);
        const looser = statistic === 'apoz' ? all.find((v) => v > lam) : [...all].reverse().find((v) => v < lam);
        if (looser !== undefined) {
          const p = pruneByActivation(mlp, stats, { threshold: looser, statistic }).report.paramsAfter;
          expect(p).toBeGreaterThan(budget);
        }
      }
    }
    const count = pruneByActivation(mlp, stats, { targetParams: 400 }).report;
    expect(count.paramsAfter).toBeLessThanOrEqual(400);
    expect(findThreshold(mlp, neuronScores(stats, 'mean', false), 'mean', 1, 1)).toBe(Math.min(...stats.flatMap((s) => Array.from(s.mean))));
    expect(paramsAfter([16, 24, 12, 5], NeuronSelection.all([24, 12]))).toBe(mlp.paramCount());
  });

  it('reconstruct recovers a removed neuron that is a scaled copy of a kept one', () => {
    // One hidden layer; neuron 3 = 0.5 × neuron 1 (ReLU is positively homogeneous), so the next
    // layer can absorb it exactly: reconstruction must reproduce the original logits.
    const m = MLP.create({ sizes: [6, 8, 3], seed: 5 });
    const w = m.layers[0]!.weight;
    for (let c = 0; c < 6; c++) w.set(3, c, 0.5 * w.get(1, c));
    for (const j of [0, 2, 4, 5, 6, 7]) m.layers[0]!.bias[j] = 3; // clearly above the cut
    m.layers[0]!.bias[1] = 0.3;
    m.layers[0]!.bias[3] = 0.15;
    const calib = Tensor.randn([500, 6], 6);
    const st = activationStats(m, calib);
    const thresholds = [st[0]!.mean[3]! + 1e-6];
    const plain = pruneByActivation(m, st, { thresholds });
    expect(plain.report.removed[0]).toContain(3);
    expect(plain.report.removed[0]).toEqual([3]); // the copy is the only loss
    const rec = pruneByActivation(m, st, { thresholds, reconstruct: { x: calib, ridge: 0 } });
    const want = m.forward(calib).data;
    const errPlain = maxDiff(plain.model.forward(calib).data, want);
    const errRec = maxDiff(rec.model.forward(calib).data, want);
    expect(rec.report.reconstructed).toBe(true);
    expect(errRec).toBeLessThan(errPlain);
    expect(errPlain).toBeGreaterThan(1e-2);
    // The refit is exact in exact arithmetic, so what is left is rounding. The ridge system is
    // built from float32 products of the shifted kept activations Hc (m = 500 rows, d = 7), so
    // G = HcᵀHc and C = HcᵀZ carry errors δG ≈ c·u·‖Hc‖², δC ≈ c·u·‖Hc‖‖Z‖ (u = 2⁻²⁴; the GEMM's
    // rounding grows like √m: c = 4√m). The output error is Hc δW = Hc G⁻¹(δC − δG W), and
    // ‖Hc G⁻¹‖ = 1/σ_min(Hc), so |Δlogit| ≲ c·u·κ(Hc)·max|z| with κ(Hc) = σ_max/σ_min of the
    // centred kept activations (≈ 45 here; not κ(G) = κ(Hc)²). The float32 forwards add only
    // ~d·u·max|z|. On this data the bound is ≈ 5e-4: 20× under errPlain, and it holds on every
    // kernel (AVX-512, AVX2, scalar), whose summation orders differ.
    const kept = [0, 1, 2, 4, 5, 6, 7];
    const h = linear(calib, m.layers[0]!.weight, m.layers[0]!.bias, 'relu').gatherCols(kept);
    const mean = new Float64Array(kept.length);
    for (let r = 0; r < h.rows; r++) for (let j = 0; j < h.cols; j++) mean[j]! += h.get(r, j) / h.rows;
    for (let r = 0; r < h.rows; r++) for (let j = 0; j < h.cols; j++) h.set(r, j, h.get(r, j) - mean[j]!);
    const sv = svd(h).S;
    const kappa = sv[0]! / sv[sv.length - 1]!;
    let maxZ = 0;
    for (const v of want) maxZ = Math.max(maxZ, Math.abs(v));
    const u = 2 ** -24;
    const bound = 4 * Math.sqrt(calib.rows) * u * kappa * maxZ;
    expect(bound).toBeLessThan(errPlain / 10); // the check still means something
    expect(errRec).toBeLessThan(bound);
  });

  it('reconstruct reduces the error of the logits on held-out data (two hidden layers)', () => {
    const test = Tensor.randn([300, 16], 99);
    const want = mlp.forward(test).data;
    const plain = pruneByActivation(mlp, stats, { threshold: 0.2 });
    const comp = pruneByActivation(mlp, stats, { threshold: 0.2, compensateBias: true });
    const rec = pruneByActivation(mlp, stats, { threshold: 0.2, reconstruct: { x, ridge: 1e-3 } });
    const e = (m: MLP) => rms(m.forward(test).data, want);
    expect(e(comp.model)).toBeLessThan(e(plain.model));
    expect(e(rec.model)).toBeLessThan(e(comp.model));
    expect(rec.model.layerSizes()).toEqual(plain.model.layerSizes());
  });

  it('finetune calls the trainer with the pruned model', () => {
    const calls: number[] = [];
    const { report } = pruneByActivation(mlp, stats, {
      threshold: 0.1,
      finetune: { epochs: 2, x, labels: new Int32Array(300) },
      trainer: (m, _x, _y, o) => calls.push(m.paramCount(), o.epochs),
    });
    expect(calls).toEqual([report.paramsAfter, 2]);
    expect(report.finetuneEpochs).toBe(2);
  });

  it('finetune with the runtime trainer lowers the training loss of the pruned model', () => {
    const labels = mlp.predict(x);
    const plain = pruneByActivation(mlp, stats, { threshold: 0.3 });
    const tuned = pruneByActivation(mlp, stats, { threshold: 0.3, finetune: { epochs: 2, x, labels, lr: 3e-3, batchSize: 32 } });
    expect(tuned.model.layerSizes()).toEqual(plain.model.layerSizes());
    expect(tuned.model.evaluate(x, labels).loss).toBeLessThan(plain.model.evaluate(x, labels).loss);
  });
});

function maxDiff(a: Float32Array, b: Float32Array): number {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!));
  return w;
}

function rms(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s / a.length);
}
