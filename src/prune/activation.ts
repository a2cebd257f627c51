// Activation pruning: remove every hidden neuron whose statistic is below λ, physically.
//
// Rule, per hidden layer i with threshold λ_i and per-neuron statistic s_j (÷ the layer's max
// when `relative`):   mean / meanAbs: remove j when s_j < λ_i;   apoz: remove j when s_j > λ_i.
// The output layer is never pruned; a layer keeps at least `minNeurons` (its best ones).
//
// Removal deletes row j of W_i, b_i[j] and column j of W_{i+1}. Options that repair the damage:
//   compensateBias  b_{i+1} += W_{i+1}[:, j] · mean_j for each removed j (a removed neuron's
//                   average output, carried by the bias instead);
//   reconstruct     refit each layer after a pruned one by ridge least squares on calibration
//                   data, so its pre-activations (on the pruned model's inputs) match the
//                   unpruned model's: closed form via GEMM + Cholesky (src/linalg/ridge.ts);
//   finetune        a few epochs of the runtime's trainer.
// targetParams finds λ by bisection over the sorted statistic values to meet a size budget.

import { ArgumentError, ShapeError, expected } from '../errors.js';
import { forwardRows } from '../nn/forward.js';
import type { MLP } from '../nn/mlp.js';
import { train } from '../nn/train.js';
import { Tensor } from '../tensor.js';
import { NeuronSelection } from './selection.js';
import { type PruneReport, hiddenCount, makeReport, removeNeurons } from './shrink.js';
import { type LayerStats, STATISTICS, type Statistic, checkStatsFit, statisticOf } from './stats.js';
import { RidgeAccumulator } from '../linalg/ridge.js';

export interface ReconstructOptions {
  /** Calibration inputs [N, in]. */
  x: Tensor;
  /** Relative ridge (× mean diagonal of the Gram matrix); default 1e-3. */
  ridge?: number;
  batchSize?: number;
}

export interface FinetuneOptions {
  epochs: number;
  x: Tensor;
  labels: ArrayLike<number>;
  batchSize?: number;
  lr?: number;
  optimizer?: 'adam' | 'sgd';
  seed?: number;
  /** Progress bar on stderr (terminal only). */
  progress?: boolean;
}

/** A trainer with the runtime's `train` signature (the nn module's `train`). */
export type Trainer = (mlp: MLP, x: Tensor, labels: ArrayLike<number>, opts: { epochs: number; batchSize?: number; lr?: number; optimizer?: 'adam' | 'sgd'; seed?: number; progress?: boolean }) => unknown;

export interface PruneByActivationOptions {
  /** λ for every hidden layer (not needed with `thresholds` or `targetParams`). */
  threshold?: number;
  /** λ per hidden layer. */
  thresholds?: number[];
  statistic?: Statistic;
  /** Compare statistic / (layer max of the statistic) instead of the raw value. */
  relative?: boolean;
  compensateBias?: boolean;
  /** Fewest neurons a hidden layer keeps (default 1). 0 allows emptying, which is an error. */
  minNeurons?: number;
  reconstruct?: ReconstructOptions;
  /** Parameter budget: a fraction (≤ 1) of the model's parameters to keep, or a count (> 1). */
  targetParams?: number;
  finetune?: FinetuneOptions;
  /** The trainer used by `finetune` (default: the runtime's `train`). */
  trainer?: Trainer;
}

export interface ActivationPruneReport extends PruneReport {
  statistic: Statistic;
  relative: boolean;
  /** λ applied to each hidden layer. */
  thresholds: number[];
  compensateBias: boolean;
  reconstructed: boolean;
  finetuneEpochs: number;
}

function checkThreshold(v: unknown, name: string, statistic: Statistic): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw expected('a finite number ≥ 0', name, v);
  if (statistic === 'apoz' && v > 1) throw expected('a fraction in [0, 1] (APoZ is a fraction of samples)', name, v);
  return v;
}

/** Per-layer scores: the statistic, divided by the layer max when relative. */
export function neuronScores(stats: readonly LayerStats[], statistic: Statistic, relative: boolean): Float64Array[] {
  if (!STATISTICS.includes(statistic)) throw expected(`one of ${STATISTICS.join(', ')}`, 'statistic', statistic);
  return stats.map((s) => {
    const v = statisticOf(s, statistic);
    if (relative) {
      let max = -Infinity;
      for (const x of v) if (x > max) max = x;
      for (let j = 0; j < v.length; j++) v[j] = max > 0 ? v[j]! / max : 0;
    }
    return v;
  });
}

/** The neurons kept, per hidden layer, under thresholds `lambdas`. */
export function selectNeurons(scores: readonly Float64Array[], statistic: Statistic, lambdas: readonly number[], minNeurons: number): NeuronSelection {
  const higherIsWorse = statistic === 'apoz';
  return NeuronSelection.fromMasks(
    scores.map((v, i) => {
      const lam = lambdas[i]!;
      const keep = new Uint8Array(v.length).fill(1);
      let kept = v.length;
      for (let j = 0; j < v.length; j++) {
        if (higherIsWorse ? v[j]! > lam : v[j]! < lam) {
          keep[j] = 0;
          kept--;
        }
      }
      const floor = Math.min(minNeurons, v.length);
      if (kept < floor) {
        // Restore the best removed neurons (ties: lower index first).
        const cand = Array.from({ length: v.length }, (_, j) => j).filter((j) => !keep[j]);
        cand.sort((a, b) => (higherIsWorse ? v[a]! - v[b]! : v[b]! - v[a]!) || a - b);
        for (let r = 0; kept < floor; r++, kept++) keep[cand[r]!] = 1;
      }
      if (kept === 0) throw new ArgumentError(`Pruning would remove every neuron of hidden layer ${i} (λ = ${lam}); lower the threshold or set minNeurons ≥ 1`);
      return keep;
    }),
  );
}

/** Parameters of an MLP with layer sizes `sizes` after `selection` (no model is built). */
export function paramsAfter(sizes: readonly number[], selection: NeuronSelection): number {
  return selection.paramsAfter(sizes);
}

function targetCount(mlp: MLP, target: number): number {
  if (typeof target !== 'number' || !Number.isFinite(target) || target <= 0) throw expected('a fraction in (0, 1] or a parameter count > 1', 'targetParams', target);
  return target <= 1 ? target * mlp.paramCount() : target;
}

/**
 * The λ (one for every hidden layer) that keeps the most parameters within `target`: bisection
 * over the sorted distinct scores (parameters are monotone in λ), so the answer is exact.
 */
export function findThreshold(mlp: MLP, scores: readonly Float64Array[], statistic: Statistic, target: number, minNeurons: number): number {
  const budget = targetCount(mlp, target);
  const sizes = mlp.layerSizes();
  const hidden = scores.length;
  const cands = [...new Set(scores.flatMap((v) => Array.from(v)))].sort((a, b) => a - b);
  const apoz = statistic === 'apoz';
  // Candidate λ in order of increasing pruning.
  const lambdas = apoz ? [...cands].reverse() : [...cands, cands[cands.length - 1]! * (1 + 1e-9) + 1e-12];
  if (apoz) lambdas.push(Math.max(0, cands[0]! - 1e-12)); // below every score: prunes all but APoZ-zero neurons... and minNeurons
  const params = (lam: number) => paramsAfter(sizes, selectNeurons(scores, statistic, new Array<number>(hidden).fill(lam), Math.max(1, minNeurons)));
  let lo = 0;
  let hi = lambdas.length - 1;
  if (params(lambdas[hi]!) > budget) {
    throw new ArgumentError(`Cannot reach ${Math.round(budget)} parameters: the most pruning this rule allows (minNeurons ${Math.max(1, minNeurons)}) leaves ${params(lambdas[hi]!)}`);
  }
  if (params(lambdas[lo]!) <= budget) return Math.max(0, lambdas[lo]!);
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (params(lambdas[mid]!) <= budget) hi = mid;
    else lo = mid;
  }
  return Math.max(0, lambdas[hi]!);
}

function finetune(model: MLP, f: FinetuneOptions, trainer: Trainer | undefined): number {
  if (!Number.isInteger(f.epochs) || f.epochs < 0) throw expected('a non-negative integer', 'finetune.epochs', f.epochs);
  if (f.epochs === 0) return 0;
  const t = trainer ?? defaultTrainer;
  t(model, f.x, f.labels, {
    epochs: f.epochs,
    ...(f.batchSize !== undefined ? { batchSize: f.batchSize } : {}),
    ...(f.lr !== undefined ? { lr: f.lr } : {}),
    ...(f.optimizer !== undefined ? { optimizer: f.optimizer } : {}),
    ...(f.seed !== undefined ? { seed: f.seed } : {}),
    ...(f.progress !== undefined ? { progress: f.progress } : {}),
  });
  return f.epochs;
}

const defaultTrainer: Trainer = (m, x, y, o) => train(m, x, y, o);

/** Prunes `mlp` by its activation statistics; the input model is not modified. */
export function pruneByActivation(mlp: MLP, stats: readonly LayerStats[], opts: PruneByActivationOptions): { model: MLP; report: ActivationPruneReport; selection: NeuronSelection } {
  const { statistic = 'mean', relative = false, compensateBias = false, minNeurons = 1, reconstruct, targetParams, thresholds, threshold } = opts;
  checkStatsFit(mlp, stats);
  const hidden = hiddenCount(mlp);
  if (!Number.isInteger(minNeurons) || minNeurons < 0) throw expected('a non-negative integer', 'minNeurons', minNeurons);
  const scores = neuronScores(stats, statistic, relative);
  let lambdas: number[];
  if (targetParams !== undefined) {
    if (threshold !== undefined || thresholds !== undefined) throw new ArgumentError('Give either targetParams or threshold(s), not both');
    lambdas = new Array<number>(hidden).fill(findThreshold(mlp, scores, statistic, targetParams, minNeurons));
  } else if (thresholds !== undefined) {
    if (!Array.isArray(thresholds) || thresholds.length !== hidden) throw new ShapeError(`Expected ${hidden} per-layer thresholds (one per hidden layer) but received ${Array.isArray(thresholds) ? thresholds.length : typeof thresholds}`);
    lambdas = thresholds.map((t, i) => checkThreshold(t, `thresholds[${i}]`, statistic));
  } else {
    lambdas = new Array<number>(hidden).fill(checkThreshold(threshold, 'threshold', statistic));
  }
  const selection = selectNeurons(scores, statistic, lambdas, minNeurons);
  const fold = compensateBias ? stats.map((s) => Float64Array.from(s.mean)) : undefined;
  let model = removeNeurons(mlp, selection, fold);
  if (reconstruct) model = reconstructLayers(mlp, model, selection, reconstruct);
  const report: ActivationPruneReport = {
    ...makeReport(mlp, model, selection),
    statistic,
    relative,
    thresholds: lambdas,
    compensateBias,
    reconstructed: !!reconstruct,
    finetuneEpochs: 0,
  };
  if (opts.finetune) report.finetuneEpochs = finetune(model, opts.finetune, opts.trainer);
  return { model, report, selection };
}

/**
 * Refits, in order, every layer l ≥ 1 downstream of a pruned layer: its inputs are the pruned
 * model's activations (through the already refitted layers), its targets the original model's
 * pre-activations of the neurons that layer keeps. Returns a new model.
 *
 * Each model runs once over the calibration data: per batch, both models' inputs to the current
 * layer are kept (two [N, width] activations at a time), and each refit moves them one layer on.
 */
export function reconstructLayers(original: MLP, pruned: MLP, selection: NeuronSelection, opts: ReconstructOptions): MLP {
  const { x, ridge = 1e-3, batchSize = 2048 } = opts;
  if (typeof ridge !== 'number' || !Number.isFinite(ridge) || ridge < 0) throw expected('a finite number ≥ 0', 'reconstruct.ridge', ridge);
  const xs = original.checkInput(x);
  if (xs.hasNonFinite()) throw expected('finite calibration inputs', 'reconstruct.x', 'NaN or Infinity');
  const L = original.layers.length;
  const hidden = L - 1;
  const model = pruned.clone();
  const firstPruned = selection.keep.findIndex((_, i) => selection.prunes(i));
  if (firstPruned < 0) return model;
  // Kept output rows of each layer in the original numbering (the output layer keeps all).
  const keptRows = original.layers.map((l, i) => (i < hidden ? selection.keptIndices(i) : Array.from({ length: l.weight.shape[0]! }, (_, j) => j)));
  // Per batch: rows, the pruned model's input to layer l (h) and the original's (g).
  const start = firstPruned + 1;
  const batches: { rows: number; h: Float32Array; g: Float32Array }[] = [];
  for (let s = 0; s < xs.rows; s += batchSize) {
    const xb = xs.sliceRows(s, s + batchSize);
    batches.push({ rows: xb.rows, h: forwardRows(model, xb.data, xb.rows, { upTo: start }), g: forwardRows(original, xb.data, xb.rows, { upTo: start }) });
  }
  for (let l = start; l < L; l++) {
    const d = model.layers[l]!.weight.shape[1]!;
    const n = original.layers[l]!.weight.shape[0]!;
    const outRows = keptRows[l]!;
    const acc = new RidgeAccumulator(d, outRows.length);
    for (const b of batches) {
      // The original model's pre-activation of layer l (the targets) and its activation (its next input).
      const z = new Float32Array(b.rows * n);
      const next = forwardRows(original, b.g, b.rows, { from: l, upTo: l + 1, pre: preAt(l, z) });
      const t = outRows.length === n ? z : new Tensor(z, [b.rows, n]).gatherCols(outRows).data;
      acc.add(b.h, t, b.rows);
      b.g = next;
    }
    const { weight, bias } = acc.solve(ridge);
    model.layers[l] = { weight: new Tensor(weight, [outRows.length, d]), bias };
    if (l + 1 < L) for (const b of batches) b.h = forwardRows(model, b.h, b.rows, { from: l, upTo: l + 1 });
  }
  return model;
}

/** A per-layer `pre` list with one buffer at layer l. */
function preAt(l: number, z: Float32Array): (Float32Array | undefined)[] {
  const pre = new Array<Float32Array | undefined>(l + 1);
  pre[l] = z;
  return pre;
}
