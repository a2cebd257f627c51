// A λ sweep: for each threshold, prune (with the chosen options), evaluate, and measure the
// model's size on disk and its single-sample latency. Statistics are collected once.

import { ArgumentError, expected } from '../errors.js';
import type { MLP } from '../nn/mlp.js';
import type { Tensor } from '../tensor.js';
import { type PruneByActivationOptions, pruneByActivation } from './activation.js';
import { type LayerStats, activationStats, checkStatsFit } from './stats.js';

export interface SweepOptions extends Omit<PruneByActivationOptions, 'threshold' | 'thresholds' | 'targetParams'> {
  thresholds: number[];
  /** Data for the statistics (default: x, the evaluation data). */
  statsX?: Tensor;
  /** Precomputed statistics (then statsX is not used). */
  stats?: LayerStats[];
  /**
   * Measure single-sample predict latency (default true): every model frozen as a service would
   * run it (mlp.freeze(): weights packed once) and warmed up, then timed in interleaved rounds
   * (so a slow moment of the machine hits all models alike); `latencyReps` timed calls per model
   * (default 1000).
   */
  latency?: boolean;
  latencyReps?: number;
  /** Called after each row, with the pruned model. */
  onRow?: (row: SweepRow, index: number, model: MLP) => void;
}

export interface SweepRow {
  threshold: number;
  /** Neurons per hidden layer. */
  neurons: number[];
  params: number;
  paramsRemovedPct: number;
  /** Size of the model's safetensors file. */
  bytes: number;
  accuracy: number;
  /** Unpruned accuracy − this accuracy, in percentage points. */
  accuracyDrop: number;
  /** Single-sample predict time, µs: median over interleaved rounds (null when not measured). */
  latencyUs: number | null;
}

export interface SweepMeta {
  baseline: { params: number; bytes: number; accuracy: number; neurons: number[]; latencyUs: number | null };
  statistic: string;
  relative: boolean;
  compensateBias: boolean;
  reconstruct: boolean;
  finetuneEpochs: number;
}

/**
 * The design's `sweep(...) -> rows`: an array of rows, one per λ, that also carries the unpruned
 * baseline and the options used (`rows` is the same array, for symmetry with the JSON form).
 * JSON.stringify gives `{ ...meta, rows }` (see toJSON) so nothing is lost when written out.
 */
export type SweepResult = SweepRow[] & SweepMeta & { readonly rows: SweepRow[] };

function sweepResult(rows: SweepRow[], meta: SweepMeta): SweepResult {
  const out = Object.assign([...rows], meta) as SweepRow[] & SweepMeta;
  Object.defineProperty(out, 'rows', { get: () => out, enumerable: false });
  Object.defineProperty(out, 'toJSON', { value: () => ({ ...meta, rows: [...out] }), enumerable: false });
  return out as SweepResult;
}

/** Median time of model.predictOne on one sample, in µs. */
export function predictLatencyUs(model: Pick<MLP, 'predictOne'>, sample: Float32Array, reps = 200): number {
  for (let i = 0; i < 10; i++) model.predictOne(sample);
  const times = new Float64Array(reps);
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    model.predictOne(sample);
    times[r] = performance.now() - t0;
  }
  times.sort();
  return times[reps >> 1]! * 1000;
}

/**
 * Single-sample predict latency of several models, µs each, measured fairly: each model is warmed
 * up, then `reps` calls per model are timed in rounds of ROUND calls, the models taking turns
 * within every round (starting with a different one each round, so none is always first after
 * another's weights filled the caches); each model's figure is the median of its per-round means.
 */
export function interleavedLatencyUs(models: readonly Pick<MLP, 'predictOne'>[], sample: Float32Array, reps = 1000): number[] {
  const ROUND = 5;
  const rounds = Math.max(3, Math.ceil(reps / ROUND));
  for (const m of models) for (let i = 0; i < 50; i++) m.predictOne(sample);
  const perRound = models.map(() => new Float64Array(rounds));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < models.length; k++) {
      const j = (r + k) % models.length;
      const m = models[j]!;
      const t0 = performance.now();
      for (let i = 0; i < ROUND; i++) m.predictOne(sample);
      perRound[j]![r] = (performance.now() - t0) / ROUND;
    }
  }
  return perRound.map((t) => t.sort()[rounds >> 1]! * 1000);
}

export function sweep(mlp: MLP, x: Tensor, labels: ArrayLike<number>, opts: SweepOptions): SweepResult {
  const { thresholds, statsX, latency = true, latencyReps = 1000, onRow, stats: given, ...pruneOpts } = opts;
  if (!Array.isArray(thresholds) || thresholds.length === 0) throw expected('a non-empty array of thresholds', 'thresholds', thresholds);
  if (!Number.isInteger(latencyReps) || latencyReps < 1) throw expected('a positive integer', 'latencyReps', latencyReps);
  const xs = mlp.checkInput(x);
  if (xs.rows === 0) throw new ArgumentError('A sweep needs evaluation data (received 0 rows)');
  const stats = given ?? activationStats(mlp, statsX ?? xs);
  checkStatsFit(mlp, stats);
  const sample = xs.data.slice(0, xs.cols);
  const base = mlp.evaluate(xs, labels).accuracy;
  const baseline = {
    params: mlp.paramCount(),
    bytes: mlp.toSafetensors().length,
    accuracy: base,
    neurons: mlp.layerSizes().slice(1, -1),
    latencyUs: null as number | null,
  };
  const models: MLP[] = [];
  const rows: SweepRow[] = thresholds.map((threshold, i) => {
    const { model, report } = pruneByActivation(mlp, stats, { ...pruneOpts, threshold });
    const accuracy = model.evaluate(xs, labels).accuracy;
    const row: SweepRow = {
      threshold,
      neurons: report.keptCount,
      params: report.paramsAfter,
      paramsRemovedPct: report.paramsRemovedPct,
      bytes: model.toSafetensors().length,
      accuracy,
      accuracyDrop: 100 * (base - accuracy),
      latencyUs: null,
    };
    if (latency) models.push(model);
    onRow?.(row, i, model);
    return row;
  });
  if (latency) {
    // As a service would run them: frozen (weights packed once for the kernels).
    const [b, ...lat] = interleavedLatencyUs([mlp, ...models].map((m) => m.freeze()), sample, latencyReps);
    baseline.latencyUs = b!;
    rows.forEach((r, i) => (r.latencyUs = lat[i]!));
  }
  return sweepResult(rows, {
    baseline,
    statistic: pruneOpts.statistic ?? 'mean',
    relative: !!pruneOpts.relative,
    compensateBias: !!pruneOpts.compensateBias,
    reconstruct: !!pruneOpts.reconstruct,
    finetuneEpochs: pruneOpts.finetune?.epochs ?? 0,
  });
}

/**
 * Several sweeps of one model (e.g. one per statistic) whose latencies are measured together:
 * every pruned model of every sweep and the unpruned one take turns in the same interleaved
 * rounds, so the sweeps' latency columns can be compared with each other.
 */
export function sweeps(mlp: MLP, x: Tensor, labels: ArrayLike<number>, list: readonly SweepOptions[], opts: { latency?: boolean; latencyReps?: number } = {}): SweepResult[] {
  const { latency = true, latencyReps = 1000 } = opts;
  const models: MLP[][] = list.map(() => []);
  const results = list.map((o, k) =>
    sweep(mlp, x, labels, {
      ...o,
      latency: false,
      onRow: (row, i, model) => {
        if (latency) models[k]!.push(model);
        o.onRow?.(row, i, model);
      },
    }),
  );
  if (latency) {
    const xs = mlp.checkInput(x);
    const [base, ...lat] = interleavedLatencyUs([mlp, ...models.flat()].map((m) => m.freeze()), xs.data.slice(0, xs.cols), latencyReps);
    let j = 0;
    for (const r of results) {
      r.baseline.latencyUs = base!;
      for (const row of r) row.latencyUs = lat[j++]!;
    }
  }
  return results;
}
